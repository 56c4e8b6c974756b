"""Fixtures for the Enode integration tests (shared; append new fixtures, don't rewrite).

The integration runs against the Enode simulator over loopback HTTP (the ``simulator`` and
``simulator_factory`` fixtures of ``tests/conftest.py``).
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any
from unittest.mock import patch

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.entity_platform import async_get_platforms
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, snapshot_platform
from syrupy.assertion import SnapshotAssertion

from benchmarks.households import entry_data as simulator_entry_data
from custom_components.enode.const import CONF_USER_ID, DOMAIN
from custom_components.enode.coordinator import EnodeCoordinator
from custom_components.enode.entity import EnodeEntity


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Enable the custom integration in every test."""
    return


@pytest.fixture(autouse=True)
def verify_merges() -> Generator[None]:
    """After every merge of assets, every entity of those assets (and of their plugged-in
    partners) shows what it would compute now: none that a merge did not call (it changed nothing
    the entity declares its state reads, ``entity.py``) is left stale.

    A declaration missing a field would leave a stale state; any test that pushes such a change
    fails here.
    """
    stale: list[str] = []
    original = EnodeCoordinator.async_update_listeners

    def _checked(coordinator: EnodeCoordinator) -> None:
        changed = coordinator.changed_assets
        original(coordinator)
        if changed is None:
            return
        for platform in async_get_platforms(coordinator.hass, DOMAIN):
            for entity in platform.entities.values():
                if (
                    isinstance(entity, EnodeEntity)
                    and entity.coordinator is coordinator
                    and entity.asset_id in changed
                    and (now := entity._state_written()) != entity._written
                ):
                    stale.append(f"{entity.entity_id}: wrote {entity._written}, now {now}")

    with patch.object(EnodeCoordinator, "async_update_listeners", _checked):
        yield
    assert not stale, f"entities left stale by a merge: {stale}"


@pytest.fixture
def entity_registry_enabled_by_default() -> Generator[None]:
    """Create entities that are disabled by default as enabled."""
    with patch(
        "homeassistant.helpers.entity.Entity.entity_registry_enabled_default",
        return_value=True,
    ):
        yield


def entry_data(sim: Any, user_id: str | None = None) -> dict[str, Any]:
    """Return config entry data pointing at a running simulator."""
    return {**simulator_entry_data(sim), CONF_USER_ID: user_id or sim.user_id}


def make_entry(sim: Any, user_id: str | None = None) -> MockConfigEntry:
    """Return a config entry for a simulator's user."""
    uid = user_id or sim.user_id
    return MockConfigEntry(
        domain=DOMAIN,
        title="Enode",
        unique_id=f"custom_{sim.client_id}_{uid}",
        data=entry_data(sim, uid),
    )


@pytest.fixture
def mock_config_entry(simulator: Any) -> MockConfigEntry:
    """Return a config entry for the demo simulator's user."""
    return make_entry(simulator)


async def setup_entry(hass: HomeAssistant, entry: MockConfigEntry) -> MockConfigEntry:
    """Add and set up a config entry."""
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry


async def snapshot_platform_of(
    hass: HomeAssistant,
    sim: Any,
    platform: Platform,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
) -> None:
    """Set up only ``platform`` for the simulator's user and snapshot all its entities."""
    with patch("custom_components.enode.PLATFORMS", [platform]):
        entry = await setup_entry(hass, make_entry(sim))
    await snapshot_platform(hass, entity_registry, snapshot, entry.entry_id)


@pytest.fixture
async def init_integration(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry
) -> MockConfigEntry:
    """Set up the integration against the demo simulator."""
    return await setup_entry(hass, mock_config_entry)


# --- Link UI helpers: drive the simulator's Link UI and the integration's callback view --------

LINK_UI_USERNAME = "anna@example.com"
LINK_UI_PASSWORD = "demo"


async def complete_link_ui(
    link_url: str,
    *,
    vendor: str | None = None,
    cancel: bool = False,
    username: str = LINK_UI_USERNAME,
    password: str = LINK_UI_PASSWORD,
) -> str:
    """Drive the simulator's Link UI like a browser without JavaScript; return the redirect.

    Follows the HTML forms: brand selection (``vendor`` or the first selectable brand), sign-in,
    Connect. With ``cancel`` it presses Cancel on the first page. Returns the ``Location`` Link
    UI finally redirects the browser to (the integration's ``redirectUri``).
    """
    import re

    import aiohttp
    from yarl import URL

    base = URL(link_url).origin()
    async with aiohttp.ClientSession() as session:
        url = URL(link_url)
        method, data = "GET", None
        for _ in range(12):
            async with session.request(method, url, data=data, allow_redirects=False) as resp:
                body = await resp.text()
                location = resp.headers.get("Location")
                status = resp.status
            if status in (301, 302, 303, 307):
                assert location is not None
                target = url.join(URL(location))
                if target.origin() != base:
                    return str(target)
                url, method, data = target, "GET", None
                continue
            assert status == 200, f"Link UI answered {status}: {body}"
            if cancel:
                action = re.search(r'action="([^"]*/cancel)"', body)
                assert action is not None
                url, method, data = base.join(URL(action.group(1))), "POST", {"cancel": "1"}
                continue
            if 'action="' in body and "/brand" in body:
                action = re.search(r'action="([^"]*/brand)"', body)
                choices = re.findall(r'name="vendor" value="([^"]+)"', body)
                assert action is not None, body
                assert choices, body
                choice = vendor if vendor is not None else choices[0]
                assert choice in choices, f"{choice} not selectable in {choices}"
                url, method, data = base.join(URL(action.group(1))), "POST", {"vendor": choice}
                continue
            if "/signin" in body:
                action = re.search(r'action="([^"]*/signin)"', body)
                hidden = re.search(r'name="vendor" value="([^"]+)"', body)
                assert action is not None
                assert hidden is not None
                url, method = base.join(URL(action.group(1))), "POST"
                data = {"vendor": hidden.group(1), "username": username, "password": password}
                continue
            action = re.search(r'action="([^"]*/connect)"', body)
            assert action is not None, f"No Connect on the Link UI page: {body}"
            url, method, data = base.join(URL(action.group(1))), "POST", None
    raise AssertionError("Link UI did not redirect back")


async def follow_link_callback(client: Any, redirect: str) -> tuple[int, str]:
    """Open the integration's Link UI callback (``redirect``) with a Home Assistant test client."""
    from yarl import URL

    resp = await client.get(URL(redirect).path_qs)
    return resp.status, await resp.text()


async def async_refresh(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Refresh the entry's coordinator now and let the state machine settle."""
    await entry.runtime_data.coordinator.async_refresh()
    await hass.async_block_till_done()


# --- Purpose-built households for the entity tests -------------------------------------------

TEST_USER = "test-user"
HOME_ID = "4eaeb363-296d-4ccc-a973-7805e6f4aaaa"
VEHICLE_ID = "vehicle-0001"
GPS_VEHICLE_ID = "vehicle-0002"
# The intervention of a charger that Enode cannot reach (Easee remote access).
CHARGER_REMOTE_ACCESS = "d7f3b1a5-9e2c-4a8d-b6f4-2c9e1a7d5b63"
CHARGER_ID = "charger-0001"

# A vehicle that cannot start/stop charging on its own and has no GPS: those capabilities are
# permanently missing (no interventions) until a charger is linked (EV charger pairing).
VEHICLE_NO_CONTROL: dict[str, Any] = {
    "id": VEHICLE_ID,
    "type": "vehicle",
    "vendor": "VOLKSWAGEN",
    "information": {
        "brand": "Volkswagen",
        "model": "ID.3",
        "year": 2021,
        "displayName": "Family car",
        "vin": "WVWZZZE1ZMP000123",
    },
    "batteryLevel": 40,
    "batteryCapacity": 58,
    "chargeLimit": 80,
    "rangeKm": 420,
    "chargeRateKw": 7.4,
    "reportsChargeRate": False,
    "maxCurrent": None,
    "gps": None,
    "odometer": 12000,
    "capabilities": {
        "startCharging": False,
        "stopCharging": False,
        "location": False,
        "setMaxCurrent": False,
        "smartCharging": False,
    },
}
# A fully capable vehicle with GPS, parked at home.
GPS_VEHICLE: dict[str, Any] = {
    "id": GPS_VEHICLE_ID,
    "type": "vehicle",
    "vendor": "TESLA",
    "information": {
        "brand": "Tesla",
        "model": "Model Y",
        "year": 2024,
        "displayName": "Tessie",
        "vin": "5YJYGDEE0MF000456",
    },
    "batteryLevel": 50,
    "batteryCapacity": 75,
    "chargeLimit": 90,
    "chargeRateKw": 11,
    "maxCurrent": 16,
    "gps": {"latitude": 59.9139, "longitude": 10.7522},
    "odometer": 5000,
}
CHARGER: dict[str, Any] = {
    "id": CHARGER_ID,
    "type": "charger",
    "vendor": "ZAPTEC",
    "information": {"brand": "Zaptec", "model": "Go", "year": 2022, "serialNumber": "ZAP0001"},
    "chargeRateKw": 11,
    "maxCurrent": 16,
    "locationId": HOME_ID,
}


BATTERY_ID = "battery-0001"
INVERTER_ID = "inverter-0001"
METER_ID = "meter-0001"
HVAC_ID = "hvac-0001"
BATTERY_GRID_EXPORT = "0c7d3e9a-5b2f-4e6a-9d18-4f3a7c2e1b56"
HVAC_REMOTE_CONTROL = "1d8e4f0b-6c3a-4f7b-8e29-5a4b8d3f2c67"

# A home battery that can do every mode but IDLE (permanently missing); export focus blocked.
BATTERY: dict[str, Any] = {
    "id": BATTERY_ID,
    "type": "battery",
    "vendor": "SOLAREDGE",
    "information": {"id": "SE-BAT-1", "model": "Home Battery", "siteName": "Sunny side"},
    "chargeState": {"batteryCapacity": 10, "batteryLevel": 60, "dischargeLimit": 10},
    "config": {"operationMode": "SELF_RELIANCE"},
    "maxPowerKw": 5,
    "location": {"latitude": 59.9139, "longitude": 10.7522},
    "capabilities": {
        "idle": False,
        "exportFocus": {"isCapable": False, "interventionIds": [BATTERY_GRID_EXPORT]},
    },
}
INVERTER: dict[str, Any] = {
    "id": INVERTER_ID,
    "type": "inverter",
    "vendor": "SOLAREDGE",
    "information": {
        "id": "SE-INV-1",
        "sn": "7E123456",
        "model": "SE5000H",
        "siteName": "Sunny side",
    },
    "productionState": {"totalLifetimeProduction": 1000.0},
    "peakPowerKw": 5,
    "timezone": "Europe/Oslo",
    "location": {"latitude": 59.9139, "longitude": 10.7522},
}
METER: dict[str, Any] = {
    "id": METER_ID,
    "type": "meter",
    "vendor": "SOLAREDGE",
    "information": {"model": "Energy Meter", "siteName": "Sunny side"},
    "baseLoadKw": 0.5,
    "location": {"latitude": 59.9139, "longitude": 10.7522},
}
# A heat pump that heats, cools and keeps a range (AUTO = Home Assistant's heat/cool).
HEAT_PUMP: dict[str, Any] = {
    "id": HVAC_ID,
    "type": "hvac",
    "vendor": "DAIKIN",
    "information": {"model": "Perfera", "displayName": "Bedroom", "category": "HEAT_PUMP"},
    "temperatureState": {"currentTemperature": 20.0},
    "thermostatState": {"mode": "HEAT", "heatSetpoint": 21, "coolSetpoint": 25},
    "consumptionRate": 0,
    "ratedPowerKw": 1.2,
    # The same setpoint all day, so that tests do not depend on the time they run at.
    "schedule": {"mode": "HEAT", "comfortHours": [6, 22], "heat": {"comfort": 21, "eco": 21}},
    "capabilities": {
        "capableModes": ["OFF", "HEAT", "COOL", "AUTO"],
        "heatSetpointRange": {"min": 10, "max": 30},
        "coolSetpointRange": {"min": 18, "max": 32},
        "setpointDifferenceRange": {"min": 2, "max": 10},
    },
    "locationId": HOME_ID,
}


def household(
    *,
    linked: list[dict[str, Any]],
    unlinked: list[dict[str, Any]] | None = None,
    plugged: list[dict[str, Any]] | None = None,
    action_delay: float = 0,
) -> dict[str, Any]:
    """Return a simulator scenario: one account per device; ``linked`` ones linked to the user."""
    accounts = []
    linked_keys = []
    for device in [*linked, *(unlinked or [])]:
        username = f"owner-{device['id']}"
        accounts.append(
            {
                "vendor": device["vendor"],
                "username": username,
                "password": "pw",
                "devices": [device],
            }
        )
        if device in linked:
            linked_keys.append(f"{device['vendor']}:{username}")
    return {
        "client": {"id": "test-client", "secret": "test-secret"},
        "defaultUser": TEST_USER,
        "settings": {"actionDelay": action_delay},
        "vendorAccounts": accounts,
        "users": [{"id": TEST_USER, "linkedAccounts": linked_keys}],
        "locations": [
            {
                "id": HOME_ID,
                "userId": TEST_USER,
                "name": "Home",
                "latitude": 59.9139,
                "longitude": 10.7522,
                "timezoneName": "Europe/Oslo",
            }
        ],
        "plugged": plugged or [],
    }


@pytest.fixture
def fast_client() -> Generator[None]:
    """Make the integration's clients (entries and flows) retry without waiting, time out fast.

    Patches the class the one client factory (``helpers.create_client``) builds.
    """
    from functools import partial

    from custom_components.enode import api

    with patch(
        "custom_components.enode.helpers.EnodeClient",
        partial(api.EnodeClient, retry_base_delay=0.001, request_timeout=1.0),
    ):
        yield


@pytest.fixture
def fast_actions() -> Generator[None]:
    """Poll pending actions quickly while a command waits for its outcome."""
    with (
        patch("custom_components.enode.actions.ACTION_POLL_INTERVAL", 0.02),
        patch("custom_components.enode.actions.ACTION_WAIT_TIMEOUT", 3.0),
    ):
        yield


@pytest.fixture
async def ha_client(hass: HomeAssistant, hass_client_no_auth: Any) -> Any:
    """Serve Home Assistant on loopback; its address is the internal URL (push can reach it:
    the integration registers it at the simulator, which then delivers signed webhooks)."""
    from homeassistant.setup import async_setup_component

    assert await async_setup_component(hass, "webhook", {})
    client = await hass_client_no_auth()
    await hass.config.async_update(internal_url=str(client.make_url("/")).rstrip("/"))
    return client
