"""Sensors of Enode vehicles, chargers, batteries, inverters, meters and HVAC units."""

from __future__ import annotations

from typing import Any

from homeassistant.components.sensor import SensorDeviceClass, SensorStateClass
from homeassistant.const import STATE_UNKNOWN, Platform, UnitOfEnergy
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
import pytest
from syrupy.assertion import SnapshotAssertion

from .conftest import (
    BATTERY,
    BATTERY_ID,
    CHARGER,
    GPS_VEHICLE,
    GPS_VEHICLE_ID,
    HEAT_PUMP,
    INVERTER,
    METER,
    METER_ID,
    VEHICLE_ID,
    VEHICLE_NO_CONTROL,
    async_refresh,
    household,
    make_entry,
    setup_entry,
    snapshot_platform_of,
)

FROZEN = "2025-06-01T12:00:00+00:00"


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
@pytest.mark.freeze_time(FROZEN)
async def test_sensors(
    hass: HomeAssistant,
    simulator_factory: Any,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
) -> None:
    """Every sensor of the demo vehicles and charger, with its attributes."""
    sim = await simulator_factory("demo")
    await snapshot_platform_of(hass, sim, Platform.SENSOR, entity_registry, snapshot)


BATTERY_POWER = "sensor.solaredge_home_battery_battery_power"
CHARGING_POWER = "sensor.solaredge_home_battery_charging_power"
DISCHARGING_POWER = "sensor.solaredge_home_battery_discharging_power"
BATTERY_STATUS = "sensor.solaredge_home_battery_battery_status"
PRODUCTION = "sensor.solaredge_se5000h_production_power"
LIFETIME = "sensor.solaredge_se5000h_lifetime_production"
GRID = "sensor.solaredge_energy_meter_grid_power"
GRID_IMPORT = "sensor.solaredge_energy_meter_grid_import_power"
GRID_EXPORT = "sensor.solaredge_energy_meter_grid_export_power"
HOME = [BATTERY, INVERTER, METER, HEAT_PUMP]


def _value(hass: HomeAssistant, entity_id: str) -> float:
    return float(hass.states.get(entity_id).state)


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
@pytest.mark.freeze_time(FROZEN)
async def test_home_energy_sensors(
    hass: HomeAssistant,
    simulator_factory: Any,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
) -> None:
    """Every sensor of a battery, an inverter, a meter and a heat pump, at noon in June."""
    sim = await simulator_factory(household(linked=HOME))
    await snapshot_platform_of(hass, sim, Platform.SENSOR, entity_registry, snapshot)


@pytest.mark.parametrize(
    ("moment", "mode", "charging", "importing"),
    [
        # Noon, battery idle: the sun covers the house and the rest is exported.
        pytest.param("2025-06-01T12:00:00+00:00", "IDLE", None, False, id="noon-idle"),
        # Night, charging from the grid.
        pytest.param("2025-06-01T00:00:00+00:00", "IMPORT_FOCUS", True, True, id="night-import"),
        # Night, discharging beyond the house's needs: exported.
        pytest.param("2025-06-01T00:00:00+00:00", "EXPORT_FOCUS", False, False, id="night-export"),
    ],
)
async def test_power_flows(
    hass: HomeAssistant,
    simulator_factory: Any,
    freezer: Any,
    moment: str,
    mode: str,
    charging: bool | None,
    importing: bool,
) -> None:
    """Battery and grid power as Enode signs them, and each direction non-negative."""
    freezer.move_to(moment)
    battery = BATTERY | {"config": {"operationMode": mode}, "capabilities": {}}
    sim = await simulator_factory(household(linked=[battery, INVERTER, METER]))
    await setup_entry(hass, make_entry(sim))
    rate = sim.asset(BATTERY_ID)["chargeState"]["chargeRate"]
    power = sim.asset(METER_ID)["energyState"]["power"]
    assert _value(hass, BATTERY_POWER) == rate
    assert _value(hass, CHARGING_POWER) == max(rate, 0)
    assert _value(hass, DISCHARGING_POWER) == max(-rate, 0)
    assert _value(hass, GRID) == power
    assert _value(hass, GRID_IMPORT) == max(power, 0)
    assert _value(hass, GRID_EXPORT) == max(-power, 0)
    assert (power > 0) is importing
    if charging is None:
        assert rate == 0
        assert hass.states.get(BATTERY_STATUS).state == "idle"
    else:
        assert (rate > 0) is charging
        assert hass.states.get(BATTERY_STATUS).state == ("charging" if charging else "discharging")
    assert (_value(hass, PRODUCTION) > 0) is moment.endswith("12:00:00+00:00")


async def test_lifetime_production_grows(
    hass: HomeAssistant, simulator_factory: Any, freezer: Any
) -> None:
    """Lifetime production is a total_increasing kWh counter that grows by what was produced."""
    freezer.move_to("2025-06-01T10:00:00+00:00")
    sim = await simulator_factory(household(linked=[INVERTER]))
    entry = await setup_entry(hass, make_entry(sim))
    state = hass.states.get(LIFETIME)
    assert state.attributes["state_class"] == SensorStateClass.TOTAL_INCREASING
    assert state.attributes["unit_of_measurement"] == UnitOfEnergy.KILO_WATT_HOUR
    assert state.attributes["device_class"] == SensorDeviceClass.ENERGY
    before = _value(hass, LIFETIME)
    power = _value(hass, PRODUCTION)
    sim.advance_time(3600)
    await async_refresh(hass, entry)
    gained = _value(hass, LIFETIME) - before
    assert 0.5 * power < gained < 1.5 * power  # about an hour of production


async def test_missing_capabilities_have_no_sensors(
    hass: HomeAssistant, simulator_factory: Any
) -> None:
    """An inverter without production state and a meter that measures only consumption."""
    inverter = INVERTER | {"capabilities": {"productionState": False}}
    meter = METER | {"capabilities": {"measuresProduction": False}}
    sim = await simulator_factory(household(linked=[inverter, meter]))
    await setup_entry(hass, make_entry(sim))
    assert hass.states.get(PRODUCTION) is None
    assert hass.states.get(LIFETIME) is None
    assert hass.states.get(GRID_EXPORT) is None
    assert hass.states.get(GRID) is not None
    assert hass.states.get(GRID_IMPORT) is not None


async def test_unknown_battery_status(hass: HomeAssistant, simulator_factory: Any) -> None:
    """A status this integration does not know is unknown (so is the fault sensor)."""
    battery = BATTERY | {
        "chargeState": {"status": "EXPLODING", "batteryLevel": 50, "batteryCapacity": 10},
        "isReachable": False,  # what Enode last heard stays as it was
    }
    sim = await simulator_factory(household(linked=[battery]))
    await setup_entry(hass, make_entry(sim))
    assert sim.asset(BATTERY_ID)["chargeState"]["status"] == "EXPLODING"
    assert hass.states.get(BATTERY_STATUS).state == STATE_UNKNOWN
    assert hass.states.get("binary_sensor.solaredge_home_battery_fault").state == STATE_UNKNOWN


def _rate(hass: HomeAssistant, entity_id: str) -> str:
    state = hass.states.get(entity_id)
    assert state is not None
    return state.state


async def test_charge_rate_is_zero_when_no_power_flows(
    hass: HomeAssistant, simulator_factory: Any
) -> None:
    """Enode reports chargeRate only while charging: 0 kW when unplugged or stopped, not unknown.

    A vehicle whose brand does not report the rate stays unknown while it charges.
    """
    sim = await simulator_factory(household(linked=[GPS_VEHICLE, VEHICLE_NO_CONTROL, CHARGER]))
    entry = await setup_entry(hass, make_entry(sim))
    coordinator = entry.runtime_data.coordinator
    tessie, family, zaptec = (
        "sensor.tessie_charge_rate",
        "sensor.family_car_charge_rate",
        "sensor.zaptec_go_charge_rate",
    )
    # Nothing plugged in: Enode says chargeRate null, UNPLUGGED.
    assert coordinator.data.vehicles[GPS_VEHICLE_ID].charge_state.charge_rate is None
    assert [_rate(hass, e) for e in (tessie, family, zaptec)] == ["0.0", "0.0", "0.0"]

    # Charging: the reported rate; a brand that reports none stays unknown while power flows.
    sim.plug_in(GPS_VEHICLE_ID, charging=True)
    sim.plug_in(VEHICLE_ID, charging=True)
    await coordinator.async_refresh()
    await hass.async_block_till_done()
    assert float(_rate(hass, tessie)) > 0
    assert coordinator.data.vehicles[VEHICLE_ID].charge_state.charge_rate is None
    assert _rate(hass, family) == STATE_UNKNOWN

    # Plugged in, stopped: no power flows.
    sim.set_charging_state(GPS_VEHICLE_ID, False)
    sim.set_charging_state(VEHICLE_ID, False)
    await coordinator.async_refresh()
    await hass.async_block_till_done()
    assert [_rate(hass, e) for e in (tessie, family)] == ["0.0", "0.0"]
