"""Sensors of Enode vehicles and chargers."""

from __future__ import annotations

from typing import Any
from unittest.mock import patch

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import snapshot_platform
from syrupy.assertion import SnapshotAssertion

from .conftest import make_entry, setup_entry

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
