"""``generated/API.md``: every operation's Python call, HTTP route and return type, by API and tag (like the
``api.md`` of openai-python), written by ``make generate`` from the same records as the resources."""

from __future__ import annotations

from .emit_resources import root_name
from .index import Entry

_TITLES = {"app": "App API", "track": "Track API", "pipelines": "Pipelines API"}


def _call(api: str, entry: Entry) -> str:
    positional = list(entry.path_params)
    keywords = [p.name for p in entry.source.params if not p.positional]
    required = {p.name for p in entry.source.params if p.required}
    args = positional + (["*"] if keywords else []) + [k if k in required else f"{k}=…" for k in keywords]
    return f"cio.{api}.{entry.tag}.{entry.name}({', '.join(args)})"


_OR = " \\| "  # a | inside a Markdown table cell


def _returns(entry: Entry) -> str:
    text = _OR.join(f"`{r}`" for r in entry.source.returns)
    items = entry.source.item_types() if entry.source.items else []
    if items:
        where = "across pages" if entry.pagination else "of its one page"
        text += f"; `.paginate(…)` yields {_OR.join(f'`{i}`' for i in items)} {where}"
    return text


def render(packages: list[tuple[str, str, list[Entry]]]) -> str:
    """``packages``: (api name, package, operations) in the order to list them."""
    total = sum(len(found) for _, _, found in packages)
    lines = [
        "# API reference",
        "",
        "Written by `make generate` (codegen/api_md.py); do not edit. Every operation of the three APIs as "
        f"`aiocustomerio.CustomerIO` exposes it: {total} operations.",
        "",
        "- Await the call for the parsed model; `.with_raw_response(...)` takes the same arguments and returns the "
        "`httpx.Response`; listings also have `.paginate(...)` (same arguments, plus `max_items`), iterated with "
        "`async for`, `.pages()` for whole pages.",
        "- Path parameters are positional; everything else is keyword-only. Every method also takes the per-call "
        "options `timeout`, `extra_headers`, `extra_query`, `max_retries` and `retry_unsafe`.",
        "- **unsafe**: repeating it could send a message or start a job twice, so it is resent only when the request "
        "certainly did not reach Customer.io (pass `retry_unsafe=True`, or `max_retries=N` with N > 0, in the call "
        "to opt in to normal retries; the client's and a `with_options()` view's defaults never do).",
        "- **dedup** `id` (or `messageId`): a ULID is added where the body lacks one, once, before the first attempt, "
        "so a retry is recognised by Customer.io as a repeat (`batch[].id`: in each entry of the batch that is an "
        "event).",
        "- `SyncCustomerIO` has the same calls without `await` (`<package>/_sync_resources.py`).",
        "",
    ]
    for api, package, found in packages:
        lines += [
            f"## {_TITLES.get(api, api)}: `cio.{api}`",
            "",
            f"Types: `{package}.models`; resources: `{package}._resources.{root_name(package, False)}`.",
            "",
        ]
        tags: dict[str, list[Entry]] = {}
        for entry in found:
            tags.setdefault(entry.tag, []).append(entry)
        for tag, entries in tags.items():
            lines += [f"### {tag}", "", "| Python | HTTP | Returns |", "|---|---|---|"]
            for entry in entries:
                route = f"`{entry.method} {entry.path}`" + (" **unsafe**" if entry.unsafe else "") + _dedup(entry)
                lines.append(f"| `await {_call(api, entry)}` | {route} | {_returns(entry)} |")
            lines.append("")
    return "\n".join(lines)


def _dedup(entry: Entry) -> str:
    """Where the façade stamps a dedup id (``batch[].id``), from the index's ``dedup``."""
    places = []
    for rule in entry.dedup:
        at = "".join("[]" if key == "*" else f".{key}" for key in rule["at"]).lstrip(".")
        places.append(f"`{at}.{rule['field']}`" if at else f"`{rule['field']}`")
    return f" **dedup** {', '.join(places)}" if places else ""
