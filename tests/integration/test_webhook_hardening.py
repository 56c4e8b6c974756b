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

from . import test_webhook
from .conftest import GPS_VEHICLE_ID, TEST_USER
from .test_webhook import (
    _battery,
    _post,
    _setup,
    _signed,
    _sim,
    _vehicle_event,
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


def _errors(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]


@pytest.mark.parametrize(
    ("last_seen", "applied"),
    [
        ("2099-01-01T00:00:00", True),  # newer, without a timezone: read as UTC
        ("2000-01-01T00:00:00", False),  # older, without a timezone: a late delivery
        ("2099-01-01T00:00:00.000Z", True),
    ],
)
async def test_naive_last_seen(
    hass: HomeAssistant,
    simulator_factory: Any,
    ha_client: TestClient,
    caplog: pytest.LogCaptureFixture,
    last_seen: str,
    applied: bool,
) -> None:
    """A ``lastSeen`` without a timezone is UTC: compared with what is known, no traceback, and
    the rest of the batch goes on."""
    sim = await _sim(simulator_factory)
    entry = await _setup(hass, sim)
    event = _vehicle_event(sim, 77)
    event["vehicle"]["lastSeen"] = last_seen
    batch = [event, {"event": "user:vehicle:updated", "user": {"id": TEST_USER}, "vehicle": {}}]
    assert await _post(ha_client, entry, *_signed(entry, batch)) == 200
    await hass.async_block_till_done(wait_background_tasks=True)
    assert _battery(hass) == (77 if applied else 50)
    assert _errors(caplog) == []
    vehicle = entry.runtime_data.coordinator.data.vehicles[GPS_VEHICLE_ID]
    assert vehicle.last_seen is not None
    assert vehicle.last_seen.tzinfo is not None


def _discovered(sim: Any, *, owner: str, asset_id: str = "vehicle-stranger") -> dict[str, Any]:
    """A ``user:vehicle:discovered`` for our user whose vehicle says it belongs to ``owner``."""
    vehicle = dict(sim.asset(GPS_VEHICLE_ID)) | {"id": asset_id, "userId": owner}
    return {
        "event": "user:vehicle:discovered",
        "createdAt": "2025-06-01T12:00:00.000Z",
        "version": "2024-10-01",
        "user": {"id": TEST_USER},
        "vehicle": vehicle,
    }


async def test_asset_of_another_user_ignored(
    hass: HomeAssistant,
    simulator_factory: Any,
    ha_client: TestClient,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """An event for our user carrying another user's asset creates no device and changes no
    state; one debug line without ids says why.

    A discovered event carries only the asset's information: the integration fetches the asset,
    and our client may read every user's assets, so the fetched asset's owner is checked too.
    """
    sim = await _sim(simulator_factory)
    entry = await _setup(hass, sim)
    stranger = sim.add_asset(
        "someone-else", "vehicle", {"id": "vehicle-stranger", "vendor": "TESLA"}
    )
    caplog.set_level(logging.DEBUG, logger="custom_components.enode")
    updated = _vehicle_event(sim, 12)
    updated["vehicle"]["userId"] = "someone-else"
    batch = [_discovered(sim, owner="someone-else", asset_id=stranger), updated]
    assert await _post(ha_client, entry, *_signed(entry, batch)) == 200
    await hass.async_block_till_done(wait_background_tasks=True)
    registry = dr.async_get(hass)
    assert registry.async_get_device(identifiers={(DOMAIN, stranger)}) is None
    assert stranger not in entry.runtime_data.coordinator.data.vehicles
    assert _battery(hass) == 50
    assert caplog.text.count("belongs to another Enode user") == 2
    assert "someone-else" not in caplog.text

    # An asset of ours that Home Assistant does not know yet is added at once.
    ours = sim.add_asset(TEST_USER, "vehicle", {"id": "vehicle-new", "vendor": "TESLA"})
    batch = [_discovered(sim, owner=TEST_USER, asset_id=ours)]
    assert await _post(ha_client, entry, *_signed(entry, batch)) == 200
    await hass.async_block_till_done(wait_background_tasks=True)
    assert registry.async_get_device(identifiers={(DOMAIN, ours)}) is not None


async def test_action_of_another_user_ignored(
    hass: HomeAssistant, simulator_factory: Any, ha_client: TestClient
) -> None:
    """A ``user:vendor-action:updated`` for our user whose action is another user's: no event."""
    from pytest_homeassistant_custom_component.common import async_capture_events

    from custom_components.enode.const import EVENT_ACTION

    sim = await _sim(simulator_factory)
    entry = await _setup(hass, sim)
    events = async_capture_events(hass, EVENT_ACTION)
    action = {
        "event": "user:vendor-action:updated",
        "user": {"id": TEST_USER},
        "vendorAction": {
            "id": "action-y",
            "userId": "someone-else",
            "state": "CONFIRMED",
            "kind": "START",
            "targetId": GPS_VEHICLE_ID,
            "targetType": "vehicle",
        },
    }
    assert await _post(ha_client, entry, *_signed(entry, [action])) == 200
    await hass.async_block_till_done(wait_background_tasks=True)
    assert events == []


@pytest.mark.parametrize(
    ("path", "value", "entity", "expected"),
    [
        (("chargeState", "batteryLevel"), 1e30, "sensor.tessie_battery", "unknown"),
        (("chargeState", "batteryLevel"), -5, "sensor.tessie_battery", "unknown"),
        (("chargeState", "range"), -100, "sensor.tessie_range", "unknown"),
        # Dropped, the rate follows from the state: plugged in, not charging, no power flows.
        (("chargeState", "chargeRate"), 1e12, "sensor.tessie_charge_rate", "0.0"),
        (("odometer", "distance"), -1, "sensor.tessie_odometer", "unknown"),
        (("chargeState", "batteryLevel"), 100, "sensor.tessie_battery", "100.0"),
    ],
)
async def test_implausible_values_dropped(
    hass: HomeAssistant,
    simulator_factory: Any,
    ha_client: TestClient,
    caplog: pytest.LogCaptureFixture,
    path: tuple[str, str],
    value: float,
    entity: str,
    expected: str,
) -> None:
    """A signed update with an impossible value: that value is dropped (unknown), the rest of
    the update is applied, one debug line names the field (not the value)."""
    sim = await _sim(simulator_factory)
    entry = await _setup(hass, sim)
    caplog.set_level(logging.DEBUG, logger="custom_components.enode")
    event = _vehicle_event(sim, 61)
    group, key = path
    event["vehicle"][group] = {**event["vehicle"][group], key: value}
    if key == "batteryLevel":
        event["vehicle"]["chargeState"]["range"] = 123
    assert await _post(ha_client, entry, *_signed(entry, [event])) == 200
    await hass.async_block_till_done(wait_background_tasks=True)
    assert hass.states.get(entity).state == expected
    if value != 100:
        assert caplog.text.count("implausible") == 1
        assert f"{group}.{key}" in caplog.text
        assert repr(value) not in caplog.text
        if key == "batteryLevel":
            assert float(hass.states.get("sensor.tessie_range").state) == 123
        else:
            assert _battery(hass) == 61
    assert _errors(caplog) == []


@pytest.mark.parametrize(
    "size", [17 * 1024 * 1024, 3 * 1024 * 1024], ids=["over-aiohttp-limit", "over-ours"]
)
async def test_oversized_body(
    hass: HomeAssistant,
    simulator_factory: Any,
    ha_client: TestClient,
    caplog: pytest.LogCaptureFixture,
    size: int,
) -> None:
    """A body far larger than any Enode delivery (at most 100 events): 413, at most one log
    line, no traceback, nothing changes; the next delivery is processed."""
    sim = await _sim(simulator_factory)
    entry = await _setup(hass, sim)
    caplog.clear()
    body = b"[" + b" " * size + b"]"
    assert await _post(ha_client, entry, body, "sha1=whatever") == 413
    await hass.async_block_till_done(wait_background_tasks=True)
    ours = [r for r in caplog.records if r.name.startswith("custom_components.enode")]
    assert len(ours) <= 1
    assert all(r.exc_info is None for r in caplog.records)
    assert _errors(caplog) == []
    assert entry.runtime_data.coordinator.push_last_delivery is None  # not a delivery
    assert await _post(ha_client, entry, *_signed(entry, [_vehicle_event(sim, 66)])) == 200
    await hass.async_block_till_done(wait_background_tasks=True)
    assert _battery(hass) == 66


async def test_oversized_chunked_body(
    hass: HomeAssistant, simulator_factory: Any, ha_client: TestClient
) -> None:
    """A body without a Content-Length (chunked) is read only up to the limit: 413."""
    from custom_components.enode.webhook import MAX_DELIVERY_BYTES

    sim = await _sim(simulator_factory)
    entry = await _setup(hass, sim)

    async def chunks() -> Any:
        for _ in range(MAX_DELIVERY_BYTES // 65536 + 2):
            yield b" " * 65536

    resp = await ha_client.post(
        test_webhook._path(entry),
        data=chunks(),
        headers={"content-type": "application/json", "x-enode-signature": "sha1=x"},
    )
    assert resp.status == 413


async def test_delivery_through_the_cloud(
    hass: HomeAssistant, simulator_factory: Any, ha_client: TestClient
) -> None:
    """Nabu Casa relays a cloudhook delivery as a ``MockRequest`` (no ``read()``): it is
    verified and applied like one over HTTP."""
    from homeassistant.components.webhook import async_handle_webhook
    from homeassistant.util.aiohttp import MockRequest

    sim = await _sim(simulator_factory)
    entry = await _setup(hass, sim)
    body, signature = _signed(entry, [_vehicle_event(sim, 58)])
    request = MockRequest(
        content=body,
        mock_source="cloudhook",
        method="POST",
        headers={"content-type": "application/json", "x-enode-signature": signature},
    )
    from homeassistant.const import CONF_WEBHOOK_ID

    response = await async_handle_webhook(hass, entry.data[CONF_WEBHOOK_ID], request)
    assert response.status == 200
    await hass.async_block_till_done(wait_background_tasks=True)
    assert _battery(hass) == 58
