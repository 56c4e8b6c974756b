"""Timing ratios (issue 14; README "Performance"): P3 push latency, P4 set-up, P5 client refresh.

Run by ``scripts/bench`` only (skipped otherwise): each records its ratio to a baseline measured
in the same run, and fails when the ratio is over its budget (``benchmarks.measure.BUDGETS``).
"""

from __future__ import annotations

from typing import Any

from homeassistant.core import HomeAssistant

from benchmarks.households import async_serve_push, async_setup_entry, fleet
from benchmarks.measure import BUDGETS, record
from benchmarks.timing import (
    async_client_refresh,
    async_memory_ratio,
    async_push_batch,
    async_push_deliveries,
    async_setup_ratio,
)
from enode_simulator import Simulator

# 100 assets over every type (entities exist for the types that have descriptions).
HOUSEHOLD_100 = fleet(30, 30, batteries=10, inverters=10, meters=10, hvacs=10)


def _check(name: str, value: float, detail: str) -> None:
    assert record(name, value, detail), f"{name}: {value:.2f} ({detail}) over {BUDGETS[name]}"


async def test_push_latency(
    hass: HomeAssistant, simulator_factory: Any, hass_client_no_auth: Any
) -> None:
    """P3: 100 events in one delivery; 1,000 deliveries 20 at a time (p50, p99)."""
    client = await async_serve_push(hass, hass_client_no_auth)
    sim: Simulator = await simulator_factory(fleet(50, 50))
    entry = await async_setup_entry(hass, sim)
    assert entry.runtime_data.webhook.registered
    vehicles = sorted(entry.runtime_data.coordinator.data.vehicles)
    chargers = sorted(entry.runtime_data.coordinator.data.chargers)
    ratio, detail = await async_push_batch(hass, client, entry, sim, vehicles, chargers, repeat=10)
    record("P3 100 events, one delivery", ratio, detail)
    p50, p99, detail = await async_push_deliveries(
        hass, client, entry, sim, vehicles, count=1000, concurrency=20
    )
    record("P3 1000 deliveries p50", p50, detail)
    record("P3 1000 deliveries p99", p99, detail)
    for name, value in (
        ("P3 100 events, one delivery", ratio),
        ("P3 1000 deliveries p50", p50),
        ("P3 1000 deliveries p99", p99),
    ):
        assert BUDGETS[name].met(value), f"{name}: {value:.2f} over {BUDGETS[name]}"


async def test_setup(hass: HomeAssistant, simulator_factory: Any) -> None:
    """P4: set-up of 100 assets and the memory they hold, vs bare entities."""
    sim: Simulator = await simulator_factory(HOUSEHOLD_100)
    ratio, detail = await async_setup_ratio(hass, sim, 100, repeat=5)
    memory, memory_detail = await async_memory_ratio(hass, sim, 100)
    _check("P4 set-up 100 assets", ratio, detail)
    _check("P4 memory per asset", memory, memory_detail)


async def test_client_refresh(simulator_factory: Any) -> None:
    """P5: the client's refresh of 200 + 200 vs a bare aiohttp client."""
    sim: Simulator = await simulator_factory(fleet(200, 200))
    (again, detail), (first, first_detail) = await async_client_refresh(sim, repeat=15)
    record("P5 first read 200+200", first, first_detail)
    _check("P5 client refresh 200+200", again, detail)
    _check("P5 first read 200+200", first, first_detail)
