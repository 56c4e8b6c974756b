"""Fixtures for the client library tests: the shared simulator fixtures and a client for them."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Awaitable, Callable
from typing import Any

import pytest

from custom_components.enode.api import EnodeClient, Environment
from enode_simulator import Simulator

type SimFactory = Callable[..., Awaitable[Simulator]]


@pytest.fixture
def sim_factory(simulator_factory: SimFactory) -> SimFactory:
    """Start simulators on loopback (``tests/conftest.py``; background ticker off)."""
    return simulator_factory


@pytest.fixture
def sim(simulator: Simulator) -> Simulator:
    """The demo scenario (``tests/conftest.py``)."""
    return simulator


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
