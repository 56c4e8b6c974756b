"""``Deadline``: the push health timers that every webhook delivery moves (README "Performance")."""

from __future__ import annotations

from datetime import datetime, timedelta

from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import (
    async_fire_time_changed,
    get_scheduled_timer_handles,
)

from custom_components.enode.helpers import Deadline

MINUTE = timedelta(minutes=1)


def _timers(hass: HomeAssistant) -> int:
    return sum(1 for handle in get_scheduled_timer_handles(hass.loop) if not handle.cancelled())


def _deadline(hass: HomeAssistant) -> tuple[Deadline, list[datetime], datetime]:
    """Return a deadline, the times it made its call at, and now."""
    calls: list[datetime] = []
    return Deadline(hass, calls.append), calls, dt_util.utcnow()


async def _at(hass: HomeAssistant, start: datetime, delta: timedelta) -> None:
    async_fire_time_changed(hass, start + delta)
    await hass.async_block_till_done()


async def test_moved_later_fires_once_at_the_last_time(hass: HomeAssistant) -> None:
    """A thousand moves later keep one timer; the call comes once, at the last deadline."""
    timers = _timers(hass)
    deadline, calls, start = _deadline(hass)
    deadline.set(15 * MINUTE)
    for _ in range(1000):
        deadline.set(20 * MINUTE)
    assert _timers(hass) == timers + 1
    assert deadline.pending
    await _at(hass, start, 16 * MINUTE)  # the first timer fires early: waits for the rest
    assert calls == []
    assert deadline.pending
    await _at(hass, start, 19 * MINUTE)
    assert calls == []
    await _at(hass, start, 21 * MINUTE)
    assert len(calls) == 1
    assert not deadline.pending
    await _at(hass, start, 60 * MINUTE)
    assert len(calls) == 1
    assert _timers(hass) == timers


async def test_moved_earlier_fires_at_the_earlier_time(hass: HomeAssistant) -> None:
    """Moving the deadline earlier starts a timer for it."""
    deadline, calls, start = _deadline(hass)
    deadline.set(60 * MINUTE)
    deadline.set(5 * MINUTE)
    await _at(hass, start, 6 * MINUTE)
    assert len(calls) == 1
    await _at(hass, start, 61 * MINUTE)
    assert len(calls) == 1


async def test_cancelled_never_fires(hass: HomeAssistant) -> None:
    """A cancelled deadline makes no call and leaves no timer; set again, it runs again."""
    timers = _timers(hass)
    deadline, calls, start = _deadline(hass)
    deadline.set(5 * MINUTE)
    deadline.cancel()
    assert not deadline.pending
    assert _timers(hass) == timers
    await _at(hass, start, 6 * MINUTE)
    assert calls == []
    deadline.set(5 * MINUTE)
    await _at(hass, start, 12 * MINUTE)
    assert len(calls) == 1
