"""A confirmed command moves its entity once (issue: the snapshot is the only state).

Every ``state_changed`` of the commanded entity is recorded from the moment the command is sent
until everything has settled: a confirmed command must show exactly one transition (to the
requested state, while PENDING), whether the outcome is polled or pushed by webhook.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any
from unittest.mock import patch

from aiohttp.test_utils import TestClient
from homeassistant.components.number import (
    ATTR_VALUE,
    DOMAIN as NUMBER_DOMAIN,
    SERVICE_SET_VALUE,
)
from homeassistant.components.switch import DOMAIN as SWITCH_DOMAIN
from homeassistant.const import ATTR_ENTITY_ID, SERVICE_TURN_ON
from homeassistant.core import Event, EventStateChangedData, HomeAssistant, callback
from homeassistant.helpers.event import async_track_state_change_event
from homeassistant.setup import async_setup_component
import pytest

from .conftest import (
    CHARGER,
    CHARGER_ID,
    GPS_VEHICLE,
    GPS_VEHICLE_ID,
    household,
    make_entry,
    setup_entry,
)

pytestmark = pytest.mark.usefixtures("fast_client")

ACTION_DELAY = 30  # simulated seconds an action stays PENDING
PLUGGED = [{"vehicle": GPS_VEHICLE_ID, "charger": CHARGER_ID, "charging": False}]

# (entity, domain, service, data, state before, requested state)
COMMANDS = [
    pytest.param(
        "switch.tessie_charge", SWITCH_DOMAIN, SERVICE_TURN_ON, {}, "off", "on", id="vehicle"
    ),
    pytest.param(
        "switch.zaptec_go_charge", SWITCH_DOMAIN, SERVICE_TURN_ON, {}, "off", "on", id="charger"
    ),
    pytest.param(
        "number.zaptec_go_maximum_current",
        NUMBER_DOMAIN,
        SERVICE_SET_VALUE,
        {ATTR_VALUE: 20},
        "16.0",
        "20.0",
        id="max_current",
    ),
]


def _record(hass: HomeAssistant, entity_id: str) -> tuple[list[tuple[str, str]], asyncio.Event]:
    """Record every state change of an entity; the event is set at the first one."""
    changes: list[tuple[str, str]] = []
    first = asyncio.Event()

    @callback
    def _changed(event: Event[EventStateChangedData]) -> None:
        old, new = event.data["old_state"], event.data["new_state"]
        assert old is not None
        assert new is not None
        changes.append((old.state, new.state))
        first.set()

    async_track_state_change_event(hass, entity_id, _changed)
    return changes, first


def _call(
    hass: HomeAssistant, domain: str, service: str, entity_id: str, data: dict[str, Any]
) -> Callable[[], Any]:
    return lambda: hass.services.async_call(
        domain, service, {ATTR_ENTITY_ID: entity_id, **data}, blocking=True
    )


@pytest.mark.parametrize(("entity_id", "domain", "service", "data", "before", "after"), COMMANDS)
async def test_polled_confirmation_moves_the_entity_once(
    hass: HomeAssistant,
    simulator_factory: Any,
    entity_id: str,
    domain: str,
    service: str,
    data: dict[str, Any],
    before: str,
    after: str,
) -> None:
    """PENDING, then CONFIRMED on a later poll: one transition, no blip back."""
    sim = await simulator_factory(
        household(linked=[GPS_VEHICLE, CHARGER], plugged=PLUGGED, action_delay=ACTION_DELAY)
    )
    await setup_entry(hass, make_entry(sim))
    assert hass.states.get(entity_id).state == before
    changes, first = _record(hass, entity_id)
    with (
        patch("custom_components.enode.actions.ACTION_POLL_INTERVAL", 0.02),
        patch("custom_components.enode.actions.ACTION_WAIT_TIMEOUT", 10.0),
    ):
        call = hass.async_create_task(_call(hass, domain, service, entity_id, data)())
        async with asyncio.timeout(5):
            await first.wait()  # the requested state, while PENDING
        assert not call.done()
        sim.advance_time(ACTION_DELAY + 1)  # Enode confirms; the next poll sees it
        async with asyncio.timeout(5):
            await call
    await hass.async_block_till_done()
    assert changes == [(before, after)]
    assert hass.states.get(entity_id).state == after


@pytest.mark.parametrize(("entity_id", "domain", "service", "data", "before", "after"), COMMANDS)
async def test_pushed_confirmation_moves_the_entity_once(
    hass: HomeAssistant,
    simulator_factory: Any,
    hass_client_no_auth: Any,
    entity_id: str,
    domain: str,
    service: str,
    data: dict[str, Any],
    before: str,
    after: str,
) -> None:
    """PENDING, then CONFIRMED by webhook (the action update and the device update, as Enode
    sends them): one transition, no blip back."""
    assert await async_setup_component(hass, "webhook", {})
    client: TestClient = await hass_client_no_auth()
    await hass.config.async_update(internal_url=str(client.make_url("/")).rstrip("/"))
    sim = await simulator_factory(
        household(linked=[GPS_VEHICLE, CHARGER], plugged=PLUGGED, action_delay=ACTION_DELAY)
    )
    await setup_entry(hass, make_entry(sim))
    await hass.async_block_till_done(wait_background_tasks=True)  # the webhook registration
    assert hass.states.get(entity_id).state == before
    changes, first = _record(hass, entity_id)
    with (
        # Not polled meanwhile: only the pushed outcome can end the wait.
        patch("custom_components.enode.actions.ACTION_POLL_INTERVAL", 60.0),
        patch("custom_components.enode.actions.ACTION_WAIT_TIMEOUT", 60.0),
    ):
        call = hass.async_create_task(_call(hass, domain, service, entity_id, data)())
        async with asyncio.timeout(5):
            await first.wait()
        await sim.flush_webhooks()  # the PENDING action update
        sim.advance_time(ACTION_DELAY + 1)
        await sim.flush_webhooks()  # CONFIRMED, and the device's new state
        async with asyncio.timeout(5):
            await call
    await hass.async_block_till_done(wait_background_tasks=True)
    assert sim.webhooks.attempts, "the simulator delivered nothing"
    assert sim.count_requests("GET", "/vehicles/actions/") == 0
    assert sim.count_requests("GET", "/chargers/actions/") == 0
    assert changes == [(before, after)]
    assert hass.states.get(entity_id).state == after
