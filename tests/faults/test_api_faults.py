"""Fault suite: Enode's API fails (5xx, timeouts, 429, malformed bodies, tokens, credentials).

Push is healthy in every case (a heartbeat arrived), so the normal polling interval is 30
minutes: recovery must come from the retry backoff, within one backoff of the fault clearing.
"""

from __future__ import annotations

from datetime import timedelta
from email.utils import format_datetime
from typing import Any
from unittest.mock import patch

from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.const import CONF_CLIENT_ID, CONF_CLIENT_SECRET, STATE_UNAVAILABLE
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import issue_registry as ir
from homeassistant.util import dt as dt_util
import pytest

from custom_components.enode.const import DOMAIN
from custom_components.enode.coordinator import UPDATE_INTERVAL_PUSH

from .harness import BATTERY, USER_ID, CaseResult, FaultEnv

OUTAGE = 10_000  # requests: more than any case makes


async def _push_healthy(env: FaultEnv) -> None:
    env.sim.advance_time(301)  # the simulator's heartbeat
    await env.deliver()
    assert env.coordinator.push_healthy
    assert env.coordinator.update_interval == UPDATE_INTERVAL_PUSH


async def _outage(env: FaultEnv, fault: dict[str, Any], refreshes: int) -> None:
    """Start the fault and let ``refreshes`` scheduled refreshes fail on it."""
    env.steady = False
    env.sim.inject_fault(**fault)
    await env.coordinator.async_request_refresh()
    await env.hass.async_block_till_done()
    env.outage = True
    for _ in range(refreshes - 1):
        await env.refresh_fails()
    env.outage = False
    assert env.hass.states.get(BATTERY).state == STATE_UNAVAILABLE


@pytest.mark.parametrize(
    ("case", "fault", "refreshes"),
    [
        ("5xx burst", {"status": 503, "count": OUTAGE}, 3),
        (
            "5xx on one list",
            {"status": 500, "count": OUTAGE, "path_prefix": f"/users/{USER_ID}/chargers"},
            2,
        ),
        ("502 long outage", {"status": 502, "count": OUTAGE}, 8),
        ("malformed JSON", {"malformed": True, "count": OUTAGE}, 3),
        ("token endpoint 5xx", {"status": 503, "count": OUTAGE, "path_prefix": "/oauth2/token"}, 3),
        (
            "token endpoint malformed",
            {"malformed": True, "count": OUTAGE, "path_prefix": "/oauth2/token"},
            2,
        ),
    ],
)
async def test_outage_then_recovery(
    env: FaultEnv, case: str, fault: dict[str, Any], refreshes: int
) -> None:
    """Entities unavailable during the outage; right again within one backoff after it."""
    await _push_healthy(env)
    if "oauth2" in str(fault.get("path_prefix")):
        env.sim.revoke_tokens()  # the next request needs a new token
    await _outage(env, fault, refreshes)
    env.set_level(44)  # changed meanwhile (not delivered: push says nothing of the API)
    env.sim.clear_faults()
    bound = env.backoff(refreshes)
    recovery = await env.recover()
    await env.finish(CaseResult(case, "api", recovery=recovery, bound=bound))


async def test_timeouts_bound_the_refresh(env: FaultEnv) -> None:
    """Every request answers after the client's timeout: each refresh gives up within
    ``REFRESH_TIMEOUT`` (not after every try of every request), then recovers."""
    await _push_healthy(env)
    env.entry.runtime_data.client.request_timeout = 0.3
    with patch("custom_components.enode.coordinator.REFRESH_TIMEOUT", 0.6):
        start = env.hass.loop.time()
        await _outage(env, {"latency": 1.0, "count": OUTAGE}, 2)
        elapsed = env.hass.loop.time() - start
    result = CaseResult("timeouts", "api")
    if elapsed > 2 * 0.6 + 0.5:
        result.wrong_states += 1
        result.notes.append(f"two refreshes took {elapsed:.1f} s")
    env.sim.clear_faults()
    env.entry.runtime_data.client.request_timeout = 1.0
    result.bound = env.backoff(2)
    result.recovery = await env.recover()
    await env.finish(result)


async def test_latency_below_the_timeout(env: FaultEnv) -> None:
    """Slow answers (within the timeout): nothing becomes unavailable."""
    await _push_healthy(env)
    env.sim.inject_fault(latency=0.2, count=20)
    env.set_level(47)
    await env.coordinator.async_refresh()
    await env.finish(CaseResult("latency", "api", recovery=0.0, bound=0.0))


@pytest.mark.parametrize("form", ["seconds", "http date"])
async def test_rate_limited_while_running(env: FaultEnv, form: str) -> None:
    """A 429 with Retry-After while Enode works: the entities keep their state, and Enode is
    not asked again before Retry-After has passed."""
    await _push_healthy(env)
    value: float | str = 600.0
    if form == "http date":
        value = format_datetime(dt_util.utcnow() + timedelta(seconds=601), usegmt=True)
    env.sim.inject_fault(status=429, count=OUTAGE, retry_after=value)
    await env.coordinator.async_refresh()
    result = CaseResult(f"429 Retry-After ({form})", "api")
    assert env.hass.states.get(BATTERY).state != STATE_UNAVAILABLE
    env.sim.clear_requests()
    wait = env.next_refresh_in()
    assert wait is not None
    if wait < 590:
        result.wrong_states += 1
        result.notes.append(f"next request after {wait:.0f} s, before Retry-After")
    await env.advance(300)
    if env.sim.requests:
        result.wrong_states += 1
        result.notes.append("asked Enode before Retry-After")
    # Push keeps working meanwhile: a change arrives without asking the API.
    env.set_level(48)
    await env.deliver()
    env.sim.clear_faults()
    result.bound = 0.0
    result.recovery = await env.recover()
    await env.finish(result)


async def test_rate_limited_during_an_outage(env: FaultEnv) -> None:
    """A 429 while the entities are unavailable keeps them unavailable; the retry waits for
    Retry-After; after it the entities recover within one backoff."""
    await _push_healthy(env)
    await _outage(env, {"status": 503, "count": 8}, 2)
    env.sim.clear_faults()
    env.sim.inject_fault(status=429, count=OUTAGE, retry_after=120)
    env.outage = True
    await env.refresh_fails()
    wait = env.next_refresh_in()
    assert wait is not None
    result = CaseResult("429 during an outage", "api")
    if wait < 119:
        result.wrong_states += 1
        result.notes.append(f"retried after {wait:.0f} s, before Retry-After")
    env.outage = False
    env.sim.clear_faults()
    result.bound = wait + 1
    result.recovery = await env.recover()
    await env.finish(result)


async def test_revoked_tokens(env: FaultEnv) -> None:
    """Enode revoked the access token: one 401, one new token, nothing unavailable."""
    await _push_healthy(env)
    env.sim.revoke_tokens()
    env.set_level(52)
    await env.coordinator.async_refresh()
    await env.finish(CaseResult("revoked tokens", "api", recovery=0.0, bound=0.0))


async def test_rotated_client_secret(env: FaultEnv) -> None:
    """The client secret was regenerated: the entry asks for reauthentication; once the new
    secret is entered, the entry reloads and the entities are right at once."""
    await _push_healthy(env)
    env.steady = False
    env.sim.rotate_client_secret("a-new-client-secret-1234")
    env.secrets.add("a-new-client-secret-1234")
    env.sim.revoke_tokens()
    await env.coordinator.async_refresh()
    await env.hass.async_block_till_done()
    assert env.hass.states.get(BATTERY).state == STATE_UNAVAILABLE
    flows = env.hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]
    env.set_level(53)
    result = await env.hass.config_entries.flow.async_configure(
        flows[0]["flow_id"],
        {CONF_CLIENT_ID: env.sim.client_id, CONF_CLIENT_SECRET: "a-new-client-secret-1234"},
    )
    assert result["type"] is FlowResultType.ABORT
    await env.hass.async_block_till_done(wait_background_tasks=True)
    assert env.entry.state is ConfigEntryState.LOADED
    recovery = await env.recover()
    await env.finish(CaseResult("rotated client secret", "api", recovery=recovery, bound=1.0))


async def test_invalidated_vendor_credentials(env: FaultEnv) -> None:
    """A vendor's credentials became invalid: a fixable repair appears (pushed, no poll); the
    devices keep their state."""
    env.sim.invalidate_credentials(USER_ID, "TESLA")
    await env.deliver()
    issue = ir.async_get(env.hass).async_get_issue(DOMAIN, "vendor_credentials_tesla_vehicle")
    result = CaseResult("invalidated vendor credentials", "api", recovery=0.0, bound=0.0)
    if issue is None or not issue.is_fixable:
        result.wrong_states += 1
        result.notes.append("no fixable repair")
    await env.finish(result)
