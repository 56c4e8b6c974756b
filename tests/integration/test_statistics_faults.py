"""Enode's statistics import when Enode fails (issue 9): faults injected in the simulator.

A 5xx, a 429 or a timeout on a statistics request is logged once when it starts and once when
it ends; the other HEM systems and assets still import; the next run after recovery catches up
(nothing lost, nothing twice). A 401 starts the reauth flow (as the integration's translator
does). A 400/422 for a day ("no statistics") is not an error.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
import logging
from typing import Any
from unittest.mock import patch

from homeassistant.components.recorder import Recorder
from homeassistant.config_entries import SOURCE_REAUTH
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)

from custom_components.enode.api import EnodeClient, HemSystem
from custom_components.enode.statistics import CHARGING_ENERGY, IMPORT_MINUTE, statistic_id
from enode_simulator import Simulator
from tests.conftest import SimulatorFactory

from .conftest import make_entry
from .test_statistics import (
    HEM_SERIES,
    HOUR,
    _hem_expected,
    _history,
    _hour,
    _import,
    _rows,
    _setup,
    _sum_of,
    without_hour,
)

OUTAGE = 10_000  # requests: more than any case makes
STARTS = "Could not import Enode's statistics"
ENDS = "Enode's statistics are imported again"


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(
    recorder_mock: Recorder, enable_custom_integrations: None
) -> None:
    """The recorder first (before Home Assistant starts), then the custom integration."""


def _logged(caplog: pytest.LogCaptureFixture, text: str) -> int:
    return sum(1 for record in caplog.records if text in record.getMessage())


async def _scheduled_run(hass: HomeAssistant, sim: Simulator) -> None:
    """An hour of the simulator passes and the hourly import runs (fired, at minute 5).

    The simulator's clock is ahead of the real one by the hours advanced, so each call fires
    an hour later than the one before.
    """
    sim.advance_time(3600)
    later = max(sim.clock.now_dt(), dt_util.utcnow()) + HOUR
    fire_at = later.replace(minute=IMPORT_MINUTE, second=0, microsecond=0)
    with patch("custom_components.enode.statistics.dt_util.utcnow", sim.clock.now_dt):
        async_fire_time_changed(hass, fire_at)
        await hass.async_block_till_done(wait_background_tasks=True)
    await async_wait_recording_done(hass)


def _ids(entry: MockConfigEntry, system_id: str) -> tuple[list[str], list[str]]:
    """The HEM system's statistic ids and the vehicles' and chargers' charging energy ids."""
    data = entry.runtime_data.coordinator.data
    hem = [statistic_id("hem", system_id, key) for key in HEM_SERIES]
    charging = [statistic_id("vehicle", v, CHARGING_ENERGY) for v in data.vehicles]
    charging += [statistic_id("charger", c, CHARGING_ENERGY) for c in data.chargers]
    return hem, charging


def _assert_whole(rows: list[dict[str, Any]], last: datetime) -> None:
    """Hourly rows without a duplicate or a gap, up to ``last``."""
    starts = [dt_util.utc_from_timestamp(row["start"]) for row in rows]
    assert starts == [starts[0] + n * HOUR for n in range(len(starts))]
    assert starts[-1] == last


@pytest.mark.parametrize(
    "fault",
    [
        {"status": 503},
        {"status": 429, "retry_after": 3600},
        {"latency": 1.0},
    ],
    ids=["5xx", "429", "timeout"],
)
async def test_a_failing_hem_system_is_logged_once_and_caught_up(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    simulator_factory: SimulatorFactory,
    caplog: pytest.LogCaptureFixture,
    fault: dict[str, Any],
) -> None:
    """Enode fails on the HEM statistics for three hours: one warning when it starts, none
    while it lasts, the vehicles and chargers import every hour meanwhile; when it ends one
    message, and that run imports the HEM hours missed, equal to the simulator's, once."""
    sim = await _history(simulator_factory)
    entry = await _setup(hass, sim)
    client = entry.runtime_data.client
    client.request_timeout = 0.2
    client.retry_base_delay = client.retry_max_delay = 0.01
    (system_id,) = sim.state.hem_system_ids(sim.user_id)
    hem, charging = _ids(entry, system_id)
    before = await _rows(hass, hem + charging)
    caplog.set_level(logging.INFO, logger="custom_components.enode")
    caplog.clear()

    sim.inject_fault(**fault, count=OUTAGE, path_prefix=f"/hem-systems/{system_id}/statistics")
    for hour in range(1, 4):
        await _scheduled_run(hass, sim)
        assert _logged(caplog, STARTS) == 1
        during = await _rows(hass, hem + charging)
        for stat_id in hem:
            assert during[stat_id] == before[stat_id], stat_id
        for stat_id in charging:
            # The other assets go on.
            assert len(during[stat_id]) == len(before[stat_id]) + hour, stat_id
    assert _logged(caplog, ENDS) == 0

    sim.clear_faults()
    await _scheduled_run(hass, sim)
    await _scheduled_run(hass, sim)
    assert _logged(caplog, STARTS) == 1
    assert _logged(caplog, ENDS) == 1
    now = sim.clock.now_dt()
    after = await _rows(hass, hem + charging)
    for stat_id in hem + charging:
        assert len(after[stat_id]) == len(before[stat_id]) + 5, stat_id
        _assert_whole(after[stat_id], _hour(now) - HOUR)
    for key, stat_id in zip(HEM_SERIES, hem, strict=True):
        expected = _hem_expected(sim, system_id, HEM_SERIES[key], now)
        assert _sum_of(after[stat_id]) == pytest.approx(sum(expected.values())), key


async def test_a_failing_hem_system_list_leaves_the_charging_import(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    simulator_factory: SimulatorFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The HEM systems cannot be listed at set-up: the charging statistics import all the
    same, the failure is logged once, and the next hour imports the HEM system's backfill."""
    sim = await _history(simulator_factory)
    caplog.set_level(logging.INFO, logger="custom_components.enode")
    sim.inject_fault(status=500, count=OUTAGE, path_prefix=f"/users/{sim.user_id}/hem-systems")
    entry = await _setup(hass, sim)
    entry.runtime_data.client.retry_base_delay = 0.01
    (system_id,) = sim.state.hem_system_ids(sim.user_id)
    hem, charging = _ids(entry, system_id)
    rows = await _rows(hass, hem + charging)
    assert all(not rows[stat_id] for stat_id in hem)
    assert all(rows[stat_id] for stat_id in charging)
    assert _logged(caplog, STARTS) == 1

    sim.clear_faults()
    await _scheduled_run(hass, sim)
    assert _logged(caplog, ENDS) == 1
    now = sim.clock.now_dt()
    rows = await _rows(hass, hem)
    for key, stat_id in zip(HEM_SERIES, hem, strict=True):
        _assert_whole(rows[stat_id], _hour(now) - HOUR)
        expected = _hem_expected(sim, system_id, HEM_SERIES[key], now)
        assert _sum_of(rows[stat_id]) == pytest.approx(sum(expected.values())), key


async def test_rejected_credentials_start_reauth(
    recorder_mock: Recorder, hass: HomeAssistant, simulator_factory: SimulatorFactory
) -> None:
    """A 401 on a statistics request (after the client's one token renewal) starts the
    entry's reauth flow, as the translator does for every 401; nothing is imported for it
    and the next run after the new credentials catches up."""
    sim = await _history(simulator_factory)
    entry = await _setup(hass, sim)
    (system_id,) = sim.state.hem_system_ids(sim.user_id)
    hem, _ = _ids(entry, system_id)
    before = await _rows(hass, hem)
    assert not list(entry.async_get_active_flows(hass, {SOURCE_REAUTH}))

    sim.inject_fault(status=401, count=2, path_prefix=f"/hem-systems/{system_id}/statistics")
    await _scheduled_run(hass, sim)
    await hass.async_block_till_done()
    assert list(entry.async_get_active_flows(hass, {SOURCE_REAUTH}))
    assert await _rows(hass, hem) == before

    await _scheduled_run(hass, sim)
    rows = await _rows(hass, hem)
    for stat_id in hem:
        assert len(rows[stat_id]) == len(before[stat_id]) + 2, stat_id
        _assert_whole(rows[stat_id], _hour(sim.clock.now_dt()) - HOUR)


@pytest.mark.parametrize("status", [400, 422])
async def test_a_day_without_statistics_is_no_error(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    simulator_factory: SimulatorFactory,
    caplog: pytest.LogCaptureFixture,
    status: int,
) -> None:
    """Enode answers 400 (before the installation) or 422 (no statistics) for a day: not an
    error (nothing logged as one); the hour waits and comes with the next run."""
    sim = await _history(simulator_factory)
    entry = await _setup(hass, sim)
    (system_id,) = sim.state.hem_system_ids(sim.user_id)
    stat_id = statistic_id("hem", system_id, "grid_import")
    before = (await _rows(hass, [stat_id]))[stat_id]
    caplog.set_level(logging.INFO, logger="custom_components.enode")
    caplog.clear()

    sim.inject_fault(status=status, count=1, path_prefix=f"/hem-systems/{system_id}/statistics")
    sim.advance_time(3600)
    await _import(hass, entry, sim.clock.now_dt())
    assert (await _rows(hass, [stat_id]))[stat_id] == before
    assert _logged(caplog, STARTS) == 0

    sim.advance_time(3600)
    now = sim.clock.now_dt()
    await _import(hass, entry, now)
    rows = (await _rows(hass, [stat_id]))[stat_id]
    assert len(rows) == len(before) + 2
    _assert_whole(rows, _hour(now) - HOUR)
    expected = _hem_expected(sim, system_id, "import", now)
    assert _sum_of(rows) == pytest.approx(sum(expected.values()))
    assert _logged(caplog, STARTS) == 0


async def test_an_hour_enode_never_gets_is_passed_over(
    recorder_mock: Recorder, hass: HomeAssistant, simulator_factory: SimulatorFactory
) -> None:
    """An hour Enode keeps without data (patched: the simulator has every hour) is waited for
    three hours, then passed over: no row for it, the hours after it come, the sum carries on
    without it, and nothing is written twice."""
    sim = await _history(simulator_factory)
    entry = await _setup(hass, sim)
    client = entry.runtime_data.client
    (system_id,) = sim.state.hem_system_ids(sim.user_id)
    stat_id = statistic_id("hem", system_id, "grid_import")
    before = (await _rows(hass, [stat_id]))[stat_id]
    sim.advance_time(3600)
    missing = _hour(sim.clock.now_dt()) - HOUR
    with patch.object(client, "get_hem_statistics", without_hour(client, missing)):
        await _import(hass, entry, sim.clock.now_dt())
        for _ in range(3):
            assert (await _rows(hass, [stat_id]))[stat_id] == before
            sim.advance_time(3600)
            await _import(hass, entry, sim.clock.now_dt())
    now = sim.clock.now_dt()
    rows = (await _rows(hass, [stat_id]))[stat_id]
    starts = [dt_util.utc_from_timestamp(row["start"]) for row in rows[len(before) :]]
    assert starts == [missing + n * HOUR for n in range(1, 4)]
    assert starts[-1] == _hour(now) - HOUR
    expected = _hem_expected(sim, system_id, "import", now)
    expected.pop(missing)
    assert _sum_of(rows) == pytest.approx(sum(expected.values()))


async def test_an_unknown_time_zone_of_a_hem_system_falls_back(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    simulator_factory: SimulatorFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A HEM system in a time zone Home Assistant does not know (patched: the simulator's are
    real) is asked by Home Assistant's days and one more on each side: every hour due is
    imported, none lost at the ends of the days."""
    sim = await _history(simulator_factory)
    sim.advance_time(3600)
    entry = make_entry(sim)
    original = EnodeClient.list_hem_systems

    async def _unknown_zone(client: EnodeClient, user_id: str) -> list[HemSystem]:
        systems = await original(client, user_id)
        return [
            replace(system, information=replace(system.information, timezone="Mars/Olympus"))
            for system in systems
        ]

    with (
        patch.object(EnodeClient, "list_hem_systems", _unknown_zone),
        patch("custom_components.enode.statistics.dt_util.utcnow", sim.clock.now_dt),
    ):
        entry.add_to_hass(hass)
        assert await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done(wait_background_tasks=True)
    await async_wait_recording_done(hass)
    (system_id,) = sim.state.hem_system_ids(sim.user_id)
    stat_id = statistic_id("hem", system_id, "household_consumption")
    rows = (await _rows(hass, [stat_id]))[stat_id]
    now = sim.clock.now_dt()
    # Every hour, none passed over at the ends of the days asked.
    _assert_whole(rows, _hour(now) - HOUR)
    expected = _hem_expected(sim, system_id, "consumption", now)
    assert _sum_of(rows) == pytest.approx(sum(expected.values()))
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
