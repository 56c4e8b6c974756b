"""Charging switches: the action lifecycle (DESIGN.md section 7)."""

from __future__ import annotations

import asyncio
from typing import Any
from unittest.mock import patch

from homeassistant.components.switch import DOMAIN as SWITCH_DOMAIN
from homeassistant.const import (
    ATTR_ENTITY_ID,
    SERVICE_TURN_OFF,
    SERVICE_TURN_ON,
    STATE_OFF,
    STATE_ON,
    Platform,
)
from homeassistant.core import Event, EventStateChangedData, HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.event import async_track_state_change_event
import pytest
from pytest_homeassistant_custom_component.common import async_capture_events, snapshot_platform
from syrupy.assertion import SnapshotAssertion

from custom_components.enode.api import (
    ChargingAction,
    EnodeAuthenticationError,
    EnodeConnectionError,
    EnodeError,
    EnodeForbiddenError,
    EnodeNotFoundError,
    EnodeRateLimitError,
)
from custom_components.enode.const import DOMAIN, EVENT_ACTION
from custom_components.enode.coordinator import UPDATE_INTERVAL_ACTIVE

from .conftest import (
    CHARGER,
    CHARGER_ID,
    GPS_VEHICLE,
    GPS_VEHICLE_ID,
    VEHICLE_ID,
    VEHICLE_NO_CONTROL,
    async_refresh,
    household,
    make_entry,
    setup_entry,
)

pytestmark = pytest.mark.usefixtures("fast_actions", "fast_client")

SWITCH = "switch.tessie_charge"
CHARGER_SWITCH = "switch.zaptec_go_charge"
PLUGGED = [{"vehicle": GPS_VEHICLE_ID, "charger": CHARGER_ID, "charging": False}]


async def _switch(hass: HomeAssistant, service: str, entity_id: str = SWITCH) -> None:
    await hass.services.async_call(
        SWITCH_DOMAIN, service, {ATTR_ENTITY_ID: entity_id}, blocking=True
    )


async def _setup(
    hass: HomeAssistant, simulator_factory: Any, *, action_delay: float = 0, **kwargs: Any
) -> tuple[Any, Any]:
    scenario = household(
        linked=[GPS_VEHICLE, CHARGER], plugged=PLUGGED, action_delay=action_delay, **kwargs
    )
    sim = await simulator_factory(scenario)
    entry = await setup_entry(hass, make_entry(sim))
    return sim, entry


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_entity_names_are_distinct_per_device(
    hass: HomeAssistant, simulator_factory: Any, entity_registry: er.EntityRegistry
) -> None:
    """No two entities of a device share a name: the charging state is "Charging", its control
    "Charge" (they were both "Charging")."""
    sim = await simulator_factory("demo")
    entry = await setup_entry(hass, make_entry(sim))
    names: dict[str, list[str]] = {}
    for entity in er.async_entries_for_config_entry(entity_registry, entry.entry_id):
        state = hass.states.get(entity.entity_id)
        assert state is not None, entity.entity_id
        names.setdefault(str(entity.device_id), []).append(state.name)
    assert names
    for device_names in names.values():
        assert len(device_names) == len(set(device_names)), sorted(device_names)
    for device in ("anna_s_id_4", "batmobile", "zaptec_go"):
        assert hass.states.get(f"binary_sensor.{device}_charging").name.endswith(" Charging")
        assert hass.states.get(f"switch.{device}_charge").name.endswith(" Charge")


@pytest.mark.freeze_time("2025-06-01T12:00:00+00:00")
async def test_switches(
    hass: HomeAssistant,
    simulator_factory: Any,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
) -> None:
    """The demo vehicles' and charger's charging switches."""
    sim = await simulator_factory("demo")
    with patch("custom_components.enode.PLATFORMS", [Platform.SWITCH]):
        entry = await setup_entry(hass, make_entry(sim))
    await snapshot_platform(hass, entity_registry, snapshot, entry.entry_id)


@pytest.mark.parametrize(
    ("entity_id", "asset_id"), [(SWITCH, GPS_VEHICLE_ID), (CHARGER_SWITCH, CHARGER_ID)]
)
async def test_turn_on_off_confirmed(
    hass: HomeAssistant, simulator_factory: Any, entity_id: str, asset_id: str
) -> None:
    """START and STOP are CONFIRMED: the state follows; an event reports each outcome."""
    sim, _ = await _setup(hass, simulator_factory)
    events = async_capture_events(hass, EVENT_ACTION)
    assert hass.states.get(entity_id).state == STATE_OFF

    await _switch(hass, SERVICE_TURN_ON, entity_id)
    assert hass.states.get(entity_id).state == STATE_ON
    assert sim.asset(asset_id)["chargeState"]["isCharging"] is True
    assert hass.states.get("binary_sensor.tessie_charging").state == STATE_ON

    await _switch(hass, SERVICE_TURN_OFF, entity_id)
    assert hass.states.get(entity_id).state == STATE_OFF
    assert sim.asset(asset_id)["chargeState"]["isCharging"] is False

    await hass.async_block_till_done()
    assert [(e.data["kind"], e.data["state"], e.data["asset_id"]) for e in events] == [
        ("start", "confirmed", asset_id),
        ("stop", "confirmed", asset_id),
    ]
    assert events[0].data["failure_reason"] is None
    assert events[0].data["device_id"] is not None
    expected_type = "vehicle" if asset_id == GPS_VEHICLE_ID else "charger"
    assert {e.data["asset_type"] for e in events} == {expected_type}


async def test_failed_unreachable(hass: HomeAssistant, simulator_factory: Any) -> None:
    """An unreachable vehicle (alone, on a public charger): the action FAILS within the wait and
    the call raises the detail."""
    sim, entry = await _setup(hass, simulator_factory)
    sim.unplug(GPS_VEHICLE_ID)
    sim.plug_in(GPS_VEHICLE_ID, None)
    await async_refresh(hass, entry)
    events = async_capture_events(hass, EVENT_ACTION)
    sim.set_reachable(GPS_VEHICLE_ID, False)
    with pytest.raises(HomeAssistantError) as err:
        await _switch(hass, SERVICE_TURN_ON)
    assert err.value.translation_key == "action_failed"
    assert err.value.translation_placeholders == {
        "device": "Tessie",
        "detail": "The device remained unreachable.",
    }
    assert str(err.value) == "The command for Tessie failed: The device remained unreachable."
    assert hass.states.get(SWITCH).state == STATE_OFF
    await hass.async_block_till_done()
    assert len(events) == 1
    assert events[0].data["state"] == "failed"
    assert events[0].data["failure_reason"] == "no_response"
    assert events[0].data["failure_detail"] == "The device remained unreachable."


async def test_paired_command_runs_on_the_charger(
    hass: HomeAssistant, simulator_factory: Any
) -> None:
    """On its paired charger the vehicle's command runs on the charger (seed 002): it works while
    the vehicle is offline, and fails with the charger's reason when the charger is down."""
    sim, _ = await _setup(hass, simulator_factory)
    sim.set_reachable(GPS_VEHICLE_ID, False)
    await _switch(hass, SERVICE_TURN_ON)
    assert hass.states.get(SWITCH).state == STATE_ON
    assert sim.asset(CHARGER_ID)["chargeState"]["isCharging"] is True

    sim.set_reachable(GPS_VEHICLE_ID, True)
    sim.set_reachable(CHARGER_ID, False)
    with pytest.raises(HomeAssistantError) as err:
        await _switch(hass, SERVICE_TURN_OFF)
    assert err.value.translation_key == "action_failed"
    assert err.value.translation_placeholders == {
        "device": "Tessie",
        "detail": "The paired charger remained unreachable.",
    }
    assert hass.states.get(SWITCH).state == STATE_ON


async def test_incapable_vehicle_alone_fails(hass: HomeAssistant, simulator_factory: Any) -> None:
    """A vehicle that cannot control charging alone, on someone else's charger: Enode commands
    the vehicle alone and the action fails; the call says why."""
    sim = await simulator_factory(household(linked=[VEHICLE_NO_CONTROL, CHARGER]))
    entry = await setup_entry(hass, make_entry(sim))
    sim.plug_in(VEHICLE_ID, None)
    await async_refresh(hass, entry)
    with pytest.raises(HomeAssistantError) as err:
        await _switch(hass, SERVICE_TURN_ON, "switch.family_car_charge")
    assert err.value.translation_key == "action_failed"
    assert (
        "cannot start or stop charging on its own" in err.value.translation_placeholders["detail"]
    )
    # Plugged into its own charger, the same command works (the charger runs it).
    sim.unplug(VEHICLE_ID)
    sim.plug_in(VEHICLE_ID, CHARGER_ID)
    await async_refresh(hass, entry)
    await _switch(hass, SERVICE_TURN_ON, "switch.family_car_charge")
    assert hass.states.get("switch.family_car_charge").state == STATE_ON


async def test_cancelled_unplugged_while_waiting(
    hass: HomeAssistant, simulator_factory: Any
) -> None:
    """Unplugged while the call waits: CANCELLED, the call raises the failure detail."""
    sim, _ = await _setup(hass, simulator_factory, action_delay=600)
    events = async_capture_events(hass, EVENT_ACTION)

    @callback
    def unplug_when_pending(event: Event[EventStateChangedData]) -> None:
        new_state = event.data["new_state"]
        if new_state is not None and new_state.state == STATE_ON:  # optimistic while PENDING
            sim.unplug(GPS_VEHICLE_ID)

    unsubscribe = async_track_state_change_event(hass, SWITCH, unplug_when_pending)
    with pytest.raises(HomeAssistantError) as err:
        await _switch(hass, SERVICE_TURN_ON)
    unsubscribe()
    assert err.value.translation_key == "action_cancelled"
    assert err.value.translation_placeholders["detail"] == (
        "The asset was unplugged before the action could be completed"
    )
    assert hass.states.get(SWITCH).state == STATE_OFF
    await hass.async_block_till_done()
    assert [e.data["state"] for e in events] == ["cancelled"]
    assert events[0].data["failure_reason"] == "failed_precondition"


async def test_pending_then_reconciled_later(hass: HomeAssistant, simulator_factory: Any) -> None:
    """Still PENDING after the bounded wait: optimistic state, then the outcome is polled."""
    sim, entry = await _setup(hass, simulator_factory, action_delay=600)
    coordinator = entry.runtime_data.coordinator
    events = async_capture_events(hass, EVENT_ACTION)
    with patch("custom_components.enode.actions.ACTION_WAIT_TIMEOUT", 0.1):
        await _switch(hass, SERVICE_TURN_ON)
    # Optimistic: the requested state while the action is PENDING; without push the outcome is
    # polled every minute (no burst of refreshes after the command).
    assert hass.states.get(SWITCH).state == STATE_ON
    assert sim.asset(GPS_VEHICLE_ID)["chargeState"]["isCharging"] is False
    assert len(coordinator.data.pending_actions) == 1
    assert coordinator.update_interval == UPDATE_INTERVAL_ACTIVE
    assert events == []

    sim.advance_time(601)
    await async_refresh(hass, entry)
    assert coordinator.data.pending_actions == {}
    assert hass.states.get(SWITCH).state == STATE_ON
    assert sim.asset(GPS_VEHICLE_ID)["chargeState"]["isCharging"] is True
    await hass.async_block_till_done()
    assert [(e.data["kind"], e.data["state"]) for e in events] == [("start", "confirmed")]


async def test_pending_then_cancelled_later(hass: HomeAssistant, simulator_factory: Any) -> None:
    """A later CANCELLED outcome drops the optimistic state and is reported as an event."""
    sim, entry = await _setup(hass, simulator_factory, action_delay=600)
    events = async_capture_events(hass, EVENT_ACTION)
    with patch("custom_components.enode.actions.ACTION_WAIT_TIMEOUT", 0.1):
        await _switch(hass, SERVICE_TURN_ON)
    assert hass.states.get(SWITCH).state == STATE_ON
    sim.unplug(GPS_VEHICLE_ID)
    await async_refresh(hass, entry)
    assert hass.states.get(SWITCH).state == STATE_OFF
    await hass.async_block_till_done()
    assert [(e.data["state"], e.data["failure_reason"]) for e in events] == [
        ("cancelled", "failed_precondition")
    ]


async def test_precondition_failed_400(hass: HomeAssistant, simulator_factory: Any) -> None:
    """400 (here: not plugged in) becomes a clear translated error."""
    sim, _ = await _setup(hass, simulator_factory)
    sim.unplug(GPS_VEHICLE_ID)
    with pytest.raises(HomeAssistantError) as err:
        await _switch(hass, SERVICE_TURN_ON)
    assert err.value.translation_key == "precondition_failed"
    assert err.value.translation_placeholders == {
        "device": "Tessie",
        "error": "The vehicle is not plugged in.",
    }


async def test_controlled_by_schedule_422(hass: HomeAssistant, simulator_factory: Any) -> None:
    """422 (a schedule or smart charging plan is in control) becomes a clear translated error."""
    sim, _ = await _setup(hass, simulator_factory)
    sim.set_schedule_controlled(GPS_VEHICLE_ID, True)
    with pytest.raises(HomeAssistantError) as err:
        await _switch(hass, SERVICE_TURN_ON)
    assert err.value.translation_key == "controlled_by_schedule"
    assert "Smart Charging Plan" in err.value.translation_placeholders["error"]
    assert hass.states.get(SWITCH).state == STATE_OFF


async def test_blocked_capability(hass: HomeAssistant, simulator_factory: Any) -> None:
    """A blocked capability keeps its switch; using it names the intervention."""
    blocked_charger = CHARGER | {
        "vendor": "EASEE",
        "information": {"brand": "Easee", "model": "One", "serialNumber": "EH1"},
        "capabilities": {
            "startCharging": {
                "isCapable": False,
                "interventionIds": ["d7f3b1a5-9e2c-4a8d-b6f4-2c9e1a7d5b63"],
            },
            "stopCharging": False,
        },
    }
    sim = await simulator_factory(household(linked=[blocked_charger]))
    await setup_entry(hass, make_entry(sim))
    assert hass.states.get("switch.easee_one_charge") is not None
    with pytest.raises(ServiceValidationError) as err:
        await _switch(hass, SERVICE_TURN_ON, "switch.easee_one_charge")
    assert err.value.translation_key == "capability_blocked"
    # The capability by its name, not its key ("cannot do this (start_charging)").
    assert err.value.translation_placeholders["capability"] == "Starting charging"
    title = err.value.translation_placeholders["intervention"]
    assert title
    assert title != "d7f3b1a5-9e2c-4a8d-b6f4-2c9e1a7d5b63"  # the text, not the id
    assert str(err.value) == (
        f"Starting charging is not possible for Easee One until an action is taken: {title}"
    )
    # stopCharging is permanently missing.
    with pytest.raises(ServiceValidationError) as err:
        await _switch(hass, SERVICE_TURN_OFF, "switch.easee_one_charge")
    assert err.value.translation_key == "capability_missing"
    assert str(err.value) == "Stopping charging is not supported by Easee One"
    assert sim.count_requests("POST", "/chargers") == 0


@pytest.mark.parametrize(
    ("error", "translation_key"),
    [
        (EnodeConnectionError("boom"), "communication_error"),
        (EnodeRateLimitError(retry_after=30), "rate_limited_action"),
        (EnodeNotFoundError(status=404, detail="gone"), "not_found"),
        (EnodeForbiddenError(status=403, detail="no"), "forbidden"),
        (EnodeError("odd"), "unknown_error"),
        (EnodeAuthenticationError("rejected"), "authentication_error"),
    ],
)
async def test_client_errors_translated(
    hass: HomeAssistant, simulator_factory: Any, error: EnodeError, translation_key: str
) -> None:
    """Every client error becomes a translated HomeAssistantError (client patched: the
    simulator cannot produce some of these for a command)."""
    _, entry = await _setup(hass, simulator_factory)
    with (
        patch.object(entry.runtime_data.client, "set_vehicle_charging", side_effect=error),
        pytest.raises(HomeAssistantError) as err,
    ):
        await _switch(hass, SERVICE_TURN_ON)
    assert err.value.translation_key == translation_key
    assert err.value.translation_domain == DOMAIN
    assert hass.states.get(SWITCH).state == STATE_OFF
    if isinstance(error, EnodeAuthenticationError):
        await hass.async_block_till_done()
        assert [
            flow["context"]["source"] for flow in entry.async_get_active_flows(hass, {"reauth"})
        ] == ["reauth"]


async def test_server_error_from_simulator(hass: HomeAssistant, simulator_factory: Any) -> None:
    """A 5xx answer to the command (not retried: POST) says Enode is unavailable."""
    sim, _ = await _setup(hass, simulator_factory)
    sim.inject_fault(status=503, count=1, path_prefix="/vehicles/", method="POST")
    with pytest.raises(HomeAssistantError) as err:
        await _switch(hass, SERVICE_TURN_ON)
    assert err.value.translation_key == "enode_unavailable"
    assert str(err.value).startswith("Enode is unavailable right now; try again later.")


async def test_pushed_action_outcome(hass: HomeAssistant, simulator_factory: Any) -> None:
    """An action outcome pushed from outside (webhook) is merged and reported once."""
    sim, entry = await _setup(hass, simulator_factory, action_delay=600)
    coordinator = entry.runtime_data.coordinator
    events = async_capture_events(hass, EVENT_ACTION)
    with patch("custom_components.enode.actions.ACTION_WAIT_TIMEOUT", 0.05):
        await _switch(hass, SERVICE_TURN_ON)
    (pending,) = (item.action for item in coordinator.data.pending_actions.values())
    sim.advance_time(601)
    final = await entry.runtime_data.client.get_vehicle_action(pending.id)
    await coordinator.actions.async_handle_update(final)
    await coordinator.actions.async_handle_update(final)  # a duplicate delivery is ignored
    await hass.async_block_till_done()
    assert [e.data["state"] for e in events] == ["confirmed"]
    assert hass.states.get(SWITCH).state == STATE_ON


async def test_late_pending_delivery_after_outcome(
    hass: HomeAssistant, simulator_factory: Any
) -> None:
    """A PENDING update delivered after the outcome (webhook retried or out of order) does not
    bring the optimistic state back, is not polled again and reports nothing."""
    sim, entry = await _setup(hass, simulator_factory, action_delay=600)
    coordinator = entry.runtime_data.coordinator
    events = async_capture_events(hass, EVENT_ACTION)
    with patch("custom_components.enode.actions.ACTION_WAIT_TIMEOUT", 0.05):
        await _switch(hass, SERVICE_TURN_ON)
    (pending,) = (item.action for item in coordinator.data.pending_actions.values())
    sim.unplug(GPS_VEHICLE_ID)  # the action is CANCELLED at Enode
    cancelled = await entry.runtime_data.client.get_vehicle_action(pending.id)
    await coordinator.actions.async_handle_update(cancelled)
    await hass.async_block_till_done()
    assert hass.states.get(SWITCH).state == STATE_OFF

    await coordinator.actions.async_handle_update(pending)  # the stale PENDING delivery
    await hass.async_block_till_done()
    assert coordinator.data.pending_actions == {}
    assert hass.states.get(SWITCH).state == STATE_OFF
    polled = sim.count_requests("GET", "/vehicles/actions/")
    await async_refresh(hass, entry)
    assert sim.count_requests("GET", "/vehicles/actions/") == polled
    assert coordinator.update_interval.total_seconds() != 60  # nothing pending any more
    assert [e.data["state"] for e in events] == ["cancelled"]


async def test_commands_to_several_devices_run_in_parallel(
    hass: HomeAssistant, simulator_factory: Any
) -> None:
    """One call for several switches sends every command at once (PARALLEL_UPDATES = 0): the
    bounded waits overlap instead of adding up."""
    sim, _ = await _setup(hass, simulator_factory, action_delay=600)
    started: set[str] = set()
    both_pending = asyncio.Event()

    @callback
    def on_change(event: Event[EventStateChangedData]) -> None:
        new_state = event.data["new_state"]
        if new_state is not None and new_state.state == STATE_ON:
            started.add(event.data["entity_id"])
            if len(started) == 2:
                both_pending.set()

    unsubscribe = async_track_state_change_event(hass, [SWITCH, CHARGER_SWITCH], on_change)
    with patch("custom_components.enode.actions.ACTION_WAIT_TIMEOUT", 30):
        call = hass.async_create_task(
            hass.services.async_call(
                SWITCH_DOMAIN,
                SERVICE_TURN_ON,
                {ATTR_ENTITY_ID: [SWITCH, CHARGER_SWITCH]},
                blocking=True,
            )
        )
        # Serialized, the second command would only be sent after the first one's 30 s wait.
        async with asyncio.timeout(10):
            await both_pending.wait()
        assert sim.count_requests("POST", "/vehicles/") == 1
        assert sim.count_requests("POST", "/chargers/") == 1
        sim.advance_time(601)
        async with asyncio.timeout(10):
            await call
    unsubscribe()
    assert hass.states.get(SWITCH).state == STATE_ON
    assert hass.states.get(CHARGER_SWITCH).state == STATE_ON


async def test_reused_pending_action_ends_every_waiting_call(
    hass: HomeAssistant, simulator_factory: Any
) -> None:
    """Enode reuses a PENDING vehicle action for the same command: every call waiting for it
    returns as soon as its outcome is known, and it is reported once."""
    sim, entry = await _setup(hass, simulator_factory, action_delay=600)
    client = entry.runtime_data.client
    events = async_capture_events(hass, EVENT_ACTION)
    pending = await client.set_vehicle_charging(GPS_VEHICLE_ID, ChargingAction.START)
    sent: list[ChargingAction] = []
    both_sent = asyncio.Event()

    async def reuse(vehicle_id: str, kind: ChargingAction) -> Any:
        sent.append(kind)
        if len(sent) == 2:
            both_sent.set()
        return pending

    with (
        patch("custom_components.enode.actions.ACTION_WAIT_TIMEOUT", 30),
        patch.object(client, "set_vehicle_charging", side_effect=reuse),
    ):
        calls = [hass.async_create_task(_switch(hass, SERVICE_TURN_ON)) for _ in range(2)]
        async with asyncio.timeout(10):
            await both_sent.wait()
        sim.advance_time(601)
        async with asyncio.timeout(10):
            await asyncio.gather(*calls)
    await hass.async_block_till_done()
    assert [e.data["state"] for e in events] == ["confirmed"]
    assert hass.states.get(SWITCH).state == STATE_ON


async def test_confirmed_but_device_unreadable(hass: HomeAssistant, simulator_factory: Any) -> None:
    """CONFIRMED, but the car cannot be read afterwards: the switch keeps showing the confirmed
    state (the action stays) until the next refresh brings the car's state; nothing blinks."""
    sim, entry = await _setup(hass, simulator_factory)
    coordinator = entry.runtime_data.coordinator
    sim.inject_fault(status=500, count=20, path_prefix=f"/vehicles/{GPS_VEHICLE_ID}", method="GET")
    with patch("custom_components.enode.actions.ACTION_WAIT_TIMEOUT", 0.3):
        await _switch(hass, SERVICE_TURN_ON)
    assert hass.states.get(SWITCH).state == STATE_ON
    assert len(coordinator.data.pending_actions) == 1
    sim.clear_faults()
    await async_refresh(hass, entry)
    assert coordinator.data.pending_actions == {}
    assert hass.states.get(SWITCH).state == STATE_ON
