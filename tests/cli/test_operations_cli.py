"""`aiocustomerio <api> <tag> <operation>`: every operation of the normalized specs, derived, never listed by hand."""

from __future__ import annotations

import contextlib
import functools
import json
import re
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from openapi_python_client.strings import PythonIdentifier

from aiocustomerio._config import HOSTS
from tests.contract.builder import (
    APIS,
    FIELD_PREFIX,
    NORMALIZED_DIR,
    ContractRequest,
    SchemaSampler,
    build_all,
    load_spec,
)

from .conftest import CLI, SECRETS


def _requests() -> list[Any]:
    if any(not (NORMALIZED_DIR / name).is_file() for name, _ in APIS.values()):
        return [pytest.param(None, marks=pytest.mark.skip(reason="normalized specs missing: run `make normalize`"))]
    return [pytest.param(r, id=r.id) for r in build_all()]


REQUESTS = _requests()


def flag(wire_name: str) -> str:
    """The CLI flag of a spec parameter: its generated Python name in kebab-case (``X-Strict-Mode`` → ...)."""
    return "--" + str(PythonIdentifier(wire_name, prefix=FIELD_PREFIX)).rstrip("_").replace("_", "-")


def command_line(r: ContractRequest) -> list[str]:
    operation = str(PythonIdentifier(r.operation_id, prefix=FIELD_PREFIX))
    # Kebab-case for tag and operation (snake_case is tested separately).
    args = [r.api, r.tag_module.replace("_", "-"), operation.replace("_", "-")]
    args += [_text(value) for value in r.path_params.values()]
    for name, value in {**r.query, **r.headers}.items():
        for one in value if isinstance(value, list) else [value]:
            args += [flag(name), str(one)]
    if r.has_body:
        args += ["--body", json.dumps(r.json_body)]
    return args


@functools.cache
def _spec(api: str) -> dict[str, Any]:
    return load_spec(api)


def _query_defaults(r: ContractRequest) -> dict[str, str]:
    spec = _spec(r.api)
    sampler = SchemaSampler(spec)
    item = spec["paths"][r.path_template]
    found = {}
    for raw in [*item.get("parameters", []), *item[r.method.lower()].get("parameters", [])]:
        param = sampler.resolve(raw)
        default = sampler.resolve(param.get("schema", {})).get("default")
        if param.get("in") == "query" and default is not None:
            found[param["name"]] = _text(default)
    return found


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else json.dumps(value)


def test_every_operation_is_derived_from_the_spec() -> None:
    if not REQUESTS or REQUESTS[0].values[0] is None:
        pytest.skip("normalized specs missing: run `make normalize`")
    assert len(REQUESTS) == 140


@pytest.mark.parametrize("request_", REQUESTS)
def test_dry_run_shows_the_specs_method_and_path(cli: CLI, request_: ContractRequest) -> None:
    result = cli(*command_line(request_), "--dry-run")
    assert result.code == 0, result.err
    shown = result.json()
    assert shown["method"] == request_.method
    url = urlsplit(shown["url"])
    base = urlsplit(HOSTS[request_.api]["us"])
    assert (url.scheme, url.netloc) == (base.scheme, base.netloc)
    # The path as the spec has it, each path parameter percent-encoded as one segment.
    assert url.path == base.path + request_.path
    sent_query = dict(parse_qsl(url.query))
    wanted = {k: str(v).lower() if isinstance(v, bool) else str(v) for k, v in request_.query.items()}
    assert wanted.items() <= sent_query.items()
    # Anything more is a parameter the spec gives a default, which the generated code sends.
    defaults = _query_defaults(request_)
    assert {k: v for k, v in sent_query.items() if k not in wanted}.items() <= defaults.items()
    headers = {k.lower(): v for k, v in shown["headers"].items()}
    for name, value in request_.headers.items():
        assert headers[name.lower()] == value
    assert headers["authorization"] in {"Basic ****", "Bearer ****"}
    if request_.has_body:
        # What would be sent includes the dedup id the façade stamps where the body lacks one (the index's dedup).
        body, given = shown["body"], request_.json_body
        if isinstance(body, dict) and isinstance(given, dict):
            given = {**given, **{k: body[k] for k in ("id", "messageId") if k in body and k not in given}}
        assert body == given
    else:
        assert shown["body"] is None
    everything = result.out + result.err
    assert not any(secret in everything for secret in SECRETS.values())


@pytest.mark.parametrize(
    "args",
    [
        ["app", "messages", "list-messages", "--app-apikey", "typed-SECRET-5"],  # a mistyped flag, then its key
        ["app", "--app-api-key=typed-SECRET-5", "messages", "list-messages"],  # a flag before the tag
        ["app", "messages", "--app-api-key=typed-SECRET-5", "list-messages"],  # a flag before the operation
        ["ingest", "events.jsonl", "--api", "track", "--api-kee=typed-SECRET-5"],
        ["spool", "inspect", "x.db", "--cdp-key", "typed-SECRET-5"],
    ],
    ids=["mistyped-flag", "before-tag", "before-operation", "ingest", "spool"],
)
def test_words_the_cli_does_not_understand_are_not_echoed(
    cli: CLI, args: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    # What follows a flag may be a credential: a usage error names the unknown flag, never the value.
    try:
        result = cli(*args)
        code, everything = result.code, result.out + result.err
    except SystemExit as exit_:  # argparse's own exit
        code, everything = exit_.code, "".join(capsys.readouterr())
    assert code == 2
    assert "typed-SECRET-5" not in everything and "SECRET" not in everything
    assert "--app-api" in everything or "--api-kee" in everything or "--cdp-key" in everything  # the flag is named


@pytest.mark.parametrize("value", ["-1", "0", "nan", "inf", "soon"])
def test_a_bad_timeout_names_the_flag_and_sends_nothing(
    cli: CLI, value: str, capsys: pytest.CaptureFixture[str]
) -> None:
    try:
        result = cli("app", "customers", "get-person-attributes", "u", "--timeout", value, "--dry-run")
        code, err = result.code, result.err
    except SystemExit as exit_:  # argparse's own exit
        code, err = exit_.code, capsys.readouterr().err
    assert code == 2
    assert "argument --timeout:" in err and value in err and "seconds" in err
    assert "CustomerIO(timeout" not in err  # the flag, not the constructor argument behind it


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["app", "customers", "get-people-filter", "--body", '"x"'], "body must be a mapping"),
        (["app", "customers", "get-people-filter", "--body", "[1]"], "body must be a mapping"),
        (["track", "track-customers", "identify", "u1", "--body", "5"], "body must be a mapping"),
    ],
    ids=["string", "list", "number"],
)
def test_a_body_of_the_wrong_shape_is_a_usage_error(cli: CLI, args: list[str], expected: str) -> None:
    # It printed a traceback ending in "'str' object has no attribute 'to_dict'" and exited 1.
    result = cli(*args, "--dry-run")
    assert result.code == 2
    assert expected in result.err and "Traceback" not in result.err and result.out == ""


def test_all_is_offered_only_by_listings(cli: CLI, capsys: pytest.CaptureFixture[str]) -> None:
    # --all on an operation without paginate() printed an AttributeError traceback.
    try:
        result = cli("app", "customers", "get-person-attributes", "u1", "--all", "--dry-run")
        code, err = result.code, result.err
    except SystemExit as exit_:  # argparse's own exit
        code, err = exit_.code, capsys.readouterr().err
    assert code == 2
    assert "unrecognized arguments: --all" in err and "Traceback" not in err
    with contextlib.suppress(SystemExit):
        cli("app", "customers", "get-person-attributes", "--help")
    assert "--all" not in capsys.readouterr().out
    listing = cli("app", "messages", "list-messages", "--all", "--max-items", "1", "--dry-run")
    assert listing.code == 0 and '"GET"' in listing.out


def test_raw_with_all_is_a_usage_error_not_ignored(cli: CLI) -> None:
    # --all printed the NDJSON items and dropped --raw without a word.
    result = cli("app", "messages", "list-messages", "--all", "--raw", "--dry-run")
    assert result.code == 2 and result.out == ""
    assert "--raw" in result.err and "--all" in result.err
    assert cli("app", "messages", "list-messages", "--raw", "--dry-run").code == 0


def test_parameter_help_is_in_the_operators_words_and_whole() -> None:
    # Defaults were shown as Python spells them ("Default: CampaignMetricsPeriod.DAYS.", "Default: False."), and a
    # parameter's help stopped at the first line the generated docstring wrapped.
    from aiocustomerio.cli._catalog import command, index
    from aiocustomerio.cli._operation import build_parser

    python_spelling = re.compile(r"Default: (True|False|[A-Z]\w*\.[A-Z0-9_]+)\.")
    pages = {
        info.label: build_parser(api, tag, command(info)).format_help()
        for api in ("track", "app", "pipelines")
        for tag, ops in index(api).items()
        for info in ops.values()
    }
    assert len(pages) == 140
    assert {label: python_spelling.findall(page) for label, page in pages.items() if python_spelling.search(page)} == {}
    metrics = " ".join(pages["app.campaigns.campaign_metrics"].split())
    assert "--period PERIOD one of days, hours, months, weeks: Default: days." in metrics
    assert "Default: false." in " ".join(pages["app.activities.list_activities"].split())
    assert "are for relationships" in " ".join(pages["app.activities.list_activities"].split())  # a wrapped line


def test_every_flag_says_what_the_spec_says_of_its_parameter(capsys: pytest.CaptureFixture[str]) -> None:
    # The help named only a flag's type (`--limit LIMIT  integer: Default: 50.`): the generated docstrings drop the
    # spec's parameter descriptions. They come from the index (HELP), one sentence each, Markdown stripped.
    import importlib

    from aiocustomerio.cli import main
    from aiocustomerio.cli._catalog import cli_name, index

    pages = 0
    for api in ("track", "app", "pipelines"):
        infos = [info for ops in index(api).values() for info in ops.values()]
        helps = importlib.import_module(infos[0].module.split(".", 1)[0] + "._index").HELP
        for info in infos:
            expected = helps.get(info.tag, {}).get(info.name, {})
            if not expected:
                continue
            assert main([api, cli_name(info.tag), cli_name(info.name), "--help"]) == 0
            page = " ".join(capsys.readouterr().out.split())
            pages += 1
            for name, sentence in expected.items():
                assert sentence in page, (info.label, name)
                assert "`" not in sentence and "**" not in sentence and "](" not in sentence
            assert page.splitlines()[0]
    assert pages >= 100  # most operations describe their parameters (App alone has 89 path parameters)
    assert main(["app", "messages", "list-messages", "--help"]) == 0
    page = " ".join(capsys.readouterr().out.split())
    assert "--limit LIMIT integer: The maximum number of results you want to retrieve per page. Default: 50." in page
    assert "--start-ts START_TS, --start_ts START_TS integer: The beginning timestamp for your query." in page
    assert main(["app", "customers", "get-person-attributes", "--help"]) == 0
    page = " ".join(capsys.readouterr().out.split())
    assert "CUSTOMER_ID string path parameter: The ID of the customer you want to perform an operation" in page
    assert "Lookup a customer's attributes GET /v1/customers/{customer_id}/attributes" in page  # the index's summary
