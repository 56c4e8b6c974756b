"""The Enode data update coordinator: one per config entry (= one Enode user).

It fetches the user's assets, merges what webhooks push (``async_set_asset``,
``async_remove_asset``), and sets the polling cadence. The command lifecycle lives in
``actions.py``; the snapshot it publishes is ``models.EnodeData``.

Requests per refresh: one ``GET /users/{id}`` plus one list request per linked asset type (and
page of 50), plus one request per action that is still pending; none per device, except a
smart charging status where it may have changed (``smart_charging.py``). Intervention
texts and Locations are cached. The user request is deliberate: its ``linkedVendors`` say which
asset types are linked (so a typical vehicle + charger household costs 3 requests instead of a
list for each of the six asset types) and whether each vendor's credentials are still valid (the
repairs need that when no webhook reports ``user:credentials:invalidated``).

Cadence (README "Performance"): push is the main path. Enode pushes the changes of every asset
type (``user:<type>:updated``, for all six) and every action outcome, so while deliveries or
heartbeats arrive nothing needs polling: one safety-net refresh every ``UPDATE_INTERVAL_PUSH``
catches what a lost delivery missed. Without push: every 5 minutes, every minute while charging
or while a command's outcome is unknown. A token is fetched only when a request needs one (the
client), so an idle hour with healthy push costs nothing but its share of the safety net.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from datetime import datetime, timedelta
from typing import Any

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryAuthFailed
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed
from homeassistant.util import dt as dt_util
from homeassistant.util.hass_dict import HassKey

from .actions import EnodeActions
from .api import (
    Asset,
    AssetBase,
    AssetType,
    Battery,
    Charger,
    EnodeAuthenticationError,
    EnodeClient,
    EnodeError,
    EnodeModel,
    EnodeNotFoundError,
    EnodeRateLimitError,
    EnodeServerError,
    Hvac,
    Intervention,
    Inverter,
    Location,
    Meter,
    User,
    Vehicle,
)
from .api.const import ASSET_PATHS, INTERVENTION_LANGUAGES
from .api.reuse import copy_with
from .const import CONF_USER_ID, DOMAIN, LOGGER
from .helpers import Deadline, enode_language, problem_text, retry_after
from .hub import async_get_hub
from .models import EnodeConfigEntry, EnodeData
from .smart_charging import SmartChargingReader

# Polling cadence without push: slow when nothing happens, faster while charging or while a
# command's outcome is unknown.
UPDATE_INTERVAL_IDLE = timedelta(minutes=5)
UPDATE_INTERVAL_ACTIVE = timedelta(minutes=1)
# While webhook deliveries (or heartbeats) arrive, polling is only a safety net hours apart: every
# asset type's changes are pushed. Push counts as healthy for this long after the last verified
# delivery (or after the webhook was registered, until its first delivery).
UPDATE_INTERVAL_PUSH = timedelta(hours=6)
PUSH_HEALTHY_WINDOW = timedelta(minutes=15)
# An overdue safety net (pushes kept coming) runs this soon after the next one.
SAFETY_NET_MIN_DELAY = timedelta(seconds=10)
# Without push, while a car charges, the types that change by the minute (the others are read
# every UPDATE_INTERVAL_IDLE); a full read is due that much before the interval (jitter).
CHARGING_TYPES = frozenset({AssetType.VEHICLE, AssetType.CHARGER})
FULL_READ_SLACK = timedelta(seconds=30)
# Locations are re-read at most this often (and whenever an unknown Location id shows up): they
# change only when the user edits them.
LOCATIONS_MAX_AGE = timedelta(hours=24)
# What a config flow read moments before it created the entry: the entry's first refresh takes it
# instead of reading it again (set-up reads each thing once). Keyed by the entry's unique id.
HANDOFF_MAX_AGE = 60.0  # seconds
_HANDOFF: HassKey[dict[str, tuple[float, EnodeData]]] = HassKey(f"{DOMAIN}_handoff")
# After a failed refresh (entities unavailable): retry after 10 s, then 20, 40 ... seconds, at most
# 5 minutes apart, until a refresh succeeds; a Retry-After is waited out first. Never slower than
# the normal cadence (a failing refresh while a car charges retries at least every minute).
RETRY_INTERVAL_MIN = timedelta(seconds=10)
RETRY_INTERVAL_MAX = timedelta(minutes=5)
# The whole refresh (every request and every retry of one) gives up after this many seconds.
REFRESH_TIMEOUT = 60.0


def linked_asset_types(user: User | None) -> set[AssetType]:
    """Return the asset types the user has linked (from the user's linked vendors)."""
    types: set[AssetType] = set()
    if user is None:
        return types
    for vendor in user.linked_vendors:
        try:
            types.add(AssetType(str(vendor.vendor_type)))
        except ValueError:
            LOGGER.debug("Ignoring linked vendor of unknown type %s", vendor.vendor_type)
    return types


async def async_fetch_user_assets(client: EnodeClient, user_id: str) -> EnodeData:
    """Return the Enode user and their assets of every type, keyed by id.

    One ``GET /users/{id}`` (which asset types are linked, and whether the vendors' credentials
    are valid) and one list request per linked asset type (and page of 50): the number of requests
    does not grow with the number of devices. A user who never linked anything has no user.
    """
    try:
        user: User | None = await client.get_user(user_id)
    except EnodeNotFoundError:
        user = None
    linked = linked_asset_types(user)

    async def _list[A: AssetBase](model: type[A]) -> dict[str, A]:
        if model.asset_type not in linked:
            return {}
        return {asset.id: asset for asset in await client.list_assets(user_id, model)}

    return EnodeData(
        vehicles=await _list(Vehicle),
        chargers=await _list(Charger),
        batteries=await _list(Battery),
        inverters=await _list(Inverter),
        meters=await _list(Meter),
        hvacs=await _list(Hvac),
        user=user,
    )


@callback
def async_hand_off(hass: HomeAssistant, unique_id: str, data: EnodeData) -> None:
    """Offer a flow's fresh read of the user's assets to the first refresh of its entry."""
    hass.data.setdefault(_HANDOFF, {})[unique_id] = (hass.loop.time(), data)


@callback
def _async_take_hand_off(hass: HomeAssistant, unique_id: str | None) -> EnodeData | None:
    """Return (once) what a flow read for this entry, if it is at most ``HANDOFF_MAX_AGE`` old."""
    offered = hass.data.get(_HANDOFF, {}).pop(unique_id or "", None)
    if offered is None:
        return None
    read_at, data = offered
    return data if hass.loop.time() - read_at <= HANDOFF_MAX_AGE else None


# The snapshot's per-asset mappings (named like Enode's paths); a change anywhere else concerns
# every entity.
_ASSET_FIELD_NAMES = frozenset(ASSET_PATHS.values())
_SHARED_FIELD_NAMES = tuple(
    item.name for item in fields(EnodeData) if item.name not in _ASSET_FIELD_NAMES
)


def plugged_partner_id(asset: Asset) -> str | None:
    """Return the id of the charger a vehicle is plugged into, or of a charger's vehicle."""
    if isinstance(asset, Vehicle):
        return asset.charge_state.plugged_in_charger_id
    if isinstance(asset, Charger):
        return asset.charge_state.plugged_in_vehicle_id
    return None


def asset_changes(before: AssetBase, after: AssetBase) -> frozenset[str]:
    """Return what differs between two states of an asset: the names of its changed fields,
    and for a changed section (a model such as ``charge_state``) ``section.field`` for each of
    its changed fields (``EnodeEntity`` compares them with what an entity's state reads).

    A section read again unchanged is the same object (``api/reuse.py``): most of an asset's
    fields cost an identity check; the others are compared by value.
    """
    changed: list[str] = []
    for name in _model_fields(type(after)):
        old, new = getattr(before, name), getattr(after, name)
        if old is new:
            continue
        if type(old) is type(new) and isinstance(new, EnodeModel):
            inner = [
                f"{name}.{key}"
                for key in _model_fields(type(new))
                if getattr(old, key) != getattr(new, key)
            ]
            if inner:
                changed.append(name)
                changed += inner
        elif old != new:
            changed.append(name)
    return frozenset(changed)


# The field names of each model class (``asset_changes`` reads them for every merged asset).
_MODEL_FIELDS: dict[type, tuple[str, ...]] = {}


def _model_fields(model: type[Any]) -> tuple[str, ...]:
    if (names := _MODEL_FIELDS.get(model)) is None:
        names = _MODEL_FIELDS[model] = tuple(item.name for item in fields(model))
    return names


# In what changed of an asset: an asset it shows something of changed (the vehicle or charger
# plugged into it; for a vehicle, a charger whose interventions changed: its pairing reads them).
OTHER_ASSETS = "(other assets)"


def changed_asset_ids(
    before: EnodeData, after: EnodeData, assets: Iterable[Asset]
) -> dict[str, frozenset[str]] | None:
    """Return the assets whose entities a merge of ``assets`` concerns, each with what changed
    of it (``asset_changes``; ``OTHER_ASSETS`` when notified for another's sake), or None for all.

    Their own entities and those of the vehicles or chargers plugged into them (before or
    after), the only other assets an entity shows; every vehicle's when a charger's
    interventions changed (a vehicle's pairing reads every charger's, ``pairing.py``); None
    when anything else in the snapshot changed (an asset appeared or changed type, the
    Locations, the texts, the pending actions, the user): so while a merge's entities update,
    the rest of the snapshot is what it was.
    """
    for name in _SHARED_FIELD_NAMES:
        old, new = getattr(before, name), getattr(after, name)
        if old is not new and old != new:
            return None
    changed: dict[str, frozenset[str]] = {}
    notified: set[str] = set()
    for asset in assets:
        # Looked up by the merged asset's type: one that changed type is missing in one of them.
        previous = before.assets(asset.asset_type).get(asset.id)
        current = after.assets(asset.asset_type).get(asset.id)
        if previous is None or current is None or type(previous) is not type(current):
            return None
        changed[asset.id] = asset_changes(previous, current)
        if isinstance(current, Charger) and (
            previous.capabilities is not current.capabilities
            and previous.all_intervention_ids() != current.all_intervention_ids()
        ):
            notified.update(after.vehicles)
        for partner_id in (plugged_partner_id(previous), plugged_partner_id(current)):
            if partner_id is not None:
                notified.add(partner_id)
    for asset_id in notified:
        changed[asset_id] = changed.get(asset_id, frozenset()) | {OTHER_ASSETS}
    return changed


@dataclass(frozen=True, slots=True)
class AssetContext:
    """An entity's listener context: its asset and what its state reads of it.

    ``reads`` are ``asset_changes`` names (``charge_state.battery_level``, or a whole section),
    with ``OTHER_ASSETS`` when the state also reads the asset plugged into it; None: undeclared,
    so every update that concerns the asset calls the entity.
    """

    asset_id: str
    reads: frozenset[str] | None = None


@dataclass(frozen=True, slots=True)
class FieldsContext:
    """The listener context of no asset in particular that a merge concerns only when it changed
    one of these fields of a merged asset (entity creation: what ``exists_fn`` reads)."""

    reads: frozenset[str]


@dataclass(slots=True)
class _Listeners:
    """The listeners of one asset (or of none): those called on every update of it, and those
    called only when a field they read changed, by field (the values: callbacks by remover)."""

    always: dict[CALLBACK_TYPE, CALLBACK_TYPE] = field(default_factory=dict)
    by_field: dict[str, dict[CALLBACK_TYPE, CALLBACK_TYPE]] = field(default_factory=dict)

    def add(
        self, remove: CALLBACK_TYPE, listener: CALLBACK_TYPE, reads: frozenset[str] | None
    ) -> None:
        """Keep a listener (``remove`` is its key) reading ``reads`` (None: anything)."""
        if reads is None:
            self.always[remove] = listener
        for name in reads or ():
            self.by_field.setdefault(name, {})[remove] = listener

    def discard(self, remove: CALLBACK_TYPE, reads: frozenset[str] | None) -> bool:
        """Forget a listener; return whether none is left."""
        self.always.pop(remove, None)
        for name in reads or ():
            bucket = self.by_field.get(name, {})
            bucket.pop(remove, None)
            if not bucket:
                self.by_field.pop(name, None)
        return not self.always and not self.by_field

    def concerned(self, changed: frozenset[str]) -> list[CALLBACK_TYPE]:
        """Return the listeners a merge that changed these fields of the asset concerns."""
        chosen = dict(self.always)
        for name in changed:
            if (bucket := self.by_field.get(name)) is not None:
                chosen.update(bucket)
        return list(chosen.values())


class EnodeCoordinator(DataUpdateCoordinator[EnodeData]):
    """Fetches one Enode user's assets; merges pushed updates; sets the polling cadence."""

    config_entry: EnodeConfigEntry

    def __init__(self, hass: HomeAssistant, entry: EnodeConfigEntry, client: EnodeClient) -> None:
        """Initialize the coordinator (and the tracker of its commands)."""
        super().__init__(
            hass,
            LOGGER,
            config_entry=entry,
            name=f"{DOMAIN} ({entry.title})",
            update_interval=UPDATE_INTERVAL_IDLE,
            always_update=False,
        )
        # An empty snapshot until the first refresh (entities are only made after it).
        self.data = EnodeData()
        self.client = client
        self.user_id: str = entry.data[CONF_USER_ID]
        self.actions = EnodeActions(hass, self)
        self.smart_charging = SmartChargingReader(client)
        self._fetched = False
        # When the user and every type were last read; whether a refresh is a scheduled one.
        self._full_read_at: datetime | None = None
        self._scheduled = False
        self._intervention_cache: dict[tuple[str, str], Intervention | None] = {}
        self._locations: dict[str, Location] = {}
        self._locations_fetched_at: datetime | None = None
        # Location ids the assets referred to that the last read of the user's Locations did not
        # have (deleted meanwhile): not worth another request until the Locations are stale.
        self._missing_locations: set[str] = set()
        # While a snapshot of merged assets is published: the assets whose entities it concerns,
        # each with what changed of it (``changed_asset_ids``); None: every listener.
        self.changed_assets: Mapping[str, frozenset[str]] | None = None
        # The listeners by asset id (None: of no asset), to update only those a merge concerns.
        self._listeners_by_asset: dict[str | None, _Listeners] = {}
        # What the entries of this Enode client share (one token, the rate limit).
        self.hub = async_get_hub(hass, entry.data)
        # Consecutive failed refreshes (the retry backoff grows with them).
        self._failures = 0
        # Push health: the last verified webhook delivery; the timer that ends "healthy".
        self.push_last_delivery: datetime | None = None
        self._push_expiry = Deadline(hass, self._async_push_expired)

    # ------------------------------------------------------------------ refresh

    @property
    def language(self) -> str:
        """Return the Enode language used for intervention texts."""
        return enode_language(self.hass.config.language, INTERVENTION_LANGUAGES)

    async def _async_update_data(self) -> EnodeData:
        """Fetch the user's assets (one list request per linked asset type).

        On failure: rejected credentials start reauth; a 429 keeps what the entities show and
        waits for Retry-After; any other error makes the entities unavailable and retries on a
        short, growing backoff (``RETRY_INTERVAL_MIN`` doubling up to ``RETRY_INTERVAL_MAX``)
        until a refresh succeeds. The whole refresh is bounded by ``REFRESH_TIMEOUT``.
        """
        if not self._fetched and self.hub.rate_limited:
            # A set-up retried before Enode's Retry-After passed: fail without asking Enode.
            raise UpdateFailed(
                translation_domain=DOMAIN,
                translation_key="rate_limited",
                translation_placeholders={"retry_after": f"{self.hub.rate_limit_remaining():.0f}"},
            )
        try:
            async with asyncio.timeout(REFRESH_TIMEOUT):
                data = await self._async_fetch()
        except EnodeAuthenticationError as err:
            raise ConfigEntryAuthFailed(
                translation_domain=DOMAIN,
                translation_key="authentication_error",
            ) from err
        except EnodeRateLimitError as err:
            return self._rate_limited_data(err)
        except TimeoutError as err:
            self._retry_later()
            raise UpdateFailed(
                translation_domain=DOMAIN,
                translation_key="communication_error",
                translation_placeholders={
                    "error": f"no answer within {REFRESH_TIMEOUT:.0f} seconds"
                },
            ) from err
        except EnodeError as err:
            self._retry_later()
            raise UpdateFailed(
                translation_domain=DOMAIN,
                translation_key="enode_unavailable"
                if isinstance(err, EnodeServerError)
                else "communication_error",
                # Logged at ERROR by Home Assistant: never with the user id (personal data).
                translation_placeholders={"error": problem_text(err).replace(self.user_id, "***")},
            ) from err
        self.hub.async_rate_limit_lifted()
        self._fetched = True
        self._failures = 0
        self.update_interval = self._interval_for(data)
        return data

    async def _handle_refresh_interval(self, _now: datetime | None = None) -> None:
        """A scheduled refresh (one asked for, or a set-up's, reads everything)."""
        self._scheduled = True
        try:
            await super()._handle_refresh_interval(_now)
        finally:
            self._scheduled = False

    def _vehicles_and_chargers_only(self) -> bool:
        """Return whether this refresh reads only the vehicles and chargers.

        Without push, while a car charges (or a charging command's outcome is unknown), only
        they change by the minute: the scheduled refreshes between two full ones (every
        ``UPDATE_INTERVAL_IDLE``, the user and every type) read just their lists.
        """
        data = self.data
        if not self._scheduled or self.push_healthy or self._full_read_at is None:
            return False
        if not data.is_charging and not data.pending_actions:
            return False
        if any(item.asset_type not in CHARGING_TYPES for item in data.pending_actions.values()):
            return False
        return dt_util.utcnow() - self._full_read_at < UPDATE_INTERVAL_IDLE - FULL_READ_SLACK

    async def _async_read_vehicles_and_chargers(self) -> EnodeData:
        """Return the snapshot with its vehicles and chargers read again (one list each)."""
        linked = linked_asset_types(self.data.user)

        async def _list[A: AssetBase](model: type[A]) -> dict[str, A]:
            if model.asset_type not in linked:
                return {}
            return {asset.id: asset for asset in await self.client.list_assets(self.user_id, model)}

        return replace(self.data, vehicles=await _list(Vehicle), chargers=await _list(Charger))

    def _retry_interval(self) -> timedelta:
        """Return the backoff after the failures so far (at most the normal interval)."""
        backoff = RETRY_INTERVAL_MIN * (1 << min(max(self._failures - 1, 0), 16))
        return min(backoff, RETRY_INTERVAL_MAX, self._interval_for(self.data))

    def _retry_later(self, at_least: float = 0) -> float:
        """Count a failed refresh; the next one comes after the backoff (or ``at_least``)."""
        self._failures += 1
        wait = max(at_least, self._retry_interval().total_seconds())
        self.update_interval = timedelta(seconds=wait)
        return wait

    def _rate_limited_data(self, err: EnodeRateLimitError) -> EnodeData:
        """Handle a 429: keep the snapshot and wait for Retry-After, or fail when there is none.

        Before the first refresh, or while the entities are unavailable already (the previous
        refresh failed), a 429 is no sign that Enode is back: the refresh fails and the next one
        waits for Retry-After (or the backoff, whichever is longer).
        """
        wait = retry_after(err)
        failing = not self._fetched or not self.last_update_success
        if failing:
            interval = self._retry_later(at_least=wait)
        else:
            interval = max(wait, self._interval_for(self.data).total_seconds())
            self.update_interval = timedelta(seconds=interval)
        if self.hub.async_rate_limited(wait):
            LOGGER.warning("Enode rate limit reached; trying again in %.0f seconds", interval)
        if failing:
            raise UpdateFailed(
                translation_domain=DOMAIN,
                translation_key="rate_limited",
                translation_placeholders={"retry_after": f"{wait:.0f}"},
                retry_after=interval,
            ) from err
        return self.data

    async def _async_fetch(self) -> EnodeData:
        """Fetch a fresh snapshot; raise the client's errors."""
        # Actions first: an outcome seen now is then reflected in the asset lists below.
        await self.actions.async_poll_pending()
        settled = self.actions.awaiting_state()
        data = None
        if self._vehicles_and_chargers_only():
            data = await self._async_read_vehicles_and_chargers()
        else:
            if not self._fetched:
                data = _async_take_hand_off(self.hass, self.config_entry.unique_id)
            if data is None:
                data = await async_fetch_user_assets(self.client, self.user_id)
            self._full_read_at = dt_util.utcnow()
        statuses = await self.smart_charging.async_statuses(
            data, self.data, push_healthy=self.push_healthy
        )
        return await self._async_complete(replace(data, smart_charging=statuses), settled)

    async def _async_complete(
        self,
        data: EnodeData,
        settled: Iterable[str] = (),
        merged: Sequence[Asset] | None = None,
    ) -> EnodeData:
        """Add the cached Locations and intervention texts, and the actions still pending.

        ``settled``: the actions whose device state that followed their outcome is in ``data``.
        ``merged``: only these assets are new in ``data`` (only their texts are looked up).
        """
        if merged is None:
            interventions: Mapping[str, Intervention] = await self._async_interventions(
                data.iter_assets()
            )
        else:
            interventions = self.data.interventions
            texts = await self._async_interventions(merged)
            if any(interventions.get(key) is not text for key, text in texts.items()):
                interventions = {**interventions, **texts}
        return copy_with(
            data,
            {
                "locations": await self._async_locations(
                    data.iter_assets() if merged is None else merged
                ),
                "interventions": interventions,
                # The latest snapshot's (a command may have started meanwhile), minus the
                # outcomes known now: a finished action leaves together with the state that
                # followed.
                "pending_actions": self.actions.still_pending(self.data.pending_actions, settled),
                # Written by the statistics import, not by a refresh.
                "energy_today": self.data.energy_today,
            },
        )

    async def _async_locations(self, assets: Iterable[Asset]) -> Mapping[str, Location]:
        """Return the user's Locations (the same mapping until they are read again); re-read
        when stale or when an asset (of those given: all, or those a merge brings) names an
        unknown one."""
        wanted = {location_id for asset in assets if (location_id := asset.location.id) is not None}
        now = dt_util.utcnow()
        stale = (
            self._locations_fetched_at is None
            or now - self._locations_fetched_at > LOCATIONS_MAX_AGE
        )
        unknown = wanted - self._locations.keys() - self._missing_locations
        if wanted and (stale or unknown):
            locations = await self.client.list_locations(self.user_id)
            self._locations = {location.id: location for location in locations}
            self._locations_fetched_at = now
            self._missing_locations = wanted - self._locations.keys()
        return self._locations

    async def _async_interventions(self, assets: Iterable[Asset]) -> dict[str, Intervention]:
        """Return the texts of the interventions the assets list (fetched once per id/language)."""
        language = self.language
        result: dict[str, Intervention] = {}
        for asset in assets:
            for intervention_id in asset.all_intervention_ids():
                key = (language, intervention_id)
                if key not in self._intervention_cache:
                    try:
                        self._intervention_cache[key] = await self.client.get_intervention(
                            intervention_id, language=language
                        )
                    except EnodeNotFoundError:
                        LOGGER.warning("Enode does not know intervention %s", intervention_id)
                        self._intervention_cache[key] = None
                    except (EnodeAuthenticationError, EnodeRateLimitError):
                        raise
                    except EnodeError as err:
                        # The assets are fresh; only a text is missing. Not cached: the
                        # next refresh asks again.
                        LOGGER.debug(
                            "Could not fetch the text of intervention %s: %s", intervention_id, err
                        )
                        continue
                if (intervention := self._intervention_cache[key]) is not None:
                    result[intervention_id] = intervention
        return result

    def _interval_for(self, data: EnodeData) -> timedelta:
        """Return the polling interval the snapshot calls for.

        With healthy push every change (and every action outcome) is pushed: only the safety
        net. Without push: faster while charging or while a command's outcome is unknown.
        """
        if self.push_healthy:
            return UPDATE_INTERVAL_PUSH
        if data.pending_actions or data.is_charging:
            return UPDATE_INTERVAL_ACTIVE
        return UPDATE_INTERVAL_IDLE

    @callback
    def _async_reschedule(self) -> None:
        """Apply a new interval right away."""
        if not self.last_update_success:
            return  # failing: the retry backoff says when the next refresh is
        self.update_interval = self._interval_for(self.data)
        if self._listeners and self.last_update_success:
            self._schedule_refresh()

    @callback
    def async_set_updated_data(self, data: EnodeData) -> None:
        """Publish a snapshot changed outside a refresh (a pushed update, a command) with the
        polling interval it calls for.

        With healthy push the safety net stays due ``UPDATE_INTERVAL_PUSH`` after the last full
        read: a device that pushes all the time (an inverter) must not put off reading the
        others, whose lost deliveries it is there for. While Enode's API fails (the last refresh
        failed) the change is kept for the next refresh, but the entities stay unavailable and
        the retry stays when it was due: a webhook delivery says nothing about whether the API
        is back.
        """
        if not self.last_update_success:
            self.data = data
            return
        if not self.hub.rate_limited:
            interval = self._interval_for(data)
            if self.push_healthy and self._full_read_at is not None:
                due = self._full_read_at + interval - dt_util.utcnow()
                interval = max(due, SAFETY_NET_MIN_DELAY)
            self.update_interval = interval
        super().async_set_updated_data(data)

    # --------------------------------------------------------- pushed updates

    @property
    def push_healthy(self) -> bool:
        """Return whether push is trusted: a verified delivery within ``PUSH_HEALTHY_WINDOW``
        (or the webhook was registered that recently and its first delivery is awaited)."""
        return self._push_expiry.pending

    @callback
    def async_push_received(self) -> None:
        """Record a verified webhook delivery: push is healthy, polling slows down."""
        self.push_last_delivery = dt_util.utcnow()
        self._async_trust_push("Enode push updates are arriving; polling slowly")

    @callback
    def async_push_registered(self) -> None:
        """The webhook is registered at Enode: trust push until the window passes undelivered."""
        if not self.push_healthy:
            self._async_trust_push("Enode webhook registered; polling slowly")

    @callback
    def _async_trust_push(self, message: str) -> None:
        """Trust push for ``PUSH_HEALTHY_WINDOW`` from now."""
        was_healthy = self.push_healthy
        self._push_expiry.set(PUSH_HEALTHY_WINDOW)
        if not was_healthy:
            LOGGER.debug(message)
            self._async_reschedule()

    @callback
    def _async_push_expired(self, _now: datetime) -> None:
        """No delivery for ``PUSH_HEALTHY_WINDOW``: back to the adaptive polling."""
        LOGGER.info("No Enode webhook deliveries for a while; polling normally again")
        self._async_reschedule()

    async def async_shutdown(self) -> None:
        """Cancel the push health and the actions' timers, then shut down."""
        self._push_expiry.cancel()
        self.actions.async_shutdown()
        await super().async_shutdown()

    async def async_set_asset(self, asset: Asset) -> None:
        """Merge an asset as Enode just reported it (pushed, or read after a command)."""
        await self.async_set_assets([asset])

    async def async_set_assets(
        self, assets: Iterable[Asset], *, read_statuses: bool = False
    ) -> None:
        """Merge assets as Enode just reported them, in one snapshot.

        They are the state that followed the outcomes already known for them: those actions
        leave the snapshot with them. ``read_statuses``: they were read after a command, so the
        smart charging statuses they may have changed are read too (pushed ones come by push).
        """
        merged = list(assets)
        data = self.data.with_assets(merged)
        settled: set[str] = set()
        for asset in merged:
            settled |= self.actions.awaiting_state(asset.id)
        try:
            if read_statuses:
                statuses = await self.smart_charging.async_statuses(
                    data, self.data, push_healthy=self.push_healthy
                )
                data = replace(data, smart_charging=statuses)
            data = await self._async_complete(data, settled, merged)
        except EnodeError as err:
            LOGGER.debug("Could not fetch the texts for an updated asset: %s", err)
            data = replace(
                data,
                pending_actions=self.actions.still_pending(data.pending_actions, settled),
            )
        self.changed_assets = changed_asset_ids(self.data, data, merged)
        try:
            self.async_set_updated_data(data)
        finally:
            self.changed_assets = None

    @callback
    def async_add_listener(
        self, update_callback: CALLBACK_TYPE, context: object = None
    ) -> CALLBACK_TYPE:
        """Add a listener (an entity's context is an ``AssetContext``, or an asset id); return its
        remover."""
        remove = super().async_add_listener(update_callback, context)
        key: str | None = None
        reads: frozenset[str] | None = None
        if isinstance(context, AssetContext):
            key, reads = context.asset_id, context.reads
        elif isinstance(context, FieldsContext):
            reads = context.reads
        elif isinstance(context, str):
            key = context
        listeners = self._listeners_by_asset.setdefault(key, _Listeners())
        listeners.add(remove, update_callback, reads)

        @callback
        def remove_listener() -> None:
            if listeners.discard(remove, reads) and self._listeners_by_asset.get(key) is listeners:
                del self._listeners_by_asset[key]
            remove()

        return remove_listener

    @callback
    def async_update_listeners(self) -> None:
        """Update the listeners: after a merge of some assets, only the entities of theirs whose
        state reads what changed (``AssetContext``), then the listeners of no asset (repairs,
        commands; entity creation when what it reads changed, ``FieldsContext``)."""
        changed = self.changed_assets
        if changed is None:
            super().async_update_listeners()
            return
        concerned: list[CALLBACK_TYPE] = []
        for asset_id, fields_changed in changed.items():
            if (listeners := self._listeners_by_asset.get(asset_id)) is not None:
                concerned += listeners.concerned(fields_changed)
        if (listeners := self._listeners_by_asset.get(None)) is not None:
            concerned += listeners.concerned(frozenset().union(*changed.values()))
        for update_callback in concerned:
            update_callback()

    async def async_fetch_asset(self, model: type[Asset], asset_id: str) -> None:
        """Fetch one asset (newly discovered) and merge it; 404 means it is gone already.

        Other errors are logged: the next refresh finds the asset anyway.
        """
        try:
            asset = await self.client.get_asset(model, asset_id)
        except EnodeNotFoundError:
            LOGGER.debug("The discovered %s %s is gone already", model.asset_type, asset_id)
            return
        except EnodeError as err:
            LOGGER.debug("Could not fetch the discovered %s: %s", model.asset_type, err)
            return
        if asset.user_id is not None and asset.user_id != self.user_id:
            # Our client can read every user's assets: a forged event must not add another's.
            LOGGER.debug(
                "Ignoring the discovered %s: the asset belongs to another Enode user",
                model.asset_type,
            )
            return
        await self.async_set_asset(asset)

    @callback
    def async_remove_asset(self, asset_id: str) -> None:
        """Forget an asset (deleted at Enode); its device is removed from the registry."""
        self.client.asset_parser.forget(asset_id)
        if self.data.asset(asset_id) is None:
            return
        self.async_set_updated_data(self.data.without_asset(asset_id))

    # ---------------------------------------------------------------- devices

    @callback
    def async_remove_stale_devices(self) -> None:
        """Remove devices of assets that are no longer linked."""
        if not self._fetched or not self.last_update_success or self.changed_assets is not None:
            return  # a merge of assets removes none
        known = {asset.id for asset in self.data.iter_assets()}
        registry = dr.async_get(self.hass)
        entry_id = self.config_entry.entry_id
        for device in dr.async_entries_for_config_entry(registry, entry_id):
            asset_ids = {ident for domain, ident in device.identifiers if domain == DOMAIN}
            if asset_ids and not asset_ids & known:
                LOGGER.debug("Removing device %s: no longer linked at Enode", device.id)
                registry.async_update_device(device.id, remove_config_entry_id=entry_id)
