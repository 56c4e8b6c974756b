"""Fault suite: hostile, odd and heavy webhook deliveries.

Unsigned, forged, oversized or malformed deliveries change nothing; signed but odd ones (other
users' events and assets, unknown events and enums, missing fields, stale, naive or implausible
values) change only what they should; batches of 100 events and a burst of 1,000 deliveries lose
nothing; a push during an API outage does not make the entities available.
"""

from __future__ import annotations

import time
from typing import Any
from unittest.mock import patch

from homeassistant.components.switch import DOMAIN as SWITCH_DOMAIN
from homeassistant.const import ATTR_ENTITY_ID, SERVICE_TURN_ON, STATE_UNAVAILABLE
import orjson
import pytest

from custom_components.enode.api.webhooks import compute_signature

from .harness import BATTERY, SWITCH, USER_ID, CaseResult, FaultEnv

# A burst of this many deliveries must be processed within this many (real) seconds.
BURST = 1000
BURST_SECONDS = 60.0


async def _rejected(
    env: FaultEnv, case: str, body: bytes, signature: str | None, status: int
) -> None:
    """A delivery that must be refused with ``status`` and change nothing."""
    last_delivery = env.coordinator.push_last_delivery
    answered = await env.post(body, signature)
    await env.hass.async_block_till_done(wait_background_tasks=True)
    result = CaseResult(case, "webhook", recovery=0.0, bound=0.0)
    if answered != status:
        result.wrong_states += 1
        result.notes.append(f"answered {answered}, not {status}")
    if env.coordinator.push_last_delivery != last_delivery:
        result.wrong_states += 1
        result.notes.append("counted as a delivery")
    await env.finish(result)


async def test_no_signature(env: FaultEnv) -> None:
    """No ``x-enode-signature``: 401."""
    await _rejected(env, "no signature", orjson.dumps([env.vehicle_event(99)]), None, 401)


async def test_wrong_signature(env: FaultEnv) -> None:
    """Signed with another secret: 401."""
    body = orjson.dumps([env.vehicle_event(99)])
    await _rejected(env, "wrong signature", body, compute_signature("guess", body), 401)


async def test_oversized(env: FaultEnv) -> None:
    """17 MiB (past aiohttp's limit too): 413, not read into memory, no traceback."""
    await _rejected(env, "oversized body", b"[" + b" " * (17 * 1024 * 1024) + b"]", "sha1=x", 413)


@pytest.mark.parametrize(
    ("case", "body"),
    [("malformed JSON", b'[{"event": "user:vehicle:upd'), ("object, not array", b'{"event": "x"}')],
)
async def test_malformed(env: FaultEnv, case: str, body: bytes) -> None:
    """Correctly signed, but not a JSON array of events: 400."""
    signature = compute_signature(env.entry.data["webhook_secret"], body)
    await _rejected(env, case, body, signature, 400)


async def _signed_batch(env: FaultEnv, case: str, events: list[dict[str, Any]]) -> CaseResult:
    """Post a signed batch (answered 200); return the row to fill."""
    result = CaseResult(case, "webhook", recovery=0.0, bound=0.0)
    answered = await env.post(*env.signed(events))
    await env.hass.async_block_till_done(wait_background_tasks=True)
    if answered != 200:
        result.deliveries_lost += 1
        result.notes.append(f"answered {answered}")
    return result


async def test_replay(env: FaultEnv) -> None:
    """A delivery replayed after a newer one (Enode retries, or an attacker with a captured
    body): the older state does not come back."""
    env.truth_levels.add(60.0)
    old = env.signed([env.vehicle_event(60)])
    assert await env.post(*old) == 200
    env.sim.advance_time(1)
    env.set_level(61)
    await env.deliver()
    assert await env.post(*old) == 200  # the replay
    await env.hass.async_block_till_done(wait_background_tasks=True)
    await env.finish(CaseResult("replay", "webhook", recovery=0.0, bound=0.0))


async def test_other_users_events(env: FaultEnv) -> None:
    """Events of another user of the client (the webhook receives every user's)."""
    event = env.vehicle_event(11, seconds=5, user_id="another-user")
    deleted = {"event": "user:charger:deleted", "user": {"id": "another-user"}}
    deleted["charger"] = env.sim.asset("charger-0001")
    result = await _signed_batch(env, "other users' events", [event, deleted])
    await env.finish(result)


async def test_other_users_assets(env: FaultEnv) -> None:
    """An event for our user carrying another user's asset (``vehicle.userId``)."""
    event = env.vehicle_event(12, seconds=5)
    event["vehicle"]["userId"] = "another-user"
    discovered = env.vehicle_event(13, seconds=5)
    discovered["event"] = "user:vehicle:discovered"
    discovered["vehicle"] = {**discovered["vehicle"], "id": "stranger", "userId": "another-user"}
    result = await _signed_batch(env, "other users' assets", [event, discovered])
    if "stranger" in env.coordinator.data.vehicles:
        result.wrong_states += 1
    await env.finish(result)


async def test_unknown_events_and_enums(env: FaultEnv) -> None:
    """Unknown events, unknown enum values and extra keys: ignored or read as UNKNOWN, the rest
    of the batch applied."""
    env.set_level(62)
    event = env.vehicle_event(62, seconds=1)
    event["vehicle"]["chargeState"]["powerDeliveryState"] = "PLUGGED_IN:WARP_DRIVE"
    event["vehicle"]["somethingNew"] = {"nested": [1, 2, 3]}
    batch = [
        {"event": "user:vehicle:teleported", "user": {"id": USER_ID}},
        {"event": "system:something", "payload": 1},
        {"event": 42},
        "not an object",
        event,
    ]
    result = await _signed_batch(env, "unknown events and enums", batch)
    await env.finish(result)


async def test_missing_fields(env: FaultEnv) -> None:
    """Optional fields missing (no createdAt, version, updatedFields; no information or
    location) and required ones missing (no vehicle, no id): tolerated or ignored."""
    env.set_level(63)
    event = env.vehicle_event(63, seconds=1)
    for key in ("createdAt", "version", "updatedFields"):
        event.pop(key)
    for key in ("information", "location"):
        event["vehicle"].pop(key)
    no_asset = {"event": "user:vehicle:updated", "user": {"id": USER_ID}}
    no_id = env.vehicle_event(1, seconds=2)
    no_id["vehicle"].pop("id")
    result = await _signed_batch(env, "missing fields", [no_asset, no_id, event])
    await env.finish(result)


async def test_stale_timestamp(env: FaultEnv) -> None:
    """An update older than what is known (``lastSeen`` an hour ago) is not applied."""
    result = await _signed_batch(env, "stale timestamp", [env.vehicle_event(14, seconds=-3600)])
    await env.finish(result)


async def test_naive_timestamp(env: FaultEnv) -> None:
    """A ``lastSeen`` without a timezone is UTC: a newer one is applied, no traceback."""
    env.set_level(64)
    event = env.vehicle_event(64, seconds=5)
    event["vehicle"]["lastSeen"] = event["vehicle"]["lastSeen"].removesuffix("Z")
    stale = env.vehicle_event(15, seconds=-3600)
    stale["vehicle"]["lastSeen"] = stale["vehicle"]["lastSeen"].removesuffix("Z")
    result = await _signed_batch(env, "naive timestamps", [event, stale])
    await env.finish(result)


async def test_implausible_values(env: FaultEnv) -> None:
    """A battery level of 10^30 % and a negative range are dropped (unknown), never shown; the
    next real update brings the truth."""
    event = env.vehicle_event(1e30, seconds=1)
    event["vehicle"]["chargeState"]["range"] = -5
    result = await _signed_batch(env, "implausible values", [event])
    env.set_level(65)
    await env.deliver()
    await env.finish(result)


async def test_batch_of_100_events(env: FaultEnv) -> None:
    """One delivery of 100 events (Enode's largest): every one applied, in order."""
    # The simulator reports whole percents: alternate, so that every event is a change.
    levels = [30.0 + index % 2 for index in range(1, 101)]
    for level in levels:
        env.set_level(level)
    env.battery_history.clear()
    attempts = await env.sim.flush_webhooks()
    await env.hass.async_block_till_done(wait_background_tasks=True)
    result = CaseResult("batch of 100 events", "webhook", recovery=0.0, bound=0.0)
    if [len(attempt.events) for attempt in attempts] != [100]:
        result.notes.append(f"batches {[len(a.events) for a in attempts]}")
        result.deliveries_lost += 1
    shown = [float(value) for value in env.battery_history if value != STATE_UNAVAILABLE]
    result.deliveries_lost += len(levels) - len(shown)
    if shown != levels:
        result.wrong_states += 1
        result.notes.append(f"shown {shown[:3]}...{shown[-3:]}")
    await env.finish(result)


async def test_burst_of_deliveries(env: FaultEnv) -> None:
    """1,000 deliveries, one after the other as fast as the simulator sends them: each is
    answered 200 at once and applied in order, within a bounded time."""
    levels = [40.0 + index % 2 for index in range(1, BURST + 1)]
    await env.sim.webhooks.stop()  # one delivery per change: only these flushes deliver
    env.battery_history.clear()
    start = time.monotonic()
    statuses: list[int | None] = []
    for level in levels:
        env.set_level(level)
        statuses += [attempt.status for attempt in await env.sim.flush_webhooks()]
    await env.hass.async_block_till_done(wait_background_tasks=True)
    elapsed = time.monotonic() - start
    result = CaseResult(f"burst of {BURST} deliveries", "webhook", recovery=0.0, bound=0.0)
    result.deliveries_lost += sum(status != 200 for status in statuses) + BURST - len(statuses)
    shown = [float(value) for value in env.battery_history]
    result.deliveries_lost += len(levels) - len(shown)
    if shown != levels:
        result.wrong_states += 1
        result.notes.append(f"shown {shown[:3]}...{shown[-3:]}")
    if elapsed > BURST_SECONDS:
        result.deliveries_lost += 1
        result.notes.append(f"took {elapsed:.1f} s")
    result.notes.append(f"{elapsed:.1f} s")
    await env.finish(result)


async def test_push_during_an_outage(env: FaultEnv) -> None:
    """Deliveries keep coming while Enode's API fails: the entities stay unavailable (a
    delivery says nothing about the API), the retry is not postponed, and they recover within
    one backoff once the API answers."""
    env.steady = False
    env.sim.inject_fault(status=503, count=10_000)
    await env.coordinator.async_refresh()
    await env.hass.async_block_till_done()
    assert env.hass.states.get(BATTERY).state == STATE_UNAVAILABLE
    env.outage = True
    due = env.next_refresh_in()
    for level in (66, 67, 68):
        env.set_level(level)
        await env.deliver()
    after = env.next_refresh_in()
    env.outage = False
    result = CaseResult("push during an outage", "webhook")
    if due is not None and after is not None and after > due:
        result.wrong_states += 1
        result.notes.append("a delivery postponed the retry")
    env.sim.clear_faults()
    result.bound = env.backoff(1)
    result.recovery = await env.recover()
    await env.finish(result)


async def test_repeated_outcome(env: FaultEnv) -> None:
    """A command's outcome delivered twice (Enode retries, or a replay): reported once."""
    env.sim.set_action_delay(600)
    with patch("custom_components.enode.actions.ACTION_WAIT_TIMEOUT", 0.05):
        await env.hass.services.async_call(
            SWITCH_DOMAIN, SERVICE_TURN_ON, {ATTR_ENTITY_ID: SWITCH}, blocking=True
        )
    env.sim.advance_time(601)
    captured: list[bytes] = []
    real_post = env.sim.webhooks._post

    async def capture(webhook: Any, batch: list[dict[str, Any]]) -> Any:
        captured.append(orjson.dumps(batch))
        return await real_post(webhook, batch)

    with patch.object(env.sim.webhooks, "_post", capture):
        await env.deliver()
    for body in captured:  # the same deliveries again
        assert (
            await env.post(body, compute_signature(env.entry.data["webhook_secret"], body)) == 200
        )
    await env.hass.async_block_till_done(wait_background_tasks=True)
    await env.finish(
        CaseResult("repeated outcome", "webhook", recovery=0.0, bound=0.0),
        expected_outcomes=["confirmed"],
    )
