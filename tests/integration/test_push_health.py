"""Push that quietly stops, and one webhook per Enode client (issue 12).

Enode deactivates a webhook after a day of failed deliveries (sandbox: five minutes), for example
while Home Assistant was off; a webhook can also be deleted, or its URL stop reaching Home
Assistant. While running, the integration checks its webhook whenever no delivery came for a
while (``GET /webhooks/{id}``, a test delivery) and reactivates, recreates or moves it, then
catches up with a refresh. A Nabu Casa cloudhook that was not available at set-up is tried
again. Entries of one Enode client share one webhook; each event reaches its user's entry.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
import logging
from typing import Any
from unittest.mock import patch

from aiohttp.test_utils import TestClient
from homeassistant.const import CONF_WEBHOOK_ID
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import async_fire_time_changed

from custom_components.enode.webhook import (
    CONF_ENODE_WEBHOOK_ID,
    CONF_WEBHOOK_SECRET,
    STATUS_FAILED,
    STATUS_NO_URL,
    STATUS_REGISTERED,
    WEBHOOK_CHECK_INTERVAL,
)

from .conftest import CHARGER, GPS_VEHICLE, GPS_VEHICLE_ID, TEST_USER, household, make_entry
from .test_webhook import _battery, _deliver, _setup, _sim

pytestmark = pytest.mark.usefixtures("fast_client")


async def _later(hass: HomeAssistant, delta: timedelta) -> None:
    async_fire_time_changed(hass, dt_util.utcnow() + delta)
    await hass.async_block_till_done(wait_background_tasks=True)


async def _check(hass: HomeAssistant) -> None:
    """Let the webhook check come (nothing was delivered meanwhile)."""
    await _later(hass, WEBHOOK_CHECK_INTERVAL + timedelta(seconds=1))


async def test_inactive_webhook_is_reactivated(
    hass: HomeAssistant,
    simulator_factory: Any,
    ha_client: TestClient,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Enode marked the webhook inactive (and dropped what it had queued): the check finds it,
    reactivates it, and a refresh catches up; deliveries work again."""
    caplog.set_level(logging.INFO, logger="custom_components.enode")
    sim = await _sim(simulator_factory)
    entry = await _setup(hass, sim)
    (hook,) = sim.webhooks.webhooks
    sim.set_webhook_active(False)
    sim.set_battery_level(GPS_VEHICLE_ID, 61)  # never delivered: the webhook is inactive
    await _deliver(hass, sim)
    assert _battery(hass) == 50

    await _check(hass)
    assert sim.count_requests("GET", f"/webhooks/{hook.id}") == 1
    assert hook.is_active
    assert _battery(hass) == 61  # caught up
    assert caplog.text.count("inactive") == 1
    sim.set_battery_level(GPS_VEHICLE_ID, 62)
    await _deliver(hass, sim)
    assert _battery(hass) == 62
    assert entry.runtime_data.webhook.status == STATUS_REGISTERED


async def test_healthy_push_is_not_checked(
    hass: HomeAssistant, simulator_factory: Any, ha_client: TestClient
) -> None:
    """While deliveries (or heartbeats) arrive, nothing is asked of Enode about the webhook."""
    sim = await _sim(simulator_factory)
    await _setup(hass, sim)
    sim.clear_requests()
    for _ in range(3):
        sim.advance_time(301)  # a heartbeat
        await _deliver(hass, sim)
        await _later(hass, WEBHOOK_CHECK_INTERVAL / 2)
    assert sim.count_requests(None, "/webhooks") == 0


async def test_deleted_webhook_is_recreated(
    hass: HomeAssistant, simulator_factory: Any, ha_client: TestClient
) -> None:
    """The Enode webhook is gone (deleted in Enode's dashboard): it is created again."""
    sim = await _sim(simulator_factory)
    entry = await _setup(hass, sim)
    (old,) = sim.webhooks.webhooks
    sim.webhooks.delete(old.id)
    await _check(hass)
    (new,) = sim.webhooks.webhooks
    assert new.id != old.id
    assert entry.data[CONF_ENODE_WEBHOOK_ID] == new.id
    assert new.secret == entry.data[CONF_WEBHOOK_SECRET]
    sim.set_battery_level(GPS_VEHICLE_ID, 63)
    await _deliver(hass, sim)
    assert _battery(hass) == 63


async def test_unreachable_url_is_moved(
    hass: HomeAssistant, simulator_factory: Any, ha_client: TestClient
) -> None:
    """Registered under a URL that does not reach Home Assistant (its address changed since):
    the test delivery fails, the webhook is moved to the current URL, deliveries arrive."""
    sim = await _sim(simulator_factory)
    good = hass.config.internal_url
    await hass.config.async_update(internal_url="http://127.0.0.1:9")
    entry = await _setup(hass, sim)
    (hook,) = sim.webhooks.webhooks
    assert hook.url.startswith("http://127.0.0.1:9/")
    await hass.config.async_update(internal_url=good)
    await _check(hass)
    assert sim.count_requests("POST", f"/webhooks/{hook.id}/test") >= 1
    assert hook.url == f"{good}/api/webhook/{entry.data[CONF_WEBHOOK_ID]}"
    sim.set_battery_level(GPS_VEHICLE_ID, 64)
    await _deliver(hass, sim)
    assert _battery(hass) == 64


async def _connect_by_the_timer(hass: HomeAssistant, entry: Any) -> None:
    """The webhook's next check finds the cloud connected."""
    await _check(hass)


async def _connect_by_the_signal(hass: HomeAssistant, entry: Any) -> None:
    """The cloud says it disconnected (nothing happens), then that it connected."""
    from homeassistant.components.cloud import (
        SIGNAL_CLOUD_CONNECTION_STATE,
        CloudConnectionState,
    )
    from homeassistant.helpers.dispatcher import async_dispatcher_send

    async_dispatcher_send(
        hass, SIGNAL_CLOUD_CONNECTION_STATE, CloudConnectionState.CLOUD_DISCONNECTED
    )
    await hass.async_block_till_done(wait_background_tasks=True)
    assert entry.runtime_data.webhook.status == STATUS_NO_URL
    async_dispatcher_send(hass, SIGNAL_CLOUD_CONNECTION_STATE, CloudConnectionState.CLOUD_CONNECTED)
    await hass.async_block_till_done(wait_background_tasks=True)


@pytest.mark.parametrize("connect", [_connect_by_the_timer, _connect_by_the_signal])
async def test_cloudhook_once_the_cloud_connects(
    hass: HomeAssistant,
    simulator_factory: Any,
    ha_client: TestClient,
    connect: Callable[[HomeAssistant, Any], Awaitable[None]],
) -> None:
    """Home Assistant Cloud was not connected at set-up (no URL, polling): once it is (the
    webhook's next check, or the cloud's connection signal right away), the cloudhook is created
    and registered without a reload."""
    from homeassistant.components.cloud import CloudNotConnected

    sim = await _sim(simulator_factory)
    hass.config.components.add("cloud")
    await hass.config.async_update(internal_url=None)
    connected = False

    async def create(hass: HomeAssistant, webhook_id: str) -> str:
        if not connected:
            raise CloudNotConnected
        return str(ha_client.make_url(f"/api/webhook/{webhook_id}"))

    with (
        patch("homeassistant.components.cloud.async_active_subscription", return_value=True),
        patch("homeassistant.components.cloud.async_create_cloudhook", create),
    ):
        entry = await _setup(hass, sim)
        assert entry.runtime_data.webhook.status == STATUS_NO_URL
        connected = True
        await connect(hass, entry)
    assert entry.runtime_data.webhook.status == STATUS_REGISTERED
    assert entry.data["cloudhook_url"] == sim.webhooks.webhooks[0].url
    sim.set_battery_level(GPS_VEHICLE_ID, 65)
    await _deliver(hass, sim)
    assert _battery(hass) == 65


OTHER_USER = "other-user"


def _two_users() -> dict[str, Any]:
    """Two Enode users of one client: ours with the GPS vehicle, the other with the charger."""
    scenario = household(linked=[GPS_VEHICLE, CHARGER])
    accounts = scenario["users"][0]["linkedAccounts"]
    scenario["users"] = [
        {"id": TEST_USER, "linkedAccounts": [accounts[0]]},
        {"id": OTHER_USER, "linkedAccounts": [accounts[1]]},
    ]
    return scenario


async def test_one_webhook_per_client(
    hass: HomeAssistant, simulator_factory: Any, ha_client: TestClient
) -> None:
    """Two entries (two users) of one Enode client share one webhook at Enode and one in Home
    Assistant; each event reaches its user's entry only; the webhook stays until the last entry
    is removed."""
    sim = await simulator_factory(_two_users())
    first = await _setup(hass, sim)
    second = await _setup(hass, sim, make_entry(sim, user_id=OTHER_USER))
    assert len(sim.webhooks.webhooks) == 1
    assert first.data[CONF_WEBHOOK_ID] == second.data[CONF_WEBHOOK_ID]
    assert first.data[CONF_ENODE_WEBHOOK_ID] == second.data[CONF_ENODE_WEBHOOK_ID]
    assert [
        webhook_id
        for webhook_id in hass.data["webhook"]
        if webhook_id == first.data[CONF_WEBHOOK_ID]
    ] == [first.data[CONF_WEBHOOK_ID]]

    sim.set_battery_level(GPS_VEHICLE_ID, 70)
    sim.set_reachable(CHARGER["id"], False)
    await _deliver(hass, sim)
    assert _battery(hass) == 70
    assert GPS_VEHICLE_ID not in second.runtime_data.coordinator.data.vehicles
    assert second.runtime_data.coordinator.data.chargers[CHARGER["id"]].is_reachable is False
    assert CHARGER["id"] not in first.runtime_data.coordinator.data.chargers
    assert first.runtime_data.coordinator.push_healthy
    assert second.runtime_data.coordinator.push_healthy

    # Unloading one entry keeps the other's deliveries.
    assert await hass.config_entries.async_unload(second.entry_id)
    await hass.async_block_till_done()
    sim.set_battery_level(GPS_VEHICLE_ID, 71)
    await _deliver(hass, sim)
    assert _battery(hass) == 71

    # Removing one entry keeps the webhook at Enode; removing the last one deletes it.
    assert await hass.config_entries.async_remove(second.entry_id)
    await hass.async_block_till_done()
    assert len(sim.webhooks.webhooks) == 1
    assert await hass.config_entries.async_remove(first.entry_id)
    await hass.async_block_till_done()
    assert sim.webhooks.webhooks == []


async def test_entries_with_their_own_webhooks_share_one(
    hass: HomeAssistant, simulator_factory: Any, ha_client: TestClient
) -> None:
    """Entries set up before sharing existed each have their own webhook: the later one takes
    the first one's and its own Enode webhook is deleted (no duplicate deliveries)."""
    sim = await simulator_factory(_two_users())
    first = await _setup(hass, sim)
    second = make_entry(sim, user_id=OTHER_USER)
    second.add_to_hass(hass)
    own = sim.webhooks.create({"url": "http://127.0.0.1:9/api/webhook/own", "secret": "x" * 20})
    hass.config_entries.async_update_entry(
        second,
        data={
            **second.data,
            CONF_WEBHOOK_ID: "e" * 64,
            CONF_WEBHOOK_SECRET: "own-secret-0123456789",
            CONF_ENODE_WEBHOOK_ID: own.id,
        },
    )
    await _setup(hass, sim, second)
    assert second.data[CONF_WEBHOOK_ID] == first.data[CONF_WEBHOOK_ID]
    assert [hook.id for hook in sim.webhooks.webhooks] == [first.data[CONF_ENODE_WEBHOOK_ID]]


async def test_working_webhook_is_left_alone(
    hass: HomeAssistant, simulator_factory: Any, ha_client: TestClient
) -> None:
    """Silence, but the webhook is active and its test delivery arrives: nothing changes (the
    test event itself counts as a delivery)."""
    sim = await _sim(simulator_factory)
    entry = await _setup(hass, sim)
    (hook,) = sim.webhooks.webhooks
    await _check(hass)
    assert sim.count_requests("POST", f"/webhooks/{hook.id}/test") == 1
    assert sim.count_requests("PATCH", "/webhooks/") == 0  # not registered again
    assert entry.runtime_data.coordinator.push_healthy


async def test_check_when_enode_cannot_answer(
    hass: HomeAssistant, simulator_factory: Any, ha_client: TestClient
) -> None:
    """Enode fails while the webhook is checked: nothing is changed, the next check retries."""
    sim = await _sim(simulator_factory)
    await _setup(hass, sim)
    (hook,) = sim.webhooks.webhooks
    sim.inject_fault(status=503, count=4, path_prefix=f"/webhooks/{hook.id}", method="GET")
    await _check(hass)
    sim.inject_fault(status=503, count=4, path_prefix=f"/webhooks/{hook.id}/test")
    await _check(hass)
    assert sim.count_requests("PATCH", "/webhooks/") == 0
    sim.set_webhook_active(False)
    await _check(hass)
    assert hook.is_active


async def test_failed_registration_is_tried_again(
    hass: HomeAssistant, simulator_factory: Any, ha_client: TestClient
) -> None:
    """Enode refused the webhook at set-up: it is tried again (quietly) until it works; the
    entry then catches up."""
    sim = await _sim(simulator_factory)
    sim.inject_fault(status=400, count=2, path_prefix="/webhooks", method="POST")
    entry = await _setup(hass, sim)
    push = entry.runtime_data.webhook
    assert push.status == STATUS_FAILED
    await _check(hass)
    assert push.status == STATUS_FAILED
    sim.set_battery_level(GPS_VEHICLE_ID, 66)
    await _check(hass)
    assert push.status == STATUS_REGISTERED
    assert _battery(hass) == 66


async def test_too_many_deliveries_during_setup(
    hass: HomeAssistant, simulator_factory: Any, ha_client: TestClient
) -> None:
    """More events arrive while the entry sets up than it keeps: 503, so Enode delivers them
    again later (nothing is accepted and then dropped)."""
    from custom_components.enode.webhook import EnodeWebhook

    sim = await _sim(simulator_factory)
    entry = await _setup(hass, sim)
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    statuses: list[int] = []
    real_start = EnodeWebhook.async_start

    def start_after_deliveries(self: EnodeWebhook) -> None:
        for attempt in sim.webhooks.attempts[-2:]:
            statuses.append(attempt.status or 0)
        real_start(self)

    async def forward_while_enode_delivers(*args: Any) -> None:
        for level in (61, 62):
            sim.set_battery_level(GPS_VEHICLE_ID, level)
            await sim.flush_webhooks(force=True)
        await real_forward(*args)

    real_forward = hass.config_entries.async_forward_entry_setups
    with (
        patch("custom_components.enode.webhook.MAX_EARLY_EVENTS", 1),
        patch.object(EnodeWebhook, "async_start", start_after_deliveries),
        patch.object(
            hass.config_entries, "async_forward_entry_setups", forward_while_enode_delivers
        ),
    ):
        await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done(wait_background_tasks=True)
    assert statuses == [200, 503]
    await sim.flush_webhooks(force=True)  # Enode's retry
    await hass.async_block_till_done(wait_background_tasks=True)
    assert _battery(hass) == 62
