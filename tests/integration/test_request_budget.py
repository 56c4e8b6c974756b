"""Request budgets (issue 14; README "Performance"): P1, P2 and P2b, counted by the simulator.

Each test measures one row of ``scripts/bench``'s table in a real Home Assistant test instance
against the simulator over loopback HTTP, records it (when ``scripts/bench`` runs it) and asserts
its budget (``benchmarks.measure.BUDGETS``), so CI guards the counts. Simulated hours pass with
the ``freezer``: Home Assistant's timers, the simulator's heartbeats and charging, and the
token's expiry all follow it (token requests are counted).
"""

from __future__ import annotations

import asyncio
from collections.abc import Generator
from datetime import timedelta
from typing import Any
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.switch import DOMAIN as SWITCH_DOMAIN
from homeassistant.config_entries import SOURCE_USER, ConfigEntryState
from homeassistant.const import ATTR_ENTITY_ID, CONF_CLIENT_ID, CONF_CLIENT_SECRET, SERVICE_TURN_ON
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
import pytest

from benchmarks.households import (
    DEMO,
    DEMO_CHARGER_ID,
    DEMO_CHARGER_SWITCH,
    async_pass_time,
    async_serve_push,
    async_setup_entry,
    by_path,
    fleet,
    requests_of,
    six_types,
    tasks_of,
    waiting_on,
)
from benchmarks.measure import BUDGETS, record
from custom_components.enode.const import (
    CONF_API_URL,
    CONF_ENVIRONMENT,
    CONF_TOKEN_URL,
    CONF_USER_ID,
    DOMAIN,
)
from custom_components.enode.hub import _HUBS
from enode_simulator import Simulator

pytestmark = pytest.mark.usefixtures("patient_client")


@pytest.fixture
def patient_client() -> Generator[None]:
    """Clients that retry without waiting but give a response 30 s: these tests count requests,
    and a timeout's retry (the simulator serving 400 assets under coverage takes over a second)
    would be counted as if the integration had asked twice."""
    from functools import partial

    from custom_components.enode import api

    with patch(
        "custom_components.enode.helpers.EnodeClient",
        partial(api.EnodeClient, retry_base_delay=0.001, request_timeout=30.0),
    ):
        yield


DAY = timedelta(hours=24)
HOUR = timedelta(hours=1)
# The window the issue counted a command's requests in.
AFTER_COMMAND = timedelta(seconds=130)


def _check(name: str, value: float, detail: str) -> None:
    """Record a figure and assert its budget."""
    budget = BUDGETS[name]
    assert record(name, value, detail), f"{name}: {value} ({detail}) over {budget}"


@pytest.mark.parametrize(
    ("name", "scenario"),
    [
        ("P1 refresh 1+1", fleet(1, 1)),
        ("P1 refresh 20+20", fleet(20, 20)),
        ("P1 refresh 200+200", fleet(200, 200)),
        ("P1 refresh six types", six_types()),
    ],
)
async def test_requests_per_refresh(
    hass: HomeAssistant, simulator_factory: Any, name: str, scenario: dict[str, Any]
) -> None:
    """P1: a refresh costs the user plus one list per linked type and page of 50, exactly."""
    sim: Simulator = await simulator_factory(scenario)
    with patch("custom_components.enode.PLATFORMS", []):
        entry = await async_setup_entry(hass, sim)
    sim.clear_requests()
    await entry.runtime_data.coordinator.async_refresh()
    _check(name, len(sim.requests), str(requests_of(sim)))


async def test_idle_hours_with_push(
    hass: HomeAssistant,
    simulator_factory: Any,
    hass_client_no_auth: Any,
    freezer: FrozenDateTimeFactory,
) -> None:
    """P2: a day of the demo household with healthy push costs its safety-net refreshes, one
    every 6 hours even while the solar inverter and the meter push all the time (each with its
    token, the last one has expired): ≤ 1.5 requests an hour."""
    await async_serve_push(hass, hass_client_no_auth)
    sim: Simulator = await simulator_factory(DEMO)
    entry = await async_setup_entry(hass, sim)
    sim.clear_requests()
    await async_pass_time(hass, sim, freezer.tick, DAY)
    assert entry.runtime_data.coordinator.push_last_delivery is not None
    requests = requests_of(sim)
    assert requests.tokens == 4, by_path(sim)  # the 4 safety nets
    _check("P2 idle hour, push", requests.total / 24, f"{requests} in 24 h")


async def test_charging_hour_with_push(
    hass: HomeAssistant,
    simulator_factory: Any,
    hass_client_no_auth: Any,
    freezer: FrozenDateTimeFactory,
) -> None:
    """P2: while a car charges with healthy push, its updates are pushed: nothing is polled."""
    await async_serve_push(hass, hass_client_no_auth)
    sim: Simulator = await simulator_factory(DEMO)
    entry = await async_setup_entry(hass, sim)
    sim.set_charging_state(DEMO_CHARGER_ID, True)
    sim.clear_requests()
    level = entry.runtime_data.coordinator.data.vehicles
    await async_pass_time(hass, sim, freezer.tick, HOUR)
    coordinator = entry.runtime_data.coordinator
    assert coordinator.data.is_charging
    assert coordinator.data.vehicles != level  # the charge was pushed
    _check("P2 charging hour, push", requests_of(sim).total, str(requests_of(sim)))


@pytest.mark.parametrize(
    ("name", "charging"),
    [("P2 idle hour, no push", False), ("P2 charging hour, no push", True)],
)
async def test_hour_without_push(
    hass: HomeAssistant,
    simulator_factory: Any,
    freezer: FrozenDateTimeFactory,
    name: str,
    charging: bool,
) -> None:
    """P2 without push (no URL Enode could deliver to): refreshes every 5 minutes; while a car
    charges its vehicles and chargers every minute (the user and the other types still every 5
    minutes); one token an hour."""
    sim: Simulator = await simulator_factory(DEMO)
    entry = await async_setup_entry(hass, sim)
    assert not entry.runtime_data.coordinator.push_healthy
    if charging:
        sim.set_charging_state(DEMO_CHARGER_ID, True)
    sim.clear_requests()
    await async_pass_time(hass, sim, freezer.tick, HOUR)
    assert entry.runtime_data.coordinator.data.is_charging is charging
    # The other types every 5 minutes; while charging (once a refresh saw it) the vehicles
    # and chargers every minute.
    assert sim.count_requests("GET", f"/users/{sim.user_id}/batteries") in (12, 13)
    vehicles = sim.count_requests("GET", f"/users/{sim.user_id}/vehicles")
    assert 55 <= vehicles <= 61 if charging else vehicles in (12, 13)
    _check(name, requests_of(sim).total, str(requests_of(sim)))


async def _command(hass: HomeAssistant, sim: Simulator, entry: Any, tick: Any) -> None:
    """Start charging on the demo charger and let the command finish (simulated time).

    The call is not one of Home Assistant's tasks (``async_pass_time`` waits for those, the call
    waits for time to pass); time passes only once its POST was answered (its timeout would run
    out while time jumps).
    """
    coordinator = entry.runtime_data.coordinator
    sent = asyncio.Event()
    unsubscribe = coordinator.async_add_listener(
        lambda: sent.set() if coordinator.data.pending_actions else None
    )
    before = tasks_of(hass)
    call = asyncio.get_running_loop().create_task(
        hass.services.async_call(
            SWITCH_DOMAIN, SERVICE_TURN_ON, {ATTR_ENTITY_ID: DEMO_CHARGER_SWITCH}, blocking=True
        )
    )
    waiting = asyncio.get_running_loop().create_task(sent.wait())
    await asyncio.wait([call, waiting], return_when=asyncio.FIRST_COMPLETED)
    waiting.cancel()
    unsubscribe()
    busy = tasks_of(hass) - before  # the entity's command, waiting for its outcome
    waiters = coordinator.actions._waiters

    def parked() -> bool:
        return all(waiting_on(task, list(waiters.values())) for task in busy)

    await async_pass_time(
        hass,
        sim,
        tick,
        AFTER_COMMAND,
        step=timedelta(seconds=1),
        until=call.done,
        busy=busy,
        parked=parked,
    )
    await call


async def test_command_with_push(
    hass: HomeAssistant,
    simulator_factory: Any,
    hass_client_no_auth: Any,
    freezer: FrozenDateTimeFactory,
) -> None:
    """P2b: with healthy push a command costs its POST: the outcome and the device's new state
    are pushed (no action polls, no refresh, no burst), for the 130 s after it too."""
    await async_serve_push(hass, hass_client_no_auth)
    sim: Simulator = await simulator_factory(DEMO)
    entry = await async_setup_entry(hass, sim)
    await async_pass_time(hass, sim, freezer.tick, timedelta(minutes=6))  # a heartbeat
    coordinator = entry.runtime_data.coordinator
    assert coordinator.push_last_delivery is not None
    sim.clear_requests()
    await _command(hass, sim, entry, freezer.tick)
    assert coordinator.data.pending_actions == {}
    assert hass.states.get(DEMO_CHARGER_SWITCH).state == "on"
    await async_pass_time(hass, sim, freezer.tick, AFTER_COMMAND, step=timedelta(seconds=5))
    assert dict(by_path(sim)) == {f"POST /chargers/{DEMO_CHARGER_ID}/charging": 1}
    _check("P2b command, push", requests_of(sim).total, f"{requests_of(sim)} in 130 s")


async def test_command_without_push(
    hass: HomeAssistant, simulator_factory: Any, freezer: FrozenDateTimeFactory
) -> None:
    """P2b without push: the POST, the action polled while the command waits, then one GET of
    the charger and one of the car plugged into it (both changed), no refresh."""
    sim: Simulator = await simulator_factory(DEMO)
    entry = await async_setup_entry(hass, sim)
    sim.clear_requests()
    await _command(hass, sim, entry, freezer.tick)
    assert entry.runtime_data.coordinator.data.pending_actions == {}, sim.requests
    assert hass.states.get(DEMO_CHARGER_SWITCH).state == "on"
    assert sim.count_requests("GET", f"/chargers/{DEMO_CHARGER_ID}") == 1
    assert sim.count_requests("GET", "/users/") == 0
    _check("P2b command, no push", requests_of(sim).total, str(requests_of(sim)))


async def test_setup_through_the_config_flow(
    hass: HomeAssistant, simulator_factory: Any, hass_client_no_auth: Any
) -> None:
    """P2b: from the credentials to every entity and the webhook registered: one token, and
    each thing read once (the user and its lists by the flow, handed to the first refresh)."""
    await async_serve_push(hass, hass_client_no_auth)
    sim: Simulator = await simulator_factory(DEMO)
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER, "show_advanced_options": True}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            CONF_ENVIRONMENT: "custom",
            CONF_CLIENT_ID: sim.client_id,
            CONF_CLIENT_SECRET: sim.client_secret,
            CONF_API_URL: sim.base_url,
            CONF_TOKEN_URL: sim.token_url,
            CONF_USER_ID: sim.user_id,
        },
    )
    assert result["step_id"] == "existing"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "keep_existing"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done(wait_background_tasks=True)
    (entry,) = hass.config_entries.async_entries(DOMAIN)
    assert entry.state is ConfigEntryState.LOADED
    assert entry.runtime_data.webhook.registered
    assert hass.states.get(DEMO_CHARGER_SWITCH) is not None
    assert max(by_path(sim).values()) == 1, by_path(sim)
    requests = requests_of(sim)
    _check("P2b set-up tokens", requests.tokens, str(requests))
    _check("P2b set-up", requests.total, str(requests))


async def test_restart(
    hass: HomeAssistant, simulator_factory: Any, hass_client_no_auth: Any
) -> None:
    """P2b: an entry set up again with a new client (as after a restart): its token, each thing
    read once, the webhook found and updated."""
    await async_serve_push(hass, hass_client_no_auth)
    sim: Simulator = await simulator_factory(DEMO)
    entry = await async_setup_entry(hass, sim)
    assert await hass.config_entries.async_unload(entry.entry_id)
    hass.data.pop(_HUBS)  # Home Assistant restarted: no client, no token
    sim.clear_requests()
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert entry.runtime_data.webhook.registered
    assert max(by_path(sim).values()) == 1, by_path(sim)
    _check("P2b restart", requests_of(sim).total, str(requests_of(sim)))
