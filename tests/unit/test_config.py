from __future__ import annotations

import base64
import logging
import pickle

import httpx
import pytest

from aiocustomerio._config import (
    API_NAMES,
    HOSTS,
    REGIONS,
    AppAuth,
    Credentials,
    PipelinesAuth,
    Secret,
    TrackAuth,
    auth_for,
    resolve_region,
)
from aiocustomerio.errors import MissingCredentialsError

from .conftest import Script, make_client

KEY = "s3cr3t-key-0123456789"


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


class TestSecret:
    def test_masked_everywhere(self, caplog: pytest.LogCaptureFixture) -> None:
        secret = Secret(KEY)
        assert repr(secret) == "Secret('****')"
        assert str(secret) == "****"
        assert f"{secret}" == "****"
        assert f"{secret!r}" == "Secret('****')"
        assert f"{secret:>6}" == "  ****"
        assert "%s %r" % (secret, secret) == "**** Secret('****')"  # noqa: UP031 - %-formatting is what logging does
        with caplog.at_level(logging.DEBUG, logger="test.secret"):
            logging.getLogger("test.secret").debug("key is %s (%r)", secret, secret)
        assert KEY not in caplog.text and "****" in caplog.text
        assert KEY not in str(ValueError(secret)) and KEY not in repr(ValueError(secret))
        assert secret.reveal() == KEY

    def test_equality_and_pickling(self) -> None:
        assert Secret("a") == Secret("a") and Secret("a") != Secret("b")
        assert Secret("a") != "a"
        assert hash(Secret("a")) == hash(Secret("a"))
        with pytest.raises(TypeError, match="cannot be pickled"):
            pickle.dumps(Secret(KEY))

    def test_credentials_repr_is_masked(self) -> None:
        creds = Credentials(site_id="site", track_api_key=KEY, app_api_key=KEY, cdp_api_key=KEY)
        assert KEY not in repr(creds) and KEY not in str(creds)
        assert isinstance(creds.track_api_key, Secret) and creds.track_api_key.reveal() == KEY


class TestCredentialsFromEnv:
    def test_reads_every_variable(self) -> None:
        env = {
            "CUSTOMERIO_SITE_ID": "site",
            "CUSTOMERIO_TRACK_API_KEY": "trk",
            "CUSTOMERIO_APP_API_KEY": "app",
            "CUSTOMERIO_CDP_API_KEY": "cdp",
        }
        creds = Credentials.from_env(env)
        assert creds == Credentials("site", "trk", "app", "cdp")

    def test_api_key_fallback_and_precedence(self) -> None:
        assert Credentials.from_env({"CUSTOMERIO_API_KEY": "old"}).track_api_key == Secret("old")
        both = {"CUSTOMERIO_API_KEY": "old", "CUSTOMERIO_TRACK_API_KEY": "new"}
        assert Credentials.from_env(both).track_api_key == Secret("new")

    def test_overrides_win_and_none_falls_back(self) -> None:
        env = {"CUSTOMERIO_SITE_ID": "env-site", "CUSTOMERIO_APP_API_KEY": "env-app"}
        creds = Credentials.from_env(env, site_id="arg-site", app_api_key=None)
        assert creds.site_id == Secret("arg-site")
        assert creds.app_api_key == Secret("env-app")

    def test_empty_env_var_is_unset(self) -> None:
        assert Credentials.from_env({"CUSTOMERIO_APP_API_KEY": ""}).app_api_key is None

    def test_missing_is_fine_until_used(self) -> None:
        assert Credentials.from_env({}) == Credentials()

    @pytest.mark.parametrize(
        ("value", "problem"),
        [("", "empty"), ("   ", "empty"), ("abc\n", "whitespace or control"), ("a b", "whitespace"), ("kéy", "ASCII")],
    )
    def test_bad_shape_names_the_field(self, value: str, problem: str) -> None:
        with pytest.raises(ValueError, match=f"app_api_key.*{problem}"):
            Credentials.from_env({}, app_api_key=value)

    def test_bad_env_value_names_the_variable_not_the_value(self) -> None:
        with pytest.raises(ValueError, match=r"track_api_key \(from CUSTOMERIO_TRACK_API_KEY\)") as info:
            Credentials.from_env({"CUSTOMERIO_TRACK_API_KEY": "secretvalue\n"})
        assert "secretvalue" not in str(info.value)

    def test_unknown_override(self) -> None:
        with pytest.raises(TypeError, match="unknown credential"):
            Credentials.from_env({}, api_key="x")


class TestRegion:
    def test_default_argument_and_env(self) -> None:
        assert resolve_region(None, {}) == "us"
        assert resolve_region("EU", {}) == "eu"
        assert resolve_region(" Auto ", {}) == "auto"
        assert resolve_region(None, {"CUSTOMERIO_REGION": "eu"}) == "eu"
        assert resolve_region("us", {"CUSTOMERIO_REGION": "eu"}) == "us"

    def test_unknown_lists_valid_choices(self) -> None:
        with pytest.raises(ValueError, match=r"unknown region 'mars': expected one of \"us\", \"eu\", \"auto\""):
            resolve_region("mars", {})
        with pytest.raises(ValueError, match="CUSTOMERIO_REGION 'uk'"):
            resolve_region(None, {"CUSTOMERIO_REGION": "uk"})

    def test_hosts_cover_every_api_and_region(self) -> None:
        assert set(HOSTS) == set(API_NAMES)
        for api in API_NAMES:
            assert set(HOSTS[api]) == set(REGIONS)
        assert HOSTS["pipelines"]["eu"] == "https://cdp-eu.customer.io/v1"
        assert HOSTS["app"]["us"] == "https://api.customer.io"
        assert HOSTS["track"]["eu"] == "https://track-eu.customer.io"


class TestAuthOnTheWire:
    async def test_track_basic_site_and_key(self) -> None:
        script = Script([httpx.Response(200, json={})])
        async with make_client(
            script, api="track", base_url="https://track.customer.io", auth=TrackAuth("site1", KEY)
        ) as c:
            await c.put("/api/v1/customers/42", json={"email": "a@example.com"})
        (sent,) = script.sent
        assert sent.method == "PUT"
        assert sent.url == "https://track.customer.io/api/v1/customers/42"
        assert sent.headers["authorization"] == "Basic " + b64(f"site1:{KEY}")
        assert sent.body == b'{"email":"a@example.com"}'

    async def test_app_bearer(self) -> None:
        script = Script([httpx.Response(200, json={})])
        async with make_client(script, api="app", auth=AppAuth(KEY)) as c:
            await c.get("/v1/campaigns")
        assert script.sent[0].headers["authorization"] == f"Bearer {KEY}"
        assert script.sent[0].url == "https://api.customer.io/v1/campaigns"

    async def test_pipelines_basic_key_and_empty_password(self) -> None:
        script = Script([httpx.Response(200, json={})])
        base = "https://cdp.customer.io/v1"
        async with make_client(script, api="pipelines", base_url=base, auth=PipelinesAuth(KEY)) as c:
            await c.post("/identify", json={"userId": "u1"})
        assert script.sent[0].url == "https://cdp.customer.io/v1/identify"
        assert script.sent[0].headers["authorization"] == "Basic " + b64(f"{KEY}:")

    def test_auth_for_uses_the_right_credential(self) -> None:
        creds = Credentials("site", "trk", "app", "cdp")
        assert isinstance(auth_for("track", creds), TrackAuth)
        assert isinstance(auth_for("app", creds), AppAuth)
        assert isinstance(auth_for("pipelines", creds), PipelinesAuth)
        with pytest.raises(ValueError, match="unknown API"):
            auth_for("journeys", creds)
        assert KEY not in repr(AppAuth(KEY))


class TestMissingCredentials:
    @pytest.mark.parametrize(
        ("api", "auth", "expected"),
        [
            (
                "track",
                TrackAuth("site", None),
                "Track API needs site_id and track_api_key (missing: track_api_key): pass "
                "CustomerIO(site_id=..., track_api_key=...) or set CUSTOMERIO_SITE_ID and CUSTOMERIO_TRACK_API_KEY",
            ),
            ("track", TrackAuth(None, None), "(missing: site_id, track_api_key)"),
            ("app", AppAuth(None), "pass CustomerIO(app_api_key=...) or set CUSTOMERIO_APP_API_KEY"),
            ("pipelines", PipelinesAuth(None), "pass CustomerIO(cdp_api_key=...) or set CUSTOMERIO_CDP_API_KEY"),
        ],
    )
    async def test_raised_at_first_request_only(self, api: str, auth: httpx.Auth, expected: str) -> None:
        script = Script([httpx.Response(200)])
        # Building the client must not fail: a user of only one API needs only its credentials.
        client = make_client(script, api=api, auth=auth)
        async with client:
            with pytest.raises(MissingCredentialsError) as info:
                await client.get("/anything")
        assert expected in str(info.value)
        assert isinstance(info.value, ValueError)
        assert script.sent == []
