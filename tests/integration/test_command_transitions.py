"""A confirmed command moves its entity once (issue: the snapshot is the only state).

Every ``state_changed`` of the commanded entity is recorded from the moment the command is sent
until everything has settled: a confirmed command must show exactly one transition (to the
requested state, while PENDING), whether the outcome is polled or pushed by webhook.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta
from typing import Any
from unittest.mock import patch

from aiohttp.test_utils import TestClient
from homeassistant.components.climate import (
    ATTR_HVAC_MODE,
    DOMAIN as CLIMATE_DOMAIN,
    SERVICE_SET_HVAC_MODE,
)
from homeassistant.components.number import (
    ATTR_VALUE,
    DOMAIN as NUMBER_DOMAIN,
    SERVICE_SET_VALUE,
)
from homeassistant.components.select import (
    ATTR_OPTION,
    DOMAIN as SELECT_DOMAIN,
    SERVICE_SELECT_OPTION,
)
from homeassistant.components.switch import DOMAIN as SWITCH_DOMAIN
from homeassistant.const import ATTR_ENTITY_ID, SERVICE_TURN_ON
from homeassistant.core import Event, EventStateChangedData, HomeAssistant, callback
from homeassistant.helpers.event import async_track_state_change_event
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import async_fire_time_changed

from custom_components.enode.actions import STATE_PUSH_GRACE
from custom_components.enode.api.const import ASSET_PATHS
from custom_components.enode.const import EVENT_ACTION

from .conftest import (
    BATTERY,
    CHARGER,
    CHARGER_ID,
    GPS_VEHICLE,
    GPS_VEHICLE_ID,
    HEAT_PUMP,
    household,
    make_entry,
    setup_entry,
)

pytestmark = pytest.mark.usefixtures("fast_client")

ACTION_DELAY = 30  # simulated seconds an action stays PENDING
PLUGGED = [{"vehicle": GPS_VEHICLE_ID, "charger": CHARGER_ID, "charging": False}]
DEVICES = [GPS_VEHICLE, CHARGER, BATTERY, HEAT_PUMP]

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
    pytest.param(
        "select.solaredge_home_battery_operation_mode",
        SELECT_DOMAIN,
        SERVICE_SELECT_OPTION,
        {ATTR_OPTION: "time_of_use"},
        "self_reliance",
        "time_of_use",
        id="battery_operation_mode",
    ),
    pytest.param(
        "climate.bedroom",
        CLIMATE_DOMAIN,
        SERVICE_SET_HVAC_MODE,
        {ATTR_HVAC_MODE: "off"},
        "heat",
        "off",
        id="hvac_mode",
    ),
]


# What the simulated clock moves by itself, not the command (an HVAC's room temperature).
CLOCK_ATTRIBUTES = frozenset({"current_temperature"})


def _record(hass: HomeAssistant, entity_id: str) -> tuple[list[tuple[str, str]], asyncio.Event]:
    """Record every state change of an entity; the event is set at the first one.

    A change of only ``CLOCK_ATTRIBUTES`` is not the command's doing and is not recorded.
    """
    changes: list[tuple[str, str]] = []
    first = asyncio.Event()

    @callback
    def _changed(event: Event[EventStateChangedData]) -> None:
        old, new = event.data["old_state"], event.data["new_state"]
        assert old is not None
        assert new is not None
        if (
            old.state == new.state
            and {
                key
                for key in old.attributes.keys() | new.attributes.keys()
                if old.attributes.get(key) != new.attributes.get(key)
            }
            <= CLOCK_ATTRIBUTES
        ):
            return
        changes.append((old.state, new.state))
        first.set()

    async_track_state_change_event(hass, entity_id, _changed)
    return changes, first


async def _setup_with_push(
    hass: HomeAssistant, simulator_factory: Any, hass_client_no_auth: Any
) -> tuple[Any, Any]:
    """Set the household up with push: Home Assistant's webhook registered at the simulator."""
    assert await async_setup_component(hass, "webhook", {})
    client: TestClient = await hass_client_no_auth()
    await hass.config.async_update(internal_url=str(client.make_url("/")).rstrip("/"))
    sim = await simulator_factory(
        household(linked=DEVICES, plugged=PLUGGED, action_delay=ACTION_DELAY)
    )
    entry = await setup_entry(hass, make_entry(sim))
    await hass.async_block_till_done(wait_background_tasks=True)  # the webhook registration
    return sim, entry


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
        household(linked=DEVICES, plugged=PLUGGED, action_delay=ACTION_DELAY)
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
    sim, _ = await _setup_with_push(hass, simulator_factory, hass_client_no_auth)
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
    assert sim.count_requests("GET", "/batteries/actions/") == 0
    assert sim.count_requests("GET", "/hvacs/actions/") == 0
    assert changes == [(before, after)]
    assert hass.states.get(entity_id).state == after


@pytest.mark.parametrize(("entity_id", "domain", "service", "data", "before", "after"), COMMANDS)
async def test_pushed_confirmation_without_the_device_update(
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
    """CONFIRMED by webhook, but the device's update is not pushed: after a short grace the
    device (and its plugged-in partner) is read once; still one transition, no refresh."""
    sim, entry = await _setup_with_push(hass, simulator_factory, hass_client_no_auth)
    coordinator = entry.runtime_data.coordinator
    changes, first = _record(hass, entity_id)
    sim.clear_requests()
    with (
        patch("custom_components.enode.actions.ACTION_POLL_INTERVAL", 60.0),
        patch("custom_components.enode.actions.ACTION_WAIT_TIMEOUT", 60.0),
    ):
        call = hass.async_create_task(_call(hass, domain, service, entity_id, data)())
        async with asyncio.timeout(5):
            await first.wait()
        sim.advance_time(ACTION_DELAY + 1)
        sim.state.tick()
        for hook in sim.webhooks.webhooks:  # only the action's update gets through
            hook.pending[:] = [e for e in hook.pending if e["event"].startswith("user:vendor")]
        outcome = asyncio.Event()
        hass.bus.async_listen_once(EVENT_ACTION, lambda _: outcome.set())
        await sim.flush_webhooks()
        async with asyncio.timeout(5):  # (block_till_done would wait for the call)
            await outcome.wait()
        await asyncio.sleep(0)
        assert coordinator.data.pending_actions  # waiting for the device's new state
        assert not call.done()
        async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=STATE_PUSH_GRACE))
        async with asyncio.timeout(5):
            await call
    await hass.async_block_till_done(wait_background_tasks=True)
    assert changes == [(before, after)]
    assert coordinator.data.pending_actions == {}
    # The device the action changed, and the vehicle or charger plugged into it (the pair).
    (action,) = coordinator.actions.finished.values()
    target = coordinator.data.asset(str(action.target_id))
    assert target is not None
    pair = {GPS_VEHICLE_ID: CHARGER_ID, CHARGER_ID: GPS_VEHICLE_ID}
    expected = [f"/{ASSET_PATHS[target.asset_type]}/{target.id}"]
    if (partner_id := pair.get(target.id)) is not None:
        partner = coordinator.data.asset(partner_id)
        assert partner is not None
        expected.append(f"/{ASSET_PATHS[partner.asset_type]}/{partner_id}")
    reads = [path for method, path in sim.requests if method == "GET"]
    assert sorted(reads) == sorted(expected)
