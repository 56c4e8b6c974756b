"""Restarts (issue 12): nothing a delivery or a command's outcome carried is lost around one.

Home Assistant's HTTP server answers 200 for a webhook id nobody registered (yet), so Enode does
not retry a delivery that arrives while the entry is stopped or still setting up. The entry
therefore registers its webhook before its first refresh (deliveries during set-up are applied
once it is ready), the first refresh catches up on what push missed, and commands still pending
survive the restart (stored per entry) and are reconciled with ``GET .../actions/{id}``.
"""

from __future__ import annotations

import asyncio
from typing import Any
from unittest.mock import patch

from aiohttp.test_utils import TestClient
from homeassistant.components.switch import DOMAIN as SWITCH_DOMAIN
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import ATTR_ENTITY_ID, SERVICE_TURN_ON, STATE_OFF, STATE_ON
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_capture_events

from custom_components.enode.const import EVENT_ACTION

from . import test_webhook
from .conftest import GPS_VEHICLE_ID, TEST_USER, make_entry
from .test_webhook import SWITCH, _battery, _deliver, _post, _setup, _signed, _sim

pytestmark = pytest.mark.usefixtures("fast_client", "fast_actions")


async def _stop(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Stop the entry as a Home Assistant shutdown would (its webhook is unregistered)."""
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)


async def _start(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert entry.state is ConfigEntryState.LOADED


async def _turn_on_pending(hass: HomeAssistant) -> None:
    """Start charging; the action stays PENDING (the call returns before its outcome)."""
    with patch("custom_components.enode.actions.ACTION_WAIT_TIMEOUT", 0.05):
        await hass.services.async_call(
            SWITCH_DOMAIN, SERVICE_TURN_ON, {ATTR_ENTITY_ID: SWITCH}, blocking=True
        )


async def test_outcome_while_stopped_is_reported_after_restart(
    hass: HomeAssistant, simulator_factory: Any, ha_client: TestClient
) -> None:
    """A command pending at shutdown is confirmed while Home Assistant is stopped (its pushed
    outcome gets a 200 from Home Assistant and is lost): after the restart the outcome is read
    from Enode and reported once; the switch shows it."""
    sim = await _sim(simulator_factory, action_delay=600)
    entry = await _setup(hass, sim)
    events = async_capture_events(hass, EVENT_ACTION)
    await _turn_on_pending(hass)
    assert entry.runtime_data.coordinator.data.pending_actions
    await _stop(hass, entry)

    sim.advance_time(601)
    await _deliver(hass, sim)  # the outcome, answered 200 by Home Assistant and lost
    assert sim.webhooks.attempts[-1].status == 200
    assert "user:vendor-action:updated" in sim.webhooks.attempts[-1].events
    assert events == []

    sim.clear_requests()
    await _start(hass, entry)
    assert [e.data["state"] for e in events] == ["confirmed"]
    assert events[0].data["asset_id"] == GPS_VEHICLE_ID
    assert sim.count_requests("GET", "/vehicles/actions/") == 1
    assert entry.runtime_data.coordinator.data.pending_actions == {}
    assert hass.states.get(SWITCH).state == STATE_ON

    # The outcome is reported once: another restart and the same outcome delivered again
    # (Enode retrying a delivery) change nothing.
    await _stop(hass, entry)
    await _start(hass, entry)
    (action,) = sim.snapshot()["actions"]
    again = {
        "event": "user:vendor-action:updated",
        "user": {"id": TEST_USER},
        "vendorAction": action,
        "updatedFields": ["state"],
    }
    assert await _post(ha_client, entry, *_signed(entry, [again])) == 200
    await hass.async_block_till_done(wait_background_tasks=True)
    assert len(events) == 1


async def test_pending_after_restart_is_still_followed(
    hass: HomeAssistant, simulator_factory: Any, ha_client: TestClient
) -> None:
    """A command still pending after the restart keeps its requested state and is followed:
    its later (pushed) outcome is reported."""
    sim = await _sim(simulator_factory, action_delay=600)
    entry = await _setup(hass, sim)
    events = async_capture_events(hass, EVENT_ACTION)
    await _turn_on_pending(hass)
    await _stop(hass, entry)
    await _start(hass, entry)
    assert len(entry.runtime_data.coordinator.data.pending_actions) == 1
    assert hass.states.get(SWITCH).state == STATE_ON  # the requested state
    sim.advance_time(601)
    await _deliver(hass, sim)
    assert [e.data["state"] for e in events] == ["confirmed"]
    assert entry.runtime_data.coordinator.data.pending_actions == {}


async def test_action_gone_after_restart(
    hass: HomeAssistant, simulator_factory: Any, ha_client: TestClient
) -> None:
    """A stored pending action Enode no longer knows (404) is dropped; the switch shows the
    device's state."""
    sim = await _sim(simulator_factory, action_delay=600)
    entry = await _setup(hass, sim)
    await _turn_on_pending(hass)
    await _stop(hass, entry)
    sim.inject_fault(status=404, count=1, path_prefix="/vehicles/actions/")
    await _start(hass, entry)
    assert entry.runtime_data.coordinator.data.pending_actions == {}
    assert hass.states.get(SWITCH).state == STATE_OFF


async def test_delivery_during_setup_is_applied(
    hass: HomeAssistant, simulator_factory: Any, ha_client: TestClient
) -> None:
    """A delivery that arrives while the entry is still setting up (after its first refresh
    read the state, before its platforms are up) is applied once the entry is ready."""
    sim = await _sim(simulator_factory)
    entry = await _setup(hass, sim)
    await _stop(hass, entry)
    real_forward = hass.config_entries.async_forward_entry_setups

    async def forward_while_enode_delivers(*args: Any) -> None:
        sim.set_battery_level(GPS_VEHICLE_ID, 77)
        await sim.flush_webhooks()
        assert sim.webhooks.attempts[-1].status == 200
        await real_forward(*args)

    with patch.object(
        hass.config_entries, "async_forward_entry_setups", forward_while_enode_delivers
    ):
        await _start(hass, entry)
    assert _battery(hass) == 77


async def test_stop_while_a_command_waits(
    hass: HomeAssistant, simulator_factory: Any, ha_client: TestClient
) -> None:
    """Stopping the entry while a command waits for its outcome ends the wait (the call returns
    with the action pending); the outcome is reported once, by the restarted entry."""
    sim = await _sim(simulator_factory, action_delay=600)
    entry = await _setup(hass, sim)
    events = async_capture_events(hass, EVENT_ACTION)
    with (
        patch("custom_components.enode.actions.ACTION_WAIT_TIMEOUT", 60.0),
        patch("custom_components.enode.actions.ACTION_POLL_INTERVAL", 0.05),
    ):
        call = hass.async_create_task(
            hass.services.async_call(
                SWITCH_DOMAIN, SERVICE_TURN_ON, {ATTR_ENTITY_ID: SWITCH}, blocking=True
            )
        )
        for _ in range(100):
            await asyncio.sleep(0.01)
            if entry.runtime_data.coordinator.data.pending_actions:
                break
        await _stop(hass, entry)
        async with asyncio.timeout(2):
            await call
        sim.advance_time(601)
        await _start(hass, entry)
        await asyncio.sleep(0.2)  # the old wait's polling interval passes: it polls no more
        await hass.async_block_till_done(wait_background_tasks=True)
    assert [e.data["state"] for e in events] == ["confirmed"]


async def test_restart_reuses_entry(hass: HomeAssistant, simulator_factory: Any) -> None:
    """Without a webhook (no URL) a restart reconciles the stored action by polling too."""
    sim = await _sim(simulator_factory, action_delay=600)
    entry = await test_webhook.setup_entry(hass, make_entry(sim))
    events = async_capture_events(hass, EVENT_ACTION)
    await _turn_on_pending(hass)
    await _stop(hass, entry)
    sim.advance_time(601)
    await _start(hass, entry)
    assert [e.data["state"] for e in events] == ["confirmed"]


async def test_unreadable_stored_actions(
    hass: HomeAssistant, simulator_factory: Any, hass_storage: dict[str, Any]
) -> None:
    """What the store holds that cannot be read (another version's shape, a type this version
    does not follow) is skipped with a debug line; the entry sets up."""
    sim = await _sim(simulator_factory)
    entry = make_entry(sim)
    confirmed = {"id": "done", "state": "CONFIRMED", "kind": "START", "targetId": GPS_VEHICLE_ID}
    hass_storage[f"enode.{entry.entry_id}.actions"] = {
        "version": 1,
        "minor_version": 1,
        "key": f"enode.{entry.entry_id}.actions",
        "data": {
            "pending": [
                {"asset_type": "toaster", "action": {"id": "a1", "state": "PENDING"}},
                {"asset_type": "vehicle", "action": {"state": "PENDING"}},
                {"asset_type": "hvac", "action": {"id": "a2", "state": "PENDING"}},
                {"asset_type": "vehicle", "action": confirmed},
            ],
            "finished": [{"state": "CONFIRMED"}, confirmed],
        },
    }
    events = async_capture_events(hass, EVENT_ACTION)
    await test_webhook.setup_entry(hass, entry)
    assert entry.state is ConfigEntryState.LOADED
    assert entry.runtime_data.coordinator.data.pending_actions == {}
    assert "done" in entry.runtime_data.actions.finished
    assert events == []
