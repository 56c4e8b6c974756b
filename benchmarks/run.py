"""Measure the speed and resource budgets of the Enode client (scripts/bench).

Everything runs on loopback against the in-process simulator. Each measurement is compared with
a budget (``BUDGETS``); the exit code is 1 when one is over budget. Timings are medians over
repeated runs and include the simulator's own work: they depend on the machine, so budgets leave
head-room; the request counts, which do not, are exact.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Awaitable, Callable
import gc
import json
import statistics
import sys
import time
import tracemalloc
from typing import Any

import orjson

from custom_components.enode.api import (
    AssetType,
    EnodeClient,
    Environment,
    Vehicle,
    compute_signature,
    parse_events,
    verify_signature,
)
from enode_simulator import Simulator

# name: (budget, unit); lower is better for every measurement
BUDGETS: dict[str, tuple[float, str]] = {
    "refresh_requests_20v_20c": (2, "requests"),
    "refresh_requests_200v_200c": (8, "requests"),
    "refresh_ms_20v_20c": (20, "ms"),
    "refresh_ms_200v_200c": (100, "ms"),
    "webhook_batch_100_ms": (15, "ms"),
    "vehicle_parse_us": (150, "us"),
    "snapshot_kib_200v_200c": (4096, "KiB"),
}


async def _timed(func: Callable[[], Awaitable[Any]], repeat: int) -> list[float]:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        await func()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def _client(sim: Simulator) -> EnodeClient:
    """Return a client for the simulator (custom environment)."""
    return EnodeClient(
        sim.client_id,
        sim.client_secret,
        environment=Environment.CUSTOM,
        api_url=sim.base_url,
        token_url=sim.token_url,
    )


async def _fleet_refresh(vehicles: int, chargers: int, repeat: int) -> tuple[int, float, int]:
    """Return (requests per refresh, median ms per refresh, KiB held by the parsed snapshot)."""
    sim = Simulator(
        scenario={"generate": {"vehicles": vehicles, "chargers": chargers}}, tick_interval=None
    )
    await sim.start(host="127.0.0.1", port=0)
    try:
        async with _client(sim) as client:
            user_id = sim.user_id

            async def refresh() -> dict[AssetType, list[Any]]:
                results = await asyncio.gather(
                    client.list_vehicles(user_id), client.list_chargers(user_id)
                )
                return dict(zip((AssetType.VEHICLE, AssetType.CHARGER), results, strict=True))

            await refresh()  # warm up: token, connection
            before = len(sim.requests)
            await refresh()
            requests = len(sim.requests) - before
            samples = await _timed(refresh, repeat)

            gc.collect()
            tracemalloc.start()
            snapshot = await refresh()
            current, _peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            assert len(snapshot[AssetType.VEHICLE]) == vehicles
            assert len(snapshot[AssetType.CHARGER]) == chargers
            return requests, statistics.median(samples), current // 1024
    finally:
        await sim.stop()


async def _webhook_batch(repeat: int) -> float:
    """Median ms to verify and parse a signed delivery of 100 vehicle/charger update events."""
    sim = Simulator(scenario={"generate": {"vehicles": 50, "chargers": 50}}, tick_interval=None)
    await sim.start(host="127.0.0.1", port=0)
    try:
        async with _client(sim) as client:
            vehicles = await client.list_vehicles(sim.user_id)
            chargers = await client.list_chargers(sim.user_id)
    finally:
        await sim.stop()
    events = [
        {
            "event": f"user:{kind}:updated",
            "createdAt": "2024-10-01T12:00:00Z",
            "version": "2024-10-01",
            "user": {"id": "fleet-user"},
            kind: asset.to_dict(),
            "updatedFields": ["chargeState.batteryLevel"],
        }
        for kind, assets in (("vehicle", vehicles), ("charger", chargers))
        for asset in assets
    ]
    body = orjson.dumps(events)
    secret = "bench-secret-0123456789"
    signature = compute_signature(secret, body)

    async def handle() -> None:
        assert verify_signature(secret, body, signature)
        assert len(parse_events(body)) == 100

    return statistics.median(await _timed(handle, repeat))


def _vehicle_parse_us(repeat: int) -> float:
    raw = {
        "id": "05ee9df5-d072-4ee8-b773-399dec8f5693",
        "userId": "bench-user",
        "vendor": "TESLA",
        "lastSeen": "2024-01-07T17:04:26.000Z",
        "isReachable": True,
        "information": {"vin": None, "brand": "Tesla", "model": "Model S", "year": 2020},
        "chargeState": {
            "batteryLevel": 66,
            "range": 228,
            "isPluggedIn": True,
            "isCharging": True,
            "powerDeliveryState": "PLUGGED_IN:CHARGING",
            "pluggedInChargerId": None,
        },
        "capabilities": {
            "chargeState": {"isCapable": True, "interventionIds": []},
            "startCharging": {"isCapable": False, "interventionIds": ["x"]},
        },
        "location": {"id": None, "latitude": None, "longitude": None, "lastUpdated": None},
    }
    start = time.perf_counter()
    for _ in range(repeat):
        Vehicle.from_dict(raw)
    return (time.perf_counter() - start) / repeat * 1e6


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=30, help="timed runs per measurement")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args()

    results: dict[str, float] = {}
    req, ms, _ = await _fleet_refresh(20, 20, args.repeat)
    results["refresh_requests_20v_20c"] = req
    results["refresh_ms_20v_20c"] = ms
    req, ms, kib = await _fleet_refresh(200, 200, max(5, args.repeat // 3))
    results["refresh_requests_200v_200c"] = req
    results["refresh_ms_200v_200c"] = ms
    results["snapshot_kib_200v_200c"] = kib
    results["webhook_batch_100_ms"] = await _webhook_batch(args.repeat)
    results["vehicle_parse_us"] = _vehicle_parse_us(args.repeat * 100)

    over = [name for name, value in results.items() if value > BUDGETS[name][0]]
    if args.json:
        print(json.dumps({"results": results, "over_budget": over}, indent=2))
    else:
        print(f"{'measurement':32} {'value':>10} {'budget':>10}  unit")
        for name, value in results.items():
            budget, unit = BUDGETS[name]
            flag = "  OVER BUDGET" if name in over else ""
            print(f"{name:32} {value:10.1f} {budget:10.1f}  {unit}{flag}")
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
