"""Build one valid request for every operation of the normalized specs, from their examples or else their schemas.

The operations are enumerated from ``paths`` × methods, never listed by hand, so a spec update is covered on the next
run. Values come, in order of preference, from the media type's or parameter's ``example``/``examples``, the schema's
own ``example``, and finally a value synthesized from the schema (``enum``, ``format``, bounds, ``required``).
Optional members are included only where the spec gives them an example, which keeps requests minimal while still
exercising the examples the spec publishes.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from openapi_python_client.strings import PythonIdentifier

ROOT = Path(__file__).resolve().parents[2]
# Another directory of normalized specs (with their generated packages first on PYTHONPATH) runs the same contract:
# tests/codegen/test_openapi31_conversion.py points it at the specs rewritten in OpenAPI 3.1 idioms.
NORMALIZED_DIR = Path(os.environ.get("AIOCUSTOMERIO_NORMALIZED_SPECS") or ROOT / "specs" / "normalized")
METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")

# API short name -> (normalized spec file, generated package); mirrors codegen.apis.APIS.
APIS: Mapping[str, tuple[str, str]] = {
    "app": ("journeys-app.json", "aiocustomerio_app"),
    "track": ("journeys-track.json", "aiocustomerio_track"),
    "pipelines": ("pipelines.json", "aiocustomerio_pipelines"),
}

# Matches openapi-python-client's config (codegen/config/*.yaml: field_prefix) so module names line up.
FIELD_PREFIX = "field_"
NO_BODY: Any = None

_FORMAT_SAMPLES: Mapping[str, Any] = {
    "email": "person@example.com",
    "date-time": "2024-01-02T03:04:05Z",
    "datetime": "2024-01-02T03:04:05Z",
    "date": "2024-01-02",
    "time": "03:04:05Z",
    "uri": "https://example.com/",
    "url": "https://example.com/",
    "uri-reference": "https://example.com/",
    "hostname": "example.com",
    "ipv4": "192.0.2.1",
    "ip address": "192.0.2.1",
    "ipv6": "2001:db8::1",
    "uuid": "3fa85f64-5717-4562-b3fc-2c963f66afa6",
    "ulid": "01HGW2N7EHJEGZ1QEBV6Y2YH6A",
    "base64": "aGVsbG8=",
    "byte": "aGVsbG8=",
    "json": "{}",
}


@dataclass(frozen=True)
class ContractRequest:
    """Everything needed to send one operation's request, by hand today and through the façade later."""

    api: str
    operation_id: str
    tag: str
    method: str
    path_template: str
    path_params: dict[str, Any] = field(default_factory=dict)
    query: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    # The query and header values as their schemas type them (``query`` and ``headers`` are their wire text): what
    # a caller passes to the façade, which refuses a str for an integer.
    values: dict[str, Any] = field(default_factory=dict)
    json_body: Any = NO_BODY
    has_body: bool = False
    body_source: str = "none"  # "example", "schema" or "none": tells a spec example problem from a builder one

    @property
    def tag_module(self) -> str:
        return str(PythonIdentifier(self.tag, prefix="tag"))

    @property
    def module_name(self) -> str:
        """The generated endpoint module: ``<package>.api.<snake(tag)>.<snake(operationId)>``."""
        package = APIS[self.api][1]
        return f"{package}.api.{self.tag_module}.{PythonIdentifier(self.operation_id, prefix=FIELD_PREFIX)}"

    @property
    def path(self) -> str:
        path = self.path_template
        for name, value in self.path_params.items():
            path = path.replace("{" + name + "}", quote(_to_text(value), safe=""))
        return path

    @property
    def id(self) -> str:
        return f"{self.api}:{self.operation_id}"


def _to_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value, separators=(",", ":"))
    return str(value)


class SchemaSampler:
    """Produces a value valid against a schema of one spec (``$ref``s resolved against that spec)."""

    def __init__(self, spec: Mapping[str, Any]) -> None:
        self.spec = spec

    def resolve(self, node: Any) -> Any:
        seen: set[str] = set()
        while isinstance(node, dict) and "$ref" in node:
            ref = node["$ref"]
            if ref in seen or not isinstance(ref, str) or not ref.startswith("#/"):
                raise ValueError(f"unresolvable $ref {ref!r}")
            seen.add(ref)
            target: Any = self.spec
            for part in ref[2:].split("/"):
                target = target[part.replace("~1", "/").replace("~0", "~")]
            node = target
        return node

    def merged(self, schema: Any) -> dict[str, Any]:
        """The schema with ``$ref`` resolved and ``allOf`` members folded into one object schema."""
        schema = self.resolve(schema)
        if not isinstance(schema, dict):
            return {}
        if "allOf" not in schema:
            return schema
        out: dict[str, Any] = {k: v for k, v in schema.items() if k != "allOf"}
        props: dict[str, Any] = dict(out.get("properties", {}))
        required: list[str] = list(out.get("required", []))
        for member in schema["allOf"]:
            part = self.merged(member)
            for name, prop in part.get("properties", {}).items():
                # A property constrained by several members must satisfy all of them (e.g. a narrowed enum).
                props[name] = {"allOf": [props[name], prop]} if name in props else prop
            required += [r for r in part.get("required", []) if r not in required]
            for key, value in part.items():
                if key == "enum" and "enum" in out:
                    out["enum"] = [v for v in out["enum"] if v in value]
                elif key not in ("properties", "required"):
                    out.setdefault(key, value)
        if "enum" in out and "example" in out and out["example"] not in out["enum"]:
            # The example came from a wider member than the intersection: it no longer describes this schema.
            del out["example"]
        if props:
            out["properties"] = props
        if required:
            out["required"] = required
        return out

    def sample(self, schema: Any, depth: int = 0) -> Any:
        if depth > 12:
            raise ValueError("schema nests too deeply to sample (recursive without an example?)")
        schema = self.merged(schema)
        if "example" in schema:
            return schema["example"]
        if "examples" in schema and isinstance(schema["examples"], list) and schema["examples"]:
            return schema["examples"][0]
        if "const" in schema:
            return schema["const"]
        if schema.get("enum"):
            return next((v for v in schema["enum"] if v is not None), schema["enum"][0])
        if "default" in schema:
            return schema["default"]
        for key in ("oneOf", "anyOf"):
            if key in schema:
                chosen = self.sample(self.pick_branch(schema[key]), depth + 1)
                # allOf of an object and a union of objects (folded by merged()): both parts must hold at once.
                if "properties" in schema and isinstance(chosen, dict):
                    return {**self._object(schema, depth), **chosen}
                return chosen
        kind = schema.get("type")
        if isinstance(kind, list):
            kind = next((k for k in kind if k != "null"), "null")
        if kind is None:
            kind = "object" if "properties" in schema or "additionalProperties" in schema else "string"
        if kind == "object":
            return self._object(schema, depth)
        if kind == "array":
            count = max(1, int(schema.get("minItems", 1)))
            return [self.sample(schema.get("items", {}), depth + 1) for _ in range(count)]
        if kind == "integer":
            return int(self._number(schema, 1))
        if kind == "number":
            return self._number(schema, 1.5)
        if kind == "boolean":
            return True
        if kind == "null":
            return None
        return self._string(schema)

    def pick_branch(self, branches: list[Any]) -> Any:
        """The first branch carrying an example (its own or after ``$ref``), else the first branch."""
        for branch in branches:
            if "example" in self.merged(branch):
                return branch
        return branches[0]

    def _object(self, schema: Mapping[str, Any], depth: int) -> dict[str, Any]:
        props: Mapping[str, Any] = schema.get("properties", {})
        required = set(schema.get("required", []))
        out: dict[str, Any] = {}
        for name, prop in props.items():
            resolved = self.merged(prop)
            if name in required or "example" in resolved:
                if resolved.get("readOnly") and name not in required:
                    continue
                out[name] = self.sample(prop, depth + 1)
        for name in required - out.keys():
            # Required but not described: any JSON value satisfies an absent schema.
            out[name] = "example"
        min_props = int(schema.get("minProperties", 0))
        extra = schema.get("additionalProperties")
        while len(out) < min_props:
            key = f"key{len(out)}"
            out[key] = self.sample(extra, depth + 1) if isinstance(extra, dict) else "value"
        return out

    @staticmethod
    def _number(schema: Mapping[str, Any], fallback: float) -> float:
        low = schema.get("minimum")
        high = schema.get("maximum")
        if isinstance(schema.get("exclusiveMinimum"), (int, float)) and not isinstance(
            schema.get("exclusiveMinimum"), bool
        ):
            low = schema["exclusiveMinimum"] + 1
        elif schema.get("exclusiveMinimum") is True and low is not None:
            low = low + 1
        if isinstance(schema.get("exclusiveMaximum"), (int, float)) and not isinstance(
            schema.get("exclusiveMaximum"), bool
        ):
            high = schema["exclusiveMaximum"] - 1
        elif schema.get("exclusiveMaximum") is True and high is not None:
            high = high - 1
        value = fallback
        if low is not None and value < low:
            value = low
        if high is not None and value > high:
            value = high
        return float(value) if isinstance(fallback, float) else value

    @staticmethod
    def _string(schema: Mapping[str, Any]) -> str:
        fmt = str(schema.get("format", "")).lower()
        value = str(_FORMAT_SAMPLES.get(fmt, "example"))
        if fmt in ("int32", "int64", "unix timestamp"):
            value = "1700000000"
        low = int(schema.get("minLength", 0))
        high = schema.get("maxLength")
        if len(value) < low:
            value = value + "x" * (low - len(value))
        if high is not None and len(value) > int(high):
            value = value[: int(high)]
        return value


def _first_example(node: Mapping[str, Any]) -> tuple[bool, Any]:
    if "example" in node:
        return True, node["example"]
    examples = node.get("examples")
    if isinstance(examples, dict) and examples:
        first = next(iter(examples.values()))
        if isinstance(first, dict) and "value" in first:
            return True, first["value"]
    return False, None


def _parameter_value(sampler: SchemaSampler, param: Mapping[str, Any]) -> Any:
    found, value = _first_example(param)
    if found:
        return value
    return sampler.sample(param.get("schema", {}))


def _parameters(sampler: SchemaSampler, path_item: Mapping[str, Any], op: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Path-level parameters overridden by operation-level ones with the same (name, in)."""
    merged: dict[tuple[str, str], dict[str, Any]] = {}
    for raw in [*path_item.get("parameters", []), *op.get("parameters", [])]:
        param = sampler.resolve(raw)
        merged[(param["name"], param["in"])] = param
    return list(merged.values())


def build_request(api: str, spec: Mapping[str, Any], path: str, method: str) -> ContractRequest:
    sampler = SchemaSampler(spec)
    path_item = spec["paths"][path]
    op = path_item[method]
    path_params: dict[str, Any] = {}
    query: dict[str, Any] = {}
    headers: dict[str, str] = {}
    values: dict[str, Any] = {}
    for param in _parameters(sampler, path_item, op):
        where, name = param["in"], param["name"]
        wanted = param.get("required", False) or where == "path" or _first_example(param)[0]
        wanted = wanted or "example" in sampler.merged(param.get("schema", {}))
        if not wanted:
            continue
        value = _parameter_value(sampler, param)
        if where == "path":
            path_params[name] = value
        elif where == "query":
            query[name] = [_to_text(v) for v in value] if isinstance(value, list) else _to_text(value)
            values[name] = value
        elif where == "header":
            headers[name] = _to_text(value)
            values[name] = value
    body: Any = NO_BODY
    has_body = False
    source = "none"
    request_body = sampler.resolve(op.get("requestBody")) if "requestBody" in op else None
    if isinstance(request_body, dict):
        media = request_body.get("content", {}).get("application/json")
        if media is None:
            raise ValueError(f"{api}:{op.get('operationId')} has no application/json request body")
        has_body = True
        found, body = _first_example(media)
        source = "example"
        if not found:
            schema = sampler.merged(media.get("schema", {}))
            source = "example" if "example" in schema else "schema and its members' examples"
            body = sampler.sample(schema)
    tags = op.get("tags") or ["default"]
    return ContractRequest(
        api=api,
        operation_id=op["operationId"],
        tag=tags[0],
        method=method.upper(),
        path_template=path,
        path_params=path_params,
        query=query,
        headers=headers,
        values=values,
        json_body=body,
        has_body=has_body,
        body_source=source,
    )


def load_spec(api: str, specs_dir: Path = NORMALIZED_DIR) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((specs_dir / APIS[api][0]).read_text())
    return data


def iter_operations(spec: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    for path, item in spec.get("paths", {}).items():
        for method in METHODS:
            if method in item:
                yield path, method


def build_all(specs_dir: Path = NORMALIZED_DIR) -> list[ContractRequest]:
    requests: list[ContractRequest] = []
    for api in APIS:
        spec = load_spec(api, specs_dir)
        requests.extend(build_request(api, spec, path, method) for path, method in iter_operations(spec))
    return requests


def is_secured(spec: Mapping[str, Any], path: str, method: str) -> bool:
    op = spec["paths"][path][method]
    security = op.get("security", spec.get("security", []))
    return any(bool(req) for req in security)


def body_required_fields(spec: Mapping[str, Any], path: str, method: str) -> list[str]:
    """Top-level required properties of an object request body (empty when the body is a union or absent)."""
    sampler = SchemaSampler(spec)
    op = spec["paths"][path][method]
    if "requestBody" not in op:
        return []
    media = sampler.resolve(op["requestBody"]).get("content", {}).get("application/json", {})
    schema = sampler.merged(media.get("schema", {}))
    if any(k in schema for k in ("oneOf", "anyOf")):
        return []
    return list(schema.get("required", []))
