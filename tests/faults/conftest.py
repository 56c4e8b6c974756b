"""Fixtures of the fault suite, and the table it prints at the end of the session."""

from __future__ import annotations

from collections.abc import Generator
from functools import partial
import logging
from typing import Any
from unittest.mock import patch

from aiohttp.test_utils import TestClient
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
import pytest

from tests.conftest import SimulatorFactory

from .harness import REPORT, FaultEnv, format_table, scenario


def pytest_configure(config: pytest.Config) -> None:
    """Register the ``faults`` marker."""
    config.addinivalue_line("markers", "faults: the fault suite of issue 12 (tests/faults)")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every case of this directory ``faults`` (``pytest -m faults`` runs the suite)."""
    for item in items:
        if "tests/faults/" in str(item.fspath).replace("\\", "/"):
            item.add_marker(pytest.mark.faults)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Print the table of every case that ran."""
    if not REPORT:
        return
    terminalreporter.section("fault suite (issue 12)")
    terminalreporter.write_line(format_table(REPORT))


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Enable the custom integration in every case."""
    return


@pytest.fixture(autouse=True)
def fast_client() -> Generator[None]:
    """Clients that retry without a real backoff and time out within a second."""
    from custom_components.enode import api

    with patch(
        "custom_components.enode.helpers.EnodeClient",
        partial(api.EnodeClient, retry_base_delay=0.001, request_timeout=1.0),
    ):
        yield


@pytest.fixture
async def env(
    hass: HomeAssistant,
    hass_client_no_auth: Any,
    simulator_factory: SimulatorFactory,
    caplog: pytest.LogCaptureFixture,
) -> FaultEnv:
    """Home Assistant (served on loopback, its internal URL), the simulator, the entry."""
    caplog.set_level(logging.INFO)
    caplog.set_level(logging.DEBUG, logger="custom_components.enode")
    assert await async_setup_component(hass, "webhook", {})
    client: TestClient = await hass_client_no_auth()
    await hass.config.async_update(internal_url=str(client.make_url("/")).rstrip("/"))
    sim = await simulator_factory(scenario())
    fault_env = FaultEnv(hass, sim, client, lambda: caplog.records)
    await fault_env.start()
    return fault_env
