"""Binary sensors, including "Action required" with the interventions."""

from __future__ import annotations

from typing import Any

from homeassistant.const import STATE_OFF, STATE_ON, Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
import pytest
from syrupy.assertion import SnapshotAssertion

from custom_components.enode.const import DOMAIN

from .conftest import (
    BATTERY,
    BATTERY_ID,
    CHARGER,
    CHARGER_REMOTE_ACCESS,
    GPS_VEHICLE,
    GPS_VEHICLE_ID,
    HEAT_PUMP,
    INVERTER,
    METER,
    async_refresh,
    household,
    make_entry,
    setup_entry,
    snapshot_platform_of,
)

PHONE_KEY = "3b2891a9-5dcf-4691-b850-b5ea36b57c2e"


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
@pytest.mark.freeze_time("2025-06-01T12:00:00+00:00")
async def test_binary_sensors(
    hass: HomeAssistant,
    simulator_factory: Any,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
) -> None:
    """Every binary sensor of the demo vehicles and charger, with its attributes."""
    sim = await simulator_factory("demo")
    await snapshot_platform_of(hass, sim, Platform.BINARY_SENSOR, entity_registry, snapshot)


async def test_blocking_and_optional_interventions(
    hass: HomeAssistant, simulator_factory: Any
) -> None:
    """Interventions in Enode's order; optional on a capable capability, blocking otherwise.

    The vehicle can start/stop charging alone but the paired charger cannot: the vehicle stays
    capable and lists the charger's intervention (optional); its phone key blocks setMaxCurrent.
    """
    vehicle = GPS_VEHICLE | {
        "capabilities": {"setMaxCurrent": {"isCapable": False, "interventionIds": [PHONE_KEY]}}
    }
    charger = CHARGER | {
        "vendor": "EASEE",
        "information": {"brand": "Easee", "model": "One", "serialNumber": "EH1"},
        "capabilities": {
            "startCharging": {"isCapable": False, "interventionIds": [CHARGER_REMOTE_ACCESS]},
            "stopCharging": {"isCapable": False, "interventionIds": [CHARGER_REMOTE_ACCESS]},
        },
    }
    sim = await simulator_factory(household(linked=[vehicle, charger]))
    entry = await setup_entry(hass, make_entry(sim))

    state = hass.states.get("binary_sensor.tessie_action_required")
    assert state.state == STATE_ON
    interventions = state.attributes["interventions"]
    wire = sim.asset(GPS_VEHICLE_ID)["capabilities"]
    expected_order: list[str] = []
    for capability in wire.values():
        for intervention_id in capability["interventionIds"]:
            if intervention_id not in expected_order:
                expected_order.append(intervention_id)
    assert [i["id"] for i in interventions] == expected_order
    by_id = {i["id"]: i for i in interventions}
    assert by_id[CHARGER_REMOTE_ACCESS]["blocking"] is False
    assert by_id[CHARGER_REMOTE_ACCESS]["capabilities"] == ["startCharging", "stopCharging"]
    assert by_id[PHONE_KEY]["blocking"] is True
    assert by_id[PHONE_KEY] == {
        "id": PHONE_KEY,
        "title": by_id[PHONE_KEY]["title"],
        "access": "physical",
        "agent": "user",
        "action": "link",
        "blocking": True,
        "capabilities": ["setMaxCurrent"],
    }
    assert by_id[PHONE_KEY]["title"]
    # The vehicle's charging switch works (capable), the charger's own capability is blocked.
    assert hass.states.get("switch.tessie_charge") is not None

    charger_state = hass.states.get("binary_sensor.easee_one_action_required")
    assert charger_state.state == STATE_ON
    assert [(i["id"], i["blocking"]) for i in charger_state.attributes["interventions"]] == [
        (CHARGER_REMOTE_ACCESS, True)
    ]

    # Resolved at Enode: the problem clears.
    sim.remove_intervention(GPS_VEHICLE_ID, PHONE_KEY)
    sim.remove_intervention(charger["id"], CHARGER_REMOTE_ACCESS)
    await async_refresh(hass, entry)
    state = hass.states.get("binary_sensor.tessie_action_required")
    assert state.state == STATE_OFF
    assert state.attributes["interventions"] == []


async def test_reachable(hass: HomeAssistant, simulator_factory: Any) -> None:
    """Reachability follows Enode's isReachable; entities stay available with the last data."""
    sim = await simulator_factory(household(linked=[GPS_VEHICLE]))
    entry = await setup_entry(hass, make_entry(sim))
    assert hass.states.get("binary_sensor.tessie_reachable").state == STATE_ON
    sim.set_reachable(GPS_VEHICLE_ID, False)
    await async_refresh(hass, entry)
    assert hass.states.get("binary_sensor.tessie_reachable").state == STATE_OFF
    assert hass.states.get("sensor.tessie_battery").state == "50.0"
    assert entity_id_of(hass, "binary_sensor", f"{GPS_VEHICLE_ID}_reachable")


def entity_id_of(hass: HomeAssistant, domain: str, unique_id: str) -> str | None:
    """Return the entity id of a unique id."""
    return er.async_get(hass).async_get_entity_id(domain, DOMAIN, unique_id)


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
@pytest.mark.freeze_time("2025-06-01T12:00:00+00:00")
async def test_home_energy_binary_sensors(
    hass: HomeAssistant,
    simulator_factory: Any,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
) -> None:
    """A battery (its export focus blocked: action required), inverter, meter, heat pump."""
    sim = await simulator_factory(household(linked=[BATTERY, INVERTER, METER, HEAT_PUMP]))
    await snapshot_platform_of(hass, sim, Platform.BINARY_SENSOR, entity_registry, snapshot)


async def test_battery_fault_and_producing(
    hass: HomeAssistant, simulator_factory: Any, freezer: Any
) -> None:
    """A battery in FAULT is a problem (it stays at rest); an inverter produces by day only."""
    freezer.move_to("2025-06-01T22:30:00+00:00")  # after sunset in Oslo
    battery = BATTERY | {
        "chargeState": {"status": "FAULT", "batteryLevel": 50, "batteryCapacity": 10}
    }
    sim = await simulator_factory(household(linked=[battery, INVERTER]))
    entry = await setup_entry(hass, make_entry(sim))
    assert hass.states.get("binary_sensor.solaredge_home_battery_fault").state == STATE_ON
    assert hass.states.get("sensor.solaredge_home_battery_battery_status").state == "fault"
    assert sim.asset(BATTERY_ID)["chargeState"]["chargeRate"] == 0
    producing = "binary_sensor.solaredge_se5000h_producing"
    assert hass.states.get(producing).state == STATE_OFF
    sim.advance_time(8 * 3600)  # morning
    await async_refresh(hass, entry)
    assert hass.states.get(producing).state == STATE_ON
