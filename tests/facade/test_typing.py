"""Type checkers see the generated resources: mistakes in user code are flagged, results are typed (not Any)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

SNIPPET = """
from aiocustomerio import CustomerIO

async def main(cio: CustomerIO) -> None:
    reveal_type(await cio.app.campaigns.list_campaigns())
    reveal_type(await cio.app.customers.get_person_attributes("u", id_type="email"))
    reveal_type(await cio.app.campaigns.list_campaigns.with_raw_response())
    reveal_type(await cio.app.send_email(to="a@example.com", identifiers={"id": "u"}, transactional_message_id=1))
    reveal_type(await cio.track.identify("u", {"plan": "pro"}, timeout=5))
    reveal_type(cio.app.customers.search({"and": []}))
    async for activity in cio.app.activities.list_activities.paginate(limit=10, max_items=5):
        reveal_type(activity)
    async for page in cio.app.messages.list_messages.paginate(type_="email").pages():
        reveal_type(page)
    # The API-level raw views: operations and sugar return the httpx.Response, as they do at run time.
    raw = cio.app.with_raw_response
    reveal_type(await raw.campaigns.list_campaigns())
    reveal_type(await raw.send_email(to="a@example.com", identifiers={"id": "u"}, transactional_message_id=1))
    reveal_type(await cio.track.with_raw_response.identify("u", {"plan": "pro"}))
    reveal_type(await cio.pipelines.with_raw_response.track("u", "e"))
    reveal_type(await cio.app.with_raw_response.with_options(timeout=3).campaigns.list_campaigns())
    await cio.app.with_raw_response.campaigns.get_campaigns("seven")  # E6: still checked on the raw view
    await cio.track.with_raw_response.identify("u", {"plan": "pro"}, emial="a@example.com")  # E7: sugar typo
    await cio.app.activities.list_activities(limt=10)  # E1: misspelt keyword
    await cio.app.activities.list_activities(limit="ten")  # E2: wrong type
    await cio.app.campaigns.get_campaigns("seven")  # E3: a string for an integer path parameter
    cio.app.campagins  # E4: misspelt tag
    await cio.app.send_email(to="a@example.com", identifiers={"id": "u"}, frm="x")  # E5: sugar typo
"""


def test_user_code_is_checked_and_typed(tmp_path: Path) -> None:
    source = tmp_path / "usage.py"
    source.write_text(SNIPPET)
    # A subprocess: mypy in this process would leave megabytes of state behind for later tests' memory bounds.
    cmd = [sys.executable, "-m", "mypy", "--strict", "--cache-dir", str(tmp_path / "cache"), str(source)]
    out = subprocess.run(cmd, capture_output=True, text=True, check=False).stdout
    revealed = re.findall(r'Revealed type is "([^"]+)"', out)
    assert revealed == [
        "aiocustomerio_app.models.list_campaigns_response_200.ListCampaignsResponse200",
        "aiocustomerio_app.models.get_person_attributes_response_200.GetPersonAttributesResponse200",
        "httpx._models.Response",
        "aiocustomerio_app.models.send_email_response_200.SendEmailResponse200",
        "None",
        "aiocustomerio._pagination.AsyncPaginator[aiocustomerio_app.models."
        "get_people_filter_response_200_identifiers_item.GetPeopleFilterResponse200IdentifiersItem, "
        "aiocustomerio_app.models.get_people_filter_response_200.GetPeopleFilterResponse200]",
        "aiocustomerio_app.models.activities.Activities",
        "aiocustomerio_app.models.list_messages_response_200.ListMessagesResponse200",
        *["httpx._models.Response"] * 5,
    ], out
    errors = [line for line in out.splitlines() if ": error:" in line]
    lines = {int(line.split(":")[1]) for line in errors}
    expected = {i + 1 for i, text in enumerate(SNIPPET.splitlines()) if "# E" in text}
    assert lines == expected and len(errors) == 7, out
    assert 'Unexpected keyword argument "limt"' in out
    assert 'Argument "limit" to "__call__" of "AsyncListActivities" has incompatible type "str"' in out
    assert 'Argument 1 to "__call__" of "AsyncGetCampaigns" has incompatible type "str"; expected "int"' in out
    assert '"AppAPI" has no attribute "campagins"' in out
    assert 'Unexpected keyword argument "frm" for "send_email" of "AppAPI"' in out
