"""A vehicle's smart charging switch and maximum current number (against the simulator)."""

from __future__ import annotations

from typing import Any
from unittest.mock import patch

from homeassistant.components.number import (
    ATTR_VALUE,
    DOMAIN as NUMBER_DOMAIN,
    SERVICE_SET_VALUE,
)
from homeassistant.components.switch import DOMAIN as SWITCH_DOMAIN
from homeassistant.const import (
    ATTR_ENTITY_ID,
    SERVICE_TURN_OFF,
    SERVICE_TURN_ON,
    STATE_OFF,
    STATE_ON,
    EntityCategory,
)
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import async_capture_events

from custom_components.enode.const import DOMAIN, EVENT_ACTION

from .conftest import (
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

SMART = "switch.tessie_smart_charging"
CURRENT = "number.tessie_maximum_current"
PHONE_KEY = "3b2891a9-5dcf-4691-b850-b5ea36b57c2e"
# A policy with a deadline, off (Enode's smart charging needs a deadline to turn on).
WITH_DEADLINE = {"smartChargingPolicy": {"isEnabled": False, "deadline": "07:00"}}
POLICY_PATH = f"/vehicles/{GPS_VEHICLE_ID}/smart-charging-policy"


async def _switch(hass: HomeAssistant, service: str, entity_id: str = SMART) -> None:
    await hass.services.async_call(
        SWITCH_DOMAIN, service, {ATTR_ENTITY_ID: entity_id}, blocking=True
    )


async def _set(hass: HomeAssistant, value: float, entity_id: str = CURRENT) -> None:
    await hass.services.async_call(
        NUMBER_DOMAIN,
        SERVICE_SET_VALUE,
        {ATTR_ENTITY_ID: entity_id, ATTR_VALUE: value},
        blocking=True,
    )


# --- Smart charging ------------------------------------------------------------------------


async def test_smart_charging_on_off(
    hass: HomeAssistant, simulator_factory: Any, entity_registry: er.EntityRegistry
) -> None:
    """Turning it on and off updates the policy at Enode; the state follows at once."""
    sim = await simulator_factory(household(linked=[GPS_VEHICLE]))
    entry = await setup_entry(hass, make_entry(sim))
    entity = entity_registry.async_get(SMART)
    assert entity is not None
    assert entity.entity_category is EntityCategory.CONFIG
    state = hass.states.get(SMART)
    assert state.state == STATE_OFF
    assert state.attributes["deadline"] is None
    assert state.attributes["minimum_charge_limit"] == 0
    # Enode's smart charging needs a deadline: said before anything is sent.
    with pytest.raises(ServiceValidationError) as err:
        await _switch(hass, SERVICE_TURN_ON)
    assert err.value.translation_key == "smart_charging_needs_deadline"
    assert sim.count_requests("PUT", POLICY_PATH) == 0
    await entry.runtime_data.client.update_smart_charging_policy(GPS_VEHICLE_ID, deadline="06:30")
    await async_refresh(hass, entry)
    sim.clear_requests()

    await _switch(hass, SERVICE_TURN_ON)
    assert hass.states.get(SMART).state == STATE_ON
    assert sim.asset(GPS_VEHICLE_ID)["smartChargingPolicy"]["isEnabled"] is True
    assert sim.count_requests("PUT", POLICY_PATH) == 1
    # The answer is merged: no extra refresh is needed for the state.
    assert entry.runtime_data.coordinator.data.vehicles[
        GPS_VEHICLE_ID
    ].smart_charging_policy.is_enabled

    await _switch(hass, SERVICE_TURN_OFF)
    assert hass.states.get(SMART).state == STATE_OFF
    assert sim.asset(GPS_VEHICLE_ID)["smartChargingPolicy"]["isEnabled"] is False

    # A change made elsewhere (the deadline, in another app) shows after a refresh.
    await entry.runtime_data.client.update_smart_charging_policy(
        GPS_VEHICLE_ID, is_enabled=True, deadline="07:00", minimum_charge_limit=30
    )
    await async_refresh(hass, entry)
    state = hass.states.get(SMART)
    assert state.state == STATE_ON
    assert state.attributes["deadline"] == "07:00"
    assert state.attributes["minimum_charge_limit"] == 30


async def test_smart_charging_missing_blocked_capable(
    hass: HomeAssistant, simulator_factory: Any, entity_registry: er.EntityRegistry
) -> None:
    """Missing: no switch. Blocked: it appears without a reload and turning it on names the
    intervention (turning it off still works). Capable: it turns on."""
    # A vehicle that controls charging itself (one that cannot waits for a charger: see
    # test_repairs.py) but has no smart charging.
    capabilities = VEHICLE_NO_CONTROL["capabilities"] | {
        "startCharging": True,
        "stopCharging": True,
    }
    vehicle = VEHICLE_NO_CONTROL | WITH_DEADLINE | {"capabilities": capabilities}
    sim = await simulator_factory(household(linked=[vehicle]))
    entry = await setup_entry(hass, make_entry(sim))
    unique_id = f"{VEHICLE_ID}_smart_charging"
    assert entity_registry.async_get_entity_id("switch", DOMAIN, unique_id) is None

    sim.add_intervention(VEHICLE_ID, "smartCharging", PHONE_KEY)
    await async_refresh(hass, entry)
    entity_id = entity_registry.async_get_entity_id("switch", DOMAIN, unique_id)
    assert entity_id == "switch.family_car_smart_charging"
    assert hass.states.get(entity_id).state == STATE_OFF
    with pytest.raises(ServiceValidationError) as err:
        await _switch(hass, SERVICE_TURN_ON, entity_id)
    assert err.value.translation_key == "capability_blocked"
    assert err.value.translation_placeholders["capability"] == "Smart charging"
    intervention = entry.runtime_data.coordinator.data.interventions[PHONE_KEY]
    assert err.value.translation_placeholders["intervention"] == intervention.resolution.title
    assert sim.count_requests("PUT") == 0
    await _switch(hass, SERVICE_TURN_OFF, entity_id)
    assert sim.count_requests("PUT", f"/vehicles/{VEHICLE_ID}/smart-charging-policy") == 1
    assert hass.states.get(entity_id).state == STATE_OFF

    sim.remove_intervention(VEHICLE_ID, PHONE_KEY)
    await async_refresh(hass, entry)
    await _switch(hass, SERVICE_TURN_ON, entity_id)
    assert hass.states.get(entity_id).state == STATE_ON
    assert sim.asset(VEHICLE_ID)["smartChargingPolicy"]["isEnabled"] is True


async def test_smart_charging_rejected(hass: HomeAssistant, simulator_factory: Any) -> None:
    """Enode's 400 "Cannot activate smart charging" becomes a translated error with its text."""
    sim = await simulator_factory(household(linked=[GPS_VEHICLE | WITH_DEADLINE]))
    await setup_entry(hass, make_entry(sim))
    # Blocked at Enode since the last refresh: Home Assistant still thinks it is capable.
    sim.add_intervention(GPS_VEHICLE_ID, "smartCharging", PHONE_KEY)
    with pytest.raises(HomeAssistantError) as err:
        await _switch(hass, SERVICE_TURN_ON)
    assert err.value.translation_key == "smart_charging_rejected"
    assert err.value.translation_placeholders == {
        "device": "Tessie",
        "error": "The vehicle is not capable of smart charging.",
    }
    assert hass.states.get(SMART).state == STATE_OFF
    assert sim.asset(GPS_VEHICLE_ID)["smartChargingPolicy"]["isEnabled"] is False


async def test_smart_charging_other_errors(hass: HomeAssistant, simulator_factory: Any) -> None:
    """Other client errors go through the shared translation (here: 403 forbidden)."""
    sim = await simulator_factory(household(linked=[GPS_VEHICLE | WITH_DEADLINE]))
    await setup_entry(hass, make_entry(sim))
    sim.inject_fault(status=403, path_prefix=POLICY_PATH)
    with pytest.raises(HomeAssistantError) as err:
        await _switch(hass, SERVICE_TURN_ON)
    assert err.value.translation_key == "forbidden"
    assert hass.states.get(SMART).state == STATE_OFF


# --- Maximum current -------------------------------------------------------------------------


async def test_vehicle_max_current(hass: HomeAssistant, simulator_factory: Any) -> None:
    """Setting it goes through a vehicle action; CONFIRMED updates the value and is reported."""
    sim = await simulator_factory(household(linked=[GPS_VEHICLE]))
    await setup_entry(hass, make_entry(sim))
    events = async_capture_events(hass, EVENT_ACTION)
    state = hass.states.get(CURRENT)
    assert state.state == "16.0"
    assert (state.attributes["min"], state.attributes["max"], state.attributes["step"]) == (
        6,
        32,
        1,
    )
    await _set(hass, 20)
    assert hass.states.get(CURRENT).state == "20.0"
    assert sim.asset(GPS_VEHICLE_ID)["chargeState"]["maxCurrent"] == 20
    assert sim.count_requests("POST", f"/vehicles/{GPS_VEHICLE_ID}/max-current") == 1
    await hass.async_block_till_done()
    assert [
        (e.data["asset_type"], e.data["asset_id"], e.data["kind"], e.data["state"]) for e in events
    ] == [("vehicle", GPS_VEHICLE_ID, "set_max_current", "confirmed")]
    assert events[0].data["max_current"] == 20


async def test_vehicle_max_current_pending_then_failed(
    hass: HomeAssistant, simulator_factory: Any
) -> None:
    """PENDING shows the requested value; a later failure reverts it and is reported."""
    sim = await simulator_factory(household(linked=[GPS_VEHICLE], action_delay=600))
    entry = await setup_entry(hass, make_entry(sim))
    events = async_capture_events(hass, EVENT_ACTION)
    with patch("custom_components.enode.actions.ACTION_WAIT_TIMEOUT", 0.05):
        await _set(hass, 10)
    assert hass.states.get(CURRENT).state == "10.0"
    sim.set_reachable(GPS_VEHICLE_ID, False)
    sim.advance_time(601)
    await async_refresh(hass, entry)
    assert hass.states.get(CURRENT).state == "16.0"
    assert [(e.data["state"], e.data["failure_reason"]) for e in events] == [
        ("failed", "no_response")
    ]


async def test_vehicle_max_current_fails_within_wait(
    hass: HomeAssistant, simulator_factory: Any
) -> None:
    """An unreachable vehicle: the action fails within the wait; the call raises."""
    sim = await simulator_factory(household(linked=[GPS_VEHICLE]))
    await setup_entry(hass, make_entry(sim))
    sim.set_reachable(GPS_VEHICLE_ID, False)
    with pytest.raises(HomeAssistantError) as err:
        await _set(hass, 10)
    assert err.value.translation_key == "action_failed"
    assert hass.states.get(CURRENT).state == "16.0"


async def test_vehicle_max_current_missing_blocked_capable(
    hass: HomeAssistant, simulator_factory: Any, entity_registry: er.EntityRegistry
) -> None:
    """Missing: no number. Blocked: it appears without a reload; setting it names the
    intervention and sends nothing. Capable: the action runs."""
    vehicle = VEHICLE_NO_CONTROL | {"maxCurrent": 16}
    sim = await simulator_factory(household(linked=[vehicle]))
    entry = await setup_entry(hass, make_entry(sim))
    unique_id = f"{VEHICLE_ID}_max_current"
    assert entity_registry.async_get_entity_id("number", DOMAIN, unique_id) is None

    sim.add_intervention(VEHICLE_ID, "setMaxCurrent", PHONE_KEY)
    await async_refresh(hass, entry)
    entity_id = entity_registry.async_get_entity_id("number", DOMAIN, unique_id)
    assert entity_id == "number.family_car_maximum_current"
    assert hass.states.get(entity_id).state == "16.0"
    with pytest.raises(ServiceValidationError) as err:
        await _set(hass, 10, entity_id)
    assert err.value.translation_key == "capability_blocked"
    assert err.value.translation_placeholders["capability"] == "Setting the maximum current"
    intervention = entry.runtime_data.coordinator.data.interventions[PHONE_KEY]
    assert err.value.translation_placeholders["intervention"] == intervention.resolution.title
    assert sim.count_requests("POST", "/vehicles") == 0

    sim.remove_intervention(VEHICLE_ID, PHONE_KEY)
    await async_refresh(hass, entry)
    await _set(hass, 10, entity_id)
    assert hass.states.get(entity_id).state == "10.0"
    assert sim.asset(VEHICLE_ID)["chargeState"]["maxCurrent"] == 10


async def test_vehicle_max_current_precondition(
    hass: HomeAssistant, simulator_factory: Any
) -> None:
    """Enode's 400 (blocked since the last refresh) is the shared precondition error."""
    sim = await simulator_factory(household(linked=[GPS_VEHICLE]))
    await setup_entry(hass, make_entry(sim))
    sim.add_intervention(GPS_VEHICLE_ID, "setMaxCurrent", PHONE_KEY)
    with pytest.raises(HomeAssistantError) as err:
        await _set(hass, 10)
    assert err.value.translation_key == "precondition_failed"
    assert hass.states.get(CURRENT).state == "16.0"
