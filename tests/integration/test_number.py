"""The maximum current number (charger; the vehicle's is in test_vehicle_controls.py)."""

from __future__ import annotations

from typing import Any
from unittest.mock import patch

from homeassistant.components.number import (
    ATTR_VALUE,
    DOMAIN as NUMBER_DOMAIN,
    SERVICE_SET_VALUE,
)
from homeassistant.const import ATTR_ENTITY_ID, Platform
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import async_capture_events, snapshot_platform
from syrupy.assertion import SnapshotAssertion

from custom_components.enode.const import EVENT_ACTION

from .conftest import CHARGER, CHARGER_ID, async_refresh, household, make_entry, setup_entry

pytestmark = pytest.mark.usefixtures("fast_actions", "fast_client")

NUMBER = "number.zaptec_go_maximum_current"


async def _set(hass: HomeAssistant, value: float, entity_id: str = NUMBER) -> None:
    await hass.services.async_call(
        NUMBER_DOMAIN,
        SERVICE_SET_VALUE,
        {ATTR_ENTITY_ID: entity_id, ATTR_VALUE: value},
        blocking=True,
    )


@pytest.mark.freeze_time("2025-06-01T12:00:00+00:00")
async def test_numbers(
    hass: HomeAssistant,
    simulator_factory: Any,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
) -> None:
    """The demo charger's maximum current and the Tesla's (blocked by the phone key); the ID.4
    cannot set it: no number."""
    sim = await simulator_factory("demo")
    with patch("custom_components.enode.PLATFORMS", [Platform.NUMBER]):
        entry = await setup_entry(hass, make_entry(sim))
    await snapshot_platform(hass, entity_registry, snapshot, entry.entry_id)


async def test_set_max_current(hass: HomeAssistant, simulator_factory: Any) -> None:
    """Setting the maximum current goes through an action; CONFIRMED updates the value."""
    sim = await simulator_factory(household(linked=[CHARGER]))
    await setup_entry(hass, make_entry(sim))
    events = async_capture_events(hass, EVENT_ACTION)
    assert hass.states.get(NUMBER).state == "16.0"
    await _set(hass, 20)
    assert hass.states.get(NUMBER).state == "20.0"
    assert sim.asset(CHARGER_ID)["chargeState"]["maxCurrent"] == 20
    await hass.async_block_till_done()
    assert [(e.data["kind"], e.data["state"], e.data["max_current"]) for e in events] == [
        ("set_max_current", "confirmed", 20)
    ]


async def test_set_max_current_pending(hass: HomeAssistant, simulator_factory: Any) -> None:
    """While the action is PENDING the requested value is shown; a failure reverts it."""
    sim = await simulator_factory(household(linked=[CHARGER], action_delay=600))
    entry = await setup_entry(hass, make_entry(sim))
    with patch("custom_components.enode.actions.ACTION_WAIT_TIMEOUT", 0.05):
        await _set(hass, 10)
    assert hass.states.get(NUMBER).state == "10.0"
    sim.set_reachable(CHARGER_ID, False)
    sim.advance_time(601)
    await async_refresh(hass, entry)
    assert hass.states.get(NUMBER).state == "16.0"


async def test_set_max_current_fails(hass: HomeAssistant, simulator_factory: Any) -> None:
    """An unreachable charger: the action fails within the wait; the error names the detail."""
    sim = await simulator_factory(household(linked=[CHARGER]))
    await setup_entry(hass, make_entry(sim))
    sim.set_reachable(CHARGER_ID, False)
    with pytest.raises(HomeAssistantError) as err:
        await _set(hass, 10)
    assert err.value.translation_key == "action_failed"
    assert hass.states.get(NUMBER).state == "16.0"


async def test_blocked_max_current(hass: HomeAssistant, simulator_factory: Any) -> None:
    """A blocked setMaxCurrent keeps the number; using it names the intervention."""
    charger = CHARGER | {
        "capabilities": {
            "setMaxCurrent": {
                "isCapable": False,
                "interventionIds": ["e1a9c5d3-4f7b-4e2a-9c8d-6b3f1e5a7c94"],
            }
        }
    }
    sim = await simulator_factory(household(linked=[charger]))
    await setup_entry(hass, make_entry(sim))
    with pytest.raises(ServiceValidationError) as err:
        await _set(hass, 10)
    assert err.value.translation_key == "capability_blocked"
    assert sim.count_requests("POST", "/chargers") == 0


async def test_no_number_without_capability(hass: HomeAssistant, simulator_factory: Any) -> None:
    """A permanently missing setMaxCurrent: no number."""
    charger = CHARGER | {"capabilities": {"setMaxCurrent": False}}
    sim = await simulator_factory(household(linked=[charger]))
    await setup_entry(hass, make_entry(sim))
    assert hass.states.get(NUMBER) is None
