"""Actions: enode.link, enode.relink, enode.set_charging_location, enode.refresh."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from unittest.mock import patch

from homeassistant.config_entries import SOURCE_REAUTH
from homeassistant.core import HomeAssistant
from homeassistant.core_config import async_process_ha_core_config
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.network import NoURLAvailableError
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from syrupy.assertion import SnapshotAssertion
from syrupy.matchers import path_type

from custom_components.enode.const import DOMAIN
from custom_components.enode.entity import device_name
from enode_simulator import Simulator

from .conftest import complete_link_ui, follow_link_callback, make_entry, setup_entry

# Clients retry without waiting: no test sleeps through a real backoff.
pytestmark = pytest.mark.usefixtures("fast_client")

HA_URL = "http://ha.example.test:8123"
TESLA_ID = "05ee9df5-d072-4ee8-b773-399dec8f5693"
ZAPTEC_ID = "e7d4db80-4fca-4781-ac70-14108f560706"
HOME_LOCATION = "4eaeb363-296d-4ccc-a973-7805e6f40001"
LINK_MATCHER = path_type({"link_url": (str,), "expires_at": (str,)})


@pytest.fixture(autouse=True)
async def ha_setup(hass: HomeAssistant) -> None:
    """Home Assistant's URL, home and HTTP server."""
    await async_process_ha_core_config(
        hass,
        {
            "internal_url": HA_URL,
            "latitude": 52.37,
            "longitude": 4.89,
            "time_zone": "Europe/Amsterdam",
            "name": "Canal house",
        },
    )
    assert await async_setup_component(hass, "http", {})


@pytest.fixture
async def entry(hass: HomeAssistant, simulator: Simulator) -> MockConfigEntry:
    """The demo user's entry, set up."""
    return await setup_entry(hass, make_entry(simulator))


def device_id(hass: HomeAssistant, asset_id: str) -> str:
    """Return the device id of an asset."""
    device = dr.async_get(hass).async_get_device(identifiers={(DOMAIN, asset_id)})
    assert device is not None
    return device.id


async def call(hass: HomeAssistant, service: str, data: dict[str, Any], **kwargs: Any) -> Any:
    """Call an Enode action."""
    return await hass.services.async_call(DOMAIN, service, data, blocking=True, **kwargs)


async def test_link(
    hass: HomeAssistant,
    simulator_factory: Any,
    hass_client_no_auth: Any,
    snapshot: SnapshotAssertion,
) -> None:
    """enode.link returns a Link UI URL; after linking the new devices appear."""
    sim = await simulator_factory("demo")
    entry = await setup_entry(hass, make_entry(sim, "action-user"))
    assert not entry.runtime_data.coordinator.data.all_assets()
    response = await call(
        hass,
        "link",
        {"config_entry_id": entry.entry_id, "asset_types": ["vehicle"], "vendor": "TESLA"},
        return_response=True,
    )
    assert response == snapshot(matcher=LINK_MATCHER)
    assert response["link_url"].startswith(f"{sim.base_url}/link/")
    expires_at = datetime.fromisoformat(response["expires_at"])
    assert abs(expires_at - (dt_util.utcnow() + timedelta(hours=24))) < timedelta(minutes=1)

    redirect = await complete_link_ui(response["link_url"])
    client = await hass_client_no_auth()
    status, _ = await follow_link_callback(client, redirect)
    assert status == 200
    await hass.async_block_till_done()
    vehicles = entry.runtime_data.coordinator.data.vehicles
    assert [vehicle.information.display_name for vehicle in vehicles.values()] == ["Batmobile"]


async def test_link_vendor_checked_like_the_config_flow(
    hass: HomeAssistant, simulator_factory: Any, hass_client_no_auth: Any
) -> None:
    """enode.link takes a brand in any case; one that lacks a chosen type or is down is refused."""
    sim = await simulator_factory("demo")
    entry = await setup_entry(hass, make_entry(sim, "action-user"))
    response = await call(
        hass,
        "link",
        {"config_entry_id": entry.entry_id, "asset_types": ["charger"], "vendor": "zaptec"},
        return_response=True,
    )
    redirect = await complete_link_ui(response["link_url"])
    status, _ = await follow_link_callback(await hass_client_no_auth(), redirect)
    assert status == 200
    await hass.async_block_till_done()
    chargers = entry.runtime_data.coordinator.data.chargers.values()
    assert [device_name(charger) for charger in chargers] == ["Zaptec Go"]
    sessions = sim.count_requests("POST", "/users/action-user/link")
    assert sessions == 1

    refused = [
        # Zaptec makes chargers, not HVAC units (the config flow does not offer it either).
        (
            {"asset_types": ["hvac"], "vendor": "ZAPTEC"},
            "vendor_unsupported",
            {"vendor": "Zaptec", "asset_types": "Heating and cooling (HVAC)"},
            "Zaptec does not support every chosen device type: Heating and cooling (HVAC)",
        ),
        (
            {"asset_types": ["vehicle"], "vendor": "Acme"},
            "vendor_unknown",
            {"vendor": "Acme"},
            "Enode has no brand called Acme",
        ),
    ]
    for data, key, placeholders, message in refused:
        with pytest.raises(ServiceValidationError) as err:
            await call(
                hass, "link", {"config_entry_id": entry.entry_id, **data}, return_response=True
            )
        assert err.value.translation_key == key
        assert err.value.translation_placeholders == placeholders
        assert str(err.value).startswith(message)
    sim.set_linking_status("ZAPTEC", "OUTAGE")
    with pytest.raises(ServiceValidationError) as err:
        await call(
            hass,
            "link",
            {"config_entry_id": entry.entry_id, "asset_types": ["charger"], "vendor": "Zaptec"},
            return_response=True,
        )
    assert err.value.translation_key == "vendor_outage"
    # None of the refused calls started a Link UI session.
    assert sim.count_requests("POST", "/users/action-user/link") == sessions


async def test_link_errors(
    hass: HomeAssistant, simulator: Simulator, entry: MockConfigEntry
) -> None:
    """Unknown or unloaded entries, Enode failures and a missing URL are reported."""
    with pytest.raises(ServiceValidationError) as err:
        await call(
            hass,
            "link",
            {"config_entry_id": "nope", "asset_types": ["vehicle"]},
            return_response=True,
        )
    assert err.value.translation_key == "entry_not_found"

    unloaded = make_entry(simulator, "other-user")
    unloaded.add_to_hass(hass)
    with pytest.raises(ServiceValidationError) as err:
        await call(
            hass,
            "link",
            {"config_entry_id": unloaded.entry_id, "asset_types": ["vehicle"]},
            return_response=True,
        )
    assert err.value.translation_key == "entry_not_loaded"

    simulator.inject_fault(status=403, count=1, path_prefix="/users/", method="POST")
    with pytest.raises(HomeAssistantError) as err:
        await call(
            hass,
            "link",
            {"config_entry_id": entry.entry_id, "asset_types": ["charger"]},
            return_response=True,
        )
    assert err.value.translation_key == "request_rejected"

    with (
        patch("custom_components.enode.link.get_url", side_effect=NoURLAvailableError),
        pytest.raises(ServiceValidationError) as err,
    ):
        await call(
            hass,
            "link",
            {"config_entry_id": entry.entry_id, "asset_types": ["charger"]},
            return_response=True,
        )
    assert err.value.translation_key == "no_url_available"


async def test_relink(
    hass: HomeAssistant,
    simulator: Simulator,
    entry: MockConfigEntry,
    hass_client_no_auth: Any,
    snapshot: SnapshotAssertion,
) -> None:
    """enode.relink returns a relink URL; completing it clears the Link intervention."""
    response = await call(
        hass, "relink", {"device_id": device_id(hass, TESLA_ID)}, return_response=True
    )
    assert response == snapshot(matcher=LINK_MATCHER)
    redirect = await complete_link_ui(response["link_url"])
    client = await hass_client_no_auth()
    status, _ = await follow_link_callback(client, redirect)
    assert status == 200
    await hass.async_block_till_done()
    tesla = entry.runtime_data.coordinator.data.vehicles[TESLA_ID]
    assert tesla.capabilities.set_max_current.intervention_ids == []


async def test_relink_errors(
    hass: HomeAssistant, simulator: Simulator, entry: MockConfigEntry
) -> None:
    """Devices that are not Enode's or no longer linked, and Enode failures."""
    registry = dr.async_get(hass)
    other = MockConfigEntry(domain="demo")
    other.add_to_hass(hass)
    foreign = registry.async_get_or_create(
        config_entry_id=other.entry_id, identifiers={("demo", "x")}
    )
    with pytest.raises(ServiceValidationError) as err:
        await call(hass, "relink", {"device_id": foreign.id}, return_response=True)
    assert err.value.translation_key == "device_not_enode"
    with pytest.raises(ServiceValidationError) as err:
        await call(hass, "relink", {"device_id": "missing"}, return_response=True)
    assert err.value.translation_key == "device_not_enode"

    gone = registry.async_get_or_create(
        config_entry_id=entry.entry_id, identifiers={(DOMAIN, "gone")}, name="Old car"
    )
    with pytest.raises(ServiceValidationError) as err:
        await call(hass, "relink", {"device_id": gone.id}, return_response=True)
    assert err.value.translation_key == "device_not_linked"
    assert err.value.translation_placeholders == {"device": "Old car"}

    simulator.inject_fault(status=400, count=1, path_prefix="/assets/")
    with pytest.raises(HomeAssistantError) as err:
        await call(hass, "relink", {"device_id": device_id(hass, TESLA_ID)}, return_response=True)
    assert err.value.translation_key == "request_rejected"

    with (
        patch("custom_components.enode.link.get_url", side_effect=NoURLAvailableError),
        pytest.raises(ServiceValidationError) as err,
    ):
        await call(hass, "relink", {"device_id": device_id(hass, TESLA_ID)}, return_response=True)
    assert err.value.translation_key == "no_url_available"


async def test_set_charging_location(
    hass: HomeAssistant,
    simulator: Simulator,
    entry: MockConfigEntry,
    snapshot: SnapshotAssertion,
) -> None:
    """Home by default, then coordinates, a zone and an existing Location."""
    charger = device_id(hass, ZAPTEC_ID)
    chargers = lambda: entry.runtime_data.coordinator.data.chargers  # noqa: E731
    created = lambda: simulator.count_requests("POST", f"/users/{simulator.user_id}/locations")  # noqa: E731
    before = created()

    response = await call(
        hass, "set_charging_location", {"device_id": charger}, return_response=True
    )
    assert response == snapshot(name="home", matcher=path_type({"location_id": (str,)}))
    home_id = response["location_id"]
    assert chargers()[ZAPTEC_ID].location.id == home_id
    assert created() == before + 1
    # The same place again reuses the Location.
    again = await call(hass, "set_charging_location", {"device_id": charger}, return_response=True)
    assert again["location_id"] == home_id
    # So do bare coordinates a few metres away: in the home zone, named after it.
    response = await call(
        hass,
        "set_charging_location",
        {"device_id": charger, "latitude": 52.37005, "longitude": 4.89005},
        return_response=True,
    )
    assert response == {"location_id": home_id, "name": "Canal house"}
    assert created() == before + 1

    response = await call(
        hass,
        "set_charging_location",
        {"device_id": charger, "latitude": 52.1, "longitude": 5.1, "name": "Office"},
        return_response=True,
    )
    assert response["name"] == "Office"
    office_id = response["location_id"]
    assert chargers()[ZAPTEC_ID].location.id == office_id
    # The same place under another name is still the same Location (it keeps its name).
    response = await call(
        hass,
        "set_charging_location",
        {"device_id": charger, "latitude": 52.1, "longitude": 5.1, "name": "Work"},
        return_response=True,
    )
    assert response == {"location_id": office_id, "name": "Office"}
    assert created() == before + 2

    # Bare coordinates outside every zone, where no Location is: a name is needed.
    with pytest.raises(ServiceValidationError) as err:
        await call(
            hass,
            "set_charging_location",
            {"device_id": charger, "latitude": 52.2, "longitude": 5.2},
        )
    assert err.value.translation_key == "name_required"
    assert created() == before + 2

    # (The zone integration is already set up by the device tracker platform.)
    hass.states.async_set(
        "zone.cabin",
        "0",
        {"latitude": 61.1, "longitude": 8.5, "radius": 100, "friendly_name": "Cabin"},
    )
    response = await call(
        hass,
        "set_charging_location",
        {"device_id": charger, "zone": "zone.cabin"},
        return_response=True,
    )
    assert response["name"] == "Cabin"
    # Coordinates in the zone: the same Location.
    cabin = await call(
        hass,
        "set_charging_location",
        {"device_id": charger, "latitude": 61.1001, "longitude": 8.5},
        return_response=True,
    )
    assert cabin == response
    assert created() == before + 3

    response = await call(
        hass,
        "set_charging_location",
        {"device_id": charger, "location_id": HOME_LOCATION},
        return_response=True,
    )
    assert response == {"location_id": HOME_LOCATION, "name": "Home"}
    assert chargers()[ZAPTEC_ID].location.id == HOME_LOCATION


async def test_set_charging_location_errors(
    hass: HomeAssistant, simulator: Simulator, entry: MockConfigEntry
) -> None:
    """Not a charger, unknown zone or Location, Enode failure."""
    with pytest.raises(ServiceValidationError) as err:
        await call(hass, "set_charging_location", {"device_id": device_id(hass, TESLA_ID)})
    assert err.value.translation_key == "not_a_charger"
    charger = device_id(hass, ZAPTEC_ID)
    with pytest.raises(ServiceValidationError) as err:
        await call(hass, "set_charging_location", {"device_id": charger, "zone": "zone.nowhere"})
    assert err.value.translation_key == "zone_not_found"
    with pytest.raises(ServiceValidationError) as err:
        await call(hass, "set_charging_location", {"device_id": charger, "location_id": "nope"})
    assert err.value.translation_key == "location_not_found"
    simulator.inject_fault(status=500, count=20, path_prefix="/users/")
    with pytest.raises(HomeAssistantError) as err:
        await call(hass, "set_charging_location", {"device_id": charger})
    assert err.value.translation_key == "enode_unavailable"


async def test_refresh(hass: HomeAssistant, simulator: Simulator, entry: MockConfigEntry) -> None:
    """enode.refresh sends a refresh hint, at most once a minute per device.

    Time moves by Home Assistant's clock (``dt_util.utcnow``, which the guard reads); not with
    ``freezer``, which would also stop the event loop's clock under the real HTTP of this test.
    """
    start = dt_util.utcnow()

    def at(seconds: float) -> Any:
        return patch(
            "custom_components.enode.services.dt_util.utcnow",
            return_value=start + timedelta(seconds=seconds),
        )

    tesla = device_id(hass, TESLA_ID)
    before = simulator.count_requests("POST", f"/vehicles/{TESLA_ID}/refresh-hint")
    with at(0):
        await call(hass, "refresh", {"device_id": tesla})
    assert simulator.count_requests("POST", f"/vehicles/{TESLA_ID}/refresh-hint") == before + 1

    with at(0), pytest.raises(ServiceValidationError) as err:
        await call(hass, "refresh", {"device_id": tesla})
    assert err.value.translation_key == "refresh_too_soon"
    assert err.value.translation_placeholders == {"device": "Batmobile", "seconds": "60"}
    assert simulator.count_requests("POST", f"/vehicles/{TESLA_ID}/refresh-hint") == before + 1

    # Still too soon 59 seconds later.
    with at(59), pytest.raises(ServiceValidationError) as err:
        await call(hass, "refresh", {"device_id": tesla})
    assert err.value.translation_placeholders == {"device": "Batmobile", "seconds": "1"}

    # Another device is not held back; an Enode failure is reported and not counted.
    charger = device_id(hass, ZAPTEC_ID)
    simulator.inject_fault(status=500, count=10, path_prefix="/chargers/")
    with at(59), pytest.raises(HomeAssistantError) as err:
        await call(hass, "refresh", {"device_id": charger})
    assert err.value.translation_key == "enode_unavailable"
    simulator.clear_faults()
    with at(59):
        await call(hass, "refresh", {"device_id": charger})

    # A minute after its hint the Tesla can be refreshed again.
    with at(60):
        await call(hass, "refresh", {"device_id": tesla})
    assert simulator.count_requests("POST", f"/vehicles/{TESLA_ID}/refresh-hint") == before + 2


async def test_action_callback_for_unloaded_entry(
    hass: HomeAssistant, simulator: Simulator, entry: MockConfigEntry, hass_client_no_auth: Any
) -> None:
    """A link started by an action whose entry was unloaded meanwhile ends gracefully."""
    response = await call(
        hass, "relink", {"device_id": device_id(hass, TESLA_ID)}, return_response=True
    )
    redirect = await complete_link_ui(response["link_url"])
    await hass.config_entries.async_unload(entry.entry_id)
    client = await hass_client_no_auth()
    status, text = await follow_link_callback(client, redirect)
    assert status == 410
    assert "no longer waiting" in text


@pytest.mark.parametrize(
    "place",
    [
        {"zone": "zone.home", "location_id": HOME_LOCATION},
        {"zone": "zone.home", "latitude": 52.1, "longitude": 5.1},
        {"location_id": HOME_LOCATION, "latitude": 52.1, "longitude": 5.1},
        {"location_id": HOME_LOCATION, "name": "Garage"},
    ],
)
async def test_set_charging_location_conflicting_places(
    hass: HomeAssistant, simulator: Simulator, entry: MockConfigEntry, place: dict[str, Any]
) -> None:
    """More than one place is refused with a translated error; nothing changes at Enode."""
    before = simulator.count_requests("PUT", f"/chargers/{ZAPTEC_ID}")
    with pytest.raises(ServiceValidationError) as err:
        await call(
            hass, "set_charging_location", {"device_id": device_id(hass, ZAPTEC_ID), **place}
        )
    assert err.value.translation_key == "conflicting_places"
    assert simulator.count_requests("PUT", f"/chargers/{ZAPTEC_ID}") == before


async def test_set_charging_location_named_zone(
    hass: HomeAssistant, simulator: Simulator, entry: MockConfigEntry
) -> None:
    """A name given with a zone (or the home) names the Location that is created."""
    charger = device_id(hass, ZAPTEC_ID)
    response = await call(
        hass,
        "set_charging_location",
        {"device_id": charger, "zone": "zone.home", "name": "Driveway"},
        return_response=True,
    )
    assert response["name"] == "Driveway"
    locations = {item["id"]: item for item in simulator.snapshot()["locations"]}
    location = locations[response["location_id"]]
    assert location["name"] == "Driveway"
    assert (location["latitude"], location["longitude"]) == (52.37, 4.89)
    assert location["timezoneName"] == "Europe/Amsterdam"


async def test_relink_rejected_credentials_start_reauth(
    hass: HomeAssistant, simulator: Simulator, entry: MockConfigEntry
) -> None:
    """Enode rejecting the credentials in an action starts reauthentication (as a refresh does)."""
    assert not hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    # 401 twice: the client refreshes its token once, then gives up.
    simulator.inject_fault(status=401, count=2, path_prefix="/assets/", method="POST")
    with pytest.raises(HomeAssistantError) as err:
        await call(hass, "relink", {"device_id": device_id(hass, TESLA_ID)}, return_response=True)
    assert err.value.translation_key == "authentication_error"
    await hass.async_block_till_done()
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]
    assert flows[0]["context"]["entry_id"] == entry.entry_id


async def test_action_rate_limited_says_when_to_retry(
    hass: HomeAssistant, simulator: Simulator, entry: MockConfigEntry
) -> None:
    """A 429 during an action says when to try again (Enode's Retry-After)."""
    simulator.inject_fault(status=429, retry_after=120, path_prefix="/vehicles/", method="POST")
    with pytest.raises(HomeAssistantError) as err:
        await call(hass, "refresh", {"device_id": device_id(hass, TESLA_ID)})
    assert err.value.translation_key == "rate_limited_action"
    assert err.value.translation_placeholders == {"retry_after": "120"}
    assert "try again in 120 seconds" in str(err.value)


@pytest.mark.parametrize("status", [500, 503])
async def test_action_enode_unavailable(
    hass: HomeAssistant, simulator: Simulator, entry: MockConfigEntry, status: int
) -> None:
    """A 5xx during an action says that Enode is unavailable (not "an unknown error")."""
    simulator.inject_fault(status=status, count=10, path_prefix="/chargers/")
    with pytest.raises(HomeAssistantError) as err:
        await call(hass, "set_charging_location", {"device_id": device_id(hass, ZAPTEC_ID)})
    assert err.value.translation_key == "enode_unavailable"
    assert "Enode is unavailable" in str(err.value)
