"""Push updates: the simulator's signed deliveries into Home Assistant's webhook view.

The Home Assistant HTTP app is served by ``hass_client_no_auth``'s test server on a real
loopback port; its address is Home Assistant's internal URL, which the integration registers at
the simulator (custom environment: plain http is accepted). The simulator then POSTs real,
signed batches to ``/api/webhook/<id>``.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
import logging
from typing import Any
from unittest.mock import patch

from aiohttp.test_utils import TestClient
from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.switch import DOMAIN as SWITCH_DOMAIN
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import (
    ATTR_ENTITY_ID,
    CONF_WEBHOOK_ID,
    SERVICE_TURN_ON,
    STATE_ON,
    STATE_UNAVAILABLE,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, issue_registry as ir
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import orjson
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    async_fire_time_changed,
)

from custom_components.enode.actions import ACTION_RECHECK_INTERVAL, STORAGE_SAVE_DELAY
from custom_components.enode.api import EnodeClient, Environment
from custom_components.enode.api.webhooks import compute_signature
from custom_components.enode.const import CONF_ENVIRONMENT, DOMAIN, EVENT_ACTION
from custom_components.enode.coordinator import (
    PUSH_HEALTHY_WINDOW,
    UPDATE_INTERVAL_IDLE,
    UPDATE_INTERVAL_PUSH,
)
from custom_components.enode.diagnostics import async_get_config_entry_diagnostics
from custom_components.enode.webhook import (
    CONF_ENODE_WEBHOOK_ID,
    CONF_WEBHOOK_SECRET,
    STATUS_FAILED,
    STATUS_NO_URL,
    STATUS_REGISTERED,
    SUBSCRIBED_EVENTS,
    EnodeWebhook,
)

from .conftest import (
    BATTERY as HOME_BATTERY,
    CHARGER,
    CHARGER_ID,
    CHARGER_REMOTE_ACCESS,
    GPS_VEHICLE,
    GPS_VEHICLE_ID,
    HEAT_PUMP,
    INVERTER,
    METER,
    METER_ID,
    TEST_USER,
    household,
    make_entry,
    setup_entry,
)

pytestmark = pytest.mark.usefixtures("fast_client")

BATTERY = "sensor.tessie_battery"
SWITCH = "switch.tessie_charge"
PLUGGED = [{"vehicle": GPS_VEHICLE_ID, "charger": CHARGER_ID, "charging": False}]


async def _sim(simulator_factory: Any, *, action_delay: float = 0) -> Any:
    return await simulator_factory(
        household(linked=[GPS_VEHICLE, CHARGER], plugged=PLUGGED, action_delay=action_delay)
    )


async def _setup(hass: HomeAssistant, sim: Any, entry: MockConfigEntry | None = None) -> Any:
    """Set up an entry and wait for its Enode registration (a background task)."""
    entry = await setup_entry(hass, entry or make_entry(sim))
    await hass.async_block_till_done(wait_background_tasks=True)
    return entry


async def _deliver(hass: HomeAssistant, sim: Any) -> None:
    """Let the simulator deliver what is due and Home Assistant process it."""
    await sim.flush_webhooks()
    await hass.async_block_till_done(wait_background_tasks=True)


def _battery(hass: HomeAssistant) -> float:
    return float(hass.states.get(BATTERY).state)


def _path(entry: MockConfigEntry) -> str:
    return f"/api/webhook/{entry.data[CONF_WEBHOOK_ID]}"


async def _post(
    client: TestClient, entry: MockConfigEntry, body: bytes, signature: str | None
) -> int:
    headers = {"content-type": "application/json"}
    if signature is not None:
        headers["x-enode-signature"] = signature
    resp = await client.post(_path(entry), data=body, headers=headers)
    return resp.status


def _signed(entry: MockConfigEntry, events: list[dict[str, Any]]) -> tuple[bytes, str]:
    body = orjson.dumps(events)
    return body, compute_signature(entry.data[CONF_WEBHOOK_SECRET], body)


def _vehicle_event(sim: Any, level: int, *, user_id: str = TEST_USER) -> dict[str, Any]:
    """A ``user:vehicle:updated`` event of the GPS vehicle with another battery level."""
    vehicle = dict(sim.asset(GPS_VEHICLE_ID))
    vehicle["chargeState"] = {**vehicle["chargeState"], "batteryLevel": level}
    return {
        "event": "user:vehicle:updated",
        "createdAt": "2025-06-01T12:00:00.000Z",
        "version": "2024-10-01",
        "user": {"id": user_id},
        "vehicle": vehicle,
        "updatedFields": ["chargeState.batteryLevel"],
    }


# ---------------------------------------------------------------------------- registration


async def test_registration_and_pushed_update(
    hass: HomeAssistant, simulator_factory: Any, ha_client: TestClient
) -> None:
    """Set-up registers the webhook at Enode; a vehicle update shows up without polling."""
    sim = await _sim(simulator_factory)
    entry = await _setup(hass, sim)
    push = entry.runtime_data.webhook
    assert push.status == STATUS_REGISTERED
    (hook,) = sim.webhooks.webhooks
    assert hook.url == str(ha_client.make_url(_path(entry)))
    assert hook.secret == entry.data[CONF_WEBHOOK_SECRET]
    assert sorted(hook.events) == sorted(SUBSCRIBED_EVENTS)
    assert entry.data[CONF_ENODE_WEBHOOK_ID] == hook.id
    assert len(entry.data[CONF_WEBHOOK_SECRET]) >= 32
    assert _battery(hass) == 50

    sim.clear_requests()
    sim.set_battery_level(GPS_VEHICLE_ID, 63)
    await _deliver(hass, sim)
    assert _battery(hass) == 63
    assert sim.count_requests("GET", f"/users/{TEST_USER}/vehicles") == 0
    assert sim.count_requests("GET", f"/users/{TEST_USER}") == 0
    assert sim.webhooks.attempts[-1].status == 200
    coordinator = entry.runtime_data.coordinator
    assert coordinator.push_healthy
    # The safety net stays due 6 h after the last full read (the set-up's), pushes or not.
    assert UPDATE_INTERVAL_PUSH - timedelta(minutes=1) < coordinator.update_interval
    assert coordinator.update_interval <= UPDATE_INTERVAL_PUSH

    diagnostics = await async_get_config_entry_diagnostics(hass, entry)
    status = diagnostics["webhook"]
    assert status["registered"] is True
    assert status["status"] == STATUS_REGISTERED
    assert status["url"] == "**REDACTED**"
    assert status["push_healthy"] is True
    assert status["last_delivery"] == coordinator.push_last_delivery.isoformat()
    text = orjson.dumps(diagnostics).decode()
    assert entry.data[CONF_WEBHOOK_SECRET] not in text
    assert entry.data[CONF_WEBHOOK_ID] not in text

    # A restart keeps the id and the secret, and reuses the Enode webhook.
    webhook_id, secret = entry.data[CONF_WEBHOOK_ID], entry.data[CONF_WEBHOOK_SECRET]
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert entry.data[CONF_WEBHOOK_ID] == webhook_id
    assert entry.data[CONF_WEBHOOK_SECRET] == secret
    assert [h.id for h in sim.webhooks.webhooks] == [hook.id]
    sim.set_battery_level(GPS_VEHICLE_ID, 64)
    await _deliver(hass, sim)
    assert _battery(hass) == 64


async def test_pushed_updates_do_not_rewrite_the_stored_commands(
    hass: HomeAssistant,
    simulator_factory: Any,
    ha_client: TestClient,
    hass_storage: dict[str, Any],
) -> None:
    """A pushed update of a device changes no pending command: the entry's stored commands
    are not written again (every delivery used to write them a second later)."""
    sim = await _sim(simulator_factory)
    entry = await _setup(hass, sim)
    key = f"{DOMAIN}.{entry.entry_id}.actions"

    async def _saves_due() -> None:
        async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=STORAGE_SAVE_DELAY + 1))
        await hass.async_block_till_done()

    sim.set_battery_level(GPS_VEHICLE_ID, 60)
    await _deliver(hass, sim)
    await _saves_due()
    stored = hass_storage.get(key)
    assert stored is not None  # written once (nothing of this entry was stored yet)
    for level in (61, 62, 63):
        sim.set_battery_level(GPS_VEHICLE_ID, level)
        await _deliver(hass, sim)
        await _saves_due()
    assert _battery(hass) == 63
    assert hass_storage.get(key) is stored


async def test_pushed_intervention_raises_and_clears_repairs(
    hass: HomeAssistant, simulator_factory: Any, ha_client: TestClient
) -> None:
    """An intervention that comes by push (a charger's capability blocked, then free again)
    raises its repair issues and removes them without a refresh."""
    sim = await _sim(simulator_factory)
    await _setup(hass, sim)
    sim.clear_requests()
    issue_id = f"intervention_{CHARGER_ID}_{CHARGER_REMOTE_ACCESS}"
    registry = ir.async_get(hass)
    sim.set_battery_level(GPS_VEHICLE_ID, 61)  # a merge that changes no issue first
    await _deliver(hass, sim)
    assert registry.async_get_issue(DOMAIN, issue_id) is None
    sim.add_intervention(CHARGER_ID, "startCharging", CHARGER_REMOTE_ACCESS)
    await _deliver(hass, sim)
    assert registry.async_get_issue(DOMAIN, issue_id) is not None
    sim.remove_intervention(CHARGER_ID, CHARGER_REMOTE_ACCESS)
    await _deliver(hass, sim)
    assert registry.async_get_issue(DOMAIN, issue_id) is None
    assert sim.count_requests("GET", f"/users/{TEST_USER}/chargers") == 0


async def test_registered_webhook_reports_last_success(
    hass: HomeAssistant, simulator_factory: Any, ha_client: TestClient
) -> None:
    """The webhook Home Assistant registered, read back from Enode: ``lastSuccess`` is a time
    (a required string in the OpenAPI document) before any delivery, and moves with them."""
    sim = await _sim(simulator_factory)
    entry = await _setup(hass, sim)
    client = entry.runtime_data.client
    hook = await client.get_webhook(entry.data[CONF_ENODE_WEBHOOK_ID])
    assert hook.last_success is not None
    assert hook.last_success == hook.created_at
    sim.advance_time(60)
    sim.set_battery_level(GPS_VEHICLE_ID, 63)
    await _deliver(hass, sim)
    delivered = await client.get_webhook(hook.id)
    assert delivered.last_success is not None
    assert delivered.last_success > hook.last_success


async def test_existing_enode_webhook_is_reused(
    hass: HomeAssistant, simulator_factory: Any, ha_client: TestClient
) -> None:
    """An Enode webhook with our URL (an earlier install) is updated, not duplicated: it gets
    our secret and events and is reactivated."""
    sim = await _sim(simulator_factory)
    entry = make_entry(sim)
    entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        entry,
        data={**entry.data, CONF_WEBHOOK_ID: "a" * 64, CONF_WEBHOOK_SECRET: "our-secret-123"},
    )
    url = str(ha_client.make_url(_path(entry)))
    old = sim.webhooks.create({"url": url, "secret": "old-secret", "events": ["*"]})
    old.is_active = False
    await _setup(hass, sim, entry)
    (hook,) = sim.webhooks.webhooks
    assert hook.id == old.id
    assert hook.secret == "our-secret-123"
    assert hook.is_active
    assert sorted(hook.events) == sorted(SUBSCRIBED_EVENTS)
    assert entry.data[CONF_ENODE_WEBHOOK_ID] == old.id
    sim.set_battery_level(GPS_VEHICLE_ID, 71)
    await _deliver(hass, sim)
    assert _battery(hass) == 71


async def test_stored_enode_webhook_gets_the_new_url(
    hass: HomeAssistant, simulator_factory: Any, ha_client: TestClient
) -> None:
    """The URL changed since the last start (another address): our stored Enode webhook is
    moved to the new URL instead of leaving one behind that delivers nowhere."""
    sim = await _sim(simulator_factory)
    old = sim.webhooks.create({"url": "http://127.0.0.1:9/api/webhook/old", "secret": "old-secret"})
    entry = make_entry(sim)
    entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        entry, data={**entry.data, CONF_ENODE_WEBHOOK_ID: old.id}
    )
    await _setup(hass, sim, entry)
    (hook,) = sim.webhooks.webhooks
    assert hook.id == old.id
    assert hook.url == str(ha_client.make_url(_path(entry)))


async def test_webhook_created_meanwhile(
    hass: HomeAssistant, simulator_factory: Any, ha_client: TestClient
) -> None:
    """Enode answers "Webhook already exists." (created between our list and our create):
    that webhook is taken over."""
    sim = await _sim(simulator_factory)
    entry = make_entry(sim)
    entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        entry, data={**entry.data, CONF_WEBHOOK_ID: "b" * 64, CONF_WEBHOOK_SECRET: "s" * 40}
    )
    url = str(ha_client.make_url(_path(entry)))
    real_list = EnodeClient.list_webhooks
    calls = 0

    async def list_before_the_race(self: EnodeClient) -> Any:
        nonlocal calls
        calls += 1
        hooks = await real_list(self)
        if calls == 1:  # the other set-up registers right after our list
            sim.webhooks.create({"url": url, "secret": "other-secret"})
        return hooks

    with patch.object(EnodeClient, "list_webhooks", list_before_the_race):
        await _setup(hass, sim, entry)
    (hook,) = sim.webhooks.webhooks
    assert hook.secret == "s" * 40
    assert entry.runtime_data.webhook.status == STATUS_REGISTERED


async def test_registration_refused(
    hass: HomeAssistant,
    simulator_factory: Any,
    ha_client: TestClient,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Enode refuses the webhook: set-up still succeeds and keeps polling; the log says why."""
    sim = await _sim(simulator_factory)
    sim.inject_fault(status=400, path_prefix="/webhooks", method="POST")
    entry = await _setup(hass, sim)
    assert entry.state is ConfigEntryState.LOADED
    assert entry.runtime_data.webhook.status == STATUS_FAILED
    assert sim.webhooks.webhooks == []
    assert "Could not register the Enode webhook" in caplog.text
    assert entry.runtime_data.coordinator.update_interval == UPDATE_INTERVAL_IDLE


async def test_already_exists_but_not_listed(
    hass: HomeAssistant, simulator_factory: Any, ha_client: TestClient
) -> None:
    """A "Webhook already exists." that the list still does not show: registration failed."""
    sim = await _sim(simulator_factory)
    real_create = EnodeClient.create_webhook

    async def create_twice(self: EnodeClient, **kwargs: Any) -> Any:
        hook = await real_create(self, **kwargs)
        sim.webhooks.delete(hook.id)
        return await real_create(self, **{**kwargs, "url": "http://127.0.0.1:9/taken"})

    sim.webhooks.create({"url": "http://127.0.0.1:9/taken", "secret": "x" * 10})
    with patch.object(EnodeClient, "create_webhook", create_twice):
        entry = await _setup(hass, sim)
    assert entry.runtime_data.webhook.status == STATUS_FAILED


async def test_no_url_polling_only(
    hass: HomeAssistant, simulator_factory: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """Without a usable URL nothing is registered at Enode; polling continues; logged once."""
    sim = await _sim(simulator_factory)
    caplog.set_level(logging.INFO, logger="custom_components.enode")
    entry = await _setup(hass, sim)
    assert entry.state is ConfigEntryState.LOADED
    assert entry.runtime_data.webhook.status == STATUS_NO_URL
    assert sim.webhooks.webhooks == []
    assert sim.count_requests(None, "/webhooks") == 0
    assert caplog.text.count("Enode push updates are off") == 1
    assert entry.runtime_data.coordinator.update_interval == UPDATE_INTERVAL_IDLE
    diagnostics = await async_get_config_entry_diagnostics(hass, entry)
    assert diagnostics["webhook"] == {
        "status": STATUS_NO_URL,
        "registered": False,
        "url": None,
        "cloudhook": False,
        "last_delivery": None,
        "push_healthy": False,
    }
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert caplog.text.count("Enode push updates are off") == 1


@pytest.mark.parametrize(
    ("environment", "internal", "external", "expected"),
    [
        # Enode itself needs a public https URL: the internal URL does not count.
        (Environment.PRODUCTION, "http://192.168.1.2:8123", None, None),
        (Environment.PRODUCTION, None, "http://example.com", None),
        (Environment.SANDBOX, None, "https://example.com", "https://example.com/api/webhook/"),
        (Environment.PRODUCTION, None, "https://" + "x" * 200 + ".com", None),
        # A local Enode (custom): a configured URL, http or https, internal preferred.
        (Environment.CUSTOM, None, None, None),
        (
            Environment.CUSTOM,
            "http://127.0.0.1:8123",
            "https://example.com",
            "http://127.0.0.1:8123/api/webhook/",
        ),
        (Environment.CUSTOM, None, "https://example.com", "https://example.com/api/webhook/"),
    ],
)
async def test_public_url(
    hass: HomeAssistant,
    environment: Environment,
    internal: str | None,
    external: str | None,
    expected: str | None,
) -> None:
    """Which URL Enode is given."""
    assert await async_setup_component(hass, "webhook", {})
    await hass.config.async_update(internal_url=internal, external_url=external)
    entry = MockConfigEntry(
        domain=DOMAIN,
        data={CONF_ENVIRONMENT: environment, CONF_WEBHOOK_ID: "c" * 64, CONF_WEBHOOK_SECRET: "s"},
    )
    entry.add_to_hass(hass)
    push = EnodeWebhook(hass, entry, None, None)  # type: ignore[arg-type]
    url = await push.async_public_url()
    assert url == (expected + "c" * 64 if expected else None)


async def test_cloudhook(
    hass: HomeAssistant, simulator_factory: Any, ha_client: TestClient
) -> None:
    """With Home Assistant Cloud a cloudhook is created once, registered and reused; removing
    the entry deletes it."""
    sim = await _sim(simulator_factory)
    hass.config.components.add("cloud")
    created: list[str] = []
    deleted: list[str] = []

    async def create(hass: HomeAssistant, webhook_id: str) -> str:
        created.append(webhook_id)
        # Stands in for the cloud relay: it forwards to this Home Assistant.
        return str(ha_client.make_url(f"/api/webhook/{webhook_id}"))

    async def delete(hass: HomeAssistant, webhook_id: str) -> None:
        deleted.append(webhook_id)

    with (
        patch("homeassistant.components.cloud.async_active_subscription", return_value=True),
        patch("homeassistant.components.cloud.async_create_cloudhook", create),
        patch("homeassistant.components.cloud.async_delete_cloudhook", delete),
    ):
        await hass.config.async_update(internal_url=None)
        entry = await _setup(hass, sim)
        assert created == [entry.data[CONF_WEBHOOK_ID]]
        assert entry.data["cloudhook_url"] == sim.webhooks.webhooks[0].url
        sim.set_battery_level(GPS_VEHICLE_ID, 55)
        await _deliver(hass, sim)
        assert _battery(hass) == 55
        diagnostics = await async_get_config_entry_diagnostics(hass, entry)
        assert diagnostics["webhook"]["cloudhook"] is True
        assert diagnostics["entry"]["data"]["cloudhook_url"] == "**REDACTED**"

        assert await hass.config_entries.async_reload(entry.entry_id)
        await hass.async_block_till_done(wait_background_tasks=True)
        assert len(created) == 1
        assert len(sim.webhooks.webhooks) == 1

        assert await hass.config_entries.async_remove(entry.entry_id)
        await hass.async_block_till_done()
        assert deleted == [entry.data[CONF_WEBHOOK_ID]]
        assert sim.webhooks.webhooks == []


async def test_cloud_not_connected(hass: HomeAssistant, simulator_factory: Any) -> None:
    """Cloud subscribed but not connected: no cloudhook now, no URL, polling."""
    from homeassistant.components.cloud import CloudNotConnected

    sim = await _sim(simulator_factory)
    hass.config.components.add("cloud")
    with (
        patch("homeassistant.components.cloud.async_active_subscription", return_value=True),
        patch(
            "homeassistant.components.cloud.async_create_cloudhook",
            side_effect=CloudNotConnected,
        ),
    ):
        entry = await _setup(hass, sim)
    assert entry.runtime_data.webhook.status == STATUS_NO_URL
    assert "cloudhook_url" not in entry.data


async def test_cloud_without_subscription(
    hass: HomeAssistant, simulator_factory: Any, ha_client: TestClient
) -> None:
    """Cloud loaded but no subscription: Home Assistant's own URL is used."""
    sim = await _sim(simulator_factory)
    hass.config.components.add("cloud")
    with patch("homeassistant.components.cloud.async_active_subscription", return_value=False):
        entry = await _setup(hass, sim)
    assert entry.runtime_data.webhook.status == STATUS_REGISTERED
    assert "cloudhook_url" not in entry.data


# ------------------------------------------------------------------------------ deliveries


@pytest.mark.usefixtures("fast_actions")
async def test_pushed_action_outcome_completes_the_command(
    hass: HomeAssistant, simulator_factory: Any, ha_client: TestClient
) -> None:
    """The switch waits for the action's outcome; the pushed outcome ends the wait (the action
    is not polled meanwhile)."""
    sim = await _sim(simulator_factory, action_delay=600)
    entry = await _setup(hass, sim)
    coordinator = entry.runtime_data.coordinator
    events = async_capture_events(hass, EVENT_ACTION)
    pending = asyncio.Event()
    unsub = coordinator.async_add_listener(
        lambda: pending.set() if coordinator.data.pending_actions else None
    )
    with (
        patch("custom_components.enode.actions.ACTION_POLL_INTERVAL", 60.0),
        patch("custom_components.enode.actions.ACTION_WAIT_TIMEOUT", 60.0),
    ):
        call = hass.async_create_task(
            hass.services.async_call(
                SWITCH_DOMAIN, SERVICE_TURN_ON, {ATTR_ENTITY_ID: SWITCH}, blocking=True
            )
        )
        async with asyncio.timeout(5):
            await pending.wait()
        unsub()
        assert not call.done()
        sim.advance_time(601)
        await sim.flush_webhooks()
        async with asyncio.timeout(5):
            await call
    await hass.async_block_till_done(wait_background_tasks=True)
    assert [e.data["state"] for e in events] == ["confirmed"]
    assert hass.states.get(SWITCH).state == STATE_ON
    assert sim.count_requests("GET", "/vehicles/actions/") == 0
    assert coordinator.data.pending_actions == {}


async def test_deleted_asset_removes_the_device(
    hass: HomeAssistant, simulator_factory: Any, ha_client: TestClient
) -> None:
    """``user:charger:deleted`` removes the charger's device."""
    sim = await _sim(simulator_factory)
    entry = await _setup(hass, sim)
    registry = dr.async_get(hass)
    assert registry.async_get_device(identifiers={(DOMAIN, CHARGER_ID)}) is not None
    sim.clear_requests()
    sim.remove_asset(CHARGER_ID)
    await _deliver(hass, sim)
    assert registry.async_get_device(identifiers={(DOMAIN, CHARGER_ID)}) is None
    assert CHARGER_ID not in entry.runtime_data.coordinator.data.chargers
    assert sim.count_requests("GET", f"/users/{TEST_USER}/chargers") == 0


async def test_discovered_asset_adds_a_device(
    hass: HomeAssistant, simulator_factory: Any, ha_client: TestClient
) -> None:
    """``user:vehicle:discovered`` adds the vehicle and its entities."""
    sim = await simulator_factory(household(linked=[CHARGER], unlinked=[GPS_VEHICLE]))
    await _setup(hass, sim)
    assert hass.states.get(BATTERY) is None
    vehicle = {
        key: value for key, value in GPS_VEHICLE.items() if key not in ("vendor", "type", "id")
    }
    sim.add_asset(TEST_USER, "vehicle", {**vehicle, "vendor": "TESLA", "id": "vehicle-new"})
    await _deliver(hass, sim)
    registry = dr.async_get(hass)
    assert registry.async_get_device(identifiers={(DOMAIN, "vehicle-new")}) is not None
    assert _battery(hass) == 50


@pytest.mark.parametrize(
    ("template", "entity_id"),
    [
        (HOME_BATTERY, "select.solaredge_home_battery_operation_mode"),
        (INVERTER, "sensor.solaredge_se5000h_lifetime_production"),
        (METER, "sensor.solaredge_energy_meter_grid_power"),
        (HEAT_PUMP, "climate.bedroom"),
    ],
)
async def test_discovered_event_in_its_real_shape_adds_the_device(
    hass: HomeAssistant,
    simulator_factory: Any,
    ha_client: TestClient,
    template: dict[str, Any],
    entity_id: str,
) -> None:
    """Enode's discovered event carries only the asset's information (every other property
    null): the integration fetches that asset once, and its device and entities appear at
    once, without a reload and before the updated event that Enode sends later."""
    sim = await simulator_factory(household(linked=[CHARGER]))
    entry = await _setup(hass, sim)
    asset_type = template["type"]
    before = len(sim.events)
    asset_id = sim.add_asset(TEST_USER, asset_type, template | {"id": "new-asset"})
    discovered = [e for e in sim.events[before:] if e["event"].endswith(":discovered")]
    assert len(discovered) == 1
    assert {k for k, v in discovered[0][asset_type].items() if v is not None} == {
        "id",
        "information",
    }
    sim.clear_requests()
    assert await _post(ha_client, entry, *_signed(entry, discovered)) == 200
    await hass.async_block_till_done(wait_background_tasks=True)
    registry = dr.async_get(hass)
    assert registry.async_get_device(identifiers={(DOMAIN, asset_id)}) is not None
    assert hass.states.get(entity_id) is not None
    assert hass.states.get(entity_id).state != STATE_UNAVAILABLE
    plural = {"battery": "batteries", "inverter": "inverters", "meter": "meters", "hvac": "hvacs"}
    assert sim.count_requests("GET", f"/{plural[asset_type]}/{asset_id}") == 1
    assert sim.count_requests("GET", f"/users/{TEST_USER}/") == 0  # no full refresh
    # Delivered again (Enode retries): known already, nothing is fetched.
    assert await _post(ha_client, entry, *_signed(entry, discovered)) == 200
    await hass.async_block_till_done(wait_background_tasks=True)
    assert sim.count_requests("GET", f"/{plural[asset_type]}/{asset_id}") == 1


async def test_discovered_event_without_an_id_refreshes(
    hass: HomeAssistant, simulator_factory: Any, ha_client: TestClient
) -> None:
    """A discovered event whose id is null too: the next refresh finds the asset."""
    sim = await simulator_factory(household(linked=[CHARGER]))
    entry = await _setup(hass, sim)
    sim.add_asset(TEST_USER, "meter", METER)
    event = {
        "event": "user:meter:discovered",
        "createdAt": "2025-06-01T12:00:00.000Z",
        "version": "2024-10-01",
        "user": {"id": TEST_USER},
        "meter": {"id": None, "information": {"brand": "SolarEdge", "model": "Energy Meter"}},
    }
    assert await _post(ha_client, entry, *_signed(entry, [event])) == 200
    await hass.async_block_till_done(wait_background_tasks=True)
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=15))
    await hass.async_block_till_done(wait_background_tasks=True)
    assert METER_ID in entry.runtime_data.coordinator.data.meters


async def test_credentials_invalidated_creates_the_repair(
    hass: HomeAssistant, simulator_factory: Any, ha_client: TestClient
) -> None:
    """``user:credentials:invalidated`` refreshes at once, so the repair shows up."""
    sim = await _sim(simulator_factory)
    await _setup(hass, sim)
    issue_id = "vendor_credentials_tesla_vehicle"
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None
    sim.invalidate_credentials(TEST_USER, "TESLA")
    await _deliver(hass, sim)
    issue = ir.async_get(hass).async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.is_fixable


async def test_heartbeat_keeps_polling_slow_until_silence(
    hass: HomeAssistant,
    simulator_factory: Any,
    ha_client: TestClient,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Registered: polling is slow while the first delivery is awaited; heartbeats keep push
    healthy; silence brings the adaptive polling back."""
    # The webhook check after a silence (test_push_health) talks to Enode: kept out of the way
    # of this test's frozen clock, which would fire its requests' timeouts mid-flight.
    later = timedelta(hours=5)
    with (
        patch("custom_components.enode.webhook.PUSH_SILENCE", later),
        patch("custom_components.enode.webhook.WEBHOOK_CHECK_INTERVAL", later),
    ):
        await _heartbeats_then_silence(hass, simulator_factory, freezer)


async def _heartbeats_then_silence(
    hass: HomeAssistant, simulator_factory: Any, freezer: FrozenDateTimeFactory
) -> None:
    sim = await _sim(simulator_factory)
    entry = await _setup(hass, sim)
    coordinator = entry.runtime_data.coordinator
    assert coordinator.push_healthy
    assert coordinator.push_last_delivery is None
    assert coordinator.update_interval == UPDATE_INTERVAL_PUSH

    sim.advance_time(301)  # the simulator's heartbeat interval
    await _deliver(hass, sim)
    assert sim.webhooks.attempts[-1].events[-1] == "system:heartbeat"
    assert coordinator.push_healthy
    assert coordinator.update_interval == UPDATE_INTERVAL_PUSH
    first = coordinator.push_last_delivery
    assert first is not None

    # Another heartbeat 10 minutes later keeps it healthy past the first window.
    freezer.tick(timedelta(minutes=10))
    async_fire_time_changed(hass)
    sim.advance_time(301)
    await _deliver(hass, sim)
    assert coordinator.push_last_delivery > first
    freezer.tick(timedelta(minutes=10))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    assert coordinator.push_healthy
    assert coordinator.update_interval == UPDATE_INTERVAL_PUSH

    # Nothing for 15 minutes: push is no longer trusted.
    freezer.tick(timedelta(minutes=6))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    assert not coordinator.push_healthy
    assert coordinator.update_interval == UPDATE_INTERVAL_IDLE
    # ... and the next refresh keeps the normal interval.
    sim.clear_requests()
    freezer.tick(UPDATE_INTERVAL_IDLE + timedelta(seconds=2))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert sim.count_requests("GET", f"/users/{TEST_USER}/vehicles") == 1
    assert coordinator.update_interval == UPDATE_INTERVAL_IDLE


async def test_registered_but_nothing_delivered(
    hass: HomeAssistant,
    simulator_factory: Any,
    ha_client: TestClient,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A registered webhook whose first delivery never comes (Enode cannot reach the URL):
    after the window, polling as without push."""
    sim = await _sim(simulator_factory)
    sim.webhooks.settings.heartbeat_interval = None
    sim.webhooks.settings.auto_deliver = False
    entry = await _setup(hass, sim)
    coordinator = entry.runtime_data.coordinator
    assert coordinator.update_interval == UPDATE_INTERVAL_PUSH
    freezer.tick(PUSH_HEALTHY_WINDOW + timedelta(seconds=1))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    assert not coordinator.push_healthy
    assert coordinator.update_interval == UPDATE_INTERVAL_IDLE


@pytest.mark.usefixtures("fast_actions")
async def test_pending_action_with_healthy_push_is_read_not_refreshed(
    hass: HomeAssistant, simulator_factory: Any, ha_client: TestClient
) -> None:
    """With healthy push a command costs its POST and, when its wait ends without a pushed
    outcome, one read of the action; no burst of refreshes. A lost delivery must not leave the
    outcome unknown until the safety net hours later: the action alone is read every few
    minutes; the device's new state then still comes by push."""
    sim = await _sim(simulator_factory, action_delay=600)
    entry = await _setup(hass, sim)
    coordinator = entry.runtime_data.coordinator
    sim.advance_time(301)
    await _deliver(hass, sim)
    assert coordinator.push_last_delivery is not None
    sim.clear_requests()
    with patch("custom_components.enode.actions.ACTION_WAIT_TIMEOUT", 0.05):
        await hass.services.async_call(
            SWITCH_DOMAIN, SERVICE_TURN_ON, {ATTR_ENTITY_ID: SWITCH}, blocking=True
        )
    (action_id,) = coordinator.data.pending_actions
    assert UPDATE_INTERVAL_PUSH - timedelta(minutes=1) < coordinator.update_interval
    assert coordinator.update_interval <= UPDATE_INTERVAL_PUSH
    assert sim.requests == [
        ("POST", f"/vehicles/{GPS_VEHICLE_ID}/charging"),
        ("GET", f"/vehicles/actions/{action_id}"),
    ]

    sim.clear_requests()
    sim.advance_time(601)  # CONFIRMED; its delivery is lost, the vehicle's update is not
    for hook in sim.webhooks.webhooks:
        hook.pending[:] = [e for e in hook.pending if e["event"] != "user:vendor-action:updated"]
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=ACTION_RECHECK_INTERVAL))
    await hass.async_block_till_done(wait_background_tasks=True)
    assert sim.requests == [("GET", f"/vehicles/actions/{action_id}")]
    assert coordinator.data.pending_actions  # until the device's new state is in
    await _deliver(hass, sim)
    assert coordinator.data.pending_actions == {}
    assert hass.states.get(SWITCH).state == STATE_ON
    assert sim.requests == [("GET", f"/vehicles/actions/{action_id}")]


async def test_forged_signature_rejected(
    hass: HomeAssistant,
    simulator_factory: Any,
    ha_client: TestClient,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A wrong or missing signature: 401, a debug line without the body, nothing changes."""
    sim = await _sim(simulator_factory)
    entry = await _setup(hass, sim)
    caplog.set_level(logging.DEBUG, logger="custom_components.enode")
    body = orjson.dumps([_vehicle_event(sim, 99)])
    forged = compute_signature("not-the-secret", body)
    assert await _post(ha_client, entry, body, forged) == 401
    assert await _post(ha_client, entry, body, None) == 401
    assert await _post(ha_client, entry, body, "sha1=") == 401
    await hass.async_block_till_done(wait_background_tasks=True)
    assert _battery(hass) == 50
    assert entry.runtime_data.coordinator.push_last_delivery is None
    assert "missing or wrong signature" in caplog.text
    assert "batteryLevel" not in caplog.text
    assert GPS_VEHICLE["information"]["vin"] not in caplog.text

    # The same body, correctly signed, is applied.
    assert await _post(ha_client, entry, *_signed(entry, [_vehicle_event(sim, 99)])) == 200
    await hass.async_block_till_done(wait_background_tasks=True)
    assert _battery(hass) == 99


@pytest.mark.parametrize("body", [b"not json", b'{"event": "system:heartbeat"}', b""])
async def test_malformed_body(
    hass: HomeAssistant, simulator_factory: Any, ha_client: TestClient, body: bytes
) -> None:
    """A correctly signed body that is not a JSON array of events: 400."""
    sim = await _sim(simulator_factory)
    entry = await _setup(hass, sim)
    signature = compute_signature(entry.data[CONF_WEBHOOK_SECRET], body)
    assert await _post(ha_client, entry, body, signature) == 400
    assert entry.runtime_data.coordinator.push_last_delivery is None


async def test_events_of_another_user_ignored(
    hass: HomeAssistant, simulator_factory: Any, ha_client: TestClient
) -> None:
    """The client's webhook gets every user's events: only ours are merged."""
    sim = await _sim(simulator_factory)
    entry = await _setup(hass, sim)
    other = _vehicle_event(sim, 11, user_id="someone-else")
    action = {
        "event": "user:vendor-action:updated",
        "user": {"id": "someone-else"},
        "vendorAction": {
            "id": "action-x",
            "userId": "someone-else",
            "vendor": "TESLA",
            "state": "CONFIRMED",
            "kind": "START",
            "targetId": GPS_VEHICLE_ID,
            "targetType": "vehicle",
            "createdAt": "2025-06-01T12:00:00.000Z",
            "updatedAt": "2025-06-01T12:00:00.000Z",
            "completedAt": "2025-06-01T12:00:00.000Z",
        },
        "updatedFields": ["state"],
    }
    deleted = {"event": "user:charger:deleted", "user": {"id": "someone-else"}}
    deleted["charger"] = sim.asset(CHARGER_ID)
    events = async_capture_events(hass, EVENT_ACTION)
    assert await _post(ha_client, entry, *_signed(entry, [other, action, deleted])) == 200
    await hass.async_block_till_done(wait_background_tasks=True)
    assert _battery(hass) == 50
    assert CHARGER_ID in entry.runtime_data.coordinator.data.chargers
    assert events == []


async def test_unknown_and_malformed_events_ignored(
    hass: HomeAssistant,
    simulator_factory: Any,
    ha_client: TestClient,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Unknown events, malformed known ones and actions of unmodelled kinds are logged at debug
    and ignored; the other events of the batch are applied."""
    sim = await _sim(simulator_factory)
    entry = await _setup(hass, sim)
    caplog.set_level(logging.DEBUG, logger="custom_components.enode")
    # An action of a kind the client does not model (no kind, targetState or target).
    unmodelled_action = {
        "event": "user:vendor-action:updated",
        "user": {"id": TEST_USER},
        "vendorAction": {
            "id": "teleport-action",
            "userId": TEST_USER,
            "vendor": "TESLA",
            "state": "CONFIRMED",
            "targetId": "teleporter-1",
            "targetType": "teleporter",
        },
    }
    batch = [
        {"event": "user:something:new", "user": {"id": TEST_USER}},
        {"event": "user:vehicle:updated", "user": {"id": TEST_USER}, "vehicle": "broken"},
        unmodelled_action,
        {"event": "enode:webhook:test"},
        _vehicle_event(sim, 42),
    ]
    events = async_capture_events(hass, EVENT_ACTION)
    assert await _post(ha_client, entry, *_signed(entry, batch)) == 200
    await hass.async_block_till_done(wait_background_tasks=True)
    assert _battery(hass) == 42
    assert events == []
    assert "Ignoring the unknown webhook event user:something:new" in caplog.text
    assert "Ignoring a malformed user:vehicle:updated event" in caplog.text
    assert "action this integration does not model" in caplog.text


async def test_late_asset_update_ignored(
    hass: HomeAssistant, simulator_factory: Any, ha_client: TestClient
) -> None:
    """A retried delivery older than what a poll already brought does not roll state back."""
    sim = await _sim(simulator_factory)
    entry = await _setup(hass, sim)
    stale = _vehicle_event(sim, 12)
    stale["vehicle"]["lastSeen"] = "2000-01-01T00:00:00.000Z"
    assert await _post(ha_client, entry, *_signed(entry, [stale])) == 200
    await hass.async_block_till_done(wait_background_tasks=True)
    assert _battery(hass) == 50


async def test_one_failing_event_does_not_lose_the_others(
    hass: HomeAssistant,
    simulator_factory: Any,
    ha_client: TestClient,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """An unexpected error merging one event is logged; the rest of the batch is applied."""
    sim = await _sim(simulator_factory)
    entry = await _setup(hass, sim)
    coordinator = entry.runtime_data.coordinator
    real = coordinator.async_request_refresh
    calls = 0

    async def broken_refresh() -> None:
        nonlocal calls
        calls += 1
        raise RuntimeError("boom")

    coordinator.async_request_refresh = broken_refresh  # type: ignore[method-assign]
    batch = [
        {"event": "user:credentials:invalidated", "user": {"id": TEST_USER}, "vendor": "TESLA"},
        _vehicle_event(sim, 33),
    ]
    assert await _post(ha_client, entry, *_signed(entry, batch)) == 200
    await hass.async_block_till_done(wait_background_tasks=True)
    coordinator.async_request_refresh = real  # type: ignore[method-assign]
    assert calls == 1
    assert _battery(hass) == 33
    assert "Could not process the Enode webhook event user:credentials:invalidated" in (caplog.text)


async def test_unreadable_body(
    hass: HomeAssistant, simulator_factory: Any, ha_client: TestClient
) -> None:
    """The request body cannot be read (the sender went away): 400."""
    sim = await _sim(simulator_factory)
    entry = await _setup(hass, sim)
    with patch("aiohttp.streams.StreamReader.read", side_effect=OSError("reset")):
        assert await _post(ha_client, entry, b"[]", "sha1=x") == 400


# ----------------------------------------------------------------------- unload and removal


async def test_unload_and_remove(
    hass: HomeAssistant, simulator_factory: Any, ha_client: TestClient
) -> None:
    """Unload unregisters the Home Assistant webhook (deliveries change nothing); removing the
    entry deletes the Enode webhook."""
    sim = await _sim(simulator_factory)
    entry = await _setup(hass, sim)
    webhook_id = entry.data[CONF_WEBHOOK_ID]
    assert webhook_id in hass.data["webhook"]
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    assert webhook_id not in hass.data["webhook"]
    assert hass.states.get(BATTERY).state == STATE_UNAVAILABLE
    assert len(sim.webhooks.webhooks) == 1  # unloading is not removing

    assert await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()
    assert sim.webhooks.webhooks == []


async def test_remove_when_enode_fails(
    hass: HomeAssistant, simulator_factory: Any, ha_client: TestClient
) -> None:
    """Deleting the Enode webhook is best effort: a failure does not block the removal."""
    sim = await _sim(simulator_factory)
    entry = await _setup(hass, sim)
    sim.inject_fault(status=500, count=10, path_prefix="/webhooks", method="DELETE")
    assert await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()
    assert hass.config_entries.async_get_entry(entry.entry_id) is None
    assert len(sim.webhooks.webhooks) == 1


async def test_remove_cloudhook_without_cloud(hass: HomeAssistant, simulator_factory: Any) -> None:
    """A stored cloudhook whose cloud is gone: removal still succeeds."""
    sim = await _sim(simulator_factory)
    entry = make_entry(sim)
    entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        entry, data={**entry.data, CONF_WEBHOOK_ID: "d" * 64, "cloudhook_url": "https://x.y/z"}
    )
    hass.config.components.add("cloud")
    assert await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()
    assert hass.config_entries.async_get_entry(entry.entry_id) is None
