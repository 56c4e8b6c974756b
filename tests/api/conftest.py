"""Fixtures for the client library tests: an in-process simulator and a client pointed at it."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Awaitable, Callable, Mapping
from typing import Any

import pytest

from custom_components.enode.api import EnodeClient, Environment
from enode_simulator import Simulator

type SimFactory = Callable[..., Awaitable[Simulator]]


@pytest.fixture
async def sim_factory(socket_enabled: None) -> AsyncGenerator[SimFactory]:
    """Start simulators on loopback (scenario name or dict); stop them after the test."""
    started: list[Simulator] = []

    async def _start(scenario: str | Mapping[str, Any] = "demo", **kwargs: Any) -> Simulator:
        kwargs.setdefault("tick_interval", None)
        sim = Simulator(scenario=scenario, **kwargs)
        await sim.start(host="127.0.0.1", port=0)
        started.append(sim)
        return sim

    yield _start
    for sim in started:
        await sim.stop()


@pytest.fixture
async def sim(sim_factory: SimFactory) -> Simulator:
    """The demo scenario."""
    return await sim_factory("demo")


def make_client(sim: Simulator, **kwargs: Any) -> EnodeClient:
    """Return a client for a simulator, with a short backoff."""
    kwargs.setdefault("request_timeout", 5)
    kwargs.setdefault("retry_base_delay", 0.001)
    return EnodeClient(
        kwargs.pop("client_id", sim.client_id),
        kwargs.pop("client_secret", sim.client_secret),
        environment=Environment.CUSTOM,
        api_url=sim.base_url,
        token_url=sim.token_url,
        **kwargs,
    )


@pytest.fixture
async def client(sim: Simulator) -> AsyncGenerator[EnodeClient]:
    """A client for the demo simulator."""
    async with make_client(sim) as enode:
        yield enode
