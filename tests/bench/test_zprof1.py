from __future__ import annotations
import cProfile, pstats, io, time
from typing import Any
from homeassistant.core import HomeAssistant
from benchmarks.households import async_serve_push, async_setup_entry, fleet
from benchmarks.timing import _event, _signed
from enode_simulator import Simulator

async def test_prof1(hass: HomeAssistant, simulator_factory: Any, hass_client_no_auth: Any) -> None:
    client = await async_serve_push(hass, hass_client_no_auth)
    sim: Simulator = await simulator_factory(fleet(50, 50))
    entry = await async_setup_entry(hass, sim)
    vehicles = sorted(entry.runtime_data.coordinator.data.vehicles)
    path = f"/api/webhook/{entry.data['webhook_id']}"
    secret = entry.data["webhook_secret"]
    base = sim.clock.now()
    bodies = [_signed(secret, [_event(sim, vehicles[n % 50], {"batteryLevel": 10 + n // 50}, base + 1 + n)]) for n in range(400)]
    for body, headers in bodies[:50]:
        await client.post(path, data=body, headers=headers)
        await hass.async_block_till_done(wait_background_tasks=True)
    prof = cProfile.Profile()
    prof.enable()
    for body, headers in bodies[50:]:
        await client.post(path, data=body, headers=headers)
        await hass.async_block_till_done(wait_background_tasks=True)
    prof.disable()
    s = io.StringIO()
    pstats.Stats(prof, stream=s).sort_stats("tottime").print_stats(40)
    print(s.getvalue())
    s = io.StringIO()
    pstats.Stats(prof, stream=s).sort_stats("cumulative").print_stats(90)
    print(s.getvalue())
