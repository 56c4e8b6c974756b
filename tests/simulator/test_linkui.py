"""Tests of the simulator's Link UI, driven like a browser without JavaScript."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

from aiohttp import BasicAuth, ClientSession
import pytest
from yarl import URL

from enode_simulator import Simulator
from enode_simulator.linkui import render_brand_selection

pytestmark = pytest.mark.usefixtures("socket_enabled")

REDIRECT = "https://app.example.com/enode/callback?flow_id=abc"
VEHICLE_SCOPES = ["vehicle:read:data", "vehicle:read:location", "vehicle:control:charging"]
CHARGER_SCOPES = ["charger:read:data", "charger:control:charging"]
HOME_SCOPES = [
    "battery:read:data",
    "battery:control:operation_mode",
    "inverter:read:data",
    "meter:read:data",
]

SCENARIO: dict[str, Any] = {
    "client": {"id": "link-client", "secret": "link-secret"},
    "defaultUser": "home-user",
    "settings": {"actionDelay": 0},
    "linkingStatus": {"EASEE": "OUTAGE", "ZAPTEC": "ELEVATED_ERROR_RATE"},
    "vendorAccounts": [
        {
            "vendor": "TESLA",
            "username": "driver@example.com",
            "password": "tesla-pass",
            "devices": [
                {
                    "id": "tpl-model-y",
                    "type": "vehicle",
                    "information": {"displayName": "Family car", "model": "Model Y", "year": 2023},
                },
                {
                    "id": "tpl-wall",
                    "type": "charger",
                    "information": {"model": "Wall Connector", "serialNumber": "TWC-1"},
                },
            ],
        },
        {
            "vendor": "ENPHASE",
            "username": "sun@example.com",
            "password": "enphase-pass",
            "devices": [
                {"id": "tpl-battery", "type": "battery"},
                {"id": "tpl-inverter", "type": "inverter"},
                {"id": "tpl-meter", "type": "meter"},
            ],
        },
        {
            "vendor": "TESLA",
            "username": "neighbour@example.com",
            "password": "other-pass",
            "devices": [{"id": "tpl-other-tesla", "type": "vehicle"}],
        },
        {
            "vendor": "EASEE",
            "username": "easee@example.com",
            "password": "easee-pass",
            "devices": [{"id": "tpl-easee", "type": "charger"}],
        },
    ],
    "users": [{"id": "linked-user", "linkedAccounts": ["TESLA:driver@example.com"]}],
}


@dataclass
class Form:
    action: str
    method: str
    fields: dict[str, str] = field(default_factory=dict)
    buttons: list[tuple[str | None, str | None, bool]] = field(default_factory=list)


class FormParser(HTMLParser):
    """Collects forms, their inputs and submit buttons, and the page text."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[Form] = []
        self.text: list[str] = []
        self.title = ""
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = dict(attrs)
        if tag == "form":
            self.forms.append(
                Form(action=attr.get("action") or "", method=attr.get("method") or "")
            )
        elif tag == "input" and self.forms and attr.get("name"):
            self.forms[-1].fields[attr["name"] or ""] = attr.get("value") or ""
        elif tag == "button" and self.forms:
            self.forms[-1].buttons.append((attr.get("name"), attr.get("value"), "disabled" in attr))
        elif tag == "title":
            self._in_title = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data
        self.text.append(data)


@dataclass
class PageView:
    status: int
    html: str
    forms: list[Form]
    text: str
    title: str

    def form(self, action_suffix: str) -> Form:
        matches = [f for f in self.forms if f.action.endswith(action_suffix)]
        assert len(matches) == 1, f"no single form ending in {action_suffix}: {self.forms}"
        assert matches[0].method == "post"
        return matches[0]


def parse(status: int, html: str) -> PageView:
    parser = FormParser()
    parser.feed(html)
    return PageView(
        status=status,
        html=html,
        forms=parser.forms,
        text=" ".join(" ".join(parser.text).split()),
        title=parser.title,
    )


class Browser:
    """An HTTP client that follows the simulator's own redirects but not the app's."""

    def __init__(self, session: ClientSession, base_url: str) -> None:
        self.session = session
        self.base_url = base_url

    async def get(self, url: str) -> PageView:
        async with self.session.get(self._abs(url), allow_redirects=False) as resp:
            return await self._follow(resp.status, resp.headers.get("Location"), await resp.text())

    async def post(self, url: str, data: dict[str, str] | None = None) -> PageView | URL:
        async with self.session.post(
            self._abs(url), data=data or {}, allow_redirects=False
        ) as resp:
            if resp.status == 302:
                return URL(resp.headers["Location"])
            return await self._follow(resp.status, resp.headers.get("Location"), await resp.text())

    async def _follow(self, status: int, location: str | None, text: str) -> PageView:
        if status == 303:
            assert location is not None
            return await self.get(location)
        return parse(status, text)

    def _abs(self, url: str) -> str:
        return url if url.startswith("http") else f"{self.base_url}{url}"


@dataclass
class Env:
    sim: Simulator
    http: ClientSession
    browser: Browser
    token: str

    async def api(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        async with self.http.request(
            method,
            f"{self.sim.base_url}{path}",
            json=body,
            headers={"Authorization": f"Bearer {self.token}"},
        ) as resp:
            data = await resp.json() if resp.content_type == "application/json" else None
            return resp.status, data

    async def link(self, user_id: str = "new-user", **body: Any) -> str:
        payload = {"scopes": VEHICLE_SCOPES, "language": "en-US", "redirectUri": REDIRECT} | body
        status, data = await self.api("POST", f"/users/{user_id}/link", payload)
        assert status == 200, data
        assert data["linkUrl"].startswith(f"{self.sim.base_url}/link/")
        return str(data["linkUrl"])

    async def assets(self, user_id: str, plural: str) -> list[dict[str, Any]]:
        status, data = await self.api("GET", f"/users/{user_id}/{plural}")
        assert status == 200
        return list(data["data"])


@pytest.fixture
async def env() -> AsyncIterator[Env]:
    sim = Simulator(scenario=SCENARIO)
    await sim.start(host="127.0.0.1", port=0)
    try:
        async with ClientSession() as http:
            async with http.post(
                sim.token_url,
                data={"grant_type": "client_credentials"},
                auth=BasicAuth(sim.client_id, sim.client_secret),
            ) as resp:
                token = (await resp.json())["access_token"]
            yield Env(sim=sim, http=http, browser=Browser(http, sim.base_url), token=token)
    finally:
        await sim.stop()


async def sign_in(env: Env, page: PageView, username: str, password: str) -> PageView | URL:
    form = page.form("/signin")
    data = dict(form.fields) | {"username": username, "password": password}
    return await env.browser.post(form.action, data)


# -- the happy paths ---------------------------------------------------------------------------


async def test_link_vehicle_end_to_end(env: Env) -> None:
    link_url = await env.link("new-user")
    brands = await env.browser.get(link_url)
    assert brands.status == 200
    assert brands.title == "Select your brand"
    brand_form = brands.form("/brand")
    offered = {value for name, value, disabled in brand_form.buttons if not disabled}
    assert "TESLA" in offered
    assert "EASEE" not in offered  # chargers only: not offered for a vehicle session
    assert "ENPHASE" not in offered
    # Brands with a simulator account are listed first, under their own heading.
    assert brand_form.buttons[0][1] == "TESLA"
    assert "Brands with simulator accounts" in brands.text
    assert "Other brands" in brands.text
    assert brands.form("/cancel")

    signin = await env.browser.post(brand_form.action, {"vendor": "TESLA"})
    assert isinstance(signin, PageView)
    assert signin.status == 200
    assert signin.title == "Sign in to Tesla"
    assert signin.form("/signin").fields["vendor"] == "TESLA"
    assert "driver@example.com" in signin.text  # the simulator's test-account hint

    devices = await sign_in(env, signin, "driver@example.com", "tesla-pass")
    assert isinstance(devices, PageView)
    assert devices.title == "Devices found"
    assert "Family car" in devices.text
    assert "Wall Connector" not in devices.text  # not a requested asset type
    assert "Vehicle: read its data, read its location, start and stop charging" in devices.text

    assert await env.assets("new-user", "vehicles") == []
    redirect = await env.browser.post(devices.form("/connect").action)
    assert isinstance(redirect, URL)
    assert str(redirect) == REDIRECT
    vehicles = await env.assets("new-user", "vehicles")
    assert [v["information"]["displayName"] for v in vehicles] == ["Family car"]
    assert sorted(vehicles[0]["scopes"]) == sorted(VEHICLE_SCOPES)
    assert await env.assets("new-user", "chargers") == []
    status, user = await env.api("GET", "/users/new-user")
    assert status == 200
    assert {"vendor": "TESLA", "vendorType": "vehicle", "isValid": True} in user["linkedVendors"]

    # Single use: the link now shows an error page.
    again = await env.browser.get(link_url)
    assert again.status == 410
    assert "already been used" in again.text


async def test_multi_type_session_links_several_types(env: Env) -> None:
    link_url = await env.link("home", scopes=HOME_SCOPES)
    brands = await env.browser.get(link_url)
    offered = {value for _, value, disabled in brands.form("/brand").buttons if not disabled}
    assert "ENPHASE" in offered
    assert "home battery" in brands.text
    signin = await env.browser.post(brands.form("/brand").action, {"vendor": "ENPHASE"})
    assert isinstance(signin, PageView)
    devices = await sign_in(env, signin, "sun@example.com", "enphase-pass")
    assert isinstance(devices, PageView)
    assert "Home battery" in devices.text
    assert "Solar inverter" in devices.text
    assert "Energy meter" in devices.text
    assert await env.browser.post(devices.form("/connect").action) == URL(REDIRECT)
    for plural in ("batteries", "inverters", "meters"):
        assert len(await env.assets("home", plural)) == 1, plural


async def test_session_with_vendor_skips_brand_selection(env: Env) -> None:
    link_url = await env.link("fast", scopes=CHARGER_SCOPES, vendor="TESLA")
    signin = await env.browser.get(link_url)
    assert signin.title == "Sign in to Tesla"
    devices = await sign_in(env, signin, "driver@example.com", "tesla-pass")
    assert isinstance(devices, PageView)
    assert "Wall Connector" in devices.text
    assert "Family car" not in devices.text
    await env.browser.post(devices.form("/connect").action)
    chargers = await env.assets("fast", "chargers")
    assert [c["information"]["serialNumber"] for c in chargers] == ["TWC-1"]


async def test_discovered_webhook_after_linking(env: Env) -> None:
    received: list[dict[str, Any]] = []
    env.sim.state.listeners.append(received.append)
    link_url = await env.link("hooked")
    signin = await env.browser.get(link_url)
    brands_form = signin.form("/brand")
    signin2 = await env.browser.post(brands_form.action, {"vendor": "TESLA"})
    assert isinstance(signin2, PageView)
    devices = await sign_in(env, signin2, "driver@example.com", "tesla-pass")
    assert isinstance(devices, PageView)
    await env.browser.post(devices.form("/connect").action)
    mine = [e for e in received if e.get("user") == {"id": "hooked"}]
    # Enode's real shape: the discovered asset carries only its information, every other
    # property is null; the complete asset follows in an updated event.
    assert [e["event"] for e in mine] == ["user:vehicle:discovered", "user:vehicle:updated"]
    discovered, updated = mine[0]["vehicle"], mine[1]["vehicle"]
    assert discovered["information"]["displayName"] == "Family car"
    assert {key for key, value in discovered.items() if value is not None} == {"id", "information"}
    assert discovered.keys() == updated.keys()
    assert updated["chargeState"]["batteryLevel"] is not None
    assert "chargeState" in mine[1]["updatedFields"]


# -- errors and cancellation -------------------------------------------------------------------


async def test_wrong_password_shows_an_error(env: Env) -> None:
    signin = await env.browser.get(await env.link("u", vendor="TESLA"))
    failed = await sign_in(env, signin, "driver@example.com", "wrong")
    assert isinstance(failed, PageView)
    assert failed.status == 401
    assert "Wrong username or password." in failed.text
    # The username is kept, the password is not echoed.
    assert failed.form("/signin").fields["username"] == "driver@example.com"
    assert "wrong" not in failed.html.replace("Wrong", "")
    unknown = await sign_in(env, signin, "nobody@example.com", "tesla-pass")
    assert isinstance(unknown, PageView)
    assert unknown.status == 401
    # Still usable afterwards.
    devices = await sign_in(env, failed, "driver@example.com", "tesla-pass")
    assert isinstance(devices, PageView)
    assert devices.title == "Devices found"


async def test_another_vendors_account_cannot_sign_in(env: Env) -> None:
    signin = await env.browser.get(await env.link("u", scopes=CHARGER_SCOPES, vendor="TESLA"))
    data = signin.form("/signin").fields | {
        "vendor": "ENPHASE",
        "username": "sun@example.com",
        "password": "enphase-pass",
    }
    page = await env.browser.post(signin.form("/signin").action, data)
    assert isinstance(page, PageView)
    assert page.status == 400


@pytest.mark.parametrize("step", ["brands", "signin", "devices"])
async def test_cancel_on_any_page_redirects_with_error(env: Env, step: str) -> None:
    link_url = await env.link("cancelling")
    page = await env.browser.get(link_url)
    if step != "brands":
        signin = await env.browser.post(page.form("/brand").action, {"vendor": "TESLA"})
        assert isinstance(signin, PageView)
        page = signin
    if step == "devices":
        devices = await sign_in(env, page, "driver@example.com", "tesla-pass")
        assert isinstance(devices, PageView)
        page = devices
    redirect = await env.browser.post(page.form("/cancel").action)
    assert isinstance(redirect, URL)
    assert redirect.with_query(None) == URL(REDIRECT).with_query(None)
    assert redirect.query["flow_id"] == "abc"
    assert redirect.query["error"] == "cancelled_by_user"
    assert redirect.query["error_message"]
    assert await env.assets("cancelling", "vehicles") == []
    after = await env.browser.get(link_url)
    assert after.status == 410


async def test_outage_vendor_cannot_be_chosen(env: Env) -> None:
    brands = await env.browser.get(await env.link("u", scopes=CHARGER_SCOPES))
    buttons = {value: disabled for _, value, disabled in brands.form("/brand").buttons}
    disabled_names = [b for b in brands.html.split("<li>") if "EASEE" in b or "Easee" in b]
    assert disabled_names
    assert "temporarily unavailable" in brands.text
    assert "EASEE" not in buttons  # rendered as a disabled button without a value
    assert buttons["ZAPTEC"] is False
    assert "having problems" in brands.text  # ZAPTEC: elevated error rate warning
    page = await env.browser.post(brands.form("/brand").action, {"vendor": "EASEE"})
    assert isinstance(page, PageView)
    assert page.status == 503
    assert page.form("/cancel")


async def test_outage_vendor_session_shows_unavailable(env: Env) -> None:
    page = await env.browser.get(await env.link("u", scopes=CHARGER_SCOPES, vendor="EASEE"))
    assert page.status == 503
    assert "temporarily unavailable" in page.text


async def test_unknown_brand_is_rejected(env: Env) -> None:
    link_url = await env.link("u")
    brands = await env.browser.get(link_url)
    page = await env.browser.post(brands.form("/brand").action, {"vendor": "ENPHASE"})
    assert isinstance(page, PageView)
    assert page.status == 400
    page2 = await env.browser.get(f"{link_url}/signin?vendor=NOPE")
    assert page2.status == 400


async def test_unknown_and_expired_sessions(env: Env) -> None:
    missing = await env.browser.get("/link/not-a-token")
    assert missing.status == 404
    assert "not valid" in missing.text
    link_url = await env.link("u")
    env.sim.advance_time(24 * 3600 + 1)
    expired = await env.browser.get(link_url)
    assert expired.status == 410
    assert "expired" in expired.text
    token = URL(link_url).name
    for path in ("brand", "signin", "connect", "cancel"):
        page = await env.browser.post(f"/link/{token}/{path}", {"vendor": "TESLA"})
        assert isinstance(page, PageView)
        assert page.status == 410
    for path in ("signin", "devices"):
        assert (await env.browser.get(f"/link/{token}/{path}")).status == 410


async def test_devices_and_connect_require_sign_in(env: Env) -> None:
    link_url = await env.link("u")
    token = URL(link_url).name
    page = await env.browser.get(f"/link/{token}/devices")
    assert page.title == "Select your brand"
    page2 = await env.browser.post(f"/link/{token}/connect")
    assert isinstance(page2, PageView)
    assert page2.title == "Select your brand"
    assert await env.assets("u", "vehicles") == []


async def test_account_without_matching_devices(env: Env) -> None:
    signin = await env.browser.get(await env.link("u", scopes=CHARGER_SCOPES, vendor="ENPHASE"))
    devices = await sign_in(env, signin, "sun@example.com", "enphase-pass")
    assert isinstance(devices, PageView)
    assert "No devices of the requested types" in devices.text
    assert not [f for f in devices.forms if f.action.endswith("/connect")]
    assert devices.form("/cancel")


# -- relinking ---------------------------------------------------------------------------------


async def test_relink_restores_access_and_clears_link_interventions(env: Env) -> None:
    vehicles = await env.assets("linked-user", "vehicles")
    vehicle_id = vehicles[0]["id"]
    phone_key = "3b2891a9-5dcf-4691-b850-b5ea36b57c2e"
    env.sim.add_intervention(vehicle_id, "odometer", phone_key)
    env.sim.invalidate_credentials("linked-user", "TESLA")
    status, user = await env.api("GET", "/users/linked-user")
    assert {"vendor": "TESLA", "vendorType": "vehicle", "isValid": False} in user["linkedVendors"]
    status, vehicle = await env.api("GET", f"/vehicles/{vehicle_id}")
    assert phone_key in vehicle["capabilities"]["odometer"]["interventionIds"]

    status, session = await env.api(
        "POST", f"/assets/{vehicle_id}/relink", {"language": "en-GB", "redirectUri": REDIRECT}
    )
    assert status == 200
    signin = await env.browser.get(session["linkUrl"])
    assert signin.title == "Sign in to Tesla"
    assert "again" in signin.text
    failed = await sign_in(env, signin, "driver@example.com", "nope")
    assert isinstance(failed, PageView)
    assert failed.status == 401
    devices = await sign_in(env, signin, "driver@example.com", "tesla-pass")
    assert isinstance(devices, PageView)
    assert "Family car" in devices.text
    redirect = await env.browser.post(devices.form("/connect").action)
    assert redirect == URL(REDIRECT)

    status, vehicle = await env.api("GET", f"/vehicles/{vehicle_id}")
    assert phone_key not in vehicle["capabilities"]["odometer"]["interventionIds"]
    status, user = await env.api("GET", "/users/linked-user")
    assert all(v["isValid"] for v in user["linkedVendors"] if v["vendor"] == "TESLA")
    # Still one vehicle: relinking does not duplicate it.
    assert len(await env.assets("linked-user", "vehicles")) == 1
    assert (await env.browser.get(session["linkUrl"])).status == 410


async def test_relink_of_a_removed_asset(env: Env) -> None:
    vehicle_id = (await env.assets("linked-user", "vehicles"))[0]["id"]
    status, session = await env.api(
        "POST", f"/assets/{vehicle_id}/relink", {"language": "en-US", "redirectUri": REDIRECT}
    )
    assert status == 200
    signin = await env.browser.get(session["linkUrl"])
    devices = await sign_in(env, signin, "driver@example.com", "tesla-pass")
    assert isinstance(devices, PageView)
    env.sim.remove_asset(vehicle_id)
    gone = await env.browser.post(devices.form("/connect").action)
    assert isinstance(gone, PageView)
    assert gone.status == 404
    assert (await env.browser.get(session["linkUrl"])).status == 404


async def test_relink_needs_the_assets_own_account(env: Env) -> None:
    vehicle_id = (await env.assets("linked-user", "vehicles"))[0]["id"]
    status, session = await env.api(
        "POST", f"/assets/{vehicle_id}/relink", {"language": "en-US", "redirectUri": REDIRECT}
    )
    assert status == 200
    signin = await env.browser.get(session["linkUrl"])
    other = await sign_in(env, signin, "neighbour@example.com", "other-pass")
    assert isinstance(other, PageView)
    assert other.status == 401
    assert "Wrong username or password." in other.text


async def test_vendor_without_simulator_accounts(env: Env) -> None:
    signin = await env.browser.get(await env.link("u", vendor="BMW"))
    assert signin.title == "Sign in to BMW"
    assert "Simulator test accounts" not in signin.text
    failed = await sign_in(env, signin, "someone@example.com", "pw")
    assert isinstance(failed, PageView)
    assert failed.status == 401


def test_brand_selection_without_brands() -> None:
    page = render_brand_selection("tok", [], ["vehicle"])
    view = parse(page.status, page.html)
    assert "No brand supports the requested devices." in view.text
    assert view.form("/cancel").action == "/link/tok/cancel"
    assert not [f for f in view.forms if f.action.endswith("/brand")]


async def test_demo_scenario_homeowner_links_vehicle_and_charger(simulator: Simulator) -> None:
    """The path a homeowner takes in scripts/develop: a fresh user links the demo accounts."""
    async with ClientSession() as http:
        async with http.post(
            simulator.token_url,
            data={"grant_type": "client_credentials"},
            auth=BasicAuth(simulator.client_id, simulator.client_secret),
        ) as resp:
            token = (await resp.json())["access_token"]
        env = Env(sim=simulator, http=http, browser=Browser(http, simulator.base_url), token=token)
        link_url = await env.link("ha-user", scopes=VEHICLE_SCOPES + CHARGER_SCOPES)
        brands = await env.browser.get(link_url)
        offered = [value for _, value, disabled in brands.form("/brand").buttons if not disabled]
        # Brands with demo accounts come first.
        assert set(offered[:4]) >= {"VOLKSWAGEN", "TESLA", "ZAPTEC"}
        signin = await env.browser.post(brands.form("/brand").action, {"vendor": "TESLA"})
        assert isinstance(signin, PageView)
        devices = await sign_in(env, signin, "anna@example.com", "demo")
        assert isinstance(devices, PageView)
        assert "Vehicle" in devices.text
        assert "Home battery" not in devices.text  # battery scopes were not requested
        assert await env.browser.post(devices.form("/connect").action) == URL(REDIRECT)
        vehicles = await env.assets("ha-user", "vehicles")
        assert [v["vendor"] for v in vehicles] == ["TESLA"]
        assert await env.assets("ha-user", "batteries") == []
