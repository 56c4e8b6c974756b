"""Options flow tests: link more devices, relink a device, set the charging location."""

from __future__ import annotations

from typing import Any
from unittest.mock import patch

from homeassistant.const import STATE_OFF, STATE_ON
from homeassistant.core import HomeAssistant
from homeassistant.core_config import async_process_ha_core_config
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import (
    device_registry as dr,
    entity_registry as er,
    issue_registry as ir,
)
from homeassistant.helpers.network import NoURLAvailableError
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.enode.api import EnodeClient, Environment
from custom_components.enode.const import CONF_SUGGEST_CHARGER, DOMAIN
from enode_simulator import Simulator

from .conftest import (
    CHARGER,
    CHARGER_ID,
    GPS_VEHICLE,
    GPS_VEHICLE_ID,
    TEST_USER,
    VEHICLE_ID,
    VEHICLE_NO_CONTROL,
    complete_link_ui,
    follow_link_callback,
    household,
    make_entry,
    setup_entry,
)

# Clients retry without waiting: no test sleeps through a real backoff.
pytestmark = pytest.mark.usefixtures("fast_client")

HA_URL = "http://ha.example.test:8123"
VW_ID = "8d90101b-3f2f-462a-bbb4-1ed320d33bbe"
TESLA_ID = "05ee9df5-d072-4ee8-b773-399dec8f5693"
ZAPTEC_ID = "e7d4db80-4fca-4781-ac70-14108f560706"
EASEE_ID = "b1c2d3e4-f5a6-4b7c-8d9e-0f1a2b3c4d03"
PHONE_KEY = "3b2891a9-5dcf-4691-b850-b5ea36b57c2e"


@pytest.fixture(autouse=True)
async def ha_url(hass: HomeAssistant) -> None:
    """Home Assistant's URL, home and HTTP server."""
    await async_process_ha_core_config(
        hass,
        {
            "internal_url": HA_URL,
            "latitude": 59.9139,
            "longitude": 10.7522,
            "time_zone": "Europe/Oslo",
            "name": "Home sweet home",
        },
    )
    assert await async_setup_component(hass, "http", {})


def sim_client(sim: Simulator) -> EnodeClient:
    """Return a client of the simulator (to arrange its state like another app would)."""
    return EnodeClient(
        sim.client_id,
        sim.client_secret,
        environment=Environment.CUSTOM,
        api_url=sim.base_url,
        token_url=sim.token_url,
    )


async def start_options(hass: HomeAssistant, entry: MockConfigEntry) -> dict[str, Any]:
    """Open the options menu."""
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert result["type"] is FlowResultType.MENU
    assert result["step_id"] == "init"
    return result


async def link_and_return(hass: HomeAssistant, client: Any, result: dict[str, Any], **kw: Any):
    """Complete Link UI, open the callback and continue the options flow."""
    redirect = await complete_link_ui(result["url"], **kw)
    status, _ = await follow_link_callback(client, redirect)
    assert status == 200
    return await hass.config_entries.options.async_configure(result["flow_id"])


async def test_link_more_devices(
    hass: HomeAssistant, simulator: Simulator, hass_client_no_auth: Any
) -> None:
    """Link another charger from the options; its device appears."""
    client = await hass_client_no_auth()
    entry = await setup_entry(hass, make_entry(simulator))
    result = await start_options(hass, entry)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"next_step_id": "asset_types"}
    )
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"asset_types": ["charger"]}
    )
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"vendor": "EASEE"}
    )
    assert result["type"] is FlowResultType.EXTERNAL_STEP
    entities_before = len(hass.states.async_all())
    result = await link_and_return(hass, client, result)
    # Not "Options successfully saved": a message naming what was linked.
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "devices_linked"
    assert result["description_placeholders"] == {"devices": "Easee One", "count": "1"}
    await hass.async_block_till_done()
    assert EASEE_ID in entry.runtime_data.coordinator.data.chargers
    device = dr.async_get(hass).async_get_device(identifiers={(DOMAIN, EASEE_ID)})
    assert device is not None
    assert device.name == "Easee One"
    # The refresh added the new charger's entities without a reload.
    easee = er.async_entries_for_device(er.async_get(hass), device.id)
    assert easee
    assert all(hass.states.get(item.entity_id) for item in easee if not item.disabled)
    assert len(hass.states.async_all()) > entities_before


async def test_link_more_vehicle_onboarding_in_options(
    hass: HomeAssistant, simulator_factory: Any, hass_client_no_auth: Any
) -> None:
    """A vehicle linked from the options of a user without charger gets the onboarding."""
    sim = await simulator_factory("demo")
    client = await hass_client_no_auth()
    entry = await setup_entry(hass, make_entry(sim, "fresh-user"))
    result = await start_options(hass, entry)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"next_step_id": "asset_types"}
    )
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"asset_types": ["vehicle"]}
    )
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"vendor": "VOLKSWAGEN"}
    )
    result = await link_and_return(hass, client, result)
    assert result["type"] is FlowResultType.MENU
    assert result["step_id"] == "charger_required"
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"next_step_id": "charger_link"}
    )
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"vendor": "ZAPTEC"}
    )
    result = await link_and_return(hass, client, result)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "devices_linked"
    # Both devices linked in this flow are named (the vehicle before the charger onboarding).
    assert result["description_placeholders"] == {
        "devices": "Anna's ID.4, Zaptec Go",
        "count": "2",
    }
    data = entry.runtime_data.coordinator.data
    assert len(data.vehicles) == 1
    assert len(data.chargers) == 1
    # Paired with the charger, the vehicle can now control charging.
    vehicle = next(iter(data.vehicles.values()))
    assert vehicle.information.display_name == "Anna's ID.4"
    assert vehicle.capabilities.start_charging.is_capable


async def test_relink_device(
    hass: HomeAssistant, simulator: Simulator, hass_client_no_auth: Any
) -> None:
    """Relinking the Tesla clears its Link intervention (phone key)."""
    client = await hass_client_no_auth()
    entry = await setup_entry(hass, make_entry(simulator))
    tesla = entry.runtime_data.coordinator.data.vehicles[TESLA_ID]
    assert PHONE_KEY in tesla.all_intervention_ids()
    result = await start_options(hass, entry)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"next_step_id": "relink"}
    )
    assert result["step_id"] == "relink"
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"device": TESLA_ID}
    )
    assert result["type"] is FlowResultType.EXTERNAL_STEP
    result = await link_and_return(hass, client, result)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "device_relinked"
    assert result["description_placeholders"] == {"device": "Batmobile"}
    tesla = entry.runtime_data.coordinator.data.vehicles[TESLA_ID]
    assert PHONE_KEY not in tesla.all_intervention_ids()


async def test_relink_cancelled_then_retried(
    hass: HomeAssistant, simulator: Simulator, hass_client_no_auth: Any
) -> None:
    """A cancelled relink can be retried from the link_cancelled menu."""
    client = await hass_client_no_auth()
    entry = await setup_entry(hass, make_entry(simulator))
    result = await start_options(hass, entry)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"next_step_id": "relink"}
    )
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"device": TESLA_ID}
    )
    result = await link_and_return(hass, client, result, cancel=True)
    assert result["step_id"] == "link_cancelled"
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"next_step_id": "link"}
    )
    assert result["type"] is FlowResultType.EXTERNAL_STEP
    result = await link_and_return(hass, client, result)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "device_relinked"


async def test_relink_without_devices(hass: HomeAssistant, simulator_factory: Any) -> None:
    """Nothing to relink without devices."""
    sim = await simulator_factory("demo")
    entry = await setup_entry(hass, make_entry(sim, "nobody"))
    result = await start_options(hass, entry)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"next_step_id": "relink"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "no_devices"
    result = await start_options(hass, entry)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"next_step_id": "charging_location"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "no_chargers"


async def test_options_not_loaded(hass: HomeAssistant, simulator: Simulator) -> None:
    """The options need a loaded entry."""
    entry = make_entry(simulator)
    entry.add_to_hass(hass)
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "not_loaded"


def _binary_sensor(hass: HomeAssistant, asset_id: str, key: str) -> str:
    entity_id = er.async_get(hass).async_get_entity_id("binary_sensor", DOMAIN, f"{asset_id}_{key}")
    assert entity_id is not None
    return entity_id


async def test_set_charging_location_home(hass: HomeAssistant, simulator: Simulator) -> None:
    """Home's coordinates become a Location on the charger: the GPS-less ID.4 is at home."""
    async with sim_client(simulator) as client:
        await client.update_charger(ZAPTEC_ID, location_id=None)
    entry = await setup_entry(hass, make_entry(simulator))
    entity_id = _binary_sensor(hass, VW_ID, "plugged_in_at_charging_location")
    assert hass.states.get(entity_id).state == STATE_OFF

    result = await start_options(hass, entry)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"next_step_id": "charging_location"}
    )
    assert result["step_id"] == "charging_location"
    options = result["data_schema"].schema["location"].config["options"]
    assert options[0] == {"value": "zone.home", "label": "Home sweet home (home)"}
    assert {"value": "location:4eaeb363-296d-4ccc-a973-7805e6f40001", "label": "Home (Enode)"} in (
        options
    )
    async with sim_client(simulator) as client:
        before = len(await client.list_locations(simulator.user_id))
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"charger": ZAPTEC_ID, "location": "zone.home"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    data = entry.runtime_data.coordinator.data
    location_id = data.chargers[ZAPTEC_ID].location.id
    # Enode already has a Location at the home's coordinates (named "Home"): it is reused, not
    # doubled under Home Assistant's name.
    assert location_id == "4eaeb363-296d-4ccc-a973-7805e6f40001"
    async with sim_client(simulator) as client:
        location = await client.get_location(location_id)
        assert len(await client.list_locations(simulator.user_id)) == before
    assert location.name == "Home"
    assert (location.latitude, location.longitude) == (59.9139, 10.7522)
    assert data.vehicles[VW_ID].location.id == location_id
    assert hass.states.get(entity_id).state == STATE_ON


async def test_set_charging_location_zone_and_existing(
    hass: HomeAssistant, simulator: Simulator
) -> None:
    """A zone creates a Location named after it; an existing Location is reused as is."""
    assert await async_setup_component(
        hass,
        "zone",
        {"zone": [{"name": "Cabin", "latitude": 61.1, "longitude": 8.5, "radius": 100}]},
    )
    entry = await setup_entry(hass, make_entry(simulator))
    result = await start_options(hass, entry)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"next_step_id": "charging_location"}
    )
    labels = [
        option["label"] for option in result["data_schema"].schema["location"].config["options"]
    ]
    assert "Cabin (zone)" in labels
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"charger": ZAPTEC_ID, "location": "zone.cabin"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    cabin_id = entry.runtime_data.coordinator.data.chargers[ZAPTEC_ID].location.id
    async with sim_client(simulator) as client:
        cabin = await client.get_location(cabin_id)
        assert cabin.name == "Cabin"
        before = len(await client.list_locations(simulator.user_id))

    # Back to the existing "Home" Location: nothing new is created.
    result = await start_options(hass, entry)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"next_step_id": "charging_location"}
    )
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {"charger": ZAPTEC_ID, "location": "location:4eaeb363-296d-4ccc-a973-7805e6f40001"},
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    data = entry.runtime_data.coordinator.data
    assert data.chargers[ZAPTEC_ID].location.id == "4eaeb363-296d-4ccc-a973-7805e6f40001"
    async with sim_client(simulator) as client:
        assert len(await client.list_locations(simulator.user_id)) == before


async def test_set_charging_location_errors(hass: HomeAssistant, simulator: Simulator) -> None:
    """A zone that disappeared, a deleted Location and an Enode failure show errors."""
    assert await async_setup_component(
        hass,
        "zone",
        {"zone": [{"name": "Cabin", "latitude": 61.1, "longitude": 8.5, "radius": 100}]},
    )
    entry = await setup_entry(hass, make_entry(simulator))
    result = await start_options(hass, entry)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"next_step_id": "charging_location"}
    )
    hass.states.async_remove("zone.cabin")
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"charger": ZAPTEC_ID, "location": "zone.cabin"}
    )
    assert result["errors"] == {"base": "zone_not_found"}

    async with sim_client(simulator) as client:
        await client.delete_location("4eaeb363-296d-4ccc-a973-7805e6f40001")
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {"charger": ZAPTEC_ID, "location": "location:4eaeb363-296d-4ccc-a973-7805e6f40001"},
    )
    assert result["errors"] == {"base": "location_not_found"}

    simulator.inject_fault(status=500, count=20, path_prefix="/users/")
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"charger": ZAPTEC_ID, "location": "zone.home"}
    )
    assert result["errors"] == {"base": "cannot_connect"}
    # The form is still usable without the list of Enode Locations.
    options = result["data_schema"].schema["location"].config["options"]
    assert [option["value"] for option in options] == ["zone.home"]


async def test_relink_through_http_behind_external_url(
    hass: HomeAssistant, simulator: Simulator, hass_client: Any
) -> None:
    """Through the frontend's API (no base header for options flows), on the external URL.

    Home Assistant is reached at https://ha.example.com (TLS ends at a proxy, so the request
    itself is plain HTTP): Link UI must send the browser back to the https URL.
    """
    await async_process_ha_core_config(hass, {"external_url": "https://ha.example.com"})
    assert await async_setup_component(hass, "config", {})
    entry = await setup_entry(hass, make_entry(simulator))
    client = await hass_client()
    headers = {"Host": "ha.example.com"}
    base = "/api/config/config_entries/options/flow"
    resp = await client.post(base, json={"handler": entry.entry_id}, headers=headers)
    flow_id = (await resp.json())["flow_id"]
    resp = await client.post(f"{base}/{flow_id}", json={"next_step_id": "relink"}, headers=headers)
    assert (await resp.json())["step_id"] == "relink"
    resp = await client.post(f"{base}/{flow_id}", json={"device": TESLA_ID}, headers=headers)
    result = await resp.json()
    assert result["type"] == "external"
    redirect = await complete_link_ui(result["url"])
    assert redirect.startswith("https://ha.example.com/api/enode/link?state=")
    status, _ = await follow_link_callback(client, redirect)
    assert status == 200
    resp = await client.post(f"{base}/{flow_id}", headers=headers)
    assert (await resp.json())["reason"] == "device_relinked"
    tesla = entry.runtime_data.coordinator.data.vehicles[TESLA_ID]
    assert PHONE_KEY not in tesla.all_intervention_ids()


async def _options_to_vendor(hass: HomeAssistant, entry: MockConfigEntry) -> dict[str, Any]:
    """Open the options and go to the brand step for a charger."""
    result = await start_options(hass, entry)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"next_step_id": "asset_types"}
    )
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"asset_types": ["charger"]}
    )
    assert result["step_id"] == "vendor"
    return result


@pytest.mark.parametrize(
    ("fault", "reason"),
    [
        # Enode refuses the link session.
        ({"status": 403, "path_prefix": "/users/", "method": "POST"}, "link_session_failed"),
        # The linked devices cannot be read before opening Link UI.
        ({"status": 500, "count": 20, "path_prefix": "/users/", "method": "GET"}, "cannot_connect"),
    ],
)
async def test_options_link_aborts(
    hass: HomeAssistant, simulator: Simulator, fault: dict[str, Any], reason: str
) -> None:
    """When Link UI cannot be opened the options flow aborts, and no state waits for it."""
    entry = await setup_entry(hass, make_entry(simulator))
    result = await _options_to_vendor(hass, entry)
    simulator.inject_fault(**fault)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"vendor": "EASEE"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == reason
    assert hass.data.get("enode_pending_links", {}) == {}


async def test_options_no_url_available(hass: HomeAssistant, simulator: Simulator) -> None:
    """Without a Home Assistant URL Link UI cannot come back: the options flow aborts."""
    entry = await setup_entry(hass, make_entry(simulator))
    result = await _options_to_vendor(hass, entry)
    with patch("custom_components.enode.link.get_url", side_effect=NoURLAvailableError):
        result = await hass.config_entries.options.async_configure(
            result["flow_id"], {"vendor": "EASEE"}
        )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "no_url_available"


async def test_options_stop_after_cancel(
    hass: HomeAssistant, simulator: Simulator, hass_client_no_auth: Any
) -> None:
    """After cancelling in Link UI the user can stop: nothing is linked, nothing refreshed."""
    client = await hass_client_no_auth()
    entry = await setup_entry(hass, make_entry(simulator))
    result = await _options_to_vendor(hass, entry)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"vendor": "EASEE"}
    )
    result = await link_and_return(hass, client, result, cancel=True)
    assert result["step_id"] == "link_cancelled"
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"next_step_id": "link_abort"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "link_cancelled"
    assert EASEE_ID not in entry.runtime_data.coordinator.data.chargers


async def test_options_devices_unreadable_after_link_ui(
    hass: HomeAssistant, simulator: Simulator, hass_client_no_auth: Any
) -> None:
    """If the devices cannot be read after Link UI, the options flow aborts."""
    client = await hass_client_no_auth()
    entry = await setup_entry(hass, make_entry(simulator))
    result = await _options_to_vendor(hass, entry)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"vendor": "EASEE"}
    )
    redirect = await complete_link_ui(result["url"])
    await follow_link_callback(client, redirect)
    simulator.inject_fault(status=500, count=20, path_prefix="/users/", method="GET")
    result = await hass.config_entries.options.async_configure(result["flow_id"])
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "cannot_connect"


# --- Unlinking a charger (seed 004: "Unlinking chargers") -------------------------------------


async def _unlink_confirm(hass: HomeAssistant, entry: MockConfigEntry) -> dict[str, Any]:
    """Open Configure > Unlink a charger (a single charger: straight to the confirmation)."""
    result = await start_options(hass, entry)
    assert "unlink_charger" in result["menu_options"]
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"next_step_id": "unlink_charger"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "unlink_charger_confirm"
    return result


async def test_unlink_charger_says_what_follows(
    hass: HomeAssistant, simulator_factory: Any, hass_client_no_auth: Any
) -> None:
    """The confirmation names the consequences per vehicle; unlinking goes through Enode; the
    vehicle that needs the charger is asked for one again, the capable one is not."""
    sim = await simulator_factory(
        household(linked=[VEHICLE_NO_CONTROL, GPS_VEHICLE], unlinked=[CHARGER])
    )
    entry = await setup_entry(hass, make_entry(sim))
    # Seen without a charger: the Family car needs one, Tessie does not. Then the charger is
    # linked (and what was seen is remembered across a reload).
    sim.add_asset(TEST_USER, "charger", CHARGER)
    await entry.runtime_data.coordinator.async_refresh()
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert hass.states.get("switch.family_car_charge").state == STATE_OFF
    assert not [i for (d, i) in ir.async_get(hass).issues if d == DOMAIN]

    result = await _unlink_confirm(hass, entry)
    placeholders = result["description_placeholders"]
    assert placeholders["charger"] == "Zaptec Go"
    consequences = placeholders["consequences"]
    assert (
        "Charging control and smart charging stop for Family car, which cannot start or stop "
        "charging without a charger; Home Assistant asks you again to link a charger."
        in consequences
    )
    assert (
        "Charging control stays for Tessie, which can control charging without a charger, but "
        "less reliably" in consequences
    )
    assert "will not suggest linking a charger again" in consequences
    # Nothing happened yet.
    assert sim.count_requests("DELETE") == 0

    result = await hass.config_entries.options.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "charger_unlinked"
    assert result["description_placeholders"] == {"devices": "Zaptec Go"}
    await hass.async_block_till_done()
    assert sim.count_requests("DELETE", f"/users/{TEST_USER}/vendors/ZAPTEC/charger") == 1
    assert not entry.runtime_data.coordinator.data.chargers
    assert dr.async_get(hass).async_get_device(identifiers={(DOMAIN, CHARGER_ID)}) is None
    # Mandatory: the prompt is back and charging control is off. Optional: no more prompting.
    issues = {i for (d, i) in ir.async_get(hass).issues if d == DOMAIN}
    assert f"charger_required_{VEHICLE_ID}" in issues
    assert f"charger_recommended_{GPS_VEHICLE_ID}" not in issues
    assert entry.options[CONF_SUGGEST_CHARGER] is False
    # (its start/stop are permanently missing without the charger: the switch goes; a vehicle
    # whose start/stop are blocked keeps it, unavailable: test_repairs.py)
    assert hass.states.get("switch.family_car_charge") is None
    assert hass.states.get("sensor.family_car_charger_pairing").state == "required"
    assert hass.states.get("sensor.tessie_charger_pairing").state == "none"
    await entry.runtime_data.coordinator.async_refresh()
    await hass.async_block_till_done()
    assert f"charger_recommended_{GPS_VEHICLE_ID}" not in {
        i for (d, i) in ir.async_get(hass).issues if d == DOMAIN
    }

    # Relinking stays available in the options (and links without the suggestion step).
    client = await hass_client_no_auth()
    result = await _options_to_vendor(hass, entry)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"vendor": "ZAPTEC"}
    )
    result = await link_and_return(
        hass, client, result, username=f"owner-{CHARGER_ID}", password="pw"
    )
    assert result["reason"] == "devices_linked"
    await hass.async_block_till_done()
    assert hass.states.get("switch.family_car_charge").state == STATE_OFF


async def test_unlink_optional_charger_then_new_vehicle(
    hass: HomeAssistant, simulator_factory: Any, hass_client_no_auth: Any
) -> None:
    """A capable vehicle, its optional charger unlinked: no suggestion; unknown vehicles are
    named as such. A capable vehicle linked afterwards in the options is not offered a charger
    either (linking one stays in the options)."""
    second = GPS_VEHICLE | {
        "id": "vehicle-0003",
        "information": GPS_VEHICLE["information"]
        | {"displayName": "Second car", "vin": "5YJYGDEE0MF000789"},
    }
    sim = await simulator_factory(household(linked=[GPS_VEHICLE, CHARGER], unlinked=[second]))
    entry = await setup_entry(hass, make_entry(sim))
    result = await _unlink_confirm(hass, entry)
    consequences = result["description_placeholders"]["consequences"]
    # Never seen without a charger: Home Assistant says it does not know.
    assert "Home Assistant has not seen Tessie without a charger" in consequences
    result = await hass.config_entries.options.async_configure(result["flow_id"], {})
    assert result["reason"] == "charger_unlinked"
    await hass.async_block_till_done()
    assert not {i for (d, i) in ir.async_get(hass).issues if d == DOMAIN}
    assert hass.states.get("switch.tessie_charge").state == STATE_OFF

    client = await hass_client_no_auth()
    result = await start_options(hass, entry)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"next_step_id": "asset_types"}
    )
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"asset_types": ["vehicle"]}
    )
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"vendor": "TESLA"}
    )
    result = await link_and_return(
        hass, client, result, username="owner-vehicle-0003", password="pw"
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "devices_linked"
    assert result["description_placeholders"]["devices"] == "Second car"
    await hass.async_block_till_done()
    assert not {i for (d, i) in ir.async_get(hass).issues if d == DOMAIN}


async def test_unlink_charger_choice_brand_and_errors(
    hass: HomeAssistant, simulator: Simulator
) -> None:
    """Two chargers: choose one. Enode unlinks a brand's chargers together (said upfront); a
    failure keeps everything and says so."""
    entry = await setup_entry(hass, make_entry(simulator))
    simulator.add_asset(simulator.user_id, "charger", {"id": "zap-2", "vendor": "ZAPTEC"})
    simulator.add_asset(
        simulator.user_id,
        "charger",
        {"id": EASEE_ID, "vendor": "EASEE", "information": {"model": "One"}},
    )
    await entry.runtime_data.coordinator.async_refresh()
    result = await start_options(hass, entry)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"next_step_id": "unlink_charger"}
    )
    assert result["step_id"] == "unlink_charger"
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"charger": ZAPTEC_ID}
    )
    assert result["step_id"] == "unlink_charger_confirm"
    consequences = result["description_placeholders"]["consequences"]
    assert consequences.startswith("Enode unlinks all Zaptec chargers of your account together:")
    assert "Your other chargers stay linked" in consequences
    simulator.inject_fault(status=500, count=10, path_prefix="/users/", method="DELETE")
    result = await hass.config_entries.options.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "cannot_connect"}
    assert ZAPTEC_ID in entry.runtime_data.coordinator.data.chargers
    simulator.clear_faults()
    result = await hass.config_entries.options.async_configure(result["flow_id"], {})
    assert result["reason"] == "charger_unlinked"
    assert set(entry.runtime_data.coordinator.data.chargers) == {EASEE_ID}


async def test_unlink_without_charger(hass: HomeAssistant, simulator_factory: Any) -> None:
    """No charger: nothing to unlink."""
    sim = await simulator_factory(household(linked=[GPS_VEHICLE]))
    entry = await setup_entry(hass, make_entry(sim))
    result = await start_options(hass, entry)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"next_step_id": "unlink_charger"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "no_chargers"
