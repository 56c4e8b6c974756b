"""The timing ratios of ``scripts/bench`` (P3 push latency, P4 set-up, P5 client refresh).

Each figure is ours divided by a baseline doing the least the same job needs, measured in the
same run and interleaved with ours where the job is repeatable, so machine load slows both:

* P3: the simulator-format deliveries POSTed to our webhook, until the last state is written,
  against the same POSTs to a bare Home Assistant webhook whose handler decodes the body and
  writes the same states (those our run wrote) with ``hass.states.async_set``.
* P4: an entry of 100 assets from ``async_setup`` until every entity is written, against a
  trivial integration adding as many bare entities (unique id, device) to as many devices.
* P5: the client reading 200 vehicles and 200 chargers (the user and 4 + 4 pages) into typed
  models, against a bare aiohttp client fetching the same responses and decoding the JSON.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
import gc
import statistics
import time
import tracemalloc
from typing import Any, Self

from aiohttp import BasicAuth, ClientSession, web
from homeassistant.components import webhook
from homeassistant.components.sensor import SensorEntity
from homeassistant.config_entries import ConfigEntry, ConfigFlow
from homeassistant.const import EVENT_STATE_CHANGED
from homeassistant.core import Event, EventStateChangedData, HomeAssistant, callback
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.entity import Entity
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
import orjson
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    MockModule,
    MockPlatform,
    mock_config_flow,
    mock_integration,
    mock_platform,
)

from custom_components.enode.api import EnodeClient, Environment, compute_signature
from custom_components.enode.api.const import HEADER_SIGNATURE
from custom_components.enode.api.reuse import AssetParser
from custom_components.enode.coordinator import async_fetch_user_assets
from enode_simulator import Simulator
from enode_simulator.clock import iso

from .households import make_entry

BARE_DOMAIN = "bench_bare"
BARE_WEBHOOK_ID = "bench-bare-webhook"


def paired_ratio(ours: Sequence[float], baseline: Sequence[float]) -> float:
    """Return the median of ours / baseline over pairs measured one right after the other."""
    return statistics.median(mine / theirs for mine, theirs in zip(ours, baseline, strict=True))


def ms(seconds: float) -> str:
    """Return seconds as milliseconds for a detail text."""
    return f"{seconds * 1000:.1f} ms"


@dataclass(frozen=True, kw_only=True)
class Write:
    """One state written: what it was, what it became."""

    entity_id: str
    old: str
    old_attributes: dict[str, Any]
    new: str
    attributes: dict[str, Any]

    @property
    def mirror(self) -> str:
        """Return the entity id the baseline writes it to."""
        domain, object_id = self.entity_id.split(".", 1)
        return f"{domain}.bare_{object_id}"


class StateRecorder:
    """Every state written (``state_changed``) with the time it was written."""

    def __init__(self, hass: HomeAssistant) -> None:
        """Listen to the state machine (all but the baseline's mirror states, whose times
        ``BareWebhook`` keeps)."""
        self.times: list[float] = []
        self.writes: list[Write] = []
        # The baseline's writes cost the listener the same, but are kept apart.
        self.mirror_writes: list[Write] = []
        self.unsubscribe = hass.bus.async_listen(EVENT_STATE_CHANGED, self._on_change)

    @callback
    def _on_change(self, event: Event[EventStateChangedData]) -> None:
        old, new = event.data["old_state"], event.data["new_state"]
        if old is None or new is None:
            return
        now = time.perf_counter()
        write = Write(
            entity_id=new.entity_id,
            old=old.state,
            old_attributes=dict(old.attributes),
            new=new.state,
            attributes=dict(new.attributes),
        )
        if ".bare_" in new.entity_id:
            self.mirror_writes.append(write)
            return
        self.times.append(now)
        self.writes.append(write)

    def clear(self) -> None:
        """Forget what was recorded."""
        self.times.clear()
        self.writes.clear()
        self.mirror_writes.clear()

    @property
    def last(self) -> float:
        """Return when the last state was written."""
        return self.times[-1]


class BareWebhook:
    """The baseline: a Home Assistant webhook that decodes the body and writes given states."""

    def __init__(self, hass: HomeAssistant) -> None:
        """Register the webhook (POST, reachable like ours)."""
        self.hass = hass
        # The states to write, by delivery number (the ``n`` query parameter).
        self.plans: dict[int, Sequence[Write]] = {}
        self.done: dict[int, float] = {}
        # How long writing the states took, by delivery number.
        self.writing: dict[int, float] = {}
        webhook.async_register(
            hass, BARE_DOMAIN, "bare", BARE_WEBHOOK_ID, self._handle, allowed_methods=["POST"]
        )

    async def _handle(
        self, hass: HomeAssistant, webhook_id: str, request: web.Request
    ) -> web.Response:
        number = int(request.query.get("n", "0"))
        orjson.loads(await request.read())
        start = time.perf_counter()
        for write in self.plans.get(number, ()):
            hass.states.async_set(write.mirror, write.new, write.attributes)
        self.done[number] = time.perf_counter()
        self.writing[number] = self.done[number] - start
        return web.Response(status=200)

    def prime(self, writes: Sequence[Write]) -> None:
        """Write the old states, so that the timed writes are changes, as ours were."""
        for write in writes:
            self.hass.states.async_set(write.mirror, write.old, write.old_attributes)


class EntityWriteClock:
    """The time Home Assistant's ``Entity`` spends writing states (``_async_write_ha_state``:
    working out the state and attributes from the entity's properties, then setting it)."""

    def __init__(self) -> None:
        """Start at zero, not yet timing."""
        self.seconds = 0.0
        self._original: Callable[..., None] | None = None

    def __enter__(self) -> Self:
        """Time every entity's writes until exit."""
        original = self._original = Entity._async_write_ha_state
        clock = self

        def timed(entity: Entity) -> None:
            start = time.perf_counter()
            try:
                original(entity)
            finally:
                clock.seconds += time.perf_counter() - start

        Entity._async_write_ha_state = timed  # type: ignore[method-assign, assignment]
        return self

    def __exit__(self, *_: object) -> None:
        """Stop timing."""
        assert self._original is not None
        Entity._async_write_ha_state = self._original  # type: ignore[method-assign]


def _event(sim: Simulator, asset_id: str, changes: dict[str, Any], moment: float) -> dict[str, Any]:
    """Return a ``user:<type>:updated`` event of an asset with some charge state changed."""
    body = sim.asset(asset_id)
    kind = "vehicle" if "odometer" in body else "charger"
    body["chargeState"] = {**body["chargeState"], **changes}
    body["lastSeen"] = iso(moment)
    return {
        "event": f"user:{kind}:updated",
        "createdAt": iso(moment),
        "version": "2024-10-01",
        "user": {"id": sim.user_id},
        kind: body,
        "updatedFields": [f"chargeState.{key}" for key in changes],
    }


def _signed(secret: str, events: list[dict[str, Any]]) -> tuple[bytes, dict[str, str]]:
    body = orjson.dumps(events)
    return body, {
        "content-type": "application/json",
        HEADER_SIGNATURE: compute_signature(secret, body),
    }


async def async_push_batch(
    hass: HomeAssistant,
    client: Any,
    entry: ConfigEntry[Any],
    sim: Simulator,
    vehicle_ids: Sequence[str],
    charger_ids: Sequence[str],
    *,
    repeat: int,
) -> tuple[float, str]:
    """P3: one delivery of an update per asset, POST to the last state written, vs bare."""
    recorder = StateRecorder(hass)
    bare = BareWebhook(hass)
    ours_path = f"/api/webhook/{entry.data['webhook_id']}"
    secret = entry.data["webhook_secret"]
    ours: list[float] = []
    baseline: list[float] = []
    # Per pair: what ours would take if all but Home Assistant's entity writes cost what the
    # bare webhook's handling costs (the bare time, its async_set writes swapped for ours).
    floor: list[float] = []
    written = 0
    try:
        for rep in range(repeat + 1):  # the first round warms both up
            moment = sim.clock.now()
            events = [
                _event(sim, vehicle_id, {"batteryLevel": 41 + rep % 2}, moment)
                for vehicle_id in vehicle_ids
            ] + [
                _event(sim, charger_id, {"maxCurrent": 10 + rep % 2}, moment)
                for charger_id in charger_ids
            ]
            body, headers = _signed(secret, events)
            recorder.clear()
            with EntityWriteClock() as entity_writes:
                start = time.perf_counter()
                response = await client.post(ours_path, data=body, headers=headers)
                assert response.status == 200
                await hass.async_block_till_done(wait_background_tasks=True)
            ours_time = recorder.last - start
            writes = list(recorder.writes)
            bare.plans[0] = writes
            bare.prime(writes)
            await hass.async_block_till_done()
            recorder.clear()
            start = time.perf_counter()
            response = await client.post(
                f"/api/webhook/{BARE_WEBHOOK_ID}?n=0", data=body, headers=headers
            )
            assert response.status == 200
            bare_time = bare.done[0] - start
            if rep:
                ours.append(ours_time)
                baseline.append(bare_time)
                floor.append(bare_time - bare.writing[0] + entity_writes.seconds)
                written = len(writes)
    finally:
        recorder.unsubscribe()
        webhook.async_unregister(hass, BARE_WEBHOOK_ID)
    ours_median, bare_median = statistics.median(ours), statistics.median(baseline)
    detail = (
        f"{len(vehicle_ids) + len(charger_ids)} events, {written} states: "
        f"ours {ms(ours_median)}, bare {ms(bare_median)} (medians of {repeat} pairs); "
        f"floor {paired_ratio(floor, baseline):.2f} (Home Assistant's entity writes alone "
        f"in place of bare async_set)"
    )
    return paired_ratio(ours, baseline), detail


def _percentile(samples: Sequence[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


async def async_push_deliveries(
    hass: HomeAssistant,
    client: Any,
    entry: ConfigEntry[Any],
    sim: Simulator,
    vehicle_ids: Sequence[str],
    *,
    count: int,
    concurrency: int,
    rounds: int = 5,
) -> tuple[float, float, str]:
    """P3: ``count`` deliveries of one update, ``concurrency`` at a time; per-delivery latency
    (POST to its last state written) vs bare, in ``rounds``; return the p50 and p99 ratios."""
    coordinator = entry.runtime_data.coordinator
    recorder = StateRecorder(hass)
    bare = BareWebhook(hass)
    ours_path = f"/api/webhook/{entry.data['webhook_id']}"
    secret = entry.data["webhook_secret"]
    base = sim.clock.now()
    # Delivery n: vehicle n % len, a battery level unique per vehicle, later lastSeen.
    plan = [
        (vehicle_ids[n % len(vehicle_ids)], 10 + n // len(vehicle_ids), base + 1 + n)
        for n in range(count)
    ]
    bodies = [
        _signed(secret, [_event(sim, vid, {"batteryLevel": level}, moment)])
        for vid, level, moment in plan
    ]
    expected: dict[str, deque[tuple[int, int]]] = {}
    for number, (vid, level, _) in enumerate(plan):
        expected.setdefault(vid, deque()).append((number, level))
    sent: dict[int, float] = {}
    done: dict[int, float] = {}
    per_delivery: dict[int, list[Write]] = {}

    @callback
    def _published() -> None:
        """After every entity has written (a listener added last): which deliveries are in."""
        now = time.perf_counter()
        vehicles = coordinator.data.vehicles
        # After a merge only the merged vehicles can be in (this probe's cost counts as ours).
        changed = coordinator.changed_assets
        for vid in expected if changed is None else [key for key in changed if key in expected]:
            queue = expected[vid]
            while queue and vehicles[vid].charge_state.battery_level == queue[0][1]:
                number, _ = queue.popleft()
                done[number] = now
                per_delivery[number] = list(recorder.writes)
                recorder.clear()

    async def _send(path: str, number: int, semaphore: asyncio.Semaphore) -> None:
        body, headers = bodies[number]
        async with semaphore:
            sent[number] = time.perf_counter()
            response = await client.post(path, data=body, headers=headers)
            assert response.status == 200

    ours: list[float] = []
    baseline: list[float] = []
    round_ratios: list[float] = []
    round_tails: list[float] = []
    round_throughput: list[float] = []
    round_floor: list[float] = []
    unsubscribe = coordinator.async_add_listener(_published)
    try:
        # Rounds of ours then the baseline, so that both see the machine in the same state.
        size = count // rounds
        for first in range(0, size * rounds, size):
            numbers = range(first, first + size)
            semaphore = asyncio.Semaphore(concurrency)
            with EntityWriteClock() as entity_writes:
                start = time.perf_counter()
                await asyncio.gather(*(_send(ours_path, n, semaphore) for n in numbers))
                await hass.async_block_till_done(wait_background_tasks=True)
                ours_round = max(done[n] for n in numbers if n in done) - start
            missing = [n for n in numbers if n not in done]
            assert not missing, f"{len(missing)} deliveries never showed up"
            ours += [done[n] - sent[n] for n in numbers]
            for number in numbers:
                bare.plans[number] = per_delivery[number]
                bare.prime(per_delivery[number])
            await hass.async_block_till_done()
            semaphore = asyncio.Semaphore(concurrency)
            start = time.perf_counter()
            await asyncio.gather(
                *(_send(f"/api/webhook/{BARE_WEBHOOK_ID}?n={n}", n, semaphore) for n in numbers)
            )
            bare_round = max(bare.done[n] for n in numbers) - start
            baseline += [bare.done[n] - sent[n] for n in numbers]
            # Under a steady queue a delivery's latency is the service time of those ahead of it:
            # the rounds' times compare throughput, and the floor is the bare round with its
            # async_set writes replaced by Home Assistant's entity writes of ours.
            bare_writes = sum(bare.writing[n] for n in numbers)
            round_throughput.append(ours_round / bare_round)
            round_floor.append((bare_round - bare_writes + entity_writes.seconds) / bare_round)
            round_ratios.append(_percentile(ours[-size:], 0.5) / _percentile(baseline[-size:], 0.5))
            round_tails.append(
                _percentile(ours[-size:], 0.99) / _percentile(baseline[-size:], 0.99)
            )
        states = sum(len(writes) for writes in per_delivery.values())
    finally:
        unsubscribe()
        recorder.unsubscribe()
        webhook.async_unregister(hass, BARE_WEBHOOK_ID)
    # The rounds' ratios (p50 and p99): each pair saw the same load, so a burst of load elsewhere
    # on the machine during one side's round does not decide the figure.
    p50 = statistics.median(round_ratios)
    p99 = statistics.median(round_tails)
    detail = (
        f"{count} deliveries, {concurrency} concurrent, {rounds} rounds, {states} states: "
        f"ours p50 {ms(_percentile(ours, 0.5))} p99 {ms(_percentile(ours, 0.99))}, "
        f"bare p50 {ms(_percentile(baseline, 0.5))} p99 {ms(_percentile(baseline, 0.99))}; "
        f"rounds' time {statistics.median(round_throughput):.2f}, their floor "
        f"{statistics.median(round_floor):.2f} (Home Assistant's entity writes alone in place of "
        f"bare async_set)"
    )
    return p50, p99, detail


class BareSensor(SensorEntity):
    """The baseline entity: a unique id, a device, a name, a value."""

    _attr_has_entity_name = True
    _attr_should_poll = False

    def __init__(self, number: int, device: int) -> None:
        """Initialize."""
        self._attr_unique_id = f"bare-{number}"
        self._attr_name = f"Value {number % 25}"
        self._attr_native_value = number
        self._attr_device_info = DeviceInfo(
            identifiers={(BARE_DOMAIN, f"device-{device}")}, name=f"Bare device {device}"
        )


class BareFlow(ConfigFlow):
    """The trivial integration's (unused) config flow: entries need a handler."""

    VERSION = 1


def setup_bare_integration(hass: HomeAssistant, entities: int, devices: int) -> None:
    """Make the trivial integration: one sensor platform adding ``entities`` over ``devices``.

    Its entries need its config flow handler: set up within ``mock_config_flow``.
    """

    async def _setup_entry(
        hass: HomeAssistant, entry: ConfigEntry[Any], add: AddConfigEntryEntitiesCallback
    ) -> None:
        add([BareSensor(n, n % devices) for n in range(entities)])

    async def _forward(hass: HomeAssistant, entry: ConfigEntry[Any]) -> bool:
        await hass.config_entries.async_forward_entry_setups(entry, ["sensor"])
        return True

    async def _unload(hass: HomeAssistant, entry: ConfigEntry[Any]) -> bool:
        return await hass.config_entries.async_unload_platforms(entry, ["sensor"])

    mock_integration(
        hass,
        MockModule(BARE_DOMAIN, async_setup_entry=_forward, async_unload_entry=_unload),
    )
    mock_platform(hass, f"{BARE_DOMAIN}.sensor", MockPlatform(async_setup_entry=_setup_entry))
    mock_platform(hass, f"{BARE_DOMAIN}.config_flow", None)


def _bare_entry(hass: HomeAssistant) -> ConfigEntry[Any]:
    mock = MockConfigEntry(domain=BARE_DOMAIN, title="Bare")
    mock.add_to_hass(hass)
    entry: ConfigEntry[Any] = mock
    return entry


async def _timed_setup(hass: HomeAssistant, entry: ConfigEntry[Any]) -> float:
    """Set an entry up; return the seconds until every entity was written."""
    gc.collect()
    start = time.perf_counter()
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return time.perf_counter() - start


async def async_setup_ratio(
    hass: HomeAssistant, sim: Simulator, assets: int, *, repeat: int
) -> tuple[float, str]:
    """P4: set-up time of ``assets`` assets vs as many bare entities on as many devices."""
    ours: list[float] = []
    baseline: list[float] = []
    entities = devices = 0
    for rep in range(repeat + 1):  # the first round warms both up (imports, translations)
        ours_time, entities, devices = await _ours_setup(hass, sim)
        if not rep:
            setup_bare_integration(hass, entities, devices)
        bare_time = await _bare_setup(hass, entities)
        if rep:
            ours.append(ours_time)
            baseline.append(bare_time)
    ours_median, bare_median = statistics.median(ours), statistics.median(baseline)
    detail = (
        f"{assets} assets, {devices} devices, {entities} entities: ours {ms(ours_median)}, "
        f"bare {ms(bare_median)} (medians of {repeat} pairs)"
    )
    return paired_ratio(ours, baseline), detail


async def _ours_setup(hass: HomeAssistant, sim: Simulator) -> tuple[float, int, int]:
    """Set up (and remove) an entry; return its time and its entity and device counts."""
    entry = make_entry(hass, sim)
    seconds = await _timed_setup(hass, entry)
    entities = len(er.async_entries_for_config_entry(er.async_get(hass), entry.entry_id))
    devices = len(dr.async_entries_for_config_entry(dr.async_get(hass), entry.entry_id))
    assert devices, "no devices"
    assert await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()
    return seconds, entities, devices


async def _bare_setup(hass: HomeAssistant, entities: int) -> float:
    """Set up (and remove) the trivial integration's entry; return its time."""
    with mock_config_flow(BARE_DOMAIN, BareFlow):
        bare = _bare_entry(hass)
        seconds = await _timed_setup(hass, bare)
        registry = er.async_get(hass)
        assert len(er.async_entries_for_config_entry(registry, bare.entry_id)) == entities
        assert await hass.config_entries.async_remove(bare.entry_id)
        await hass.async_block_till_done()
    return seconds


async def _held(hass: HomeAssistant, setup: Callable[[], ConfigEntry[Any]]) -> int:
    """Return the bytes an entry's set-up leaves allocated (tracemalloc), then remove it."""
    with mock_config_flow(BARE_DOMAIN, BareFlow):
        return await _held_bytes(hass, setup)


async def _held_bytes(hass: HomeAssistant, setup: Callable[[], ConfigEntry[Any]]) -> int:
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        entry = setup()
        assert await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done()
        gc.collect()
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()
    return held


async def async_memory_ratio(
    hass: HomeAssistant, sim: Simulator, assets: int, *, repeat: int = 3
) -> tuple[float, str]:
    """P4: memory an entry of ``assets`` assets holds vs the same bare entities (after a warm-up
    set-up of each, which ``async_setup_ratio`` did).

    The least of ``repeat`` interleaved set-ups of each: what else Home Assistant allocates
    meanwhile (a registry's pending save, a cache) only ever adds to a measurement.
    """
    ours_held: list[int] = []
    bare_held: list[int] = []
    for _ in range(repeat):
        ours_held.append(await _held(hass, lambda: make_entry(hass, sim)))
        bare_held.append(await _held(hass, lambda: _bare_entry(hass)))
    ours, bare = min(ours_held), min(bare_held)
    detail = (
        f"ours {ours / assets / 1024:.1f} KiB per asset, "
        f"bare {bare / assets / 1024:.1f} KiB per asset's entities"
    )
    return ours / bare, detail


async def async_client_refresh(
    sim: Simulator, *, repeat: int
) -> tuple[tuple[float, str], tuple[float, str]]:
    """P5: the client's refresh of the user's assets vs a bare aiohttp client, interleaved.

    Return two figures: a refresh as the client does it again and again (what it parsed before
    and is unchanged is reused, ``api/reuse.py``), and a first read (a new parser: every asset
    parsed whole, the cost of a refresh in which everything changed).
    """
    async with ClientSession() as ours_session, ClientSession() as bare_session:
        client = EnodeClient(
            sim.client_id,
            sim.client_secret,
            environment=Environment.CUSTOM,
            api_url=sim.base_url,
            token_url=sim.token_url,
            session=ours_session,
        )
        async with bare_session.post(
            sim.token_url,
            data={"grant_type": "client_credentials"},
            auth=BasicAuth(sim.client_id, sim.client_secret),
        ) as response:
            token = (await response.json())["access_token"]
        headers = {
            "Authorization": f"Bearer {token}",
            "Enode-Version": "2024-10-01",
            "Accept": "application/json",
        }
        user_id = sim.user_id

        async def _bare() -> int:
            count = 0
            async with bare_session.get(f"{sim.base_url}/users/{user_id}", headers=headers) as r:
                orjson.loads(await r.read())
            for kind in ("vehicles", "chargers"):
                after: str | None = None
                while True:
                    params = {"pageSize": "50", **({"after": after} if after else {})}
                    url = f"{sim.base_url}/users/{user_id}/{kind}"
                    async with bare_session.get(url, headers=headers, params=params) as r:
                        page = orjson.loads(await r.read())
                    count += len(page["data"])
                    after = page["pagination"]["after"]
                    if not after:
                        break
            return count

        async def _ours() -> int:
            data = await async_fetch_user_assets(client, user_id)
            return len(data.vehicles) + len(data.chargers)

        assert await _ours() == await _bare() == 400  # warm-up: token, connections
        ours: list[float] = []
        first: list[float] = []
        baseline: list[float] = []
        for _ in range(repeat):
            start = time.perf_counter()
            await _ours()
            ours.append(time.perf_counter() - start)
            start = time.perf_counter()
            await _bare()
            baseline.append(time.perf_counter() - start)
            client.asset_parser = AssetParser()  # forget every asset: the next read is a first
            start = time.perf_counter()
            await _ours()
            first.append(time.perf_counter() - start)
    bare_median = statistics.median(baseline)
    again = (
        paired_ratio(ours, baseline),
        f"ours {ms(statistics.median(ours))}, bare {ms(bare_median)} (medians of {repeat} pairs)",
    )
    fresh = (
        paired_ratio(first, baseline),
        f"ours {ms(statistics.median(first))}, bare {ms(bare_median)} (medians of {repeat} pairs)",
    )
    return again, fresh
