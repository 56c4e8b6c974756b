"""Vehicle position trackers."""

from __future__ import annotations

from typing import Any
from unittest.mock import patch

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import snapshot_platform
from syrupy.assertion import SnapshotAssertion

from .conftest import GPS_VEHICLE, GPS_VEHICLE_ID, async_refresh, household, make_entry, setup_entry


@pytest.mark.freeze_time("2025-06-01T12:00:00+00:00")
async def test_trackers(
    hass: HomeAssistant,
    simulator_factory: Any,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
) -> None:
    """Only the demo vehicle with GPS gets a tracker."""
    sim = await simulator_factory("demo")
    with patch("custom_components.enode.PLATFORMS", [Platform.DEVICE_TRACKER]):
        entry = await setup_entry(hass, make_entry(sim))
    await snapshot_platform(hass, entity_registry, snapshot, entry.entry_id)


async def test_tracker_follows_vehicle(hass: HomeAssistant, simulator_factory: Any) -> None:
    """The tracker follows the vehicle's GPS position."""
    await hass.config.async_update(latitude=59.9139, longitude=10.7522)
    sim = await simulator_factory(household(linked=[GPS_VEHICLE]))
    entry = await setup_entry(hass, make_entry(sim))
    assert hass.states.get("device_tracker.tessie_position").state == "home"
    sim.set_vehicle_position(GPS_VEHICLE_ID, 60.5, 11.0)
    await async_refresh(hass, entry)
    state = hass.states.get("device_tracker.tessie_position")
    assert state.state == "not_home"
    assert (state.attributes["latitude"], state.attributes["longitude"]) == (60.5, 11.0)
