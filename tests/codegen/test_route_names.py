"""The sugar's types are named by route (``PostV1SendEmailResult``), so an operationId or tag rename leaves them."""

from __future__ import annotations

import pytest

from codegen.emit_resources import render, route_name
from codegen.index import Entry
from codegen.signatures import OperationSource


def _entry(tag: str, name: str, method: str, path: str) -> Entry:
    source = OperationSource(params=[], returns=["None"], imports={}, docstring="", enum_values={}, models={})
    return Entry(tag, name, f"pkg.api.{tag}.{name}", method, path, "s", source, None, False)


def test_route_names_come_from_method_and_path_only() -> None:
    assert route_name("POST", "/v1/send/email") == "PostV1SendEmail"
    assert route_name("GET", "/v1/customers/{customer_id}/attributes") == "GetV1CustomersCustomerIdAttributes"
    assert route_name("DELETE", "/api/v1/customers/{identifier}/devices/{device_id}") == (
        "DeleteApiV1CustomersIdentifierDevicesDeviceId"
    )


@pytest.mark.parametrize("sync", [False, True])
def test_aliases_follow_a_renamed_operation(sync: bool) -> None:
    prefix = "Sync" if sync else "Async"
    before = render("pkg_app", [_entry("send", "send_email", "POST", "/v1/send/email")], sync)
    after = render("pkg_app", [_entry("renamed_send", "renamed_send_email", "POST", "/v1/send/email")], sync)
    assert (
        "    PostV1SendEmailResult: TypeAlias = None" in before
        and "    PostV1SendEmailResult: TypeAlias = None" in after
    )
    assert f"PostV1SendEmailTag = {prefix}SendResource" in before
    assert f"PostV1SendEmailTag = {prefix}RenamedSendResource" in after


def test_two_routes_with_one_name_are_refused() -> None:
    found = [_entry("a", "one", "GET", "/v1/a_b"), _entry("a", "two", "GET", "/v1/a/b")]
    with pytest.raises(ValueError, match="same Python name GetV1AB"):
        render("pkg_app", found, sync=False)
