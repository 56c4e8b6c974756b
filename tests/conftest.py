"""Shared fixtures: the Enode simulator on loopback (``simulator``, ``simulator_factory``)."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Awaitable, Callable, Mapping
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from enode_simulator import Simulator

type SimulatorFactory = Callable[..., Awaitable[Simulator]]


@pytest.fixture
async def simulator_factory(socket_enabled: None) -> AsyncGenerator[SimulatorFactory]:
    """Start simulators on a free loopback port; every one is stopped after the test.

    ``await simulator_factory("demo-linked", action_delay=0)`` takes a scenario name, a path
    or a dict (e.g. ``{"extends": "demo", "generate": {"vehicles": 60}}``) and the keyword
    arguments of :class:`Simulator`. The background ticker is off by default
    (``tick_interval=None``) so tests are deterministic: time-based changes happen on requests,
    control calls and ``advance_time``.
    """
    started: list[Simulator] = []

    async def _start(scenario: str | Path | Mapping[str, Any] = "demo", **kwargs: Any) -> Simulator:
        kwargs.setdefault("tick_interval", None)
        sim = Simulator(scenario=scenario, **kwargs)
        await sim.start(host="127.0.0.1", port=0)
        started.append(sim)
        return sim

    yield _start
    for sim in started:
        await sim.stop()


@pytest.fixture
async def simulator(simulator_factory: SimulatorFactory) -> Simulator:
    """The demo scenario (``demo-client`` / ``demo-secret``, devices linked to ``demo-user``)."""
    return await simulator_factory("demo")


def advance_to_local(
    sim: Simulator, hour: int, minute: int = 0, zone: str = "Europe/Oslo"
) -> datetime:
    """Move a simulator's clock to the next ``hour:minute`` in a time zone (default: Oslo, the
    zone of the test Locations), so tariff-dependent behaviour (smart charging) is the same
    whatever the real time of day."""
    tz = ZoneInfo(zone)
    now = sim.clock.now_dt().astimezone(tz)
    target = now.replace(hour=hour, minute=minute, second=0, microsecond=0)
    if target <= now:
        target += timedelta(days=1)
    sim.advance_time((target - now).total_seconds())
    return target
