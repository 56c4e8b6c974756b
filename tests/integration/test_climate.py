"""HVAC units as climate entities: modes, setpoints within Enode's ranges, hold and schedule.

The one-transition check of a mode change is in test_command_transitions.
"""

from __future__ import annotations

from typing import Any
from unittest.mock import patch

from homeassistant.components.climate import (
    ATTR_HVAC_ACTION,
    ATTR_HVAC_MODE,
    ATTR_HVAC_MODES,
    ATTR_MAX_TEMP,
    ATTR_MIN_TEMP,
    ATTR_PRESET_MODE,
    ATTR_PRESET_MODES,
    ATTR_TARGET_TEMP_HIGH,
    ATTR_TARGET_TEMP_LOW,
    DOMAIN as CLIMATE_DOMAIN,
    SERVICE_SET_HVAC_MODE,
    SERVICE_SET_PRESET_MODE,
    SERVICE_SET_TEMPERATURE,
    ClimateEntityFeature,
)
from homeassistant.const import (
    ATTR_ENTITY_ID,
    ATTR_SUPPORTED_FEATURES,
    ATTR_TEMPERATURE,
    STATE_UNKNOWN,
    Platform,
)
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import async_capture_events
from syrupy.assertion import SnapshotAssertion

from custom_components.enode.const import EVENT_ACTION

from .conftest import (
    HEAT_PUMP,
    HVAC_ID,
    HVAC_REMOTE_CONTROL,
    async_refresh,
    household,
    make_entry,
    setup_entry,
    snapshot_platform_of,
)

pytestmark = pytest.mark.usefixtures("fast_actions", "fast_client")

CLIMATE = "climate.bedroom"
FROZEN = "2025-06-01T12:00:00+00:00"


async def _call(hass: HomeAssistant, service: str, **data: Any) -> None:
    await hass.services.async_call(
        CLIMATE_DOMAIN, service, {ATTR_ENTITY_ID: CLIMATE, **data}, blocking=True
    )


def _thermostat(sim: Any) -> dict[str, Any]:
    state: dict[str, Any] = sim.asset(HVAC_ID)["thermostatState"]
    return state


def _attributes(hass: HomeAssistant) -> dict[str, Any]:
    return dict(hass.states.get(CLIMATE).attributes)


@pytest.mark.freeze_time(FROZEN)
async def test_climates(
    hass: HomeAssistant,
    simulator_factory: Any,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
) -> None:
    """The demo's Tado thermostat (heat and off, following its schedule)."""
    sim = await simulator_factory("demo-linked")
    await snapshot_platform_of(hass, sim, Platform.CLIMATE, entity_registry, snapshot)


@pytest.mark.freeze_time(FROZEN)
async def test_heat_pump(hass: HomeAssistant, simulator_factory: Any) -> None:
    """A heat pump: Enode's capable modes (AUTO = heat/cool), its heat range, its hold."""
    sim = await simulator_factory(household(linked=[HEAT_PUMP]))
    await setup_entry(hass, make_entry(sim))
    state = hass.states.get(CLIMATE)
    assert state.state == "heat"
    attributes = state.attributes
    assert attributes[ATTR_HVAC_MODES] == ["off", "heat", "cool", "heat_cool"]
    assert attributes[ATTR_TEMPERATURE] == 21
    assert attributes["current_temperature"] == 20.0
    assert attributes[ATTR_HVAC_ACTION] == "heating"
    assert (attributes[ATTR_MIN_TEMP], attributes[ATTR_MAX_TEMP]) == (10, 30)
    assert attributes[ATTR_PRESET_MODES] == ["follow_schedule", "permanent_hold"]
    assert attributes[ATTR_PRESET_MODE] == "follow_schedule"
    assert attributes[ATTR_SUPPORTED_FEATURES] == (
        ClimateEntityFeature.TARGET_TEMPERATURE
        | ClimateEntityFeature.PRESET_MODE
        | ClimateEntityFeature.TURN_OFF
        | ClimateEntityFeature.TURN_ON
    )


async def test_set_temperature(hass: HomeAssistant, simulator_factory: Any) -> None:
    """A new setpoint is a permanent hold of the mode at that setpoint; the outcome an event."""
    sim = await simulator_factory(household(linked=[HEAT_PUMP]))
    await setup_entry(hass, make_entry(sim))
    events = async_capture_events(hass, EVENT_ACTION)
    await _call(hass, SERVICE_SET_TEMPERATURE, **{ATTR_TEMPERATURE: 22.5})
    attributes = _attributes(hass)
    assert attributes[ATTR_TEMPERATURE] == 22.5
    assert attributes[ATTR_PRESET_MODE] == "permanent_hold"
    thermostat = _thermostat(sim)
    assert (thermostat["mode"], thermostat["heatSetpoint"], thermostat["holdType"]) == (
        "HEAT",
        22.5,
        "PERMANENT",
    )
    await hass.async_block_till_done()
    assert [
        (e.data["kind"], e.data["asset_type"], e.data["hvac_mode"], e.data["heat_setpoint"])
        for e in events
    ] == [("permanent_hold", "hvac", "heat", 22.5)]
    assert events[0].data["state"] == "confirmed"
    # Outside Enode's range: Home Assistant refuses it before anything is sent.
    requests = sim.count_requests("POST", "/hvacs")
    with pytest.raises(ServiceValidationError) as err:
        await _call(hass, SERVICE_SET_TEMPERATURE, **{ATTR_TEMPERATURE: 35})
    assert err.value.translation_key == "temp_out_of_range"
    assert sim.count_requests("POST", "/hvacs") == requests


async def test_modes(hass: HomeAssistant, simulator_factory: Any) -> None:
    """Cool keeps the cool setpoint and range; heat/cool takes both setpoints, as far apart
    as Enode allows; off takes none."""
    sim = await simulator_factory(household(linked=[HEAT_PUMP]))
    await setup_entry(hass, make_entry(sim))
    await _call(hass, SERVICE_SET_HVAC_MODE, **{ATTR_HVAC_MODE: "cool"})
    attributes = _attributes(hass)
    assert hass.states.get(CLIMATE).state == "cool"
    assert attributes[ATTR_TEMPERATURE] == 25
    assert (attributes[ATTR_MIN_TEMP], attributes[ATTR_MAX_TEMP]) == (18, 32)
    assert _thermostat(sim)["mode"] == "COOL"

    await _call(hass, SERVICE_SET_HVAC_MODE, **{ATTR_HVAC_MODE: "heat_cool"})
    attributes = _attributes(hass)
    assert hass.states.get(CLIMATE).state == "heat_cool"
    assert (attributes[ATTR_TARGET_TEMP_LOW], attributes[ATTR_TARGET_TEMP_HIGH]) == (21, 25)
    assert attributes[ATTR_SUPPORTED_FEATURES] & ClimateEntityFeature.TARGET_TEMPERATURE_RANGE
    assert not attributes[ATTR_SUPPORTED_FEATURES] & ClimateEntityFeature.TARGET_TEMPERATURE
    requests = sim.count_requests("POST", "/hvacs")
    with pytest.raises(ServiceValidationError) as err:
        await _call(
            hass,
            SERVICE_SET_TEMPERATURE,
            **{ATTR_TARGET_TEMP_LOW: 20, ATTR_TARGET_TEMP_HIGH: 21},
        )
    assert err.value.translation_key == "setpoint_difference"
    assert (err.value.translation_placeholders or {})["min"] == "2"
    assert sim.count_requests("POST", "/hvacs") == requests
    await _call(
        hass, SERVICE_SET_TEMPERATURE, **{ATTR_TARGET_TEMP_LOW: 19, ATTR_TARGET_TEMP_HIGH: 24}
    )
    thermostat = _thermostat(sim)
    assert (thermostat["mode"], thermostat["heatSetpoint"], thermostat["coolSetpoint"]) == (
        "AUTO",
        19,
        24,
    )

    await _call(hass, SERVICE_SET_HVAC_MODE, **{ATTR_HVAC_MODE: "off"})
    assert hass.states.get(CLIMATE).state == "off"
    assert _attributes(hass)[ATTR_HVAC_ACTION] == "off"
    assert _thermostat(sim)["mode"] == "OFF"
    # Off has no setpoint: a temperature alone is refused, with a mode it is held in that mode.
    with pytest.raises(ServiceValidationError) as err:
        await _call(hass, SERVICE_SET_TEMPERATURE, **{ATTR_TEMPERATURE: 23})
    assert err.value.translation_key == "hvac_mode_without_setpoint"
    await _call(hass, SERVICE_SET_TEMPERATURE, **{ATTR_TEMPERATURE: 23, ATTR_HVAC_MODE: "heat"})
    thermostat = _thermostat(sim)
    assert (thermostat["mode"], thermostat["heatSetpoint"]) == ("HEAT", 23)


async def test_presets(hass: HomeAssistant, simulator_factory: Any) -> None:
    """Follow schedule hands the unit back to its schedule; permanent hold keeps what it does."""
    sim = await simulator_factory(household(linked=[HEAT_PUMP]))
    await setup_entry(hass, make_entry(sim))
    events = async_capture_events(hass, EVENT_ACTION)
    await _call(hass, SERVICE_SET_PRESET_MODE, **{ATTR_PRESET_MODE: "permanent_hold"})
    assert _attributes(hass)[ATTR_PRESET_MODE] == "permanent_hold"
    assert _thermostat(sim)["holdType"] == "PERMANENT"
    await _call(hass, SERVICE_SET_PRESET_MODE, **{ATTR_PRESET_MODE: "follow_schedule"})
    assert _attributes(hass)[ATTR_PRESET_MODE] == "follow_schedule"
    assert _thermostat(sim)["holdType"] == "SCHEDULED"
    assert sim.count_requests("POST", f"/hvacs/{HVAC_ID}/follow-schedule") == 1
    await hass.async_block_till_done()
    assert [(e.data["kind"], e.data["hvac_mode"]) for e in events] == [
        ("permanent_hold", "heat"),
        ("follow_schedule", None),
    ]


async def test_hold_fails(hass: HomeAssistant, simulator_factory: Any) -> None:
    """An unreachable unit: the hold fails within the wait; the state returns."""
    sim = await simulator_factory(household(linked=[HEAT_PUMP]))
    await setup_entry(hass, make_entry(sim))
    sim.set_reachable(HVAC_ID, False)
    with pytest.raises(HomeAssistantError) as err:
        await _call(hass, SERVICE_SET_HVAC_MODE, **{ATTR_HVAC_MODE: "off"})
    assert err.value.translation_key == "action_failed"
    assert hass.states.get(CLIMATE).state == "heat"


async def test_pending_hold_shows_the_request(hass: HomeAssistant, simulator_factory: Any) -> None:
    """While the hold is PENDING the requested setpoint shows; a failure later reverts it."""
    sim = await simulator_factory(household(linked=[HEAT_PUMP], action_delay=600))
    entry = await setup_entry(hass, make_entry(sim))
    with patch("custom_components.enode.actions.ACTION_WAIT_TIMEOUT", 0.05):
        await _call(hass, SERVICE_SET_TEMPERATURE, **{ATTR_TEMPERATURE: 24})
    assert _attributes(hass)[ATTR_TEMPERATURE] == 24
    assert _attributes(hass)[ATTR_PRESET_MODE] == "permanent_hold"
    sim.set_reachable(HVAC_ID, False)
    sim.advance_time(601)
    await async_refresh(hass, entry)
    assert _attributes(hass)[ATTR_TEMPERATURE] == 21
    assert _attributes(hass)[ATTR_PRESET_MODE] == "follow_schedule"


async def test_blocked_hold(hass: HomeAssistant, simulator_factory: Any) -> None:
    """A blocked permanent hold keeps the controls; using them names the intervention."""
    blocked = {"isCapable": False, "interventionIds": [HVAC_REMOTE_CONTROL]}
    pump = HEAT_PUMP | {
        "capabilities": HEAT_PUMP["capabilities"]
        | {"setPermanentHold": blocked, "setFollowSchedule": blocked}
    }
    sim = await simulator_factory(household(linked=[pump]))
    await setup_entry(hass, make_entry(sim))
    assert _attributes(hass)[ATTR_HVAC_MODES] == ["off", "heat", "cool", "heat_cool"]
    for service, data in (
        (SERVICE_SET_TEMPERATURE, {ATTR_TEMPERATURE: 22}),
        (SERVICE_SET_HVAC_MODE, {ATTR_HVAC_MODE: "off"}),
        (SERVICE_SET_PRESET_MODE, {ATTR_PRESET_MODE: "follow_schedule"}),
    ):
        with pytest.raises(ServiceValidationError) as err:
            await _call(hass, service, **data)
        assert err.value.translation_key == "capability_blocked"
        placeholders = err.value.translation_placeholders or {}
        assert placeholders["intervention"] == "Allow remote control of the thermostat"
    assert sim.count_requests("POST", "/hvacs") == 0


async def test_read_only_unit(hass: HomeAssistant, simulator_factory: Any) -> None:
    """A unit Enode cannot control shows its temperature and mode, and offers nothing to set."""
    pump = HEAT_PUMP | {
        "capabilities": HEAT_PUMP["capabilities"]
        | {"setPermanentHold": False, "setFollowSchedule": False}
    }
    sim = await simulator_factory(household(linked=[pump]))
    await setup_entry(hass, make_entry(sim))
    attributes = _attributes(hass)
    assert hass.states.get(CLIMATE).state == "heat"
    assert attributes[ATTR_HVAC_MODES] == ["heat"]
    assert attributes[ATTR_SUPPORTED_FEATURES] == 0
    assert ATTR_PRESET_MODES not in attributes
    assert attributes["current_temperature"] is not None


async def test_unknown_mode_and_hold(hass: HomeAssistant, simulator_factory: Any) -> None:
    """A mode and a hold type this integration does not know are unknown, not errors."""
    pump = HEAT_PUMP | {
        "thermostatState": {"mode": "DRY", "holdType": "TIMER"},
        "capabilities": HEAT_PUMP["capabilities"] | {"capableModes": ["DRY", "HEAT", "OFF"]},
    }
    sim = await simulator_factory(household(linked=[pump]))
    await setup_entry(hass, make_entry(sim))
    assert hass.states.get(CLIMATE).state == STATE_UNKNOWN
    assert _attributes(hass)[ATTR_PRESET_MODE] is None
    assert _attributes(hass)[ATTR_HVAC_MODES] == ["heat", "off"]
    await _call(hass, SERVICE_SET_HVAC_MODE, **{ATTR_HVAC_MODE: "heat"})
    assert hass.states.get(CLIMATE).state == "heat"
    assert _thermostat(sim)["heatSetpoint"] == 21


async def test_unit_removed_at_enode(
    hass: HomeAssistant, simulator_factory: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """A unit deleted at Enode: its entity goes with it, without errors on the way (the
    climate's capability attributes are read even for an entity whose asset is gone)."""
    sim = await simulator_factory(household(linked=[HEAT_PUMP]))
    entry = await setup_entry(hass, make_entry(sim))
    sim.remove_asset(HVAC_ID)
    await async_refresh(hass, entry)
    state = hass.states.get(CLIMATE)
    assert state is None or state.state == "unavailable"
    assert "Traceback" not in caplog.text
    assert "Error" not in caplog.text
