"""Sensors of Enode vehicles and chargers."""

from __future__ import annotations

from typing import Any
from unittest.mock import patch

from homeassistant.const import STATE_UNKNOWN, Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import snapshot_platform
from syrupy.assertion import SnapshotAssertion

from .conftest import (
    CHARGER,
    GPS_VEHICLE,
    GPS_VEHICLE_ID,
    VEHICLE_ID,
    VEHICLE_NO_CONTROL,
    household,
    make_entry,
    setup_entry,
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
    with patch("custom_components.enode.PLATFORMS", [Platform.SENSOR]):
        entry = await setup_entry(hass, make_entry(sim))
    await snapshot_platform(hass, entity_registry, snapshot, entry.entry_id)


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
