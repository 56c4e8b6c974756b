"""Enode's energy statistics in the recorder, for the Energy dashboard (issue 9).

Home Assistant (with the recorder) against the simulator with a few simulated days of history:
the HEM system's six series and each vehicle's and charger's charging energy, cost and savings
are imported as hourly external statistics whose sums equal the simulator's; a later import adds
only the hours that ended since; a restart continues without duplicates; each HEM system and
asset is asked at most once an hour; the Energy dashboard accepts the statistics.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
import time
from typing import Any
from unittest.mock import patch
from zoneinfo import ZoneInfo

from homeassistant.components.recorder import Recorder
from homeassistant.components.recorder.statistics import (
    get_metadata,
    statistics_during_period,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers.recorder import get_instance
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)
from pytest_homeassistant_custom_component.typing import WebSocketGenerator

from custom_components.enode.api import EnodeClient, HemStatistics
from custom_components.enode.const import CONF_BACKFILL_DAYS
from custom_components.enode.statistics import (
    CHARGING_COST,
    CHARGING_ENERGY,
    CHARGING_SAVINGS,
    HEM_STATISTICS,
    statistic_id,
)
from enode_simulator import Simulator
from tests.conftest import SimulatorFactory

from .conftest import make_entry

HOUR = timedelta(hours=1)
HISTORY_DAYS = 2
# The HEM series' names in Enode's statistics, by statistic key.
HEM_SERIES = {key: series.value for series, key in HEM_STATISTICS}


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(
    recorder_mock: Recorder, enable_custom_integrations: None
) -> None:
    """The recorder first (before Home Assistant starts), then the custom integration."""


# More than any of these tests takes.
HOUR_END_MARGIN_S = 30


def _hour(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


async def _history(simulator_factory: SimulatorFactory) -> Simulator:
    """The demo household with a few simulated days of history.

    The simulator's clock and Home Assistant's run with the real one, and these tests count the
    hours that ended: one that starts in the last seconds of a real hour waits for the next (a
    test counting the hours imported failed when it ran across 13:00).
    """
    if (left := 3600 - time.time() % 3600) < HOUR_END_MARGIN_S:
        await asyncio.sleep(left + 0.5)
    return await simulator_factory("demo", history_days=HISTORY_DAYS)


async def _setup(hass: HomeAssistant, sim: Simulator, **options: Any) -> MockConfigEntry:
    entry = make_entry(sim)
    entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(entry, options=options)
    await hass.config_entries.async_setup(entry.entry_id)
    # The access token expires on the simulated clock (the client renews it before then).
    client = entry.runtime_data.client
    client.clock = lambda: time.monotonic() + sim.clock.offset
    await hass.async_block_till_done(wait_background_tasks=True)
    await async_wait_recording_done(hass)
    return entry


async def _import(hass: HomeAssistant, entry: MockConfigEntry, now: datetime) -> None:
    """Run the hourly import at ``now`` (the simulator's clock) and wait for the recorder."""
    await entry.runtime_data.statistics.async_import(now)
    await hass.async_block_till_done()
    await async_wait_recording_done(hass)


async def _rows(hass: HomeAssistant, ids: Iterable[str]) -> dict[str, list[dict[str, Any]]]:
    """Every hourly row of some statistics, oldest first."""
    ids = set(ids)
    rows = await get_instance(hass).async_add_executor_job(
        statistics_during_period,
        hass,
        dt_util.utcnow() - timedelta(days=60),
        None,
        ids,
        "hour",
        None,
        {"state", "sum"},
    )
    return {stat_id: [dict(row) for row in rows.get(stat_id, [])] for stat_id in ids}


def _hem_expected(
    sim: Simulator, system_id: str, series: str, now: datetime
) -> dict[datetime, float]:
    """The simulator's kWh per UTC hour of a HEM series, for every hour over at ``now``."""
    zone = ZoneInfo("Europe/Oslo")
    day = (now - timedelta(days=HISTORY_DAYS + 1)).astimezone(zone).date()
    values: dict[datetime, float] = {}
    while day <= now.astimezone(zone).date():
        try:
            answer = sim.state.hem_statistics(system_id, day.isoformat())
        except Exception:
            answer = None
        if answer is not None:
            for point in answer["timeseries"][series]["data"]:
                start = datetime.fromisoformat(point["t"]).astimezone(UTC)
                if point["v"] is not None and start + HOUR <= now:
                    values[start] = point["v"]
        day += timedelta(days=1)
    return values


def _charging_expected(
    sim: Simulator, asset_type: str, asset_id: str, start: datetime, now: datetime
) -> list[dict[str, Any]]:
    """The simulator's hourly charging buckets of an asset from ``start`` (ended before now)."""
    buckets = sim.state.charging_statistics(
        sim.user_id,
        {
            "type": asset_type,
            "id": asset_id,
            "resolution": "HOUR",
            "startDate": start.isoformat(),
            "endDate": now.isoformat(),
        },
    )
    return [
        bucket
        for bucket in buckets
        if datetime.fromisoformat(bucket["date"].replace("Z", "+00:00")) + HOUR <= now
    ]


def _requests(sim: Simulator, path: str, **query: str) -> int:
    """How many GET requests of the simulator's log went to ``path`` with ``query``."""
    return sum(
        1
        for entry in sim.request_log
        if entry["method"] == "GET"
        and entry["path"] == path
        and all(f"{key}={value}" in str(entry.get("query", "")) for key, value in query.items())
    )


def without_hour(
    client: EnodeClient, hour: datetime
) -> Callable[[str, date], Awaitable[HemStatistics]]:
    """``client.get_hem_statistics`` answering without one hour's values (Enode has none yet)."""
    original = client.get_hem_statistics

    async def _answer(hem_system_id: str, day: date) -> HemStatistics:
        answer = await original(hem_system_id, day)
        timeseries = {
            name: replace(
                series,
                data=[
                    replace(point, v=None) if point.t.astimezone(UTC) == hour else point
                    for point in series.data
                ],
            )
            for name, series in answer.timeseries.items()
        }
        return replace(answer, timeseries=timeseries)

    return _answer


def _sum_of(rows: list[dict[str, Any]]) -> float:
    return float(rows[-1]["sum"]) if rows else 0.0


async def test_hem_statistics_equal_the_simulators(
    recorder_mock: Recorder, hass: HomeAssistant, simulator_factory: SimulatorFactory
) -> None:
    """Each HEM series is imported hour by hour, equal to the simulator's, up to the last hour
    that is over; the sum is the running total from the installation."""
    sim = await _history(simulator_factory)
    await _setup(hass, sim)
    now = sim.clock.now_dt()
    (system_id,) = sim.state.hem_system_ids(sim.user_id)
    ids = {key: statistic_id("hem", system_id, key) for key in HEM_SERIES}
    rows = await _rows(hass, ids.values())
    for key, stat_id in ids.items():
        expected = _hem_expected(sim, system_id, HEM_SERIES[key], now)
        got = {dt_util.utc_from_timestamp(row["start"]): row["state"] for row in rows[stat_id]}
        assert got == pytest.approx(expected), key
        assert _sum_of(rows[stat_id]) == pytest.approx(sum(expected.values())), key
        # Up to the last hour that is over; the hour under way waits.
        assert max(got) == _hour(now) - HOUR, key
    # Named from the translations: the HEM system's name and the series'.
    metadata = await get_instance(hass).async_add_executor_job(
        lambda: get_metadata(hass, statistic_ids=set(ids.values()))
    )
    solar = metadata[ids["solar_production"]][1]
    assert solar["name"] == "Tesla Home Solar production" or solar["name"].endswith(
        " Solar production"
    )
    assert solar["source"] == "enode"
    assert solar["unit_of_measurement"] == "kWh"
    assert solar["has_sum"] is True


async def test_charging_statistics_equal_the_simulators(
    recorder_mock: Recorder, hass: HomeAssistant, simulator_factory: SimulatorFactory
) -> None:
    """Each vehicle's and charger's charging energy, cost and savings are imported hour by hour
    from its first charge, equal to the simulator's; today's totals are total sensors."""
    sim = await _history(simulator_factory)
    entry = await _setup(hass, sim)
    now = sim.clock.now_dt()
    data = entry.runtime_data.coordinator.data
    assets = [("vehicle", v) for v in data.vehicles] + [("charger", c) for c in data.chargers]
    assert len(assets) == 3
    charged_somewhere = False
    for asset_type, asset_id in assets:
        ids = {
            key: statistic_id(asset_type, asset_id, key)  # type: ignore[arg-type]
            for key in (CHARGING_ENERGY, CHARGING_COST, CHARGING_SAVINGS)
        }
        rows = await _rows(hass, ids.values())
        energy_rows = rows[ids[CHARGING_ENERGY]]
        assert energy_rows, asset_id
        first = dt_util.utc_from_timestamp(energy_rows[0]["start"])
        last = dt_util.utc_from_timestamp(energy_rows[-1]["start"])
        assert last == _hour(now) - HOUR
        # Every hour from the first one, no gap, no duplicate.
        starts = [row["start"] for row in energy_rows]
        assert starts == [first.timestamp() + 3600 * n for n in range(len(starts))]
        expected = _charging_expected(sim, asset_type, asset_id, first, now)
        assert len(expected) == len(energy_rows)
        # Hour by hour, at the hour Enode says.
        assert [(row["start"], row["state"]) for row in energy_rows] == [
            (
                datetime.fromisoformat(bucket["date"].replace("Z", "+00:00")).timestamp(),
                pytest.approx(bucket["kwhSum"]),
            )
            for bucket in expected
        ]
        for key, field in (
            (CHARGING_ENERGY, "kwhSum"),
            (CHARGING_COST, "costSum"),
            (CHARGING_SAVINGS, "estimatedSavings"),
        ):
            total = sum(bucket[field] or 0.0 for bucket in expected)
            assert _sum_of(rows[ids[key]]) == pytest.approx(total, abs=1e-6), (asset_id, key)
        charged_somewhere |= _sum_of(energy_rows) > 0
    assert charged_somewhere
    # Today's charging of each vehicle: a total sensor counting from local midnight (a refresh
    # of the coordinator keeps it: the import writes it, not the refresh).
    await entry.runtime_data.coordinator.async_refresh()
    await hass.async_block_till_done()
    midnight = dt_util.start_of_local_day(dt_util.as_local(now))
    for vehicle_id in data.vehicles:
        today = _charging_expected(sim, "vehicle", vehicle_id, dt_util.as_utc(midnight), now)
        open_hour = sim.state.charging_statistics(
            sim.user_id,
            {
                "type": "vehicle",
                "id": vehicle_id,
                "resolution": "HOUR",
                "startDate": _hour(now).isoformat(),
                "endDate": now.isoformat(),
            },
        )
        expected_today = sum(b["kwhSum"] for b in today) + sum(b["kwhSum"] for b in open_hour)
        entity_id = _entity_id(hass, f"{vehicle_id}_charging_energy_today")
        state = hass.states.get(entity_id)
        assert state is not None
        assert float(state.state) == pytest.approx(expected_today, abs=1e-6)
        assert state.attributes["state_class"] == "total"
        assert dt_util.parse_datetime(state.attributes["last_reset"]) == midnight
        cost = hass.states.get(_entity_id(hass, f"{vehicle_id}_charging_cost_today"))
        assert cost is not None
        assert cost.attributes["state_class"] == "total"
        assert cost.attributes["unit_of_measurement"] in ("EUR", hass.config.currency)


def _entity_id(hass: HomeAssistant, unique_id: str) -> str:
    from homeassistant.helpers import entity_registry as er

    entity_id = er.async_get(hass).async_get_entity_id("sensor", "enode", unique_id)
    assert entity_id is not None, unique_id
    return entity_id


async def test_later_imports_add_only_new_hours_once_an_hour(
    recorder_mock: Recorder, hass: HomeAssistant, simulator_factory: SimulatorFactory
) -> None:
    """An hour later, one request per HEM system and asset adds the hour that ended; a second
    run in the same hour asks nothing; a restart continues after the recorder's last hour."""
    sim = await _history(simulator_factory)
    entry = await _setup(hass, sim)
    data = entry.runtime_data.coordinator.data
    (system_id,) = sim.state.hem_system_ids(sim.user_id)
    ids = [statistic_id("hem", system_id, key) for key in HEM_SERIES]
    ids += [statistic_id("vehicle", v, CHARGING_ENERGY) for v in data.vehicles]
    ids += [statistic_id("charger", c, CHARGING_COST) for c in data.chargers]
    before = await _rows(hass, ids)
    stats_path = f"/hem-systems/{system_id}/statistics"
    charging_path = f"/users/{sim.user_id}/statistics/charging"

    for hour in range(1, 4):
        sim.clear_requests()
        sim.advance_time(3600)
        now = sim.clock.now_dt()
        await _import(hass, entry, now)
        await _import(hass, entry, _hour(now) + timedelta(minutes=59))
        # One request per HEM system and per asset in the hour, whatever the number of runs.
        assert _requests(sim, stats_path) == 1
        for vehicle_id in data.vehicles:
            assert _requests(sim, charging_path, id=vehicle_id) == 1
        for charger_id in data.chargers:
            assert _requests(sim, charging_path, id=charger_id) == 1
        assert _requests(sim, charging_path) == len(data.vehicles) + len(data.chargers)
        after = await _rows(hass, ids)
        for stat_id in ids:
            # Exactly the hours that ended since: no duplicate, no gap.
            assert len(after[stat_id]) == len(before[stat_id]) + hour, stat_id
            starts = [row["start"] for row in after[stat_id]]
            assert starts == sorted(set(starts)), stat_id
            assert dt_util.utc_from_timestamp(starts[-1]) == _hour(now) - HOUR
    expected = _hem_expected(sim, system_id, HEM_SERIES["grid_import"], sim.clock.now_dt())
    grid_import = (await _rows(hass, [ids[2]]))[ids[2]]
    assert _sum_of(grid_import) == pytest.approx(sum(expected.values()))

    # A restart: the new importer reads where to continue from the recorder.
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    sim.advance_time(3600)
    sim.clear_requests()
    with patch("custom_components.enode.statistics.dt_util.utcnow", sim.clock.now_dt):
        assert await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done(wait_background_tasks=True)
    await async_wait_recording_done(hass)
    assert _requests(sim, stats_path) == 1
    restarted = await _rows(hass, ids)
    for stat_id in ids:
        starts = [row["start"] for row in restarted[stat_id]]
        assert len(starts) == len(before[stat_id]) + 4, stat_id
        assert starts == sorted(set(starts)), stat_id
        sums = [row["sum"] for row in restarted[stat_id]]
        assert sums == sorted(sums), stat_id
    expected = _hem_expected(sim, system_id, HEM_SERIES["grid_import"], sim.clock.now_dt())
    assert _sum_of(restarted[ids[2]]) == pytest.approx(sum(expected.values()))
    # Set up again in the same hour: nothing is due, nothing is asked.
    assert await hass.config_entries.async_unload(entry.entry_id)
    sim.clear_requests()
    with patch("custom_components.enode.statistics.dt_util.utcnow", sim.clock.now_dt):
        assert await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done(wait_background_tasks=True)
    assert _requests(sim, stats_path) == 0
    assert _requests(sim, charging_path) == 0


async def test_energy_dashboard_accepts_the_statistics(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    hass_ws_client: WebSocketGenerator,
    simulator_factory: SimulatorFactory,
) -> None:
    """``energy/validate`` has no issue for grid, solar, battery and an EV from Enode."""
    sim = await _history(simulator_factory)
    entry = await _setup(hass, sim)
    assert await async_setup_component(hass, "energy", {})
    (system_id,) = sim.state.hem_system_ids(sim.user_id)
    vehicle_id = next(iter(entry.runtime_data.coordinator.data.vehicles))

    def hem(key: str) -> str:
        return statistic_id("hem", system_id, key)

    prefs = {
        "energy_sources": [
            {
                "type": "grid",
                "flow_from": [
                    {
                        "stat_energy_from": hem("grid_import"),
                        "stat_cost": None,
                        "entity_energy_price": None,
                        "number_energy_price": None,
                    }
                ],
                "flow_to": [
                    {
                        "stat_energy_to": hem("grid_export"),
                        "stat_compensation": None,
                        "entity_energy_price": None,
                        "number_energy_price": None,
                    }
                ],
                "cost_adjustment_day": 0,
            },
            {
                "type": "solar",
                "stat_energy_from": hem("solar_production"),
                "config_entry_solar_forecast": None,
            },
            {
                "type": "battery",
                "stat_energy_from": hem("battery_discharge"),
                "stat_energy_to": hem("battery_charge"),
            },
        ],
        "device_consumption": [
            {
                "stat_consumption": statistic_id("vehicle", vehicle_id, CHARGING_ENERGY),
                "name": "EV",
            }
        ],
    }
    client = await hass_ws_client(hass)
    await client.send_json_auto_id({"type": "energy/save_prefs", **prefs})
    saved = await client.receive_json()
    assert saved["success"], saved
    await client.send_json_auto_id({"type": "energy/validate"})
    result = await client.receive_json()
    assert result["success"], result
    assert result["result"]["energy_sources"] == [[], [], []], result
    assert result["result"]["device_consumption"] == [[]], result
    # A statistic that is not there is reported (the validation looks at the ids).
    prefs["device_consumption"][0]["stat_consumption"] = "enode:vehicle_nothing_charging_energy"
    await client.send_json_auto_id({"type": "energy/save_prefs", **prefs})
    assert (await client.receive_json())["success"]
    await client.send_json_auto_id({"type": "energy/validate"})
    result = await client.receive_json()
    assert result["result"]["device_consumption"] != [[]]


async def test_backfill_days_option(
    recorder_mock: Recorder, hass: HomeAssistant, simulator_factory: SimulatorFactory
) -> None:
    """The first import goes back the days set in the options (here one of the two)."""
    sim = await _history(simulator_factory)
    await _setup(hass, sim, **{CONF_BACKFILL_DAYS: 1})
    now = sim.clock.now_dt()
    (system_id,) = sim.state.hem_system_ids(sim.user_id)
    stat_id = statistic_id("hem", system_id, "household_consumption")
    rows = (await _rows(hass, [stat_id]))[stat_id]
    assert dt_util.utc_from_timestamp(rows[0]["start"]) == _hour(now) - timedelta(days=1)
    assert len(rows) == 24


async def test_imports_hourly(
    recorder_mock: Recorder, hass: HomeAssistant, simulator_factory: SimulatorFactory
) -> None:
    """The import runs at set-up and then every hour (not with the coordinator's refreshes)."""
    sim = await simulator_factory("demo")
    with patch(
        "custom_components.enode.statistics.EnodeStatistics.async_import", autospec=True
    ) as run:
        entry = await _setup(hass, sim)
        assert run.call_count == 1
        await entry.runtime_data.coordinator.async_refresh()
        assert run.call_count == 1
        async_fire_time_changed(hass, dt_util.utcnow() + HOUR)
        await hass.async_block_till_done(wait_background_tasks=True)
        assert run.call_count == 2
        # A vehicle linked later (no reload) is imported at once, not in up to an hour.
        coordinator = entry.runtime_data.coordinator
        vehicle = next(iter(coordinator.data.vehicles.values()))
        later = replace(vehicle, id="vehicle-linked-later")
        coordinator.async_set_updated_data(
            replace(coordinator.data, vehicles={**coordinator.data.vehicles, later.id: later})
        )
        await hass.async_block_till_done(wait_background_tasks=True)
        assert run.call_count == 3
        coordinator.async_set_updated_data(coordinator.data)
        await hass.async_block_till_done(wait_background_tasks=True)
        assert run.call_count == 3
        assert await hass.config_entries.async_unload(entry.entry_id)
        async_fire_time_changed(hass, dt_util.utcnow() + 3 * HOUR)
        await hass.async_block_till_done(wait_background_tasks=True)
        assert run.call_count == 3


async def test_an_hour_enode_has_not_got_yet_is_waited_for(
    recorder_mock: Recorder, hass: HomeAssistant, simulator_factory: SimulatorFactory
) -> None:
    """An hour that is over but without data yet (a vendor reporting late) is not imported as
    0 or skipped: the import stops before it, asks no more in the same hour, and imports it
    with the next hour once Enode has it."""
    sim = await _history(simulator_factory)
    entry = await _setup(hass, sim)
    client = entry.runtime_data.client
    (system_id,) = sim.state.hem_system_ids(sim.user_id)
    stat_id = statistic_id("hem", system_id, "grid_import")
    stats_path = f"/hem-systems/{system_id}/statistics"
    sim.advance_time(3600)
    now = sim.clock.now_dt()
    late = _hour(now) - HOUR
    sim.clear_requests()
    # Enode's answer without the last hour's values (not there yet).
    with patch.object(client, "get_hem_statistics", without_hour(client, late)):
        await _import(hass, entry, now)
        await _import(hass, entry, _hour(now) + timedelta(minutes=59))
    assert _requests(sim, stats_path) == 1
    rows = (await _rows(hass, [stat_id]))[stat_id]
    assert dt_util.utc_from_timestamp(rows[-1]["start"]) == late - HOUR
    # The next hour: Enode has both hours now.
    sim.advance_time(3600)
    now = sim.clock.now_dt()
    await _import(hass, entry, now)
    rows = (await _rows(hass, [stat_id]))[stat_id]
    assert [dt_util.utc_from_timestamp(row["start"]) for row in rows[-2:]] == [late, late + HOUR]
    expected = _hem_expected(sim, system_id, "import", now)
    assert _sum_of(rows) == pytest.approx(sum(expected.values()))
    assert _requests(sim, stats_path) == 2
