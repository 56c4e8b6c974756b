"""Hostile and odd webhook deliveries (issue 12): each gets a clear answer and loses nothing.

Oversized bodies get 413 without being read into memory, a ``lastSeen`` without a timezone is
read as UTC, an asset of another user or with impossible values changes nothing it should not,
and the Enode webhook's id is redacted in diagnostics.
"""

from __future__ import annotations

import logging
from typing import Any

from aiohttp.test_utils import TestClient
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
import orjson
import pytest

from custom_components.enode.const import DOMAIN
from custom_components.enode.diagnostics import async_get_config_entry_diagnostics
from custom_components.enode.webhook import CONF_ENODE_WEBHOOK_ID

from .conftest import GPS_VEHICLE, GPS_VEHICLE_ID, TEST_USER
from .test_webhook import (
    _battery,
    _post,
    _setup,
    _signed,
    _sim,
    _vehicle_event,
    ha_client,  # noqa: F401 (a fixture)
)

pytestmark = pytest.mark.usefixtures("fast_client")


async def test_enode_webhook_id_redacted(
    hass: HomeAssistant, simulator_factory: Any, ha_client: TestClient
) -> None:
    """Diagnostics redact the Enode webhook's id (with it, anyone holding the client's token
    could read or change the webhook)."""
    sim = await _sim(simulator_factory)
    entry = await _setup(hass, sim)
    (hook,) = sim.webhooks.webhooks
    assert entry.data[CONF_ENODE_WEBHOOK_ID] == hook.id
    diagnostics = await async_get_config_entry_diagnostics(hass, entry)
    assert diagnostics["entry"]["data"][CONF_ENODE_WEBHOOK_ID] == "**REDACTED**"
    assert hook.id not in orjson.dumps(diagnostics).decode()
