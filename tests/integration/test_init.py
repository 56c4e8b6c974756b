"""Set-up, unload and set-up errors of the Enode integration."""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import CONF_CLIENT_ID, CONF_CLIENT_SECRET
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import WebSocketGenerator

from custom_components.enode.api import Environment
from custom_components.enode.const import CONF_AUTO_TITLE, CONF_ENVIRONMENT, DOMAIN
from custom_components.enode.helpers import create_client

from .conftest import (
    CHARGER,
    GPS_VEHICLE,
    GPS_VEHICLE_ID,
    entry_data,
    household,
    make_entry,
    setup_entry,
)

pytestmark = pytest.mark.usefixtures("fast_client")


async def test_load_unload(
    hass: HomeAssistant, simulator: Any, device_registry: dr.DeviceRegistry
) -> None:
    """The demo user's vehicles and chargers become devices; unloading releases the entry."""
    entry = await setup_entry(hass, make_entry(simulator))
    assert entry.state is ConfigEntryState.LOADED
    devices = dr.async_entries_for_config_entry(device_registry, entry.entry_id)
    assert sorted(device.name for device in devices) == ["Anna's ID.4", "Batmobile", "Zaptec Go"]
    assert entry.runtime_data.client.api_url == simulator.base_url
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.NOT_LOADED
    assert hass.states.get("sensor.batmobile_battery").state == "unavailable"


async def test_setup_component(hass: HomeAssistant) -> None:
    """The integration sets up without YAML configuration."""
    assert await async_setup_component(hass, DOMAIN, {})


@pytest.mark.parametrize(
    "fault",
    [{"status": 503, "count": 100}, {"malformed": True, "count": 100}],
    ids=["503", "malformed"],
)
async def test_setup_not_ready(
    hass: HomeAssistant, simulator_factory: Any, fault: dict[str, Any]
) -> None:
    """Enode unavailable at start: ConfigEntryNotReady (retried later), translated."""
    sim = await simulator_factory(household(linked=[GPS_VEHICLE]))
    sim.inject_fault(path_prefix="/users/", **fault)
    entry = await setup_entry(hass, make_entry(sim))
    assert entry.state is ConfigEntryState.SETUP_RETRY
    assert entry.reason is not None
    assert "Enode cannot be reached right now" in entry.reason


async def test_setup_not_ready_connection_refused(
    hass: HomeAssistant, simulator_factory: Any
) -> None:
    """Nothing listening: ConfigEntryNotReady."""
    sim = await simulator_factory(household(linked=[GPS_VEHICLE]))
    data = entry_data(sim)
    await sim.stop()
    entry = MockConfigEntry(domain=DOMAIN, data=data, unique_id="x")
    await setup_entry(hass, entry)
    assert entry.state is ConfigEntryState.SETUP_RETRY


async def test_setup_not_ready_rate_limited(hass: HomeAssistant, simulator_factory: Any) -> None:
    """A 429 at start: ConfigEntryNotReady."""
    sim = await simulator_factory(household(linked=[GPS_VEHICLE]))
    sim.inject_fault(status=429, retry_after=60, path_prefix="/users/")
    entry = await setup_entry(hass, make_entry(sim))
    assert entry.state is ConfigEntryState.SETUP_RETRY


async def test_setup_auth_failed(hass: HomeAssistant, simulator_factory: Any) -> None:
    """Rejected client credentials: ConfigEntryAuthFailed, a reauth flow starts."""
    sim = await simulator_factory(household(linked=[GPS_VEHICLE]))
    data = entry_data(sim) | {CONF_CLIENT_SECRET: "wrong"}
    entry = MockConfigEntry(domain=DOMAIN, data=data, unique_id="x")
    await setup_entry(hass, entry)
    assert entry.state is ConfigEntryState.SETUP_ERROR
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == ["reauth"]


async def test_credentials_rejected_later(hass: HomeAssistant, simulator_factory: Any) -> None:
    """Credentials rejected after set-up (secret rotated): reauth starts, entities unavailable."""
    sim = await simulator_factory(household(linked=[GPS_VEHICLE]))
    entry = await setup_entry(hass, make_entry(sim))
    client = entry.runtime_data.client
    client._client_secret = "rotated"  # the secret was regenerated at Enode
    sim.revoke_tokens()
    await entry.runtime_data.coordinator.async_refresh()
    await hass.async_block_till_done()
    assert hass.states.get("sensor.tessie_battery").state == "unavailable"
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == ["reauth"]


async def test_user_without_assets(hass: HomeAssistant, simulator_factory: Any) -> None:
    """A user id Enode does not know yet (nothing linked): loads with no devices."""
    sim = await simulator_factory(household(linked=[GPS_VEHICLE]))
    entry = await setup_entry(hass, make_entry(sim, user_id="nobody-yet"))
    assert entry.state is ConfigEntryState.LOADED
    assert entry.runtime_data.coordinator.data.vehicles == {}


async def _remove_device(ws_client: Any, device_id: str, entry_id: str) -> dict[str, Any]:
    """Ask Home Assistant to remove a device from an entry, as the device page does."""
    await ws_client.send_json_auto_id(
        {
            "type": "config/device_registry/remove_config_entry",
            "config_entry_id": entry_id,
            "device_id": device_id,
        }
    )
    response: dict[str, Any] = await ws_client.receive_json()
    return response


async def test_remove_device(
    hass: HomeAssistant,
    simulator_factory: Any,
    device_registry: dr.DeviceRegistry,
    hass_ws_client: WebSocketGenerator,
) -> None:
    """A device can be removed by the user only once its asset is no longer linked."""
    assert await async_setup_component(hass, "config", {})
    sim = await simulator_factory(household(linked=[GPS_VEHICLE]))
    entry = await setup_entry(hass, make_entry(sim))
    device = device_registry.async_get_device(identifiers={(DOMAIN, GPS_VEHICLE_ID)})
    assert device is not None
    orphan = device_registry.async_get_or_create(
        config_entry_id=entry.entry_id, identifiers={(DOMAIN, "orphan")}
    )
    client = await hass_ws_client(hass)

    response = await _remove_device(client, device.id, entry.entry_id)
    assert not response["success"]
    assert device_registry.async_get(device.id) is not None

    response = await _remove_device(client, orphan.id, entry.entry_id)
    assert response["success"]
    assert device_registry.async_get(orphan.id) is None


async def test_create_client_environments(hass: HomeAssistant) -> None:
    """Production and sandbox use Enode's URLs; custom ones only in the custom environment."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        data={
            CONF_ENVIRONMENT: Environment.SANDBOX.value,
            CONF_CLIENT_ID: "id",
            CONF_CLIENT_SECRET: "secret",
            "api_url": "http://ignored",
            "token_url": "http://ignored",
            "user_id": "u",
        },
    )
    client = create_client(hass, entry.data)
    assert client.api_url == "https://enode-api.sandbox.enode.io"


@pytest.mark.parametrize(
    ("title", "auto_title", "follows"),
    [
        # Made by the config flow (it records the title it made).
        ("Tessie", "Tessie", True),
        # An entry from before the record: its title names its devices, so it was made too.
        ("Tessie", None, True),
        # Renamed by the user: it stays.
        ("Our cars", "Tessie", False),
        ("Our cars", None, False),
    ],
)
async def test_entry_title_follows_linked_devices(
    hass: HomeAssistant,
    simulator_factory: Any,
    title: str,
    auto_title: str | None,
    follows: bool,
) -> None:
    """Devices linked (or removed) later rename an entry whose title the integration made."""
    sim = await simulator_factory(household(linked=[GPS_VEHICLE]))
    entry = make_entry(sim)
    data = dict(entry.data)
    if auto_title is not None:
        data[CONF_AUTO_TITLE] = auto_title
    entry = MockConfigEntry(domain=DOMAIN, title=title, unique_id=entry.unique_id, data=data)
    await setup_entry(hass, entry)
    assert entry.title == title

    charger_id = sim.add_asset(sim.user_id, "charger", CHARGER)
    await entry.runtime_data.coordinator.async_refresh()
    await hass.async_block_till_done()
    expected = "Tessie, Zaptec Go" if follows else title
    assert entry.title == expected
    if follows:
        assert entry.data[CONF_AUTO_TITLE] == expected

    sim.remove_asset(charger_id)
    await entry.runtime_data.coordinator.async_refresh()
    await hass.async_block_till_done()
    assert entry.title == title
    # A failed refresh changes nothing.
    sim.inject_fault(status=503, count=10)
    await entry.runtime_data.coordinator.async_refresh()
    await hass.async_block_till_done()
    assert entry.title == title
