"""Recovery after an Enode outage (issue 12): a short, growing backoff until a refresh succeeds.

With push healthy the polling interval is 6 hours; a failed refresh must not keep it (the
entities would stay unavailable for up to 6 hours after Enode is back). A pushed update during
an outage must not make every entity available as if the API were back, nor postpone the retry.
The whole refresh is bounded (not each try of each request).
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta
from typing import Any
from unittest.mock import patch

from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed

from custom_components.enode.coordinator import (
    RETRY_INTERVAL_MAX,
    RETRY_INTERVAL_MIN,
    UPDATE_INTERVAL_PUSH,
)

from .conftest import (
    CHARGER,
    GPS_VEHICLE,
    GPS_VEHICLE_ID,
    TEST_USER,
    household,
    make_entry,
    setup_entry as _setup_entry,
)

pytestmark = pytest.mark.usefixtures("fast_client")

BATTERY = "sensor.tessie_battery"


async def _entry(hass: HomeAssistant, simulator_factory: Any) -> tuple[Any, MockConfigEntry]:
    sim = await simulator_factory(household(linked=[GPS_VEHICLE, CHARGER]))
    entry = await _setup_entry(hass, make_entry(sim))
    return sim, entry


async def _later(hass: HomeAssistant, seconds: float) -> None:
    """Let ``seconds`` of Home Assistant time pass (timers due by then run)."""
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=seconds))
    await hass.async_block_till_done(wait_background_tasks=True)


def _vehicle_requests(sim: Any) -> int:
    return sim.count_requests("GET", f"/users/{TEST_USER}/vehicles")


async def test_recovers_within_one_short_backoff_while_push_is_healthy(
    hass: HomeAssistant, simulator_factory: Any
) -> None:
    """Push healthy (6-hour safety net), then an outage: once Enode is back the entities are
    available again within one short backoff, not 6 hours later."""
    sim, entry = await _entry(hass, simulator_factory)
    coordinator = entry.runtime_data.coordinator
    coordinator.async_push_received()  # a verified delivery: push is healthy
    assert coordinator.update_interval == UPDATE_INTERVAL_PUSH

    sim.inject_fault(status=503, count=1000)
    await coordinator.async_refresh()
    await hass.async_block_till_done()
    assert hass.states.get(BATTERY).state == STATE_UNAVAILABLE
    assert coordinator.update_interval == RETRY_INTERVAL_MIN

    sim.clear_faults()
    sim.clear_requests()
    await _later(hass, RETRY_INTERVAL_MIN.total_seconds() + 1)
    assert _vehicle_requests(sim) == 1
    assert hass.states.get(BATTERY).state == "50.0"
    assert coordinator.update_interval == UPDATE_INTERVAL_PUSH


async def test_backoff_grows_and_is_capped(hass: HomeAssistant, simulator_factory: Any) -> None:
    """While Enode stays down the retries come after 10, 20, 40 ... seconds, at most 5 minutes
    apart; each failed retry is one refresh (one request), nothing in between."""
    sim, entry = await _entry(hass, simulator_factory)
    coordinator = entry.runtime_data.coordinator
    sim.inject_fault(status=503, count=100_000)
    await coordinator.async_refresh()
    intervals = [coordinator.update_interval]
    for _ in range(7):
        sim.clear_requests()
        assert coordinator.update_interval is not None
        await _later(hass, coordinator.update_interval.total_seconds() - 2)
        assert sim.requests == []  # not before the backoff
        await _later(hass, coordinator.update_interval.total_seconds() + 1)
        assert _vehicle_requests(sim) == 0  # the user request failed first
        assert sim.count_requests("GET", f"/users/{TEST_USER}") >= 1
        intervals.append(coordinator.update_interval)
    base = RETRY_INTERVAL_MIN
    assert intervals == [
        base,
        base * 2,
        base * 4,
        base * 8,
        base * 16,
        RETRY_INTERVAL_MAX,
        RETRY_INTERVAL_MAX,
        RETRY_INTERVAL_MAX,
    ]
    assert hass.states.get(BATTERY).state == STATE_UNAVAILABLE
    sim.clear_faults()
    await _later(hass, RETRY_INTERVAL_MAX.total_seconds() + 1)
    assert hass.states.get(BATTERY).state == "50.0"
    # Back to normal: the next failure starts the backoff from the beginning.
    sim.inject_fault(status=503, count=100_000)
    await coordinator.async_refresh()
    assert coordinator.update_interval == RETRY_INTERVAL_MIN


@pytest.mark.parametrize("retry_after", ["120", "http-date"])
async def test_retry_after_during_an_outage(
    hass: HomeAssistant, simulator_factory: Any, retry_after: str
) -> None:
    """A 429 while the entities are unavailable: they stay unavailable (it is no sign the API
    is back) and the next try waits for Retry-After (seconds or an HTTP date)."""
    from email.utils import format_datetime

    sim, entry = await _entry(hass, simulator_factory)
    coordinator = entry.runtime_data.coordinator
    sim.inject_fault(status=503, count=4)  # one request, every try
    await coordinator.async_refresh()
    assert hass.states.get(BATTERY).state == STATE_UNAVAILABLE
    value = (
        retry_after
        if retry_after != "http-date"
        else format_datetime(dt_util.utcnow() + timedelta(seconds=121), usegmt=True)
    )
    sim.inject_fault(status=429, count=1, retry_after=value)
    await _later(hass, RETRY_INTERVAL_MIN.total_seconds() + 1)
    await hass.async_block_till_done()
    assert hass.states.get(BATTERY).state == STATE_UNAVAILABLE
    assert coordinator.update_interval is not None
    assert coordinator.update_interval >= timedelta(seconds=119)
    sim.clear_requests()
    await _later(hass, 100)
    assert sim.requests == []
    await _later(hass, 125)
    assert hass.states.get(BATTERY).state == "50.0"


async def test_push_during_an_outage(hass: HomeAssistant, simulator_factory: Any) -> None:
    """A pushed update while Enode's API fails is kept, but the entities stay unavailable and
    the retry is not postponed; the next successful refresh brings everything back."""
    sim, entry = await _entry(hass, simulator_factory)
    coordinator = entry.runtime_data.coordinator
    vehicle = coordinator.data.vehicles[GPS_VEHICLE_ID]
    sim.inject_fault(status=503, count=1000)
    await coordinator.async_refresh()
    await hass.async_block_till_done()
    assert hass.states.get(BATTERY).state == STATE_UNAVAILABLE

    # Deliveries keep arriving during the outage, more often than the retry is due.
    for level in (51, 52, 53):
        await _later(hass, RETRY_INTERVAL_MIN.total_seconds() / 2 - 1)
        coordinator.async_push_received()
        pushed = replace(vehicle, charge_state=replace(vehicle.charge_state, battery_level=level))
        await coordinator.async_set_asset(pushed)
        await hass.async_block_till_done()
        assert hass.states.get(BATTERY).state == STATE_UNAVAILABLE
        assert not coordinator.last_update_success
    sim.clear_faults()
    sim.set_battery_level(GPS_VEHICLE_ID, 54)
    await _later(hass, RETRY_INTERVAL_MIN.total_seconds() * 2 + 1)
    assert coordinator.last_update_success
    assert hass.states.get(BATTERY).state == "54.0"


async def test_whole_refresh_is_bounded(hass: HomeAssistant, simulator_factory: Any) -> None:
    """Latency beyond the client's timeout on every request: the refresh gives up after
    ``REFRESH_TIMEOUT`` in all, not after every retry of every request timed out."""
    sim, entry = await _entry(hass, simulator_factory)
    coordinator = entry.runtime_data.coordinator
    client = entry.runtime_data.client
    client.request_timeout = 0.4  # 4 tries of 0.4 s each, per request
    sim.inject_fault(latency=1.0, count=100)
    with patch("custom_components.enode.coordinator.REFRESH_TIMEOUT", 0.5):
        start = hass.loop.time()
        await coordinator.async_refresh()
        elapsed = hass.loop.time() - start
    assert not coordinator.last_update_success
    assert elapsed < 1.0
    assert coordinator.update_interval == RETRY_INTERVAL_MIN
    sim.clear_faults()
    client.request_timeout = 5
    await _later(hass, RETRY_INTERVAL_MIN.total_seconds() + 1)
    assert hass.states.get(BATTERY).state == "50.0"


async def test_retry_after_honoured_during_setup(
    hass: HomeAssistant,
    simulator_factory: Any,
    caplog: pytest.LogCaptureFixture,
    freezer: Any,
) -> None:
    """A persistent 429 at set-up (Retry-After 300 s): Home Assistant retries the set-up on its
    own schedule (5, 10, 20 ... s) but nothing is asked of Enode before the 300 s are over, the
    access token is fetched once, and the limit is logged once.

    The clock is frozen and moved (``freezer``): Home Assistant's retry timers and the limit's
    end must come in their real order. While the limit lasts no request is in flight.
    """
    import logging

    from homeassistant.config_entries import ConfigEntryState

    import custom_components.enode as integration

    caplog.set_level(logging.DEBUG, logger="custom_components.enode")
    sim = await simulator_factory(household(linked=[GPS_VEHICLE, CHARGER]))
    sim.inject_fault(status=429, count=10_000, retry_after=300, path_prefix="/users/")
    entry = await _setup_entry(hass, make_entry(sim))
    assert entry.state is ConfigEntryState.SETUP_RETRY
    assert sim.count_requests("POST", "/oauth2/token") == 1
    assert sim.count_requests("GET", "/users/") == 1

    attempts = 0
    real_setup = integration.async_setup_entry

    async def counted_setup(*args: Any) -> bool:
        nonlocal attempts
        attempts += 1
        return await real_setup(*args)

    async def tick(seconds: int) -> None:
        freezer.tick(timedelta(seconds=seconds))
        async_fire_time_changed(hass)
        await hass.async_block_till_done()

    with patch.object(integration, "async_setup_entry", counted_setup):
        for _ in range(59):  # 295 s: retries after 5, 15, 35, 75, 155 and 235 s
            await tick(5)
        assert sim.count_requests("GET", "/users/") == 1  # Enode was not asked again ...
        assert sim.count_requests("POST", "/oauth2/token") == 1
        assert attempts == 6  # ... though Home Assistant retried the set-up
        assert entry.state is ConfigEntryState.SETUP_RETRY

        sim.clear_faults()  # Enode's limit is over after its 300 seconds
        for _ in range(10):  # the next retry, after 315 s
            await tick(5)
            if entry.state is not ConfigEntryState.SETUP_RETRY:
                break
        # The set-up talks to Enode now: let its requests finish without moving the clock.
        for _ in range(20_000):
            if entry.state is not ConfigEntryState.SETUP_IN_PROGRESS:
                break
            await asyncio.sleep(0)
        await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert attempts == 7
    assert hass.states.get(BATTERY).state == "50.0"
    assert sim.count_requests("POST", "/oauth2/token") == 1  # the token was kept
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len([w for w in warnings if "rate limit" in w]) == 1, warnings
    assert "next update is in" not in caplog.text
    assert caplog.text.count("Enode rate limit lifted") == 1


async def test_outage_log_without_user_id(
    hass: HomeAssistant, simulator_factory: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """Enode's problem text may name the user: the ERROR line of an outage does not."""
    sim, entry = await _entry(hass, simulator_factory)
    sim.inject_fault(status=503, count=100, detail=f"User {TEST_USER} is temporarily unavailable")
    await entry.runtime_data.coordinator.async_refresh()
    errors = [r.getMessage() for r in caplog.records if r.levelname == "ERROR"]
    assert len(errors) == 1
    assert "User *** is temporarily unavailable" in errors[0]
    assert TEST_USER not in caplog.text
