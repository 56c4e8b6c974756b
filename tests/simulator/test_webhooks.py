"""Tests of the simulator's webhook registrations and deliveries (standalone dispatcher)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
import hashlib
import hmac
import json
from typing import Any
import uuid

from aiohttp import ClientSession, web
from aiohttp.test_utils import TestServer
import pytest

from enode_simulator.webhooks import (
    WebhookDispatcher,
    WebhookError,
    WebhookSettings,
    add_routes,
    compute_signature,
    format_time,
    updated_fields,
)

pytestmark = pytest.mark.usefixtures("socket_enabled")

SECRET = "very-secret-value"


class FakeClock:
    """A controllable clock standing in for the simulator's."""

    def __init__(self) -> None:
        self.now = datetime(2024, 10, 1, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@dataclass
class Receiver:
    """A real HTTP endpoint that records deliveries and answers as told."""

    url: str = ""
    requests: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)
    delay: float = 0.0

    @property
    def batches(self) -> list[list[dict[str, Any]]]:
        return [json.loads(body) for _, body in self.requests]

    @property
    def events(self) -> list[dict[str, Any]]:
        return [event for batch in self.batches for event in batch]

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        self.requests.append(({k.lower(): v for k, v in request.headers.items()}, body))
        if self.delay:
            await asyncio.sleep(self.delay)
        status = self.statuses.pop(0) if self.statuses else 200
        return web.Response(status=status, text='{"ok":true}', content_type="application/json")


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    recv = Receiver()
    app = web.Application()
    app.router.add_post("/hook", recv.handle)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    recv.url = str(server.make_url("/hook"))
    yield recv
    await server.close()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def make_dispatcher(
    clock: FakeClock,
) -> AsyncIterator[Callable[..., WebhookDispatcher]]:
    created: list[WebhookDispatcher] = []

    def factory(**settings: Any) -> WebhookDispatcher:
        settings.setdefault("auto_deliver", False)
        dispatcher = WebhookDispatcher(clock=clock, settings=WebhookSettings(**settings))
        created.append(dispatcher)
        return dispatcher

    yield factory
    for dispatcher in created:
        await dispatcher.stop()


@pytest.fixture
async def api(
    make_dispatcher: Callable[..., WebhookDispatcher],
) -> AsyncIterator[tuple[ClientSession, str, WebhookDispatcher]]:
    """The registration endpoints on a real loopback server."""
    dispatcher = make_dispatcher()
    app = web.Application()
    add_routes(app, dispatcher)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    async with ClientSession() as session:
        yield session, str(server.make_url("")).rstrip("/"), dispatcher
    await server.close()


def vehicle_event(name: str = "user:vehicle:updated", **extra: Any) -> dict[str, Any]:
    return {
        "event": name,
        "user": {"id": "user-1"},
        "vehicle": {"id": "vehicle-1", "chargeState": {"batteryLevel": 50}},
        **extra,
    }


# -- pure helpers ------------------------------------------------------------------------------


def test_signature_matches_enode_test_vector() -> None:
    assert (
        compute_signature("example-secret", b'{"payload":"example"}')
        == "sha1=e417e6fc2e7f8a78c93a35a7b344d36ce179fc8d"
    )


def test_signature_depends_on_secret_and_body() -> None:
    base = compute_signature("example-secret", b'{"payload":"example"}')
    assert compute_signature("other-secret", b'{"payload":"example"}') != base
    assert compute_signature("example-secret", b'{"payload": "example"}') != base


def test_updated_fields_lists_changed_leaves() -> None:
    old = {"chargeState": {"batteryLevel": 50, "isCharging": False}, "isReachable": True, "a": 1}
    new = {"chargeState": {"batteryLevel": 55, "isCharging": False}, "isReachable": False, "b": 2}
    assert updated_fields(old, new) == [
        "a",
        "b",
        "chargeState.batteryLevel",
        "isReachable",
    ]
    assert updated_fields(old, old) == []


def test_format_time_is_utc_with_milliseconds() -> None:
    moment = datetime(2024, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)
    assert format_time(moment) == "2024-01-02T03:04:05.678Z"


def test_settings_from_scenario_and_backoff() -> None:
    settings = WebhookSettings.from_dict(
        {"maxFailures": 3, "retryBaseSeconds": 10, "retryMaxSeconds": 35, "heartbeatSeconds": None}
    )
    assert settings.max_failures == 3
    assert settings.heartbeat_interval is None
    assert [settings.backoff(n) for n in (1, 2, 3, 4)] == [10, 20, 35, 35]


def test_webhook_error_problem_body() -> None:
    err = WebhookError(404, "Webhook not found", "Could not find webhook x")
    assert err.as_problem() == {
        "type": "https://developers.enode.com/api/problems/not-found",
        "title": "Webhook not found",
        "detail": "Could not find webhook x",
    }


def test_default_clock_and_subscriptions() -> None:
    dispatcher = WebhookDispatcher()
    before = datetime.now(UTC)
    hook = dispatcher.create(
        {"url": "https://example.com/hook", "secret": SECRET, "events": ["user:meter:updated"]}
    )
    assert before <= hook.created_at <= datetime.now(UTC)
    assert hook.wants("user:meter:updated")
    assert hook.wants("system:heartbeat")
    assert not hook.wants("user:vehicle:updated")


# -- registration endpoints --------------------------------------------------------------------


async def test_create_get_list_update_delete(
    api: tuple[ClientSession, str, WebhookDispatcher], clock: FakeClock
) -> None:
    session, base, _ = api
    async with session.post(
        f"{base}/webhooks",
        json={
            "url": "https://example.com/hook",
            "secret": SECRET,
            "events": ["user:vehicle:updated"],
            "apiVersion": "2024-10-01",
            "authentication": {"headerName": "x-api-key", "headerValue": "abc123"},
        },
    ) as resp:
        assert resp.status == 200
        created = await resp.json()
    assert created == {
        "id": created["id"],
        "url": "https://example.com/hook",
        "events": ["user:vehicle:updated"],
        # A required string (OpenAPI): before any delivery, the webhook's creation time.
        "lastSuccess": format_time(clock.now),
        "isActive": True,
        "createdAt": format_time(clock.now),
        "apiVersion": "2024-10-01",
        "authentication": {"headerName": "x-api-key"},
    }
    uuid.UUID(created["id"])
    hook_url = f"{base}/webhooks/{created['id']}"

    async with session.get(hook_url) as resp:
        assert resp.status == 200
        assert await resp.json() == created

    async with session.get(f"{base}/webhooks") as resp:
        listing = await resp.json()
    assert listing == {"data": [created], "pagination": {"before": None, "after": None}}

    async with session.patch(
        hook_url, json={"events": ["*"], "authentication": None, "apiVersion": None}
    ) as resp:
        assert resp.status == 200
        updated = await resp.json()
    assert updated["events"] == ["*"]
    assert updated["authentication"] is None
    assert updated["apiVersion"] is None

    async with session.delete(hook_url) as resp:
        assert resp.status == 204
    async with session.get(hook_url) as resp:
        assert resp.status == 404
        problem = await resp.json()
    assert problem["title"] == "Webhook not found"
    assert problem["type"].endswith("/not-found")


async def test_create_defaults_and_duplicate_url(
    api: tuple[ClientSession, str, WebhookDispatcher],
) -> None:
    session, base, dispatcher = api
    body = {"url": "http://127.0.0.1:9/hook", "secret": SECRET}
    async with session.post(f"{base}/webhooks", json=body) as resp:
        created = await resp.json()
    assert created["events"] == ["*"]
    assert created["apiVersion"] is None
    assert created["authentication"] is None
    async with session.post(f"{base}/webhooks", json=body) as resp:
        assert resp.status == 400
        problem = await resp.json()
    assert problem["title"] == "Webhook already exists."
    assert problem["type"] == "https://developers.enode.com/api/problems/bad-request"
    assert len(dispatcher.webhooks) == 1


@pytest.mark.parametrize(
    "body",
    [
        {"secret": SECRET},
        {"url": "https://example.com/hook"},
        {"url": "https:/x", "secret": SECRET},
        {"url": "https://", "secret": SECRET},
        {"url": "http:/", "secret": SECRET},
        {"url": "https://[::1/hook", "secret": SECRET},
        {"url": "ftp://example.com/hook", "secret": SECRET},
        {"url": "https://example.com/hook", "secret": "short"},
        {"url": "https://example.com/hook", "secret": SECRET, "events": ["user:nope"]},
        {"url": "https://example.com/hook", "secret": SECRET, "events": "*"},
        {"url": "https://example.com/hook", "secret": SECRET, "apiVersion": "2023-08-01"},
        {"url": "https://example.com/hook", "secret": SECRET, "extra": 1},
        {
            "url": "https://example.com/hook",
            "secret": SECRET,
            "authentication": {"headerName": "x"},
        },
        {
            "url": "https://example.com/hook",
            "secret": SECRET,
            "authentication": {"headerName": "X-Upper", "headerValue": "v"},
        },
        {
            "url": "https://example.com/hook",
            "secret": SECRET,
            "authentication": {"headerName": "x-key", "headerValue": "bad\nvalue"},
        },
        ["not", "an", "object"],
    ],
)
async def test_create_rejects_invalid_payloads(
    api: tuple[ClientSession, str, WebhookDispatcher], body: Any
) -> None:
    session, base, dispatcher = api
    async with session.post(f"{base}/webhooks", json=body) as resp:
        assert resp.status == 400
        problem = await resp.json()
    assert set(problem) == {"type", "title", "detail"}
    assert problem["title"] == "Webhook input is not valid."
    assert dispatcher.webhooks == []


async def test_create_rejects_malformed_json(
    api: tuple[ClientSession, str, WebhookDispatcher],
) -> None:
    session, base, _ = api
    async with session.post(
        f"{base}/webhooks", data=b"{nope", headers={"content-type": "application/json"}
    ) as resp:
        assert resp.status == 400


async def test_update_validation_and_not_found(
    api: tuple[ClientSession, str, WebhookDispatcher],
) -> None:
    session, base, dispatcher = api
    first = dispatcher.create({"url": "https://example.com/one", "secret": SECRET})
    dispatcher.create({"url": "https://example.com/two", "secret": SECRET})
    async with session.patch(
        f"{base}/webhooks/{first.id}", json={"url": "https://example.com/two"}
    ) as resp:
        assert resp.status == 400
        assert (await resp.json())["title"] == "Webhook already exists."
    async with session.patch(f"{base}/webhooks/{first.id}", json={"secret": "x"}) as resp:
        assert resp.status == 400
    async with session.patch(
        f"{base}/webhooks/{first.id}",
        json={"url": "https://example.com/one-b", "secret": "another-secret"},
    ) as resp:
        assert resp.status == 200
    assert first.url == "https://example.com/one-b"
    assert first.secret == "another-secret"
    for method in ("patch", "delete", "get"):
        async with session.request(method, f"{base}/webhooks/missing", json={}) as resp:
            assert resp.status == 404
    async with session.post(f"{base}/webhooks/missing/test") as resp:
        assert resp.status == 404


async def test_list_is_paginated_newest_first(
    api: tuple[ClientSession, str, WebhookDispatcher], clock: FakeClock
) -> None:
    session, base, dispatcher = api
    ids = []
    for index in range(5):
        ids.append(dispatcher.create({"url": f"https://example.com/{index}", "secret": SECRET}).id)
        clock.advance(1)
    seen: list[str] = []
    cursor: str | None = None
    pages = 0
    while True:
        params = {"pageSize": "2"} | ({"after": cursor} if cursor else {})
        async with session.get(f"{base}/webhooks", params=params) as resp:
            page = await resp.json()
        pages += 1
        seen.extend(item["id"] for item in page["data"])
        cursor = page["pagination"]["after"]
        if cursor is None:
            break
    assert pages == 3
    assert seen == list(reversed(ids))
    async with session.get(f"{base}/webhooks", params={"pageSize": "2", "before": "4"}) as resp:
        page = await resp.json()
    assert [item["id"] for item in page["data"]] == [ids[2], ids[1]]
    assert page["pagination"] == {"before": "2", "after": "4"}
    for params in ({"pageSize": "0"}, {"pageSize": "x"}, {"after": "1", "before": "2"}):
        async with session.get(f"{base}/webhooks", params=params) as resp:
            assert resp.status == 400


# -- deliveries --------------------------------------------------------------------------------


async def test_delivery_is_signed_batched_json(
    make_dispatcher: Callable[..., WebhookDispatcher], receiver: Receiver, clock: FakeClock
) -> None:
    dispatcher = make_dispatcher()
    hook = dispatcher.create(
        {
            "url": receiver.url,
            "secret": SECRET,
            "authentication": {"headerName": "x-api-key", "headerValue": "key-123"},
        }
    )
    dispatcher.emit(vehicle_event(updatedFields=["chargeState.batteryLevel"]))
    dispatcher.emit(vehicle_event("user:vehicle:discovered"))
    dispatcher.emit({"event": "user:credentials:invalidated", "user": {"id": "u"}, "vendor": "X"})
    assert dispatcher.pending_count == 3
    attempts = await dispatcher.flush()
    assert len(attempts) == 1
    assert attempts[0].ok
    assert attempts[0].events == (
        "user:vehicle:updated",
        "user:vehicle:discovered",
        "user:credentials:invalidated",
    )
    assert len(receiver.requests) == 1
    headers, body = receiver.requests[0]
    assert headers["content-type"] == "application/json"
    assert headers["x-api-key"] == "key-123"
    assert headers["x-enode-delivery"] == attempts[0].delivery_id
    uuid.UUID(headers["x-enode-delivery"])
    expected = "sha1=" + hmac.new(SECRET.encode(), body, hashlib.sha1).hexdigest()
    assert headers["x-enode-signature"] == expected
    events = json.loads(body)
    assert [event["event"] for event in events] == list(attempts[0].events)
    assert all(event["version"] == "2024-10-01" for event in events)
    assert all(event["createdAt"] == format_time(clock.now) for event in events)
    assert events[0]["updatedFields"] == ["chargeState.batteryLevel"]
    assert "updatedFields" not in events[1]
    assert hook.last_success == clock.now
    assert dispatcher.pending_count == 0
    # Nothing left: a second flush sends nothing.
    assert await dispatcher.flush() == []
    assert len(receiver.requests) == 1


async def test_updated_events_always_carry_updated_fields(
    make_dispatcher: Callable[..., WebhookDispatcher], receiver: Receiver
) -> None:
    dispatcher = make_dispatcher()
    dispatcher.create({"url": receiver.url, "secret": SECRET})
    dispatcher.emit(vehicle_event())
    await dispatcher.flush()
    assert receiver.events[0]["updatedFields"] == []


async def test_events_are_filtered_per_webhook(
    make_dispatcher: Callable[..., WebhookDispatcher], receiver: Receiver
) -> None:
    dispatcher = make_dispatcher()
    dispatcher.create({"url": receiver.url, "secret": SECRET, "events": ["user:charger:updated"]})
    everything = dispatcher.create({"url": receiver.url + "?all=1", "secret": SECRET})
    dispatcher.emit(vehicle_event())
    dispatcher.emit({"event": "user:charger:updated", "user": {"id": "u"}, "charger": {}})
    assert len(everything.pending) == 2
    await dispatcher.flush()
    by_count = sorted(len(batch) for batch in receiver.batches)
    assert by_count == [1, 2]
    single = next(batch for batch in receiver.batches if len(batch) == 1)
    assert single[0]["event"] == "user:charger:updated"


async def test_attempt_log_is_bounded(
    make_dispatcher: Callable[..., WebhookDispatcher],
    receiver: Receiver,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("enode_simulator.webhooks.MAX_ATTEMPT_LOG", 3)
    dispatcher = make_dispatcher()
    dispatcher.create({"url": receiver.url, "secret": SECRET})
    for _ in range(5):
        dispatcher.emit(vehicle_event())
        await dispatcher.flush()
    assert len(receiver.requests) == 5
    assert len(dispatcher.attempts) == 3
    assert dispatcher.attempts[-1].delivery_id == receiver.requests[-1][0]["x-enode-delivery"]


async def test_batches_hold_at_most_100_events_in_order(
    make_dispatcher: Callable[..., WebhookDispatcher], receiver: Receiver
) -> None:
    dispatcher = make_dispatcher()
    dispatcher.create({"url": receiver.url, "secret": SECRET})
    for index in range(250):
        dispatcher.emit(vehicle_event(index=index))
    attempts = await dispatcher.flush()
    assert [len(batch) for batch in receiver.batches] == [100, 100, 50]
    assert [event["index"] for event in receiver.events] == list(range(250))
    assert len({attempt.delivery_id for attempt in attempts}) == 3


async def test_failed_delivery_is_retried_with_backoff_on_the_clock(
    make_dispatcher: Callable[..., WebhookDispatcher], receiver: Receiver, clock: FakeClock
) -> None:
    dispatcher = make_dispatcher(retry_base=10, max_failures=5)
    hook = dispatcher.create({"url": receiver.url, "secret": SECRET})
    receiver.statuses = [500, 503]
    dispatcher.emit(vehicle_event())

    first = await dispatcher.flush()
    assert [(a.status, a.ok) for a in first] == [(500, False)]
    assert hook.consecutive_failures == 1
    assert hook.next_attempt_at == clock.now + timedelta(seconds=10)
    # Not due yet: nothing is sent.
    clock.advance(9)
    assert await dispatcher.flush() == []
    clock.advance(1)
    second = await dispatcher.flush()
    assert [a.status for a in second] == [503]
    assert hook.next_attempt_at == clock.now + timedelta(seconds=20)
    clock.advance(20)
    third = await dispatcher.flush()
    assert [a.status for a in third] == [200]
    assert hook.consecutive_failures == 0
    assert hook.is_active
    # The same event was delivered three times, with a fresh delivery id each time.
    assert len(receiver.requests) == 3
    assert all(batch == receiver.batches[0] for batch in receiver.batches)
    assert len({headers["x-enode-delivery"] for headers, _ in receiver.requests}) == 3
    assert dispatcher.pending_count == 0


async def test_force_flush_ignores_backoff_once(
    make_dispatcher: Callable[..., WebhookDispatcher], receiver: Receiver
) -> None:
    dispatcher = make_dispatcher(retry_base=60)
    dispatcher.create({"url": receiver.url, "secret": SECRET})
    receiver.statuses = [500, 500]
    dispatcher.emit(vehicle_event())
    await dispatcher.flush()
    assert await dispatcher.flush() == []
    forced = await dispatcher.flush(force=True)
    assert [a.status for a in forced] == [500]
    forced = await dispatcher.flush(force=True)
    assert [a.status for a in forced] == [200]


async def test_webhook_goes_inactive_after_repeated_failures(
    make_dispatcher: Callable[..., WebhookDispatcher], receiver: Receiver, clock: FakeClock
) -> None:
    dispatcher = make_dispatcher(retry_base=1, max_failures=3)
    hook = dispatcher.create({"url": receiver.url, "secret": SECRET})
    receiver.statuses = [500] * 3
    dispatcher.emit(vehicle_event())
    for _ in range(3):
        await dispatcher.flush()
        clock.advance(3600)
    assert hook.is_active is False
    assert hook.pending == []
    assert hook.to_response()["isActive"] is False
    # Events for an inactive webhook are not queued and nothing is sent.
    dispatcher.emit(vehicle_event())
    assert dispatcher.pending_count == 0
    assert await dispatcher.flush(force=True) == []
    assert len(receiver.requests) == 3

    # The test endpoint reactivates it on success.
    result = await dispatcher.test(hook.id)
    assert result["status"] == "SUCCESS"
    assert result["response"]["code"] == 200
    assert result["response"]["body"] == '{"ok":true}'
    assert any(
        h.startswith("content-type: application/json") for h in result["response"]["headers"]
    )
    assert hook.is_active is True
    assert hook.last_success == clock.now
    assert receiver.events[-1]["event"] == "enode:webhook:test"
    dispatcher.emit(vehicle_event())
    assert dispatcher.pending_count == 1


async def test_update_reactivates(
    make_dispatcher: Callable[..., WebhookDispatcher], receiver: Receiver
) -> None:
    dispatcher = make_dispatcher(max_failures=1)
    hook = dispatcher.create({"url": receiver.url, "secret": SECRET})
    receiver.statuses = [404]
    dispatcher.emit(vehicle_event())
    await dispatcher.flush()
    assert not hook.is_active
    dispatcher.update(hook.id, {"secret": "new-secret-value"})
    assert hook.is_active
    dispatcher.emit(vehicle_event())
    await dispatcher.flush()
    headers, body = receiver.requests[-1]
    assert headers["x-enode-signature"] == compute_signature("new-secret-value", body)


async def test_timeout_counts_as_failure(
    make_dispatcher: Callable[..., WebhookDispatcher], receiver: Receiver
) -> None:
    dispatcher = make_dispatcher(timeout=0.2)
    hook = dispatcher.create({"url": receiver.url, "secret": SECRET})
    receiver.delay = 1.0
    dispatcher.emit(vehicle_event())
    attempts = await dispatcher.flush()
    assert attempts[0].status is None
    assert attempts[0].error is not None
    assert "Timed out" in attempts[0].error
    assert hook.consecutive_failures == 1
    assert hook.pending


async def test_unreachable_endpoint_counts_as_failure(
    make_dispatcher: Callable[..., WebhookDispatcher],
) -> None:
    dispatcher = make_dispatcher()
    hook = dispatcher.create({"url": "http://127.0.0.1:9/unreachable", "secret": SECRET})
    dispatcher.emit(vehicle_event())
    attempts = await dispatcher.flush()
    assert attempts[0].status is None
    assert attempts[0].error
    assert hook.consecutive_failures == 1
    result = await dispatcher.test(hook.id)
    assert result["status"] == "FAILURE"
    assert result["response"] is None
    assert "Could not deliver" in result["description"]


async def test_test_endpoint_reports_non_2xx(
    api: tuple[ClientSession, str, WebhookDispatcher], receiver: Receiver
) -> None:
    session, base, dispatcher = api
    hook = dispatcher.create({"url": receiver.url, "secret": SECRET})
    receiver.statuses = [500]
    async with session.post(f"{base}/webhooks/{hook.id}/test") as resp:
        assert resp.status == 200
        result = await resp.json()
    assert result == {
        "status": "FAILURE",
        "description": "Webhook endpoint responded with status 500.",
        "response": None,
    }
    async with session.post(f"{base}/webhooks/{hook.id}/test") as resp:
        result = await resp.json()
    assert result["status"] == "SUCCESS"
    assert set(result["response"]) == {"code", "body", "headers"}
    headers, body = receiver.requests[-1]
    assert headers["x-enode-signature"] == compute_signature(SECRET, body)
    event = json.loads(body)[0]
    assert set(event) == {"event", "createdAt", "version"}


async def test_heartbeats_follow_the_clock(
    make_dispatcher: Callable[..., WebhookDispatcher], receiver: Receiver, clock: FakeClock
) -> None:
    dispatcher = make_dispatcher(heartbeat_interval=300)
    dispatcher.create({"url": receiver.url, "secret": SECRET, "events": ["user:vehicle:updated"]})
    assert await dispatcher.flush() == []
    clock.advance(299)
    assert await dispatcher.flush() == []
    clock.advance(1)
    await dispatcher.flush()
    assert receiver.events == [
        {
            "event": "system:heartbeat",
            "createdAt": format_time(clock.now),
            "version": "2024-10-01",
            "pendingEvents": 0,
        }
    ]
    # A long jump sends one heartbeat, not one per missed interval.
    clock.advance(3000)
    await dispatcher.flush()
    assert [e["event"] for e in receiver.events].count("system:heartbeat") == 2


async def test_heartbeat_reports_pending_events(
    make_dispatcher: Callable[..., WebhookDispatcher], receiver: Receiver, clock: FakeClock
) -> None:
    dispatcher = make_dispatcher(heartbeat_interval=60, retry_base=1000, max_failures=10)
    hook = dispatcher.create({"url": receiver.url, "secret": SECRET})
    receiver.statuses = [500]
    dispatcher.emit(vehicle_event())
    dispatcher.emit(vehicle_event())
    await dispatcher.flush()
    clock.advance(60)
    await dispatcher.flush()  # heartbeat queued behind the events; still backing off
    heartbeats = [e for e in hook.pending if e["event"] == "system:heartbeat"]
    assert [h["pendingEvents"] for h in heartbeats] == [2]
    clock.advance(60)
    await dispatcher.flush()
    assert [e["event"] for e in hook.pending].count("system:heartbeat") == 1
    await dispatcher.flush(force=True)
    assert [e["event"] for e in receiver.batches[-1]] == [
        "user:vehicle:updated",
        "user:vehicle:updated",
        "system:heartbeat",
    ]


async def test_no_heartbeats_when_disabled(
    make_dispatcher: Callable[..., WebhookDispatcher], receiver: Receiver, clock: FakeClock
) -> None:
    dispatcher = make_dispatcher(heartbeat_interval=None)
    dispatcher.create({"url": receiver.url, "secret": SECRET})
    clock.advance(10_000)
    assert await dispatcher.flush() == []


async def test_background_delivery(
    make_dispatcher: Callable[..., WebhookDispatcher], receiver: Receiver
) -> None:
    dispatcher = make_dispatcher(auto_deliver=True, coalesce_delay=0.01, poll_interval=0.05)
    await dispatcher.start()
    dispatcher.create({"url": receiver.url, "secret": SECRET})
    dispatcher.emit(vehicle_event())
    dispatcher.emit(vehicle_event())
    for _ in range(200):
        if receiver.requests:
            break
        await asyncio.sleep(0.01)
    # Events emitted together are delivered together.
    assert [len(batch) for batch in receiver.batches] == [2]
    dispatcher.wake()
    await dispatcher.flush()
    await dispatcher.stop()
    await dispatcher.stop()


async def test_background_loop_survives_errors(
    make_dispatcher: Callable[..., WebhookDispatcher],
    receiver: Receiver,
    caplog: pytest.LogCaptureFixture,
) -> None:
    dispatcher = make_dispatcher(auto_deliver=True, coalesce_delay=0.0, poll_interval=0.02)
    calls = 0
    real_flush = dispatcher.flush

    async def broken_flush(*, force: bool = False) -> list[Any]:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("boom")
        return await real_flush(force=force)

    dispatcher.flush = broken_flush  # type: ignore[method-assign]
    await dispatcher.start()
    dispatcher.create({"url": receiver.url, "secret": SECRET})
    dispatcher.emit(vehicle_event())
    for _ in range(200):
        if receiver.requests:
            break
        await asyncio.sleep(0.01)
    assert receiver.requests
    assert "Webhook delivery round failed" in caplog.text


async def test_delete_and_clear_drop_pending(
    make_dispatcher: Callable[..., WebhookDispatcher], receiver: Receiver
) -> None:
    dispatcher = make_dispatcher()
    hook = dispatcher.create({"url": receiver.url, "secret": SECRET})
    dispatcher.emit_many([vehicle_event(), vehicle_event()])
    dispatcher.delete(hook.id)
    assert await dispatcher.flush() == []
    dispatcher.create({"url": receiver.url, "secret": SECRET})
    dispatcher.emit(vehicle_event())
    await dispatcher.flush()
    assert dispatcher.attempts
    receiver.statuses = [500]
    dispatcher.emit(vehicle_event())
    await dispatcher.flush()
    dispatcher.emit(vehicle_event())
    dispatcher.drop_pending()
    assert dispatcher.pending_count == 0
    assert dispatcher.webhooks[0].next_attempt_at is None
    assert dispatcher.webhooks[0].consecutive_failures == 0
    dispatcher.clear()
    assert dispatcher.webhooks == []
    assert dispatcher.attempts == []
    with pytest.raises(WebhookError):
        dispatcher.get(hook.id)


async def test_control_endpoints(
    api: tuple[ClientSession, str, WebhookDispatcher], receiver: Receiver
) -> None:
    session, base, dispatcher = api
    dispatcher.create({"url": receiver.url, "secret": SECRET})
    receiver.statuses = [500]
    dispatcher.emit(vehicle_event())
    async with session.get(f"{base}/_simulator/webhooks/deliveries") as resp:
        assert (await resp.json()) == {"pendingEvents": 1, "attempts": []}
    async with session.post(f"{base}/_simulator/webhooks/flush") as resp:
        first = (await resp.json())["attempts"]
    assert [(a["status"], a["ok"]) for a in first] == [(500, False)]
    async with session.post(f"{base}/_simulator/webhooks/flush") as resp:
        assert (await resp.json())["attempts"] == []
    async with session.post(f"{base}/_simulator/webhooks/flush?force=1") as resp:
        forced = (await resp.json())["attempts"]
    assert [(a["status"], a["ok"]) for a in forced] == [(200, True)]
    async with session.get(f"{base}/_simulator/webhooks/deliveries") as resp:
        log = await resp.json()
    assert log["pendingEvents"] == 0
    assert [a["events"] for a in log["attempts"]] == [["user:vehicle:updated"]] * 2
