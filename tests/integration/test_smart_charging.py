"""Smart charging through Home Assistant, against the simulator.

The household: a vehicle that cannot control charging by itself ("Family car": 40 %, charge
limit 80 %, 58 kWh) and a Zaptec charger at Home (Europe/Oslo, 7.4 kW for this car), plugged
together, so the pair unlocks smart charging (seed 004). The simulator's clock is moved to 12:00
in Oslo first, so the plan (the day/night tariff: night from 22:00) is the same whatever the
real time of day.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from unittest.mock import patch
from zoneinfo import ZoneInfo

from homeassistant.components.number import ATTR_VALUE, SERVICE_SET_VALUE
from homeassistant.components.time import ATTR_TIME
from homeassistant.const import (
    ATTR_DEVICE_ID,
    ATTR_ENTITY_ID,
    ATTR_UNIT_OF_MEASUREMENT,
    SERVICE_TURN_OFF,
    SERVICE_TURN_ON,
    STATE_OFF,
    STATE_ON,
    STATE_UNKNOWN,
)
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_capture_events

from custom_components.enode.api import (
    ChargingAction,
    EnodePreconditionError,
    SmartChargeState,
    SmartChargingStatus,
    SmartChargingStatusEvent,
    Vehicle,
    VehicleEvent,
)
from custom_components.enode.const import DOMAIN, EVENT_ACTION
from custom_components.enode.diagnostics import async_get_device_diagnostics
from enode_simulator import Simulator

from ..conftest import advance_to_local
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

pytestmark = pytest.mark.usefixtures("fast_actions", "fast_client")

OSLO = ZoneInfo("Europe/Oslo")
PHONE_KEY = "3b2891a9-5dcf-4691-b850-b5ea36b57c2e"
DEADLINE = "time.family_car_charging_deadline"
MINIMUM = "number.family_car_minimum_charge_limit"
SMART = "switch.family_car_smart_charging"
CHARGE_NOW = "switch.family_car_charge_now"
CHARGING_SWITCH = "switch.family_car_charge"
CHARGING = "binary_sensor.family_car_charging"
ENROLLED = "binary_sensor.family_car_enrolled_in_smart_charging"
STATE = "sensor.family_car_smart_charging_state"
START = "sensor.family_car_planned_charging_start"
END = "sensor.family_car_planned_charging_end"
COST = "sensor.family_car_planned_charging_cost"
SAVINGS = "sensor.family_car_planned_charging_savings"
STATUS_PATH = f"/vehicles/{VEHICLE_ID}/smart-charging-status"
POLICY_PATH = f"/vehicles/{VEHICLE_ID}/smart-charging-policy"
OVERRIDE_PATH = f"/vehicles/{VEHICLE_ID}/smart-override"
PLUGGED = [{"vehicle": VEHICLE_ID, "charger": CHARGER_ID, "charging": False}]
# Every smart charging entity of a vehicle, by platform and key.
SMART_ENTITIES = (
    ("time", "smart_charging_deadline"),
    ("number", "smart_charging_minimum_charge_limit"),
    ("switch", "smart_charging"),
    ("switch", "charge_now"),
    ("binary_sensor", "smart_charging_enrolled"),
    ("sensor", "smart_charging_state"),
    ("sensor", "smart_charging_planned_start"),
    ("sensor", "smart_charging_planned_end"),
    ("sensor", "smart_charging_estimated_cost"),
    ("sensor", "smart_charging_estimated_savings"),
)


async def _noon(
    simulator_factory: Any,
    *,
    linked: list[dict[str, Any]] | None = None,
    unlinked: list[dict[str, Any]] | None = None,
    plugged: list[dict[str, Any]] | None = PLUGGED,
) -> Simulator:
    """The household (long-lived tokens: simulated hours pass), at 12:00 in Oslo."""
    scenario = household(
        linked=linked if linked is not None else [VEHICLE_NO_CONTROL, CHARGER],
        unlinked=unlinked,
        plugged=plugged,
    )
    scenario["settings"]["tokenLifetime"] = 7 * 86400
    sim: Simulator = await simulator_factory(scenario)
    advance_to_local(sim, 12)
    return sim


def _local(hass: HomeAssistant, entity_id: str) -> str:
    """A timestamp sensor's state as Oslo wall-clock time."""
    moment = dt_util.parse_datetime(hass.states.get(entity_id).state)
    assert moment is not None
    return moment.astimezone(OSLO).strftime("%H:%M")


def _state(hass: HomeAssistant, entity_id: str) -> str:
    return hass.states.get(entity_id).state


async def _call(hass: HomeAssistant, domain: str, service: str, **data: Any) -> None:
    await hass.services.async_call(domain, service, data, blocking=True)


async def _switch(hass: HomeAssistant, service: str, entity_id: str) -> None:
    await _call(hass, "switch", service, **{ATTR_ENTITY_ID: entity_id})


def _vehicle_device(hass: HomeAssistant, vehicle_id: str = VEHICLE_ID) -> str:
    device = dr.async_get(hass).async_get_device(identifiers={(DOMAIN, vehicle_id)})
    assert device is not None
    return device.id


async def test_deadline_minimum_plan_and_the_planned_start(
    hass: HomeAssistant, simulator_factory: Any
) -> None:
    """Set the deadline and the minimum, turn smart charging on: the plan shows (charge to
    50 % now, the rest from 22:00), and charging starts by itself at the planned time."""
    sim = await _noon(simulator_factory)
    entry = await setup_entry(hass, make_entry(sim))
    assert _state(hass, STATE) == "disabled"
    assert _state(hass, ENROLLED) == STATE_OFF
    assert _state(hass, DEADLINE) == STATE_UNKNOWN
    assert _state(hass, MINIMUM) == "0.0"
    assert hass.states.get(MINIMUM).attributes["max"] == 80  # the charge limit
    assert _state(hass, START) == STATE_UNKNOWN
    sim.clear_requests()

    await _call(hass, "time", "set_value", **{ATTR_ENTITY_ID: DEADLINE, ATTR_TIME: "07:00:00"})
    await _call(hass, "number", SERVICE_SET_VALUE, **{ATTR_ENTITY_ID: MINIMUM, ATTR_VALUE: 50})
    assert _state(hass, DEADLINE) == "07:00:00"
    assert _state(hass, MINIMUM) == "50.0"
    assert sim.asset(VEHICLE_ID)["smartChargingPolicy"] == {
        "isEnabled": False,
        "deadline": "07:00",
        "minimumChargeLimit": 50,
    }
    # A disabled policy has no status to read.
    assert sim.count_requests("GET", STATUS_PATH) == 0
    await _switch(hass, SERVICE_TURN_ON, SMART)
    assert sim.count_requests("PUT", POLICY_PATH) == 3
    assert sim.count_requests("GET", STATUS_PATH) == 1  # no push: read once after the change

    # 10 % of 58 kWh at 7.4 kW: 47 min now; 30 %: 2 h 21 min from 22:00 (the night tariff).
    assert _state(hass, SMART) == STATE_ON
    assert _state(hass, ENROLLED) == STATE_ON
    assert _state(hass, STATE) == "plan_executing_started"
    assert (_local(hass, START), _local(hass, END)) == ("22:00", "00:21")
    assert float(_state(hass, COST)) == pytest.approx(5.8 * 0.3 + 17.4 * 0.1, abs=0.01)
    assert float(_state(hass, SAVINGS)) == pytest.approx(23.2 * 0.3 - 3.48, abs=0.01)
    assert hass.states.get(COST).attributes[ATTR_UNIT_OF_MEASUREMENT] == "EUR"

    # The next refresh sees the car charging (the plan started it): the status is read again;
    # then, with nothing changed, a refresh reads no status.
    await async_refresh(hass, entry)
    assert _state(hass, CHARGING) == STATE_ON
    sim.clear_requests()
    await async_refresh(hass, entry)
    assert sim.count_requests("GET", STATUS_PATH) == 0

    sim.advance_time(48 * 60)  # the minimum is reached; the plan pauses
    await async_refresh(hass, entry)
    assert sim.count_requests("GET", STATUS_PATH) == 1
    assert _state(hass, STATE) == "plan_executing_stopped_awaiting_prices"
    assert _state(hass, CHARGING) == STATE_OFF
    assert float(_state(hass, "sensor.family_car_battery")) == 50

    advance_to_local(sim, 21, 59)
    await async_refresh(hass, entry)
    assert _state(hass, CHARGING) == STATE_OFF
    advance_to_local(sim, 22)
    await async_refresh(hass, entry)
    assert _state(hass, CHARGING) == STATE_ON
    assert _state(hass, "binary_sensor.zaptec_go_charging") == STATE_ON  # through the charger
    assert _state(hass, STATE) == "plan_executing_started"

    # A manual command is refused while the plan is in control; the error says what to do.
    with pytest.raises(HomeAssistantError) as err:
        await _switch(hass, SERVICE_TURN_OFF, CHARGING_SWITCH)
    assert err.value.translation_key == "smart_charging_in_control"
    assert err.value.translation_placeholders == {"device": "Family car"}
    assert _state(hass, CHARGING) == STATE_ON


async def test_charge_now_and_end_it(hass: HomeAssistant, simulator_factory: Any) -> None:
    """Charge now creates a smart override (its START action followed); off ends it and the plan
    pauses charging again. The action is reported like any command."""
    sim = await _noon(simulator_factory)
    entry = await setup_entry(hass, make_entry(sim))
    events = async_capture_events(hass, EVENT_ACTION)
    response = await hass.services.async_call(
        DOMAIN,
        "set_smart_charging",
        {ATTR_DEVICE_ID: _vehicle_device(hass), "enabled": True, "deadline": "07:00"},
        blocking=True,
        return_response=True,
    )
    assert response is not None
    plan = response["plan"]
    assert isinstance(plan, dict)
    assert response["state"] == "plan_executing_stopped_awaiting_prices"
    assert (response["enabled"], response["deadline"]) == (True, "07:00")
    start = datetime.fromisoformat(str(plan["start"])).astimezone(OSLO)
    assert start.strftime("%H:%M") == "22:00"
    assert plan["currency"] == "EUR"
    assert plan["ended"] is False
    assert _state(hass, CHARGE_NOW) == STATE_OFF

    diagnostics = await async_get_device_diagnostics(
        hass, entry, dr.async_get(hass).async_get(_vehicle_device(hass))
    )
    status = diagnostics["device"]["smart_charging"]
    assert status["state"] == "PLAN:EXECUTING:STOPPED:AWAITING_PRICES"

    await _switch(hass, SERVICE_TURN_ON, CHARGE_NOW)
    assert sim.count_requests("POST", OVERRIDE_PATH) == 1
    assert _state(hass, CHARGE_NOW) == STATE_ON
    assert _state(hass, CHARGING) == STATE_ON
    assert _state(hass, STATE) == "plan_executing_overridden"
    assert [(e.data["kind"], e.data["state"]) for e in events] == [("start", "confirmed")]

    await _switch(hass, SERVICE_TURN_OFF, CHARGE_NOW)
    assert _state(hass, CHARGE_NOW) == STATE_OFF
    assert _state(hass, STATE) == "plan_executing_stopped_awaiting_prices"
    assert sim.asset(VEHICLE_ID)["chargeState"]["isCharging"] is False
    # Already ended at Enode (404): nothing to do, no error.
    await _switch(hass, SERVICE_TURN_OFF, CHARGE_NOW)
    assert sim.count_requests("DELETE", OVERRIDE_PATH) == 2
    assert _state(hass, CHARGE_NOW) == STATE_OFF


async def test_charge_now_errors(hass: HomeAssistant, simulator_factory: Any) -> None:
    """Charge now needs smart charging on (said before sending); Enode's refusal (unplugged) is
    the translated precondition error with Enode's reason."""
    sim = await _noon(simulator_factory, plugged=[])
    entry = await setup_entry(hass, make_entry(sim))
    with pytest.raises(ServiceValidationError) as err:
        await _switch(hass, SERVICE_TURN_ON, CHARGE_NOW)
    assert err.value.translation_key == "charge_now_needs_smart_charging"
    assert sim.count_requests("POST", OVERRIDE_PATH) == 0
    await entry.runtime_data.client.update_smart_charging_policy(
        VEHICLE_ID, is_enabled=True, deadline="07:00"
    )
    await async_refresh(hass, entry)
    assert _state(hass, STATE) == "considering"
    assert hass.states.get(STATE).attributes["plugged_in"] is False
    with pytest.raises(HomeAssistantError) as err:
        await _switch(hass, SERVICE_TURN_ON, CHARGE_NOW)
    assert err.value.translation_key == "precondition_failed"
    assert err.value.translation_placeholders == {
        "device": "Family car",
        "error": "The vehicle is not plugged in.",
    }
    assert _state(hass, CHARGE_NOW) == STATE_OFF


async def test_pairing_makes_the_vehicle_eligible(
    hass: HomeAssistant, simulator_factory: Any, entity_registry: er.EntityRegistry
) -> None:
    """No smart charging for a car that cannot control charging; linking the charger unlocks it
    (the entities appear without a reload); enrolled stays on while unplugged; the cleared pair
    removes the entities, and the pair restored brings them back with the user's settings."""
    sim = await _noon(simulator_factory, linked=[VEHICLE_NO_CONTROL], plugged=[])
    entry = await setup_entry(hass, make_entry(sim))

    def _entity_ids() -> list[str | None]:
        return [
            entity_registry.async_get_entity_id(platform, DOMAIN, f"{VEHICLE_ID}_{key}")
            for platform, key in SMART_ENTITIES
        ]

    assert _entity_ids() == [None] * len(SMART_ENTITIES)
    sim.add_asset(TEST_USER, "charger", CHARGER)
    await async_refresh(hass, entry)
    assert None not in _entity_ids()
    assert _state(hass, DEADLINE) == STATE_UNKNOWN

    await hass.services.async_call(
        DOMAIN,
        "set_smart_charging",
        {ATTR_DEVICE_ID: _vehicle_device(hass), "enabled": True, "deadline": "07:30"},
        blocking=True,
    )
    assert _state(hass, ENROLLED) == STATE_ON
    assert _state(hass, STATE) == "considering"  # unplugged, and still enrolled
    renamed = "time.family_car_leave_by"
    entity_registry.async_update_entity(DEADLINE, new_entity_id=renamed)
    await hass.async_block_till_done()

    # Enode clears the pair after ten failed commands while unplugged: smart charging is
    # permanently missing again, and its entities go.
    client = entry.runtime_data.client
    for _ in range(10):
        with pytest.raises(EnodePreconditionError):
            await client.set_vehicle_charging(VEHICLE_ID, ChargingAction.START)
    await async_refresh(hass, entry)
    assert _entity_ids() == [None] * len(SMART_ENTITIES)
    assert hass.states.get(renamed) is None
    assert hass.states.get(ENROLLED) is None

    sim.plug_in(VEHICLE_ID, CHARGER_ID)  # plugged together again: the pair is back
    await async_refresh(hass, entry)
    assert None not in _entity_ids()
    assert hass.states.get(renamed).state == "07:30:00"
    assert _state(hass, ENROLLED) == STATE_ON
    assert _state(hass, STATE).startswith("plan_executing")

    # A pushed vehicle without any capabilities (a partial payload) removes nothing.
    vehicle = entry.runtime_data.coordinator.data.vehicles[VEHICLE_ID]
    partial = Vehicle.from_dict({"id": VEHICLE_ID, "smartChargingPolicy": {"isEnabled": True}})
    assert partial.capabilities.smart_charging.is_capable is False
    await entry.runtime_data.webhook.async_process(
        [VehicleEvent(event="user:vehicle:updated", user_id=TEST_USER, vehicle=partial)]
    )
    await hass.async_block_till_done()
    assert None not in _entity_ids()
    await entry.runtime_data.coordinator.async_set_asset(vehicle)


async def test_policy_errors_are_translated(hass: HomeAssistant, simulator_factory: Any) -> None:
    """Enode's 400 says why; a blocked capability names the intervention before sending."""
    tessie = GPS_VEHICLE | {"smartChargingPolicy": {"isEnabled": True, "deadline": "07:00"}}
    sim = await _noon(simulator_factory, linked=[tessie], plugged=[])
    entry = await setup_entry(hass, make_entry(sim))
    deadline = "time.tessie_charging_deadline"
    # Blocked at Enode since the last refresh: Home Assistant still thinks it is capable.
    sim.add_intervention(GPS_VEHICLE_ID, "smartCharging", PHONE_KEY)
    with pytest.raises(HomeAssistantError) as err:
        await _call(hass, "time", "set_value", **{ATTR_ENTITY_ID: deadline, ATTR_TIME: "06:00"})
    assert err.value.translation_key == "smart_charging_rejected"
    assert err.value.translation_placeholders == {
        "device": "Tessie",
        "error": "The vehicle is not capable of smart charging.",
    }
    assert _state(hass, deadline) == "07:00:00"
    await async_refresh(hass, entry)
    assert _state(hass, "binary_sensor.tessie_enrolled_in_smart_charging") == STATE_OFF
    sim.clear_requests()
    with pytest.raises(ServiceValidationError) as err:
        await _call(
            hass,
            "number",
            SERVICE_SET_VALUE,
            **{ATTR_ENTITY_ID: "number.tessie_minimum_charge_limit", ATTR_VALUE: 20},
        )
    assert err.value.translation_key == "capability_blocked"
    intervention = entry.runtime_data.coordinator.data.interventions[PHONE_KEY]
    assert err.value.translation_placeholders["intervention"] == intervention.resolution.title
    assert sim.count_requests("PUT") == 0
    # Turning it off is always allowed.
    await _switch(hass, SERVICE_TURN_OFF, "switch.tessie_smart_charging")
    assert _state(hass, "sensor.tessie_smart_charging_state") == "disabled"


@pytest.mark.parametrize(
    ("data", "key"),
    [
        ({}, "smart_charging_nothing_to_set"),
        ({"enabled": True}, "smart_charging_needs_deadline"),
        ({"minimum_charge_limit": 90}, "minimum_charge_limit_too_high"),
    ],
)
async def test_set_smart_charging_validation(
    hass: HomeAssistant, simulator_factory: Any, data: dict[str, Any], key: str
) -> None:
    """Bad input gets a translated validation error and sends nothing."""
    sim = await _noon(simulator_factory)
    await setup_entry(hass, make_entry(sim))
    sim.clear_requests()
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            DOMAIN,
            "set_smart_charging",
            {ATTR_DEVICE_ID: _vehicle_device(hass), **data},
            blocking=True,
        )
    assert err.value.translation_key == key
    assert sim.count_requests("PUT") == 0


async def test_set_smart_charging_errors(hass: HomeAssistant, simulator_factory: Any) -> None:
    """A charger is not a vehicle; Enode's outage is the shared translated error."""
    sim = await _noon(simulator_factory)
    await setup_entry(hass, make_entry(sim))
    charger = _vehicle_device(hass, CHARGER_ID)
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            DOMAIN, "set_smart_charging", {ATTR_DEVICE_ID: charger, "enabled": False}, blocking=True
        )
    assert err.value.translation_key == "not_a_vehicle"
    sim.inject_fault(status=503, path_prefix=POLICY_PATH, count=10)
    with pytest.raises(HomeAssistantError) as err:
        await hass.services.async_call(
            DOMAIN,
            "set_smart_charging",
            {ATTR_DEVICE_ID: _vehicle_device(hass), "deadline": "06:00"},
            blocking=True,
        )
    assert err.value.translation_key == "enode_unavailable"
    assert _state(hass, DEADLINE) == STATE_UNKNOWN


async def test_status_read_errors_keep_the_last_status(
    hass: HomeAssistant, simulator_factory: Any
) -> None:
    """A failing status read keeps what is known (the refresh succeeds); the next one reads."""
    sim = await _noon(simulator_factory)
    entry = await setup_entry(hass, make_entry(sim))
    await hass.services.async_call(
        DOMAIN,
        "set_smart_charging",
        {ATTR_DEVICE_ID: _vehicle_device(hass), "enabled": True, "deadline": "07:00"},
        blocking=True,
    )
    assert _state(hass, STATE) == "plan_executing_stopped_awaiting_prices"
    sim.unplug(VEHICLE_ID)
    sim.inject_fault(status=500, path_prefix=STATUS_PATH, count=10)
    await async_refresh(hass, entry)
    assert entry.runtime_data.coordinator.last_update_success
    assert _state(hass, STATE) == "plan_executing_stopped_awaiting_prices"
    sim.clear_faults()
    await async_refresh(hass, entry)
    assert _state(hass, STATE) == "plan_ended_unplugged"
    assert _state(hass, START) == STATE_UNKNOWN  # the plan ended: nothing is planned
    assert _state(hass, COST) != STATE_UNKNOWN  # what the ended plan cost is still shown


async def test_pushed_status(hass: HomeAssistant, simulator_factory: Any, ha_client: Any) -> None:
    """With push, status changes arrive as webhooks and cost no status request; a stale push
    changes nothing."""
    sim = await _noon(simulator_factory)
    entry = await setup_entry(hass, make_entry(sim))
    await hass.async_block_till_done(wait_background_tasks=True)
    await sim.flush_webhooks()
    await hass.async_block_till_done(wait_background_tasks=True)
    await entry.runtime_data.client.update_smart_charging_policy(
        VEHICLE_ID, is_enabled=True, deadline="07:00", minimum_charge_limit=50
    )
    sim.clear_requests()
    await sim.flush_webhooks()
    await hass.async_block_till_done(wait_background_tasks=True)
    assert entry.runtime_data.coordinator.push_healthy
    assert _state(hass, STATE) == "plan_executing_started"
    assert _local(hass, START) == "22:00"

    sim.advance_time(48 * 60)
    await sim.flush_webhooks()
    await hass.async_block_till_done(wait_background_tasks=True)
    assert _state(hass, STATE) == "plan_executing_stopped_awaiting_prices"
    assert _state(hass, CHARGING) == STATE_OFF
    assert sim.count_requests("GET", STATUS_PATH) == 0

    known = entry.runtime_data.coordinator.data.smart_charging[VEHICLE_ID]
    assert known.updated_at is not None
    stale = SmartChargingStatus(
        vehicle_id=VEHICLE_ID,
        updated_at=known.updated_at.replace(year=known.updated_at.year - 1),
        state=SmartChargeState.PLAN_EXECUTING_STARTED,
    )
    await entry.runtime_data.webhook.async_process(
        [
            SmartChargingStatusEvent(
                event="user:vehicle:smart-charging-status-updated", user_id=TEST_USER, status=stale
            )
        ]
    )
    assert _state(hass, STATE) == "plan_executing_stopped_awaiting_prices"


async def test_disabled_entry_entities(hass: HomeAssistant, simulator_factory: Any) -> None:
    """A vehicle with smart charging disabled shows 'disabled' without any status request, and
    the deadline entity is a configuration entity."""
    sim = await _noon(simulator_factory)
    entry: MockConfigEntry = await setup_entry(hass, make_entry(sim))
    assert sim.count_requests("GET", STATUS_PATH) == 0
    registry = er.async_get(hass)
    deadline = registry.async_get(DEADLINE)
    assert deadline is not None
    assert deadline.entity_category is not None
    assert deadline.config_entry_id == entry.entry_id


async def test_when_statuses_are_read(hass: HomeAssistant, simulator_factory: Any) -> None:
    """A status is read again when it is old or a time of its plan has passed (Home
    Assistant's clock); a vanished status (404) is dropped; a 429 backs the refresh off."""
    sim = await _noon(simulator_factory)
    entry = await setup_entry(hass, make_entry(sim))
    coordinator = entry.runtime_data.coordinator
    await hass.services.async_call(
        DOMAIN,
        "set_smart_charging",
        {ATTR_DEVICE_ID: _vehicle_device(hass), "enabled": True, "deadline": "07:00"},
        blocking=True,
    )
    await async_refresh(hass, entry)
    sim.clear_requests()
    plan = coordinator.data.smart_charging[VEHICLE_ID].plan
    assert plan is not None
    assert plan.start_at is not None
    later = plan.start_at + timedelta(seconds=1)
    with (
        patch("custom_components.enode.smart_charging.STATUS_MAX_AGE", timedelta(days=30)),
        patch("custom_components.enode.smart_charging.dt_util.utcnow", return_value=later),
    ):
        await async_refresh(hass, entry)  # the plan's start passed
        assert sim.count_requests("GET", STATUS_PATH) == 1
        await async_refresh(hass, entry)  # and it was read after it
        assert sim.count_requests("GET", STATUS_PATH) == 1
    with patch(
        "custom_components.enode.smart_charging.dt_util.utcnow",
        return_value=later + timedelta(minutes=16),
    ):
        await async_refresh(hass, entry)  # 15 minutes old
    assert sim.count_requests("GET", STATUS_PATH) == 2

    sim.unplug(VEHICLE_ID)
    sim.inject_fault(status=404, path_prefix=STATUS_PATH)
    await async_refresh(hass, entry)
    assert VEHICLE_ID not in coordinator.data.smart_charging
    assert _state(hass, STATE) == STATE_UNKNOWN
    # Charge now reads the status it lacks (a 400 here: unplugged).
    with pytest.raises(HomeAssistantError):
        await _switch(hass, SERVICE_TURN_ON, CHARGE_NOW)
    sim.inject_fault(status=429, retry_after="600", path_prefix=STATUS_PATH)
    sim.plug_in(VEHICLE_ID, CHARGER_ID)
    await async_refresh(hass, entry)
    assert coordinator.update_interval is not None
    assert coordinator.update_interval >= timedelta(seconds=600)
    sim.clear_faults()

    # A pushed status of a vehicle this entry does not have changes nothing.
    before = coordinator.data
    stranger = SmartChargingStatus(vehicle_id="someone-else", state=SmartChargeState.DISABLED)
    await entry.runtime_data.webhook.async_process(
        [
            SmartChargingStatusEvent(
                event="user:vehicle:smart-charging-status-updated",
                user_id=TEST_USER,
                status=stranger,
            )
        ]
    )
    assert coordinator.data is before

    # Removed at Enode: its status goes with it.
    sim.remove_asset(VEHICLE_ID)
    await async_refresh(hass, entry)
    assert coordinator.data.smart_charging == {}


async def test_charge_now_while_charging_and_failed_reads(
    hass: HomeAssistant, simulator_factory: Any
) -> None:
    """While the minimum charges, Charge now needs no START (Enode gives no action); a status
    read that fails after a change is left to the next refresh."""
    sim = await _noon(simulator_factory)
    entry = await setup_entry(hass, make_entry(sim))
    await hass.services.async_call(
        DOMAIN,
        "set_smart_charging",
        {
            ATTR_DEVICE_ID: _vehicle_device(hass),
            "enabled": True,
            "deadline": "07:00",
            "minimum_charge_limit": 60,
        },
        blocking=True,
    )
    assert _state(hass, STATE) == "plan_executing_started"
    await _switch(hass, SERVICE_TURN_ON, CHARGE_NOW)
    assert _state(hass, CHARGE_NOW) == STATE_ON
    assert sim.count_requests("GET", "/vehicles/actions/") == 0
    sim.inject_fault(status=500, path_prefix=STATUS_PATH, count=10)
    await _switch(hass, SERVICE_TURN_OFF, CHARGE_NOW)
    assert _state(hass, CHARGE_NOW) == STATE_OFF  # Enode's answer to the DELETE
    sim.clear_faults()
    await async_refresh(hass, entry)
    assert _state(hass, STATE) == "plan_executing_started"  # read again
