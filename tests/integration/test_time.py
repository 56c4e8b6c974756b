"""The smart charging deadline (time platform); its use is in test_smart_charging.py."""

from __future__ import annotations

from typing import Any
from unittest.mock import patch

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import snapshot_platform
from syrupy.assertion import SnapshotAssertion

from custom_components.enode.time import parse_deadline

from .conftest import make_entry, setup_entry

pytestmark = pytest.mark.usefixtures("fast_client")


@pytest.mark.freeze_time("2025-06-01T12:00:00+00:00")
async def test_times(
    hass: HomeAssistant,
    simulator_factory: Any,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
) -> None:
    """The demo's Tesla (smart charging capable) and ID.4 (eligible through the Zaptec it pairs
    with) have a deadline; the chargers have none."""
    sim = await simulator_factory("demo")
    with patch("custom_components.enode.PLATFORMS", [Platform.TIME]):
        entry = await setup_entry(hass, make_entry(sim))
    await snapshot_platform(hass, entity_registry, snapshot, entry.entry_id)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("07:00", "07:00:00"),
        ("24:00", "00:00:00"),
        ("23:59", "23:59:00"),
        (None, None),
        ("7", None),
    ],
)
def test_parse_deadline(value: str | None, expected: str | None) -> None:
    """Enode's HH:MM (24:00 is the next midnight); anything else is unknown."""
    parsed = parse_deadline(value)
    assert (parsed.isoformat() if parsed is not None else None) == expected
