"""Webhooks through the whole simulator: registration over the API, deliveries of state changes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
import json
from typing import Any

from aiohttp import BasicAuth, ClientSession, web
from aiohttp.test_utils import TestServer
import pytest

from enode_simulator import Simulator
from enode_simulator.webhooks import WebhookSettings, compute_signature

pytestmark = pytest.mark.usefixtures("socket_enabled")

SECRET = "simulator-webhook-secret"
SCENARIO: dict[str, Any] = {
    "client": {"id": "hook-client", "secret": "hook-secret"},
    "defaultUser": "owner",
    "settings": {"actionDelay": 10},
    "vendorAccounts": [
        {
            "vendor": "TESLA",
            "username": "owner@example.com",
            "password": "pw",
            "devices": [
                {
                    "id": "tpl-car",
                    "type": "vehicle",
                    "batteryLevel": 40,
                    "isPluggedIn": True,
                    "information": {"displayName": "Car"},
                }
            ],
        }
    ],
    "users": [{"id": "owner", "linkedAccounts": "all"}],
}


@dataclass
class Receiver:
    url: str = ""
    requests: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)

    @property
    def events(self) -> list[dict[str, Any]]:
        return [event for _, body in self.requests for event in json.loads(body)]

    async def handle(self, request: web.Request) -> web.Response:
        self.requests.append(
            ({k.lower(): v for k, v in request.headers.items()}, await request.read())
        )
        return web.Response(status=self.statuses.pop(0) if self.statuses else 204)


@dataclass
class Env:
    sim: Simulator
    http: ClientSession
    token: str
    receiver: Receiver

    async def api(self, method: str, path: str, body: Any = None, **kw: Any) -> tuple[int, Any]:
        headers = {"Authorization": f"Bearer {self.token}"}
        async with self.http.request(
            method, f"{self.sim.base_url}{path}", json=body, headers=headers, **kw
        ) as resp:
            data = await resp.json() if resp.content_type == "application/json" else None
            return resp.status, data

    async def register(self, **body: Any) -> dict[str, Any]:
        status, hook = await self.api(
            "POST", "/webhooks", {"url": self.receiver.url, "secret": SECRET} | body
        )
        assert status == 200, hook
        return dict(hook)


@pytest.fixture
async def env() -> AsyncIterator[Env]:
    receiver = Receiver()
    app = web.Application()
    app.router.add_post("/enode", receiver.handle)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    receiver.url = str(server.make_url("/enode"))
    sim = Simulator(scenario=SCENARIO, tick_interval=None)
    assert sim.webhooks is not None
    # Deterministic: deliveries only on flush_webhooks().
    sim.webhooks.settings = WebhookSettings(
        auto_deliver=False, retry_base=60, max_failures=3, heartbeat_interval=600
    )
    await sim.start(host="127.0.0.1", port=0)
    try:
        async with ClientSession() as http:
            async with http.post(
                sim.token_url,
                data={"grant_type": "client_credentials"},
                auth=BasicAuth(sim.client_id, sim.client_secret),
            ) as resp:
                token = (await resp.json())["access_token"]
            yield Env(sim=sim, http=http, token=token, receiver=receiver)
    finally:
        await sim.stop()
        await server.close()


def vehicle_id(env: Env) -> str:
    return next(a.id for a in env.sim.state.assets.values() if a.type == "vehicle")


async def test_registration_needs_a_token(env: Env) -> None:
    async with env.http.post(
        f"{env.sim.base_url}/webhooks", json={"url": env.receiver.url, "secret": SECRET}
    ) as resp:
        assert resp.status == 401
    assert env.sim.webhooks.webhooks == []


async def test_state_changes_are_delivered_signed(env: Env) -> None:
    hook = await env.register()
    status, listing = await env.api("GET", "/webhooks")
    assert status == 200
    assert [item["id"] for item in listing["data"]] == [hook["id"]]
    car = vehicle_id(env)

    env.sim.set_battery_level(car, 55)
    await env.sim.flush_webhooks()

    assert len(env.receiver.requests) == 1
    headers, body = env.receiver.requests[0]
    assert headers["x-enode-signature"] == compute_signature(SECRET, body)
    assert headers["content-type"] == "application/json"
    events = json.loads(body)
    updated = [e for e in events if e["event"] == "user:vehicle:updated"]
    assert len(updated) == 1
    assert updated[0]["user"] == {"id": "owner"}
    assert updated[0]["vehicle"]["id"] == car
    assert updated[0]["vehicle"]["chargeState"]["batteryLevel"] == 55
    assert "chargeState.batteryLevel" in updated[0]["updatedFields"]
    assert updated[0]["version"] == "2024-10-01"

    status, hook_now = await env.api("GET", f"/webhooks/{hook['id']}")
    assert hook_now["lastSuccess"] is not None


async def test_action_lifecycle_is_pushed(env: Env) -> None:
    await env.register(events=["user:vendor-action:updated"])
    car = vehicle_id(env)
    status, action = await env.api("POST", f"/vehicles/{car}/charging", {"action": "START"})
    assert status == 200, action
    env.sim.advance_time(11)
    await env.sim.flush_webhooks()
    actions = [e["vendorAction"] for e in env.receiver.events]
    assert {e["event"] for e in env.receiver.events} == {"user:vendor-action:updated"}
    assert [a["state"] for a in actions if a["id"] == action["id"]][-1] == "CONFIRMED"


async def test_credentials_invalidated_is_pushed(env: Env) -> None:
    await env.register(events=["user:credentials:invalidated"])
    env.sim.invalidate_credentials("owner", "TESLA")
    await env.sim.flush_webhooks()
    assert [(e["event"], e["vendor"], e["user"]) for e in env.receiver.events] == [
        ("user:credentials:invalidated", "TESLA", {"id": "owner"})
    ]


async def test_retries_follow_simulated_time(env: Env) -> None:
    hook = await env.register()
    env.receiver.statuses = [500, 502]
    env.sim.set_battery_level(vehicle_id(env), 60)
    await env.sim.flush_webhooks()
    assert len(env.receiver.requests) == 1
    await env.sim.flush_webhooks()
    assert len(env.receiver.requests) == 1  # backing off
    env.sim.advance_time(60)
    await env.sim.flush_webhooks()
    assert len(env.receiver.requests) == 2
    env.sim.advance_time(120)
    await env.sim.flush_webhooks()
    assert len(env.receiver.requests) == 3
    bodies = {body for _, body in env.receiver.requests}
    assert len(bodies) == 1  # the same batch each time
    _status, hook_now = await env.api("GET", f"/webhooks/{hook['id']}")
    assert hook_now["isActive"] is True


async def test_inactive_after_failures_and_test_reactivates(env: Env) -> None:
    hook = await env.register()
    env.receiver.statuses = [500, 500, 500]
    env.sim.set_battery_level(vehicle_id(env), 61)
    for _ in range(3):
        await env.sim.flush_webhooks(force=True)
    status, hook_now = await env.api("GET", f"/webhooks/{hook['id']}")
    assert hook_now["isActive"] is False
    env.sim.set_battery_level(vehicle_id(env), 62)
    await env.sim.flush_webhooks(force=True)
    assert len(env.receiver.requests) == 3

    status, result = await env.api("POST", f"/webhooks/{hook['id']}/test")
    assert status == 200
    assert result["status"] == "SUCCESS"
    assert result["response"]["code"] == 204
    status, hook_now = await env.api("GET", f"/webhooks/{hook['id']}")
    assert hook_now["isActive"] is True
    assert env.receiver.events[-1]["event"] == "enode:webhook:test"


async def test_heartbeat_after_simulated_interval(env: Env) -> None:
    await env.register(events=["user:charger:updated"])
    env.sim.advance_time(601)
    await env.sim.flush_webhooks()
    assert [e["event"] for e in env.receiver.events] == ["system:heartbeat"]
    assert env.receiver.events[0]["pendingEvents"] == 0


async def test_control_api_flush_and_log(env: Env) -> None:
    await env.register()
    env.sim.set_battery_level(vehicle_id(env), 70)
    async with env.http.get(f"{env.sim.base_url}/_simulator/webhooks/deliveries") as resp:
        log = await resp.json()
    assert log["pendingEvents"] >= 1
    async with env.http.post(f"{env.sim.base_url}/_simulator/webhooks/flush") as resp:
        flushed = await resp.json()
    assert [a["status"] for a in flushed["attempts"]] == [204]
    assert env.receiver.requests


async def test_background_delivery_in_the_simulator(env: Env) -> None:
    env.sim.webhooks.settings = WebhookSettings(coalesce_delay=0.01, poll_interval=0.05)
    await env.sim.webhooks.start()
    await env.register()
    env.sim.set_battery_level(vehicle_id(env), 75)
    for _ in range(200):
        if env.receiver.requests:
            break
        await asyncio.sleep(0.01)
    assert any(e["event"] == "user:vehicle:updated" for e in env.receiver.events)
