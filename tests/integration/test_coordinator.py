"""The Enode coordinator: requests per refresh, polling cadence, outages, dynamic devices."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
import logging
from typing import Any
from unittest.mock import patch

from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import async_capture_events

from custom_components.enode.api import ActionState, AssetType, ChargeAction, ChargingAction
from custom_components.enode.api.const import INTERVENTION_LANGUAGES
from custom_components.enode.const import DOMAIN, EVENT_ACTION
from custom_components.enode.coordinator import UPDATE_INTERVAL_ACTIVE, UPDATE_INTERVAL_IDLE
from custom_components.enode.helpers import enode_language
from custom_components.enode.models import EnodeData

from .conftest import (
    CHARGER,
    CHARGER_ID,
    GPS_VEHICLE,
    GPS_VEHICLE_ID,
    TEST_USER,
    VEHICLE_ID,
    VEHICLE_NO_CONTROL,
    async_refresh,
    household,
    make_entry,
    setup_entry,
)

pytestmark = pytest.mark.usefixtures("fast_client")


def _list_requests(sim: Any) -> dict[str, int]:
    counts: dict[str, int] = {}
    for method, path in sim.requests:
        if method == "GET" and path.startswith("/users/"):
            counts[path] = counts.get(path, 0) + 1
    return counts


@pytest.mark.parametrize(
    ("vehicles", "chargers", "vehicle_pages"), [(1, 1, 1), (20, 20, 1), (50, 20, 1), (60, 20, 2)]
)
async def test_requests_per_refresh_do_not_grow_with_devices(
    hass: HomeAssistant, simulator_factory: Any, vehicles: int, chargers: int, vehicle_pages: int
) -> None:
    """Per refresh: one ``GET /users/{id}`` (which asset types are linked, and whether their
    vendor credentials are valid) and one list request per linked asset type (and page of 50).

    1 + 1, 20 + 20 and 50 + 20 devices cost the same 3 requests; only a second page adds one.
    """
    sim = await simulator_factory({"generate": {"vehicles": vehicles, "chargers": chargers}})
    entry = await setup_entry(hass, make_entry(sim))
    assert len(entry.runtime_data.coordinator.data.vehicles) == vehicles
    assert len(entry.runtime_data.coordinator.data.chargers) == chargers
    switches = hass.states.async_entity_ids("switch")
    assert len([s for s in switches if s.endswith("_smart_charging")]) == vehicles
    assert len(switches) == 3 * vehicles + chargers  # charging, smart charging, charge now

    sim.clear_requests()
    await async_refresh(hass, entry)
    user = sim.user_id
    assert _list_requests(sim) == {
        f"/users/{user}": 1,
        f"/users/{user}/vehicles": vehicle_pages,
        f"/users/{user}/chargers": 1,
    }
    # No per-device requests, no interventions (cached), no other asset types.
    assert len(sim.requests) == 2 + vehicle_pages


async def test_only_linked_asset_types_are_fetched(
    hass: HomeAssistant, simulator_factory: Any
) -> None:
    """A user with only a vehicle linked: no charger (or battery ...) list request."""
    sim = await simulator_factory(household(linked=[VEHICLE_NO_CONTROL], unlinked=[CHARGER]))
    entry = await setup_entry(hass, make_entry(sim))
    sim.clear_requests()
    await async_refresh(hass, entry)
    assert sorted(path for _, path in sim.requests) == [
        f"/users/{TEST_USER}",
        f"/users/{TEST_USER}/vehicles",
    ]


async def test_interventions_fetched_once_and_localized(
    hass: HomeAssistant, simulator_factory: Any
) -> None:
    """Intervention texts are fetched once per id and language, in Home Assistant's language."""
    await hass.config.async_update(language="de")
    sim = await simulator_factory("demo")
    entry = await setup_entry(hass, make_entry(sim))
    coordinator = entry.runtime_data.coordinator
    assert coordinator.language == "de-DE"
    intervention_requests = [p for m, p in sim.requests if p.startswith("/interventions/")]
    assert intervention_requests == ["/interventions/3b2891a9-5dcf-4691-b850-b5ea36b57c2e"]
    queries = [r for r in sim.request_log if r.get("path", "").startswith("/interventions/")]
    assert queries
    assert "de-DE" in repr(queries[0])
    await async_refresh(hass, entry)
    await async_refresh(hass, entry)
    assert [p for m, p in sim.requests if p.startswith("/interventions/")] == intervention_requests


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", "en-US"),
        ("en-GB", "en-GB"),
        ("nb", "nb-NO"),
        ("no", "nb-NO"),
        ("nl_BE", "nl-BE"),
        ("pt-BR", "pt-PT"),
        ("it", "en-US"),
        (None, "en-US"),
    ],
)
def test_intervention_language(language: str | None, expected: str) -> None:
    """Home Assistant languages map to Enode languages, falling back to en-US."""
    assert enode_language(language, INTERVENTION_LANGUAGES) == expected


async def test_unknown_intervention_is_cached(
    hass: HomeAssistant, simulator_factory: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """An intervention Enode does not know (404) is logged once and not fetched again."""
    sim = await simulator_factory(household(linked=[GPS_VEHICLE]))
    entry = await setup_entry(hass, make_entry(sim))
    sim.inject_fault(status=404, count=1, path_prefix="/interventions/")
    sim.add_intervention(GPS_VEHICLE_ID, "odometer", "c2e5a9f1-7d3b-4c6e-a8f0-3b1d5e9c7a42")
    await async_refresh(hass, entry)
    await async_refresh(hass, entry)
    assert sim.count_requests("GET", "/interventions/") == 1
    assert caplog.text.count("Enode does not know intervention") == 1
    attributes = hass.states.get("binary_sensor.tessie_action_required").attributes
    assert attributes["interventions"][0]["title"] is None
    assert hass.states.get("binary_sensor.tessie_action_required").state == "on"


async def test_adaptive_polling(hass: HomeAssistant, simulator_factory: Any) -> None:
    """Slow while idle, faster while charging."""
    sim = await simulator_factory(
        household(linked=[GPS_VEHICLE, CHARGER], plugged=[{"vehicle": GPS_VEHICLE_ID}])
    )
    entry = await setup_entry(hass, make_entry(sim))
    coordinator = entry.runtime_data.coordinator
    assert coordinator.update_interval == UPDATE_INTERVAL_IDLE
    sim.set_charging_state(GPS_VEHICLE_ID, True)
    await async_refresh(hass, entry)
    assert coordinator.update_interval == UPDATE_INTERVAL_ACTIVE
    sim.set_charging_state(GPS_VEHICLE_ID, False)
    await async_refresh(hass, entry)
    assert coordinator.update_interval == UPDATE_INTERVAL_IDLE


@pytest.mark.parametrize(
    "fault",
    [
        {"status": 503, "count": 100},
        {"status": 500, "count": 100, "path_prefix": "/users/"},
        {"latency": 3, "count": 100},
        {"malformed": True, "count": 100},
    ],
    ids=["503", "500", "timeout", "malformed"],
)
async def test_unavailable_and_recovery_logged_once(
    hass: HomeAssistant,
    simulator_factory: Any,
    caplog: pytest.LogCaptureFixture,
    fault: dict[str, Any],
) -> None:
    """Outages make entities unavailable; logged once when they start and once when they end."""
    sim = await simulator_factory(household(linked=[GPS_VEHICLE, CHARGER]))
    entry = await setup_entry(hass, make_entry(sim))
    entry.runtime_data.client.request_timeout = 0.3
    entity_id = "sensor.tessie_battery"
    assert hass.states.get(entity_id).state == "50.0"
    caplog.clear()
    caplog.set_level(logging.INFO)

    sim.inject_fault(**fault)
    await async_refresh(hass, entry)
    await async_refresh(hass, entry)
    await async_refresh(hass, entry)
    assert hass.states.get(entity_id).state == STATE_UNAVAILABLE
    assert hass.states.get("switch.tessie_charge").state == STATE_UNAVAILABLE
    assert caplog.text.count("Error fetching enode") == 1

    sim.clear_faults()
    await async_refresh(hass, entry)
    await async_refresh(hass, entry)
    assert hass.states.get(entity_id).state == "50.0"
    # Exactly one line when the outage starts and one when it ends, nothing else.
    lines = [(r.levelname, r.getMessage()) for r in caplog.records if r.levelno >= logging.INFO]
    assert [level for level, _ in lines] == ["ERROR", "INFO"]
    assert lines[0][1].startswith("Error fetching enode (Enode) data: ")
    assert lines[1][1] == "Fetching enode (Enode) data recovered"


async def test_rate_limit_stretches_interval(
    hass: HomeAssistant, simulator_factory: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """A 429 stretches the polling interval to Retry-After; entities keep their state."""
    sim = await simulator_factory(household(linked=[GPS_VEHICLE]))
    entry = await setup_entry(hass, make_entry(sim))
    coordinator = entry.runtime_data.coordinator
    sim.inject_fault(status=429, count=2, retry_after=900)
    await async_refresh(hass, entry)
    assert coordinator.update_interval == timedelta(seconds=900)
    assert hass.states.get("sensor.tessie_battery").state == "50.0"
    await async_refresh(hass, entry)
    assert caplog.text.count("Enode rate limit reached") == 1

    # A short Retry-After never makes polling faster than the normal cadence.
    sim.inject_fault(status=429, count=1, retry_after=5)
    await async_refresh(hass, entry)
    assert coordinator.update_interval == UPDATE_INTERVAL_IDLE

    await async_refresh(hass, entry)
    assert coordinator.update_interval == UPDATE_INTERVAL_IDLE
    assert "Enode rate limit lifted" in caplog.text


async def test_devices_added_and_removed(
    hass: HomeAssistant,
    simulator_factory: Any,
    device_registry: dr.DeviceRegistry,
    entity_registry: er.EntityRegistry,
) -> None:
    """A device linked at Enode appears without a reload; a removed one disappears."""
    sim = await simulator_factory(household(linked=[GPS_VEHICLE]))
    entry = await setup_entry(hass, make_entry(sim))
    assert device_registry.async_get_device(identifiers={(DOMAIN, VEHICLE_ID)}) is None

    sim.add_asset(TEST_USER, "vehicle", VEHICLE_NO_CONTROL)
    await async_refresh(hass, entry)
    device = device_registry.async_get_device(identifiers={(DOMAIN, VEHICLE_ID)})
    assert device is not None
    assert hass.states.get("sensor.family_car_battery").state == "40.0"

    sim.remove_asset(VEHICLE_ID)
    await async_refresh(hass, entry)
    assert device_registry.async_get_device(identifiers={(DOMAIN, VEHICLE_ID)}) is None
    assert entity_registry.async_get_entity_id("sensor", DOMAIN, f"{VEHICLE_ID}_battery") is None
    assert hass.states.get("sensor.family_car_battery") is None
    assert hass.states.get("sensor.tessie_battery").state == "50.0"

    # Linked again: it comes back.
    sim.add_asset(TEST_USER, "vehicle", VEHICLE_NO_CONTROL)
    await async_refresh(hass, entry)
    assert hass.states.get("sensor.family_car_battery").state == "40.0"


async def test_stale_devices_removed_at_setup(
    hass: HomeAssistant, simulator_factory: Any, device_registry: dr.DeviceRegistry
) -> None:
    """Devices of assets unlinked while Home Assistant was stopped are removed at set-up."""
    sim = await simulator_factory(household(linked=[GPS_VEHICLE]))
    entry = make_entry(sim)
    entry.add_to_hass(hass)
    device_registry.async_get_or_create(
        config_entry_id=entry.entry_id, identifiers={(DOMAIN, "gone-vehicle")}
    )
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert device_registry.async_get_device(identifiers={(DOMAIN, "gone-vehicle")}) is None
    assert device_registry.async_get_device(identifiers={(DOMAIN, GPS_VEHICLE_ID)}) is not None


async def test_pushed_assets(hass: HomeAssistant, simulator_factory: Any) -> None:
    """Assets pushed from outside (webhooks) are merged; removed ones disappear."""
    sim = await simulator_factory(household(linked=[GPS_VEHICLE, CHARGER]))
    entry = await setup_entry(hass, make_entry(sim))
    coordinator = entry.runtime_data.coordinator
    client = entry.runtime_data.client

    vehicle = await client.get_vehicle(GPS_VEHICLE_ID)
    charge_state = replace(vehicle.charge_state, battery_level=77)
    await coordinator.async_set_asset(replace(vehicle, charge_state=charge_state))
    await hass.async_block_till_done()
    assert hass.states.get("sensor.tessie_battery").state == "77"

    # A newly discovered vehicle (with an intervention: its text is fetched).
    sim.add_asset(TEST_USER, "vehicle", VEHICLE_NO_CONTROL)
    sim.add_intervention(VEHICLE_ID, "odometer", "c2e5a9f1-7d3b-4c6e-a8f0-3b1d5e9c7a42")
    new_vehicle = await client.get_vehicle(VEHICLE_ID)
    await coordinator.async_set_asset(new_vehicle)
    await hass.async_block_till_done()
    assert hass.states.get("binary_sensor.family_car_action_required").state == "on"
    assert (
        hass.states.get("binary_sensor.family_car_action_required").attributes["interventions"][0][
            "title"
        ]
        is not None
    )

    remembered = len(coordinator.client.asset_parser)
    coordinator.async_remove_asset(CHARGER_ID)
    coordinator.async_remove_asset("unknown-asset")
    await hass.async_block_till_done()
    assert hass.states.get("sensor.zaptec_go_location") is None
    assert CHARGER_ID not in coordinator.data.chargers
    # The client no longer remembers the deleted charger's payload.
    assert len(coordinator.client.asset_parser) == remembered - 1


def test_snapshot_lookup() -> None:
    """The snapshot finds assets of any type by id."""
    data = EnodeData()
    assert data.asset("nothing") is None
    assert data.all_assets() == {}


def test_unknown_linked_vendor_type_ignored() -> None:
    """A linked vendor of a type this integration does not know is ignored."""
    from custom_components.enode.api import LinkedVendor, User
    from custom_components.enode.coordinator import linked_asset_types

    user = User(
        id="u",
        linked_vendors=[
            LinkedVendor(vendor="TESLA", vendor_type="vehicle", is_valid=True),
            LinkedVendor(vendor="ACME", vendor_type="toaster", is_valid=True),
        ],
    )
    assert linked_asset_types(user) == {AssetType.VEHICLE}
    assert linked_asset_types(None) == set()


async def test_pushed_asset_when_texts_unavailable(
    hass: HomeAssistant, simulator_factory: Any
) -> None:
    """A pushed asset is merged even when its intervention texts cannot be fetched now."""
    sim = await simulator_factory(household(linked=[GPS_VEHICLE]))
    entry = await setup_entry(hass, make_entry(sim))
    sim.add_intervention(GPS_VEHICLE_ID, "odometer", "c2e5a9f1-7d3b-4c6e-a8f0-3b1d5e9c7a42")
    vehicle = await entry.runtime_data.client.get_vehicle(GPS_VEHICLE_ID)
    sim.inject_fault(status=429, count=100, retry_after=600, path_prefix="/interventions/")
    await entry.runtime_data.coordinator.async_set_asset(vehicle)
    await hass.async_block_till_done()
    state = hass.states.get("binary_sensor.tessie_action_required")
    assert state.state == "on"


async def test_action_polling_errors(hass: HomeAssistant, simulator_factory: Any) -> None:
    """Errors while polling an action: ignored while a call waits, an update failure in a
    refresh; an action Enode no longer knows is dropped."""
    sim = await simulator_factory(
        household(
            linked=[GPS_VEHICLE],
            plugged=[{"vehicle": GPS_VEHICLE_ID}],
            action_delay=600,
        )
    )
    entry = await setup_entry(hass, make_entry(sim))
    coordinator = entry.runtime_data.coordinator
    sim.inject_fault(status=503, count=1000, path_prefix="/vehicles/actions/")
    with (
        patch("custom_components.enode.actions.ACTION_POLL_INTERVAL", 0.01),
        patch("custom_components.enode.actions.ACTION_WAIT_TIMEOUT", 0.1),
    ):
        await hass.services.async_call(
            "switch", "turn_on", {"entity_id": "switch.tessie_charge"}, blocking=True
        )
    assert len(coordinator.data.pending_actions) == 1
    assert hass.states.get("switch.tessie_charge").state == "on"
    await async_refresh(hass, entry)
    assert hass.states.get("switch.tessie_charge").state == STATE_UNAVAILABLE

    sim.clear_faults()
    sim.inject_fault(status=404, count=1, path_prefix="/vehicles/actions/")
    await async_refresh(hass, entry)
    assert coordinator.data.pending_actions == {}
    assert hass.states.get("switch.tessie_charge").state == "off"


async def test_final_action_results(hass: HomeAssistant, simulator_factory: Any) -> None:
    """An action that is already final is reported at once; each outcome once; the oldest
    remembered outcomes are forgotten (at most 200 are kept)."""
    sim = await simulator_factory(household(linked=[GPS_VEHICLE]))
    entry = await setup_entry(hass, make_entry(sim))
    actions = entry.runtime_data.actions
    events = async_capture_events(hass, EVENT_ACTION)
    confirmed = ChargeAction(
        id="a-0",
        target_id=GPS_VEHICLE_ID,
        target_type="vehicle",
        state=ActionState.CONFIRMED,
        kind=ChargingAction.START,
    )
    assert await actions.async_run(confirmed, AssetType.VEHICLE) is confirmed
    for index in range(1, 205):
        await actions.async_handle_update(replace(confirmed, id=f"a-{index}"))
    await actions.async_handle_update(replace(confirmed, id="a-204"))  # a repeated delivery
    await hass.async_block_till_done()
    assert len(events) == 205
    assert list(actions.finished) == [f"a-{index}" for index in range(5, 205)]
    # A forgotten outcome delivered again is reported again (it cannot be told from a new one).
    await actions.async_handle_update(confirmed)
    await hass.async_block_till_done()
    assert len(events) == 206
    # A pending action nobody tracks is ignored until it is final.
    await actions.async_handle_update(replace(confirmed, id="x", state=ActionState.PENDING))
    assert entry.runtime_data.coordinator.data.pending_actions == {}
    assert len(events) == 206


async def test_intervention_texts_unavailable_keep_assets(
    hass: HomeAssistant, simulator_factory: Any
) -> None:
    """When only the intervention texts cannot be fetched, the refresh still succeeds (entities
    stay available, the problem shows without its title) and the text is fetched later."""
    sim = await simulator_factory(household(linked=[GPS_VEHICLE]))
    entry = await setup_entry(hass, make_entry(sim))
    sim.add_intervention(GPS_VEHICLE_ID, "odometer", "c2e5a9f1-7d3b-4c6e-a8f0-3b1d5e9c7a42")
    sim.set_battery_level(GPS_VEHICLE_ID, 60)
    sim.inject_fault(status=503, count=100, path_prefix="/interventions/")
    await async_refresh(hass, entry)
    assert entry.runtime_data.coordinator.last_update_success
    assert hass.states.get("sensor.tessie_battery").state == "60.0"
    state = hass.states.get("binary_sensor.tessie_action_required")
    assert state.state == "on"
    assert state.attributes["interventions"][0]["title"] is None

    sim.clear_faults()
    await async_refresh(hass, entry)
    state = hass.states.get("binary_sensor.tessie_action_required")
    assert state.attributes["interventions"][0]["title"]


async def test_rate_limited_intervention_text(hass: HomeAssistant, simulator_factory: Any) -> None:
    """A 429 on an intervention text is a rate limit like any other: the interval stretches."""
    sim = await simulator_factory(household(linked=[GPS_VEHICLE]))
    entry = await setup_entry(hass, make_entry(sim))
    sim.add_intervention(GPS_VEHICLE_ID, "odometer", "c2e5a9f1-7d3b-4c6e-a8f0-3b1d5e9c7a42")
    sim.inject_fault(status=429, count=100, retry_after=900, path_prefix="/interventions/")
    await async_refresh(hass, entry)
    assert entry.runtime_data.coordinator.update_interval == timedelta(seconds=900)


async def test_locations_cached(hass: HomeAssistant, simulator_factory: Any) -> None:
    """The user's Locations are read at set-up, not on every refresh."""
    sim = await simulator_factory(household(linked=[GPS_VEHICLE, CHARGER]))
    entry = await setup_entry(hass, make_entry(sim))
    assert sim.count_requests("GET", f"/users/{TEST_USER}/locations") == 1
    assert hass.states.get("sensor.zaptec_go_location").state == "Home"
    await async_refresh(hass, entry)
    await async_refresh(hass, entry)
    assert sim.count_requests("GET", f"/users/{TEST_USER}/locations") == 1
    assert hass.states.get("sensor.zaptec_go_location").state == "Home"


async def test_unknown_location_read_once(hass: HomeAssistant, simulator_factory: Any) -> None:
    """A Location id the user's Locations do not have costs one re-read, not one per refresh.

    Enode keeps a charger's ``location.id`` consistent, so the simulator cannot produce this; the
    test points the charger at a Location that is gone by setting the simulator's state directly.
    """
    sim = await simulator_factory(household(linked=[GPS_VEHICLE, CHARGER]))
    entry = await setup_entry(hass, make_entry(sim))
    assert sim.count_requests("GET", f"/users/{TEST_USER}/locations") == 1
    sim.state.assets[CHARGER_ID].location_id = "9d0c3f4e-0000-4000-8000-000000000000"
    sim.state.mark_dirty()
    await async_refresh(hass, entry)
    assert sim.count_requests("GET", f"/users/{TEST_USER}/locations") == 2
    await async_refresh(hass, entry)
    await async_refresh(hass, entry)
    assert sim.count_requests("GET", f"/users/{TEST_USER}/locations") == 2
    assert hass.states.get("sensor.zaptec_go_location").state == "unknown"
