"""The battery operation mode select (its one-transition checks are in test_command_transitions)."""

from __future__ import annotations

from typing import Any
from unittest.mock import patch

from homeassistant.components.select import (
    ATTR_OPTION,
    ATTR_OPTIONS,
    DOMAIN as SELECT_DOMAIN,
    SERVICE_SELECT_OPTION,
)
from homeassistant.const import ATTR_ENTITY_ID, STATE_UNKNOWN, Platform
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import async_capture_events
from syrupy.assertion import SnapshotAssertion

from custom_components.enode.const import EVENT_ACTION

from .conftest import (
    BATTERY,
    BATTERY_GRID_EXPORT,
    BATTERY_ID,
    async_refresh,
    household,
    make_entry,
    setup_entry,
    snapshot_platform_of,
)

pytestmark = pytest.mark.usefixtures("fast_actions", "fast_client")

SELECT = "select.solaredge_home_battery_operation_mode"


async def _select(hass: HomeAssistant, option: str, entity_id: str = SELECT) -> None:
    await hass.services.async_call(
        SELECT_DOMAIN,
        SERVICE_SELECT_OPTION,
        {ATTR_ENTITY_ID: entity_id, ATTR_OPTION: option},
        blocking=True,
    )


def _options(hass: HomeAssistant) -> list[str]:
    return list(hass.states.get(SELECT).attributes[ATTR_OPTIONS])


@pytest.mark.freeze_time("2025-06-01T12:00:00+00:00")
async def test_selects(
    hass: HomeAssistant,
    simulator_factory: Any,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
) -> None:
    """The demo Powerwall's operation mode: IDLE is permanently missing, so not an option."""
    sim = await simulator_factory("demo")
    await snapshot_platform_of(hass, sim, Platform.SELECT, entity_registry, snapshot)


async def test_select_mode(hass: HomeAssistant, simulator_factory: Any) -> None:
    """Choosing a mode sets it at Enode through an action; the outcome is an event."""
    sim = await simulator_factory(household(linked=[BATTERY]))
    await setup_entry(hass, make_entry(sim))
    events = async_capture_events(hass, EVENT_ACTION)
    assert hass.states.get(SELECT).state == "self_reliance"
    # Only the modes the capabilities allow: IDLE is permanently missing; export is blocked.
    assert _options(hass) == ["import_focus", "export_focus", "time_of_use", "self_reliance"]
    await _select(hass, "time_of_use")
    assert hass.states.get(SELECT).state == "time_of_use"
    assert sim.asset(BATTERY_ID)["config"]["operationMode"] == "TIME_OF_USE"
    await hass.async_block_till_done()
    assert [
        (e.data["kind"], e.data["asset_type"], e.data["operation_mode"], e.data["state"])
        for e in events
    ] == [("set_operation_mode", "battery", "time_of_use", "confirmed")]
    # The mode it is in already: nothing is sent.
    requests = sim.count_requests("POST", "/batteries")
    await _select(hass, "time_of_use")
    assert sim.count_requests("POST", "/batteries") == requests


async def test_select_blocked_mode(hass: HomeAssistant, simulator_factory: Any) -> None:
    """A blocked mode stays an option; choosing it names the intervention, sends nothing."""
    sim = await simulator_factory(household(linked=[BATTERY]))
    await setup_entry(hass, make_entry(sim))
    with pytest.raises(ServiceValidationError) as err:
        await _select(hass, "export_focus")
    assert err.value.translation_key == "capability_blocked"
    placeholders = err.value.translation_placeholders or {}
    assert placeholders["intervention"] == "Allow the battery to export to the grid"
    assert placeholders["capability"] == "Export focus mode"
    assert sim.count_requests("POST", "/batteries") == 0
    assert hass.states.get(SELECT).state == "self_reliance"


async def test_modes_appear_without_reload(hass: HomeAssistant, simulator_factory: Any) -> None:
    """A battery without any mode has no select; one that becomes possible appears, and a
    mode that becomes capable can be chosen, without a reload."""
    no_modes = dict.fromkeys(
        ("importFocus", "exportFocus", "timeOfUse", "selfReliance", "idle"), False
    )
    sim = await simulator_factory(household(linked=[BATTERY | {"capabilities": no_modes}]))
    entry = await setup_entry(hass, make_entry(sim))
    assert hass.states.get(SELECT) is None
    sim.add_intervention(BATTERY_ID, "idle", BATTERY_GRID_EXPORT)  # blocked: now present
    await async_refresh(hass, entry)
    assert _options(hass) == ["idle"]
    assert hass.states.get(SELECT).state == STATE_UNKNOWN  # SELF_RELIANCE is not an option
    sim.remove_intervention(BATTERY_ID, BATTERY_GRID_EXPORT)  # capable
    await async_refresh(hass, entry)
    await _select(hass, "idle")
    assert sim.asset(BATTERY_ID)["config"]["operationMode"] == "IDLE"
    assert hass.states.get(SELECT).state == "idle"


async def test_select_fails(hass: HomeAssistant, simulator_factory: Any) -> None:
    """An unreachable battery: the action fails within the wait; the error names the detail."""
    sim = await simulator_factory(household(linked=[BATTERY]))
    await setup_entry(hass, make_entry(sim))
    sim.set_reachable(BATTERY_ID, False)
    with pytest.raises(HomeAssistantError) as err:
        await _select(hass, "import_focus")
    assert err.value.translation_key == "action_failed"
    assert "unreachable" in (err.value.translation_placeholders or {})["detail"]
    assert hass.states.get(SELECT).state == "self_reliance"


async def test_select_back_cancels_the_pending_change(
    hass: HomeAssistant, simulator_factory: Any
) -> None:
    """While a change is PENDING the requested mode shows; choosing the battery's mode again
    cancels the change at Enode (one event: cancelled)."""
    sim = await simulator_factory(household(linked=[BATTERY], action_delay=600))
    await setup_entry(hass, make_entry(sim))
    events = async_capture_events(hass, EVENT_ACTION)
    with patch("custom_components.enode.actions.ACTION_WAIT_TIMEOUT", 0.05):
        await _select(hass, "import_focus")
    assert hass.states.get(SELECT).state == "import_focus"
    # Asking again for the pending mode waits for the same action (nothing new is sent).
    with patch("custom_components.enode.actions.ACTION_WAIT_TIMEOUT", 0.05):
        await _select(hass, "import_focus")
    assert sim.count_requests("POST", f"/batteries/{BATTERY_ID}/operation-mode") == 1
    await _select(hass, "self_reliance")
    assert hass.states.get(SELECT).state == "self_reliance"
    assert sim.count_requests("POST", "/batteries/actions/") == 1  # the cancel
    await hass.async_block_till_done()
    assert [(e.data["state"], e.data["failure_reason"]) for e in events] == [
        ("cancelled", "requested_cancellation")
    ]
    sim.advance_time(601)
    assert sim.asset(BATTERY_ID)["config"]["operationMode"] == "SELF_RELIANCE"


async def test_unknown_operation_mode(hass: HomeAssistant, simulator_factory: Any) -> None:
    """A mode this integration does not know is shown as unknown; the modes still work."""
    sim = await simulator_factory(
        household(linked=[BATTERY | {"config": {"operationMode": "STORM_WATCH"}}])
    )
    await setup_entry(hass, make_entry(sim))
    assert hass.states.get(SELECT).state == STATE_UNKNOWN
    await _select(hass, "self_reliance")
    assert hass.states.get(SELECT).state == "self_reliance"
