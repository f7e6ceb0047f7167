"""The sugar reaches its operations by route; every route it uses is declared in _routes and exists in the specs."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import pytest

from aiocustomerio import CustomerIO
from aiocustomerio import _routes as routes
from aiocustomerio._tags import _ExtendedTag
from aiocustomerio.app import AppAPI
from aiocustomerio.pipelines import PipelinesAPI
from aiocustomerio.track import TrackAPI

SRC = Path(__file__).resolve().parents[2] / "src" / "aiocustomerio"


@pytest.mark.parametrize(("name", "route"), sorted(routes.SUGAR_ROUTES.items()))
async def test_every_sugar_route_is_an_operation_of_its_api(cio: CustomerIO, name: str, route: tuple[str, str]) -> None:
    api = getattr(cio, name.split(".")[0])
    op = api.operation(*route)
    assert (op.info.method, op.info.path) == route


def test_sugar_routes_name_real_sugar_methods() -> None:
    classes = {"track": TrackAPI, "app": AppAPI, "pipelines": PipelinesAPI}
    for name in routes.SUGAR_ROUTES:
        api, *rest = name.split(".")
        target: object = classes[api]
        if rest[0] == "customers":
            from aiocustomerio.app import CustomersSearch

            target, rest = CustomersSearch, rest[1:]
        assert callable(getattr(target, rest[0])), name


def test_the_sugar_calls_operations_only_through_declared_routes() -> None:
    """No generated operation or tag name in the sugar: only ``self.route(routes.X)`` with X declared in _routes."""
    declared = {n for n, v in vars(routes).items() if isinstance(v, str) and v.split(" ")[0].isupper()}
    in_table = set(routes.SUGAR_ROUTES.values())
    for module in ("track.py", "app.py", "pipelines.py"):
        tree = ast.parse((SRC / module).read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "route":
                (arg,) = node.args
                assert isinstance(arg, ast.Attribute) and arg.attr in declared, ast.unparse(node)
                assert routes._split(getattr(routes, arg.attr)) in in_table, arg.attr


def test_no_tag_hides_a_sugar_method(cio: CustomerIO) -> None:
    for api in ("track", "app", "pipelines"):
        namespace = getattr(cio, api)
        own = {n for n in dir(type(namespace)) if not n.startswith("_")}
        extended = {n for n in own if isinstance(inspect.getattr_static(type(namespace), n), _ExtendedTag)}
        clashes = set(namespace.index) & (own - extended)  # an extended tag (customers + search) is on purpose
        assert clashes == set(), (api, clashes)
