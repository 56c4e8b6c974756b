"""Fault suite: restarts mid-command and mid-delivery, and push that stops quietly.

A restart is the entry stopping (its webhook unregistered: Home Assistant then answers Enode's
deliveries with 200 for an unknown webhook id, and Enode does not deliver them again) and setting
up again with what it stored. Nothing a delivery carried and no command outcome may be lost.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from unittest.mock import patch

from homeassistant.components.switch import DOMAIN as SWITCH_DOMAIN
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import ATTR_ENTITY_ID, SERVICE_TURN_ON

from custom_components.enode.actions import EnodeActions
from custom_components.enode.webhook import PUSH_SILENCE, WEBHOOK_CHECK_INTERVAL

from .harness import SWITCH, CaseResult, FaultEnv


async def _stop(env: FaultEnv) -> None:
    env.steady = False
    assert await env.hass.config_entries.async_unload(env.entry.entry_id)
    await env.hass.async_block_till_done(wait_background_tasks=True)


async def _start(env: FaultEnv) -> None:
    await env.hass.config_entries.async_setup(env.entry.entry_id)
    await env.hass.async_block_till_done(wait_background_tasks=True)
    assert env.entry.state is ConfigEntryState.LOADED


async def _command(env: FaultEnv) -> None:
    """Start charging; the action stays PENDING (600 simulated seconds)."""
    env.sim.set_action_delay(600)
    with patch("custom_components.enode.actions.ACTION_WAIT_TIMEOUT", 0.05):
        await env.hass.services.async_call(
            SWITCH_DOMAIN, SERVICE_TURN_ON, {ATTR_ENTITY_ID: SWITCH}, blocking=True
        )
    assert env.coordinator.data.pending_actions


def _lost(env: FaultEnv, deliveries: int) -> int:
    """Return the deliveries lost: all of them when the state does not show what they said."""
    return 0 if env.states_right() else deliveries


async def test_outcome_while_stopped(env: FaultEnv) -> None:
    """A command pending when Home Assistant stops is confirmed meanwhile (its pushed outcome
    answered 200 and dropped): the restarted entry reads it and reports it once."""
    await _command(env)
    await _stop(env)
    env.sim.advance_time(601)
    env.set_level(71)
    attempts = await env.sim.flush_webhooks()
    assert all(attempt.status == 200 for attempt in attempts)
    await _start(env)
    result = CaseResult("restart mid-command", "restart", recovery=0.0, bound=0.0)
    result.deliveries_lost += _lost(env, len(attempts))
    await env.finish(result, expected_outcomes=["confirmed"])


async def test_outcome_during_setup(env: FaultEnv) -> None:
    """The outcome (and a state change) is delivered while the entry is setting up, after its
    first refresh: kept and applied once the entry is ready, reported once."""
    await _command(env)
    await _stop(env)
    real_forward = env.hass.config_entries.async_forward_entry_setups
    attempts: list[Any] = []

    async def forward_while_enode_delivers(*args: Any) -> None:
        env.sim.advance_time(601)
        env.set_level(72)
        attempts.extend(await env.sim.flush_webhooks())
        await real_forward(*args)

    with patch.object(
        env.hass.config_entries, "async_forward_entry_setups", forward_while_enode_delivers
    ):
        await _start(env)
    result = CaseResult("outcome during set-up", "restart", recovery=0.0, bound=0.0)
    result.deliveries_lost += _lost(env, len(attempts))
    await env.finish(result, expected_outcomes=["confirmed"])


async def test_deliveries_while_stopped(env: FaultEnv) -> None:
    """Several deliveries while Home Assistant is stopped (each answered 200 and dropped): the
    first refresh after the restart catches up."""
    await _stop(env)
    attempts = []
    for level in (73, 74, 75):
        env.set_level(level)
        attempts += await env.sim.flush_webhooks()
    await _start(env)
    result = CaseResult("deliveries while stopped", "restart", recovery=0.0, bound=0.0)
    result.deliveries_lost += _lost(env, len(attempts))
    await env.finish(result)


async def test_deliveries_before_the_first_refresh(env: FaultEnv) -> None:
    """Deliveries while the entry reads its stored actions (before its first refresh): kept,
    then applied after it without rolling anything back."""
    await _stop(env)
    real_restore = EnodeActions.async_restore
    attempts: list[Any] = []

    async def restore_while_enode_delivers(self: EnodeActions) -> None:
        env.set_level(76)
        attempts.extend(await env.sim.flush_webhooks())
        await real_restore(self)

    with patch.object(EnodeActions, "async_restore", restore_while_enode_delivers):
        await _start(env)
    result = CaseResult("deliveries before first refresh", "restart", recovery=0.0, bound=0.0)
    result.deliveries_lost += _lost(env, len(attempts))
    await env.finish(result)


async def test_restart_mid_delivery(env: FaultEnv) -> None:
    """The entry stops while it is still applying a delivery of 100 events: the restarted
    entry shows the final state."""
    for index in range(1, 101):
        env.set_level(30.0 + index % 2)
    attempts = await env.sim.flush_webhooks()  # answered at once, applied in the background
    env.steady = False
    await env.hass.config_entries.async_unload(env.entry.entry_id)  # stops mid-way
    await env.hass.async_block_till_done(wait_background_tasks=True)
    await _start(env)
    result = CaseResult("restart mid-delivery", "restart", recovery=0.0, bound=0.0)
    result.deliveries_lost += _lost(env, len(attempts))
    await env.finish(result)


async def test_webhook_inactive_after_being_off(env: FaultEnv) -> None:
    """Enode deactivated the webhook while Home Assistant was off (dropping what it had
    queued): the set-up reactivates it, the first refresh catches up, deliveries flow again."""
    await _stop(env)
    env.sim.set_webhook_active(False)
    env.set_level(77)  # dropped by Enode: the webhook is inactive
    await _start(env)
    (hook,) = env.sim.webhooks.webhooks
    result = CaseResult("webhook inactive after being off", "push", recovery=0.0, bound=0.0)
    if not hook.is_active:
        result.deliveries_lost += 1
    env.set_level(78)
    await env.deliver()
    result.deliveries_lost += _lost(env, 1)
    await env.finish(result)


async def _until_right(env: FaultEnv, step: Callable[[], Awaitable[None]]) -> float:
    """Return the Home Assistant seconds until the state is right (checks come every
    ``WEBHOOK_CHECK_INTERVAL``)."""
    elapsed = 0.0
    for _ in range(4):
        if env.states_right():
            return elapsed
        await step()
        elapsed += WEBHOOK_CHECK_INTERVAL.total_seconds() + 1
    return elapsed if env.states_right() else float("inf")


async def _push_stops(env: FaultEnv, case: str, stop: Callable[[], None]) -> None:
    """Push stops quietly while running; the webhook check after the silence repairs it and
    the entries catch up. Bound: that silence (15 minutes since the last delivery)."""
    env.sim.advance_time(301)
    await env.deliver()  # a heartbeat: push was healthy
    stop()
    env.set_level(79)  # not delivered
    await env.deliver()

    async def step() -> None:
        await env.advance(WEBHOOK_CHECK_INTERVAL.total_seconds() + 1)

    result = CaseResult(case, "push")
    result.recovery = await _until_right(env, step)
    result.bound = PUSH_SILENCE.total_seconds() + 2
    env.set_level(80)
    await env.deliver()  # push works again
    result.deliveries_lost += _lost(env, 1)
    await env.finish(result)


async def test_webhook_inactive_while_running(env: FaultEnv) -> None:
    """Enode deactivates the webhook while Home Assistant runs (sandbox: after 5 minutes of
    failed deliveries)."""
    await _push_stops(
        env, "webhook inactive while running", lambda: env.sim.set_webhook_active(False)
    )


async def test_webhook_deleted_while_running(env: FaultEnv) -> None:
    """The webhook is deleted at Enode (for example in its dashboard)."""

    def delete() -> None:
        for hook in env.sim.webhooks.webhooks:
            env.sim.webhooks.delete(hook.id)

    await _push_stops(env, "webhook deleted at Enode", delete)
