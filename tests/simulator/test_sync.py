"""The simulator re-renders assets only after a change (dirty flag) and loses no event."""

from __future__ import annotations

from collections.abc import Callable
import contextlib
from typing import Any

import aiohttp
import pytest

from enode_simulator import Simulator
from enode_simulator.clock import SimClock
from enode_simulator.scenario import apply_scenario, load_scenario
from enode_simulator.state import ApiError, SimState

from ..conftest import SimulatorFactory
from .conftest import Api

VW = "8d90101b-3f2f-462a-bbb4-1ed320d33bbe"
TESLA = "05ee9df5-d072-4ee8-b773-399dec8f5693"
ZAPTEC = "e7d4db80-4fca-4781-ac70-14108f560706"
BATTERY = "54d827e1-8355-4fed-97b5-55940d1d09ba"
EASEE_BLOCK = "d7f3b1a5-9e2c-4a8d-b6f4-2c9e1a7d5b63"
START = 1_727_784_000.0  # 2024-10-01T12:00:00Z


class FrozenClock(SimClock):
    """Simulated time that moves only through ``advance``."""

    def now(self) -> float:
        return START + self.offset


def _count_renders(state: SimState, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    calls: list[str] = []
    original = state.render_asset

    def counting(asset: Any) -> dict[str, Any]:
        calls.append(asset.id)
        return original(asset)

    monkeypatch.setattr(state, "render_asset", counting)
    return calls


def _freeze(sim: Simulator, monkeypatch: pytest.MonkeyPatch) -> None:
    """No simulated time passes between requests (no battery creeps over a whole percent)."""
    now = sim.clock.now()
    monkeypatch.setattr(sim.clock, "now", lambda: now)


async def test_reads_do_not_render_and_changes_render_once(
    simulator_factory: SimulatorFactory,
    http: aiohttp.ClientSession,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Paging a fleet renders nothing; a change re-renders each asset once, not per page."""
    sim = await simulator_factory({"generate": {"vehicles": 30, "chargers": 30}})
    _freeze(sim, monkeypatch)
    api = Api(http, sim)
    await api.fetch_token()
    renders = _count_renders(sim.state, monkeypatch)
    user = sim.user_id

    async def all_pages(kind: str) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        params = {"pageSize": "7"}
        while True:
            status, body = await api.get(f"/users/{user}/{kind}", params=params)
            assert status == 200, body
            items += body["data"]
            if body["pagination"]["after"] is None:
                return items
            params = {"pageSize": "7", "after": body["pagination"]["after"]}

    vehicles = await all_pages("vehicles")
    chargers = await all_pages("chargers")
    assert len(vehicles) == 30
    assert len(chargers) == 30
    status, one = await api.get(f"/vehicles/{vehicles[0]['id']}")
    assert status == 200
    assert renders == []
    # The served views are the current wire views.
    renders_before = len(renders)
    for body in vehicles + chargers:
        assert body == sim.state.render_asset(sim.state.get_asset(body["id"]))
    assert one == vehicles[0]
    del renders[renders_before:]

    vehicle_id = vehicles[3]["id"]
    sim.set_battery_level(vehicle_id, 13)
    assert len(renders) == 60  # one sync of every asset
    refreshed = await all_pages("vehicles")
    assert len(renders) == 60  # ... and none for the ten page reads after it
    assert next(v for v in refreshed if v["id"] == vehicle_id)["chargeState"]["batteryLevel"] == 13
    updates = [e for e in sim.state.events if e["event"] == "user:vehicle:updated"]
    assert [e["vehicle"]["id"] for e in updates] == [vehicle_id]
    assert "chargeState.batteryLevel" in updates[0]["updatedFields"]


async def test_direct_changes_need_mark_dirty(
    simulator: Simulator, api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Code that mutates an asset itself marks the state dirty; then reads and events follow."""
    _freeze(simulator, monkeypatch)
    simulator.state.get_asset(TESLA).odometer_km = 12345.0
    simulator.state.mark_dirty()
    status, body = await api.get(f"/vehicles/{TESLA}")
    assert status == 200
    assert body["odometer"]["distance"] == 12345.0
    assert [e["updatedFields"] for e in simulator.state.events] == [
        ["odometer.distance", "lastSeen"]
    ]


def _tolerant(call: Callable[[], object]) -> None:
    with contextlib.suppress(ApiError):
        call()


def _script(state: SimState) -> list[dict[str, Any]]:
    """Drive a state through every kind of change, reading between steps as requests do."""
    apply_scenario(state, load_scenario("demo"))
    state.settings.action_delay = 5

    def read() -> None:
        state.tick()
        for asset in list(state.assets.values()):
            state.wire_view(asset)

    steps: list[Callable[[], object]] = [
        lambda: state.set_battery_level(VW, 40),
        lambda: state.control_charging(VW, "vehicle", "START"),
        lambda: state.advance_time(2),
        lambda: state.control_charging(VW, "vehicle", "START"),  # reused
        lambda: state.advance_time(5),
        *[lambda: state.advance_time(45) for _ in range(12)],  # below and above a whole percent
        lambda: state.set_vehicle_position(TESLA, 59.9139, 10.7522),
        lambda: state.set_vehicle_position(TESLA, 60.5, 10.0),
        lambda: state.create_location(
            "demo-user", {"name": "Cabin", "latitude": 60.5, "longitude": 10.0}, "cabin"
        ),
        lambda: state.set_asset_location(ZAPTEC, "charger", "cabin"),
        lambda: state.add_intervention(
            ZAPTEC, "startCharging", "d7f3b1a5-9e2c-4a8d-b6f4-2c9e1a7d5b63"
        ),
        lambda: state.set_reachable(VW, False),
        lambda: state.control_charging(VW, "vehicle", "STOP"),
        lambda: state.advance_time(10),
        lambda: state.set_reachable(VW, True),
        lambda: state.remove_intervention(ZAPTEC, EASEE_BLOCK),
        lambda: state.set_max_current(ZAPTEC, 10),
        lambda: state.advance_time(10),
        lambda: state.set_operation_mode(BATTERY, "TIME_OF_USE"),
        lambda: state.advance_time(10),
        lambda: state.unplug(VW),
        *[lambda: state.control_charging(VW, "vehicle", "START") for _ in range(10)],
        lambda: state.plug_in(VW, ZAPTEC, charging=True),
        lambda: state.advance_time(120),
        lambda: state.update_location("cabin", {"latitude": 59.9139, "longitude": 10.7522}),
        lambda: state.delete_location("cabin"),
        lambda: state.invalidate_credentials("demo-user", "TESLA"),
        lambda: state.relink_asset(TESLA),
        lambda: state.remove_asset(ZAPTEC),
        lambda: state.disconnect_vendor("demo-user", "VOLKSWAGEN", None),
        lambda: state.delete_user("demo-user"),
    ]
    for step in steps:
        _tolerant(step)
        read()
        read()
    actions: dict[str, str] = {}
    events = []
    for event in state.events:
        action = event.get("vendorAction")
        if action is None:
            events.append(event)
            continue
        alias = actions.setdefault(action["id"], f"action-{len(actions)}")
        events.append(event | {"vendorAction": action | {"id": alias}})
    return events


def test_events_equal_a_full_resync_on_every_request() -> None:
    """The dirty flag loses no event: the same events as re-rendering on every sync."""
    fast = SimState(FrozenClock())
    reference = SimState(FrozenClock())
    full_sync = reference.sync

    def always_resync() -> None:
        reference.mark_dirty()
        full_sync()

    reference.sync = always_resync  # type: ignore[method-assign]
    expected = _script(reference)
    assert _script(fast) == expected
    kinds = {event["event"] for event in expected}
    assert {
        "user:vehicle:updated",
        "user:charger:updated",
        "user:battery:updated",
        "user:vendor-action:updated",
        "user:charger:deleted",
        "user:vehicle:deleted",
        "user:credentials:invalidated",
    } <= kinds
    fields = {f for event in expected for f in event.get("updatedFields", [])}
    assert {
        "chargeState.batteryLevel",
        "location.id",
        "capabilities.startCharging.isCapable",
        "isReachable",
        "chargeState.maxCurrent",
    } <= fields
