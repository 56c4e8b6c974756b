"""Households, push and simulated time for the measurements (a real Home Assistant test instance).

Time: the ``freezer`` fixture moves Home Assistant's clock, the event loop's, the simulator's
(``time.time`` plus its offset) and the client's token clock (``time.monotonic``) together, so an
hour of Home Assistant time is an hour for the heartbeats, the tokens and charging too. Nothing
here sleeps for real: every wait is a timer that :func:`async_pass_time` fires.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import timedelta
import time
from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import CONF_CLIENT_ID, CONF_CLIENT_SECRET
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed

from custom_components.enode.api import Environment
from custom_components.enode.const import (
    CONF_API_URL,
    CONF_ENVIRONMENT,
    CONF_TOKEN_URL,
    CONF_USER_ID,
    DOMAIN,
)
from enode_simulator import Simulator

TOKEN = ("POST", "/oauth2/token")
# async_idle: the real time waited at once, how long a task may make no progress before the
# clocks are nudged, and by how much (far below a request's timeout).
REAL_WAIT = 0.005
STALLED = 0.25
NUDGE = timedelta(milliseconds=50)

# The demo household (five linked asset types, the ID.4 plugged into the Zaptec at Home).
DEMO = "demo"
DEMO_CHARGER_SWITCH = "switch.zaptec_go_charge"
DEMO_CHARGER_ID = "e7d4db80-4fca-4781-ac70-14108f560706"
DEMO_VEHICLE_ID = "8d90101b-3f2f-462a-bbb4-1ed320d33bbe"


def fleet(vehicles: int = 0, chargers: int = 0, **others: int) -> dict[str, Any]:
    """Return a scenario with generated devices (``batteries=1``, ``hvacs=1``, ...)."""
    return {
        "client": {"id": "bench-client", "secret": "bench-secret"},
        "generate": {"vehicles": vehicles, "chargers": chargers, **others},
    }


def six_types(each: int = 1) -> dict[str, Any]:
    """Return a household with every asset type linked."""
    return fleet(each, each, batteries=each, inverters=each, meters=each, hvacs=each)


def entry_data(sim: Simulator) -> dict[str, Any]:
    """Return config entry data for the simulator's default user."""
    return {
        CONF_ENVIRONMENT: Environment.CUSTOM.value,
        CONF_API_URL: sim.base_url,
        CONF_TOKEN_URL: sim.token_url,
        CONF_CLIENT_ID: sim.client_id,
        CONF_CLIENT_SECRET: sim.client_secret,
        CONF_USER_ID: sim.user_id,
    }


def make_entry(hass: HomeAssistant, sim: Simulator) -> ConfigEntry[Any]:
    """Add a config entry for the simulator's default user."""
    mock = MockConfigEntry(
        domain=DOMAIN,
        title="Enode",
        unique_id=f"custom_{sim.client_id}_{sim.user_id}",
        data=entry_data(sim),
    )
    mock.add_to_hass(hass)
    entry: ConfigEntry[Any] = mock
    return entry


async def async_setup_entry(hass: HomeAssistant, sim: Simulator) -> ConfigEntry[Any]:
    """Add and set up an entry for the simulator's user; wait for its webhook registration."""
    entry = make_entry(hass, sim)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    return entry


async def async_serve_push(
    hass: HomeAssistant, client_factory: Callable[[], Awaitable[Any]]
) -> Any:
    """Serve Home Assistant on loopback as its internal URL: webhooks register and deliver.

    ``client_factory`` is the ``hass_client_no_auth`` fixture; its test server is a real
    loopback HTTP server. Returns the client.
    """
    assert await async_setup_component(hass, "webhook", {})
    client = await client_factory()
    await hass.config.async_update(internal_url=str(client.make_url("/")).rstrip("/"))
    return client


async def async_idle(
    hass: HomeAssistant,
    busy: Collection[asyncio.Future[Any]] = (),
    parked: Callable[[], bool] | None = None,
    tick: Callable[[timedelta], object] | None = None,
) -> None:
    """Wait until Home Assistant's tasks are done, except ``busy`` ones, and until ``parked()``.

    ``async_block_till_done`` would wait for a command that waits for simulated time to pass:
    with the freezer nothing else moves it. Its own requests must be answered before time
    moves on, though: ``parked()`` says when it waits for time only (loopback I/O needs no
    timer; real waits in a thread let it complete). A task that makes no progress for a
    while waits for a short timer (a retry's backoff after a dropped keep-alive connection):
    ``tick`` then nudges the clocks by ``NUDGE``.
    """
    stalled = 0.0
    while True:
        await asyncio.sleep(0)
        tasks = (*hass._tasks, *hass._background_tasks)
        pending = [task for task in tasks if not task.done() and task not in busy]
        if not pending and (parked is None or parked()):
            return
        waiting = asyncio.ensure_future(asyncio.to_thread(time.sleep, REAL_WAIT))
        done, _ = await asyncio.wait([*pending, waiting], return_when=asyncio.FIRST_COMPLETED)
        if done != {waiting}:
            stalled = 0.0
            continue
        stalled += REAL_WAIT
        if tick is not None and stalled >= STALLED:
            tick(NUDGE)
            async_fire_time_changed(hass)
            stalled = 0.0


def tasks_of(hass: HomeAssistant) -> set[asyncio.Future[Any]]:
    """Return Home Assistant's running tasks (to tell the ones a call starts later)."""
    tasks = (*hass._tasks, *hass._background_tasks)
    return {task for task in tasks if not task.done()}


async def async_pass_time(
    hass: HomeAssistant,
    sim: Simulator,
    tick: Callable[[timedelta], object],
    duration: timedelta,
    *,
    step: timedelta = timedelta(minutes=1),
    until: Callable[[], bool] | None = None,
    busy: Collection[asyncio.Future[Any]] = (),
    parked: Callable[[], bool] | None = None,
) -> timedelta:
    """Let ``duration`` of simulated time pass in steps (or until ``until()``); return it.

    Each step moves the clocks (``tick``: the freezer's), fires Home Assistant's due timers,
    lets the simulator deliver what is due (heartbeats, updates) and waits until Home Assistant
    has processed everything: its tasks but the ``busy`` ones, and those until ``parked()``
    (waiting for time, not for a response: a response's timeout would run out while time jumps).
    """
    passed = timedelta()
    while passed < duration and not (until is not None and until()):
        tick(step)
        passed += step
        async_fire_time_changed(hass)
        await async_idle(hass, busy, parked, tick)
        await sim.flush_webhooks()
        await async_idle(hass, busy, parked, tick)
    return passed


def waiting_on(task: asyncio.Future[Any], events: Collection[asyncio.Event]) -> bool:
    """Return whether a task is done or waits on one of ``events`` (only time can move it on)."""
    if task.done():
        return True
    future = getattr(task, "_fut_waiter", None)
    return (
        future is not None
        and not future.done()
        and any(future in getattr(event, "_waiters", ()) for event in events)
    )


@dataclass(frozen=True, kw_only=True)
class Requests:
    """Requests the simulator served, by kind."""

    tokens: int
    gets: int
    others: int

    @property
    def total(self) -> int:
        """Every request, token requests included."""
        return self.tokens + self.gets + self.others

    def __str__(self) -> str:
        """Return e.g. ``1 token + 9 GET + 1 other``."""
        return f"{self.tokens} token + {self.gets} GET + {self.others} other"


def requests_of(sim: Simulator) -> Requests:
    """Return the requests in the simulator's log (since its last ``clear_requests``)."""
    tokens = sum(1 for request in sim.requests if request == TOKEN)
    gets = sum(1 for method, _ in sim.requests if method == "GET")
    return Requests(tokens=tokens, gets=gets, others=len(sim.requests) - tokens - gets)


def by_path(sim: Simulator) -> Mapping[str, int]:
    """Return the request log counted by ``METHOD path`` (for failure messages)."""
    counts: dict[str, int] = {}
    for method, path in sim.requests:
        key = f"{method} {path}"
        counts[key] = counts.get(key, 0) + 1
    return counts
