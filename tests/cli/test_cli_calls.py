"""The operation commands on the wire: Prism mocks, pagination, output, exit codes, and no secret in any output."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from .conftest import CLI, SECRETS, LocalServer, Seen

ROOT = Path(__file__).resolve().parents[2]


def _pages(seen: Seen) -> tuple[int, object]:
    start = parse_qs(urlsplit(seen.path).query).get("start", [""])[0]
    page = {"": ("p2", [1, 2]), "p2": ("p3", [3, 4]), "p3": ("", [5])}[start]
    activities = [{"id": f"a{i}", "type": "attempted_email", "customer_id": f"c{i}"} for i in page[1]]
    return 200, {"activities": activities, "next": page[0]}


def test_all_follows_pagination_across_three_pages_as_ndjson(cli: CLI, local_server: LocalServer) -> None:
    local_server.handler = _pages
    result = cli("app", "activities", "list-activities", "--all", "--limit", "2", "--base-url", local_server.url)
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert [json.loads(line)["id"] for line in lines] == ["a1", "a2", "a3", "a4", "a5"]
    assert [parse_qs(urlsplit(s.path).query).get("start") for s in local_server.seen] == [None, ["p2"], ["p3"]]
    assert all(parse_qs(urlsplit(s.path).query)["limit"] == ["2"] for s in local_server.seen)

    capped = cli("app", "activities", "list-activities", "--all", "--max-items", "3", "--base-url", local_server.url)
    assert [json.loads(line)["id"] for line in capped.out.splitlines()] == ["a1", "a2", "a3"]


def test_output_is_compact_off_a_terminal_and_raw_shows_status_and_headers(cli: CLI, local_server: LocalServer) -> None:
    local_server.handler = lambda seen: (200, {"campaigns": [{"id": 1, "name": "welcome"}]})
    result = cli("app", "campaigns", "list_campaigns", "--base-url", local_server.url)
    assert result.code == 0 and result.out == '{"campaigns":[{"id":1,"name":"welcome"}]}\n'
    raw = cli("app", "campaigns", "list-campaigns", "--raw", "--base-url", local_server.url)
    head, _, body = raw.out.partition("\n\n")
    assert head.splitlines()[0] == "HTTP/1.1 200 OK"
    assert "content-type: application/json" in head.lower()
    assert json.loads(body) == {"campaigns": [{"id": 1, "name": "welcome"}]}
    assert local_server.seen[0].headers["Authorization"] == "Bearer " + SECRETS["CUSTOMERIO_APP_API_KEY"]


def test_path_parameters_are_one_percent_encoded_segment(cli: CLI, local_server: LocalServer) -> None:
    result = cli("track", "track-customers", "identify", "a/b?c d", "--body", "{}", "--base-url", local_server.url)
    assert result.code == 0, result.err
    assert local_server.seen[0].method == "PUT"
    assert local_server.seen[0].path == "/api/v1/customers/a%2Fb%3Fc%20d"


def test_body_from_a_file_and_from_stdin(
    cli: CLI, local_server: LocalServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    body = tmp_path / "person.json"
    body.write_text('{"email": "f@example.com"}')
    assert (
        cli("track", "track-customers", "identify", "u1", "--body", f"@{body}", "--base-url", local_server.url).code
        == 0
    )
    import io

    monkeypatch.setattr(sys, "stdin", io.StringIO('{"email": "s@example.com"}'))
    assert cli("track", "track-customers", "identify", "u2", "--body", "-", "--base-url", local_server.url).code == 0
    assert [json.loads(s.body) for s in local_server.seen] == [{"email": "f@example.com"}, {"email": "s@example.com"}]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["app", "campaignz"], "did you mean campaigns"),
        (["app", "campaigns", "list-campaignz"], "did you mean list-campaigns"),
        (["nope"], "no command 'nope'"),
        (["app", "campaigns", "get-campaigns"], "required: CAMPAIGN_ID"),
        (["app", "campaigns", "get-campaigns", "x"], "expected an integer, not 'x'"),
        (["app", "activities", "list-activities", "--limit", "abc"], "--limit: expected an integer, not 'abc'"),
        (["app", "activities", "list-activities", "--limit", "5000"], "--limit: app.activities.list_activities: query"),
        (["app", "activities", "list-activities", "--limit", "5000"], "'limit' must be at most 100, not 5000"),
        (["app", "activities", "list-activities", "--deleted", "maybe"], "--deleted: expected true or false"),
        (["track", "track-events", "track", "u1"], "required: --body"),
        (["track", "track-customers", "identify", "u1", "--body", "{nope"], "not valid JSON"),
        (["track", "track-customers", "identify", "u1", "--body", "@/no/such.json"], "cannot read the file"),
        (["app", "customers", "get-person-messages", "1", "--id-type", "phone"], "one of cio_id, email, id"),
        (["track", "track-customers", "identify", " ", "--body", "{}"], "cannot name a resource"),
    ],
)
def test_usage_errors_exit_2_and_send_nothing(
    cli: CLI, local_server: LocalServer, args: list[str], message: str
) -> None:
    result = cli(*args, "--base-url", local_server.url)
    assert result.code == 2, result.err
    assert message in result.err
    assert "Traceback" not in result.err
    assert local_server.seen == []


def test_missing_credentials_exit_2_naming_the_variable(cli: CLI, local_server: LocalServer) -> None:
    result = cli("app", "campaigns", "list-campaigns", "--base-url", local_server.url, CUSTOMERIO_APP_API_KEY="")
    assert result.code == 2 and "CUSTOMERIO_APP_API_KEY" in result.err
    assert local_server.seen == []


@pytest.mark.parametrize(("status", "kind"), [(404, "404"), (401, "401"), (400, "400")])
def test_api_errors_exit_1_with_the_typed_errors_message(
    cli: CLI, local_server: LocalServer, status: int, kind: str
) -> None:
    local_server.handler = lambda seen: (status, {"errors": [{"detail": "nope"}]})
    result = cli("app", "campaigns", "get-campaigns", "5", "--base-url", local_server.url)
    assert result.code == 1
    assert result.err.startswith("aiocustomerio: ") and kind in result.err and "/v1/campaigns/5" in result.err
    assert result.out == ""


def test_secrets_never_reach_the_output(cli: CLI, local_server: LocalServer) -> None:
    # An API error echoing the request, --raw, --dry-run, and a failed call: none may print a credential.
    local_server.handler = lambda seen: (401, {"errors": [{"detail": "bad credentials", "echo": dict(seen.headers)}]})
    import base64

    basic = base64.b64encode(f"{SECRETS['CUSTOMERIO_SITE_ID']}:{SECRETS['CUSTOMERIO_TRACK_API_KEY']}".encode()).decode()
    forbidden = [*SECRETS.values(), basic]
    runs = [
        cli("track", "track-customers", "identify", "u1", "--body", "{}", "--base-url", local_server.url),
        cli("track", "track-customers", "identify", "u1", "--body", "{}", "--raw", "--base-url", local_server.url),
        cli("track", "track-customers", "identify", "u1", "--body", "{}", "--dry-run"),
        cli("app", "campaigns", "list-campaigns", "--dry-run", "--region", "eu"),
        cli("pipelines", "people", "identify", "--body", '{"userId": "u"}', "--dry-run"),
        cli("app", "campaigns", "list-campaigns", "--base-url", "http://127.0.0.1:1"),  # connection refused
    ]
    for result in runs:
        everything = result.out + result.err
        assert not any(secret in everything for secret in forbidden), everything
    assert runs[0].code == 1 and runs[5].code == 1
    assert json.loads(runs[3].out)["url"] == "https://api-eu.customer.io/v1/campaigns"


def test_an_error_quoting_the_authorization_header_prints_no_credential(cli: CLI, local_server: LocalServer) -> None:
    # The message's summary is built from the body's error entries: one that quotes the header (audit s16 F02).
    local_server.handler = lambda seen: (401, {"meta": {"error": f"rejected {seen.headers['Authorization']}"}})
    import base64

    basic = base64.b64encode(f"{SECRETS['CUSTOMERIO_SITE_ID']}:{SECRETS['CUSTOMERIO_TRACK_API_KEY']}".encode()).decode()
    cdp = base64.b64encode(f"{SECRETS['CUSTOMERIO_CDP_API_KEY']}:".encode()).decode()
    forbidden = [*SECRETS.values(), basic, cdp]
    runs = [
        cli("track", "track-customers", "identify", "u1", "--body", "{}", "--base-url", local_server.url),
        cli("app", "campaigns", "list-campaigns", "--base-url", local_server.url),
        cli("pipelines", "people", "identify", "--body", '{"userId": "u"}', "--base-url", local_server.url),
    ]
    for result in runs:
        assert result.code == 1 and ("rejected Basic ****" in result.err or "rejected Bearer ****" in result.err)
        assert not [secret for secret in forbidden if secret in result.out + result.err], result.err


def _echoing(seen: Seen) -> tuple[int, object, dict[str, str]]:
    """A gateway (or a mock) that answers 200 and quotes what it was sent, the Authorization header included."""
    auth = seen.headers["Authorization"]
    token = auth.partition(" ")[2]
    body = {"campaigns": [{"id": 1, "name": f"seen {auth}", token: token}], "headers": seen.headers}
    body["messages"] = [{"id": "m1", "subject": f"seen {auth}"}]
    return 200, body, {"X-Echo-Authorization": auth, "X-Echo-Token": token}


def test_a_successful_answer_quoting_the_credential_is_printed_without_it(cli: CLI, local_server: LocalServer) -> None:
    # The output of a call that succeeded, --raw's status line and headers included, and a listing's NDJSON lines.
    local_server.handler = _echoing
    import base64

    basic = base64.b64encode(f"{SECRETS['CUSTOMERIO_SITE_ID']}:{SECRETS['CUSTOMERIO_TRACK_API_KEY']}".encode()).decode()
    cdp = base64.b64encode(f"{SECRETS['CUSTOMERIO_CDP_API_KEY']}:".encode()).decode()
    forbidden = [*SECRETS.values(), basic, cdp]
    runs = [
        cli("app", "campaigns", "list-campaigns", "--base-url", local_server.url),
        cli("app", "campaigns", "list-campaigns", "--raw", "--base-url", local_server.url),
        cli("track", "track-customers", "identify", "u1", "--body", "{}", "--raw", "--base-url", local_server.url),
        cli("pipelines", "people", "identify", "--body", '{"userId": "u"}', "--raw", "--base-url", local_server.url),
        cli("app", "messages", "list-messages", "--all", "--base-url", local_server.url),
    ]
    for result in runs:
        assert result.code == 0, result.err
        assert not [secret for secret in forbidden if secret in result.out + result.err], result.out
    assert "seen Bearer ****" in runs[0].out and "x-echo-authorization: bearer ****" in runs[1].out.lower()
    assert "seen Basic ****" in runs[2].out and "x-echo-token: ****" in runs[3].out.lower()
    assert json.loads(runs[4].out)["subject"] == "seen Bearer ****"  # a listing's item


def test_an_answer_nested_too_deeply_for_json_is_printed_or_typed_never_a_traceback(
    cli: CLI, local_server: LocalServer
) -> None:
    deep = b"[" * 100_000 + b"]" * 100_000
    local_server.handler = lambda seen: (200, deep)
    shown = cli("app", "campaigns", "list-campaigns", "--base-url", local_server.url)
    assert shown.code == 0 and shown.out == deep.decode() + "\n"
    listed = cli("app", "messages", "list-messages", "--all", "--base-url", local_server.url)
    assert listed.code == 1 and "list_messages: the 200 response does not match" in listed.err
    local_server.handler = lambda seen: (400, deep)
    refused = cli("app", "campaigns", "list-campaigns", "--base-url", local_server.url)
    assert refused.code == 1 and refused.err.startswith("aiocustomerio: 400 Bad Request from GET")
    for result in (shown, listed, refused):
        assert "Traceback" not in result.err


def test_a_body_nested_too_deeply_is_a_usage_error(cli: CLI, local_server: LocalServer) -> None:
    result = cli("track", "track-customers", "identify", "u1", "--body", "[" * 100_000, "--base-url", local_server.url)
    assert result.code == 2 and "--body is nested too deeply to read as JSON" in result.err
    assert local_server.seen == []


def test_missing_credentials_name_the_clis_flags_and_variables(cli: CLI, local_server: LocalServer) -> None:
    # Not "pass CustomerIO(app_api_key=...)": the CLI user's fix is a flag (audit s16 F17).
    app = cli("app", "campaigns", "list-campaigns", "--base-url", local_server.url, CUSTOMERIO_APP_API_KEY="")
    assert app.code == 2
    assert app.err.strip() == (
        "aiocustomerio: the App API needs --app-api-key: pass --app-api-key or set CUSTOMERIO_APP_API_KEY"
    )
    track = cli("track", "track-customers", "identify", "u1", "--body", "{}", CUSTOMERIO_TRACK_API_KEY="")
    assert track.code == 2 and "needs --site-id and --api-key (missing: --api-key): pass --api-key" in track.err
    assert "CustomerIO(" not in app.err + track.err
    cdp = cli("pipelines", "people", "identify", "--body", "{}", "--dry-run", CUSTOMERIO_CDP_API_KEY="")
    assert cdp.code == 2 and "pass --cdp-api-key or set CUSTOMERIO_CDP_API_KEY" in cdp.err
    keys = {name: SECRETS[name] for name in ("CUSTOMERIO_APP_API_KEY", "CUSTOMERIO_TRACK_API_KEY")}
    auto = cli("app", "campaigns", "list-campaigns", "--region", "auto", CUSTOMERIO_SITE_ID="", **keys)
    assert auto.code == 2 and "--region auto" in auto.err and "pass --site-id or set CUSTOMERIO_SITE_ID" in auto.err
    assert local_server.seen == []


@pytest.mark.parametrize("spelling", ["EU", "Eu", " eu "])
def test_region_flag_is_case_insensitive_like_the_variable(cli: CLI, spelling: str) -> None:
    flag = cli("app", "campaigns", "list-campaigns", "--dry-run", "--region", spelling)
    variable = cli("app", "campaigns", "list-campaigns", "--dry-run", CUSTOMERIO_REGION=spelling)
    assert flag.code == variable.code == 0, flag.err
    assert json.loads(flag.out)["url"] == json.loads(variable.out)["url"] == "https://api-eu.customer.io/v1/campaigns"
    refused = cli("app", "campaigns", "list-campaigns", "--dry-run", "--region", "uk")
    assert refused.code == 2 and "invalid choice: 'uk'" in refused.err


def test_a_base_url_with_user_info_is_a_usage_error_naming_the_flag(cli: CLI, local_server: LocalServer) -> None:
    url = local_server.url.replace("http://", "http://proxyuser:proxypass99@")
    for args in (["--dry-run"], []):
        result = cli("app", "campaigns", "list-campaigns", *args, "--base-url", url)
        assert result.code == 2 and result.err.startswith("aiocustomerio: --base-url must not carry a user name")
        assert "proxypass99" not in result.out + result.err and "proxyuser" not in result.out + result.err
        assert "CustomerIO(" not in result.err and "extra_headers" not in result.err
    assert local_server.seen == []


def test_a_printed_url_never_shows_user_info() -> None:
    from aiocustomerio.cli._output import request_preview

    preview = request_preview(httpx.Request("GET", "https://proxyuser:proxypass99@proxy.internal/cio/v1/x"))
    assert preview["url"] == "https://****@proxy.internal/cio/v1/x"


def test_help_lists_apis_tags_and_operations_with_summaries(cli: CLI) -> None:
    top = cli("--help")
    assert top.code == 0 and all(api in top.out for api in ("track", "app", "pipelines", "ingest"))
    tags = cli("app", "--help")
    assert tags.code == 0 and "campaigns" in tags.out and "sender-identities" in tags.out
    # Each tag with the spec's one-line summary (the first sentence of its description) and its size.
    campaigns = next(line for line in tags.out.splitlines() if line.strip().startswith("campaigns "))
    assert "A campaign is a workflow that people in your audience trigger and traverse (13 operations)" in campaigns
    ops = cli("app", "campaigns", "--help")
    assert ops.code == 0 and "list-campaigns" in ops.out and "List campaigns" in ops.out
    one = cli("app", "campaigns", "get-campaigns", "--help")
    assert one.code == 0 and "CAMPAIGN_ID" in one.out and "GET /v1/campaigns/{campaign_id}" in one.out
    assert cli().code == 2 and cli("app").code == 2


def test_python_dash_m_and_version() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    run = subprocess.run(
        [sys.executable, "-m", "aiocustomerio", "--version"], capture_output=True, text=True, timeout=60, env=env
    )
    assert run.returncode == 0 and run.stdout.startswith("aiocustomerio ")
    help_run = subprocess.run(
        [sys.executable, "-m", "aiocustomerio", "app", "--help"], capture_output=True, text=True, timeout=60, env=env
    )
    assert help_run.returncode == 0 and "campaigns" in help_run.stdout


def test_output_is_indented_on_a_terminal(local_server: LocalServer) -> None:
    import pty

    local_server.handler = lambda seen: (200, {"campaigns": [{"id": 1}]})
    master, slave = pty.openpty()
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "CUSTOMERIO_APP_API_KEY": "k"}
    args = [sys.executable, "-m", "aiocustomerio", "app", "campaigns", "list-campaigns", "--base-url", local_server.url]
    run = subprocess.run(args, stdout=slave, stderr=subprocess.PIPE, timeout=60, env=env)
    os.close(slave)
    out = os.read(master, 65536).decode()
    os.close(master)
    assert run.returncode == 0, run.stderr
    assert out.replace("\r\n", "\n") == '{\n  "campaigns": [\n    {\n      "id": 1\n    }\n  ]\n}\n'


def _suppressions(seen: Seen) -> tuple[int, object]:
    """250 suppressed addresses, paged by ``offset``/``limit`` (``GET /v1/esp/suppression/{type}``)."""
    query = parse_qs(urlsplit(seen.path).query)
    offset, limit = int(query.get("offset", ["0"])[0]), int(query.get("limit", ["100"])[0])
    rows = [{"email": f"a{i}@x.io", "reason": "bounce", "created": 1} for i in range(offset, min(offset + limit, 250))]
    return 200, {"suppressions": rows}


def test_all_walks_an_offset_listing_to_its_short_page(cli: CLI, local_server: LocalServer) -> None:
    local_server.handler = _suppressions
    result = cli(
        "app", "esp-suppression", "get-suppression-by-type", "bounces", "--all", "--base-url", local_server.url
    )
    assert result.code == 0, result.err
    assert [json.loads(line)["email"] for line in result.out.splitlines()] == [f"a{i}@x.io" for i in range(250)]
    assert [parse_qs(urlsplit(s.path).query).get("offset") for s in local_server.seen] == [["0"], ["100"], ["200"]]


def test_a_redirect_names_the_clis_flags_as_the_fix(cli: CLI, local_server: LocalServer) -> None:
    # An operator fixes a wrong endpoint with --base-url / --region, not with CustomerIO(app_base_url=...).
    local_server.handler = lambda seen: (307, {}, {"Location": "https://elsewhere.example.com/v1/campaigns"})
    result = cli("app", "campaigns", "list-campaigns", "--base-url", local_server.url)
    assert result.code == 1 and [(s.method, s.path) for s in local_server.seen] == [("GET", "/v1/campaigns")]
    assert "307" in result.err and "https://elsewhere.example.com/v1/campaigns" in result.err
    assert "check --base-url and --region" in result.err and "app_base_url" not in result.err


def test_a_regional_redirects_fix_is_the_region_flag_for_the_cli(caplog: pytest.LogCaptureFixture) -> None:
    from aiocustomerio._retry import RetryPolicy
    from aiocustomerio._transport._rules import CLI as COMMAND
    from aiocustomerio._transport._rules import Rules

    rules = Rules(RetryPolicy(), "track", COMMAND)
    request = httpx.Request("POST", "https://track.customer.io/api/v1/customers/1/events", content=b"{}")
    moved = httpx.Response(301, headers={"Location": "https://track-eu.customer.io/api/v1/customers/1/events"})
    hint = rules.redirect_hint(request, moved)
    assert "pass --region eu" in hint and "CustomerIO(" not in hint
    followed = httpx.Response(307, headers={"Location": "https://track-eu.customer.io/api/v1/customers/1/events"})
    with caplog.at_level("WARNING", logger="aiocustomerio"):
        assert rules.follow(request, followed) is not None
    assert "pass --region eu (or --region auto)" in caplog.text and "CustomerIO(" not in caplog.text


def test_max_retries_and_retry_unsafe_flags_are_the_per_call_opt_in(cli: CLI, local_server: LocalServer) -> None:
    # Issue 10: an unsafe operation is not resent after a 504 unless the caller opts in per call; the operator
    # does with --max-retries N (N > 0) or --retry-unsafe, and --max-retries 0 sends any operation once.
    local_server.handler = lambda seen: (504, {}, {"Retry-After": "0"})
    send = ["app", "send-messages", "send-email", "--base-url", local_server.url]
    body = '{"transactional_message_id": "1", "to": "a@example.com", "identifiers": {"id": "u1"}}'

    def sent(*args: str) -> list[tuple[str, str]]:
        local_server.seen.clear()
        result = cli(*args)
        assert result.code == 1 and "504" in result.err
        return [(s.method, s.path) for s in local_server.seen]

    assert sent(*send, "--body", body) == [("POST", "/v1/send/email")]
    assert sent(*send, "--body", body, "--max-retries", "2") == [("POST", "/v1/send/email")] * 3
    assert sent(*send, "--body", body, "--retry-unsafe") == [("POST", "/v1/send/email")] * 4  # the default 3 retries
    listing = ["app", "campaigns", "list-campaigns", "--base-url", local_server.url]
    assert sent(*listing, "--max-retries", "0") == [("GET", "/v1/campaigns")]
    assert sent(*listing, "--max-retries", "1") == [("GET", "/v1/campaigns")] * 2
    refused = cli(*listing, "--retry-unsafe")  # only unsafe operations have it
    assert refused.code == 2 and "--retry-unsafe" in refused.err
