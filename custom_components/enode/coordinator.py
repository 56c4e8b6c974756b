"""The Enode data update coordinator: one per config entry (= one Enode user).

Polling is the safety net (webhooks feed the same snapshot through ``async_set_asset``,
``async_remove_asset`` and ``async_handle_action``). Requests per refresh: one ``GET /users/{id}``
plus one list request per linked asset type (and page of 50), plus one request per action that is
still pending; none per device. Intervention texts and Locations are cached.

The user request is deliberate: its ``linkedVendors`` say which asset types are linked (so a
typical vehicle + charger household costs 3 requests instead of a list for each of the six asset
types) and whether each vendor's credentials are still valid (the repairs need that when no
webhook reports ``user:credentials:invalidated``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
import time
from typing import TYPE_CHECKING, Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryAuthFailed
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.event import async_call_later
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed
from homeassistant.util import dt as dt_util

from .api import (
    ActionState,
    Asset,
    AssetType,
    Battery,
    ChargeAction,
    Charger,
    EnodeAuthenticationError,
    EnodeClient,
    EnodeError,
    EnodeNotFoundError,
    EnodeRateLimitError,
    Hvac,
    Intervention,
    Inverter,
    Location,
    MaxCurrentAction,
    Meter,
    User,
    Vehicle,
)
from .api.const import INTERVENTION_LANGUAGES
from .const import (
    CONF_USER_ID,
    DEFAULT_INTERVENTION_LANGUAGE,
    DOMAIN,
    EVENT_ACTION,
    LOGGER,
)

if TYPE_CHECKING:
    from .webhook import EnodeWebhook

type EnodeAction = ChargeAction | MaxCurrentAction

# Polling cadence: slow when nothing happens, faster while charging or an action is pending, a
# short burst right after a command.
UPDATE_INTERVAL_IDLE = timedelta(minutes=5)
UPDATE_INTERVAL_ACTIVE = timedelta(minutes=1)
UPDATE_INTERVAL_BURST = timedelta(seconds=10)
BURST_DURATION = 120.0  # seconds of burst polling after a command
# While webhook deliveries (or heartbeats) arrive, polling is only a slow safety net; push counts as
# healthy for this long after the last verified delivery.
UPDATE_INTERVAL_PUSH = timedelta(minutes=30)
PUSH_HEALTHY_WINDOW = timedelta(minutes=15)
# Locations are re-read at most this often (and whenever an unknown Location id shows up).
LOCATIONS_MAX_AGE = 1800.0
# While a service call waits for the outcome of an action: poll it this often, this long.
ACTION_POLL_INTERVAL = 2.0
ACTION_WAIT_TIMEOUT = 20.0
# Final outcomes remembered to report each action once (late webhook deliveries are ignored).
MAX_REMEMBERED_ACTIONS = 200

FINAL_ACTION_STATES = frozenset({ActionState.CONFIRMED, ActionState.FAILED, ActionState.CANCELLED})

# EnodeData attribute of each asset type.
ASSET_FIELDS: dict[AssetType, str] = {
    AssetType.VEHICLE: "vehicles",
    AssetType.CHARGER: "chargers",
    AssetType.BATTERY: "batteries",
    AssetType.INVERTER: "inverters",
    AssetType.METER: "meters",
    AssetType.HVAC: "hvacs",
}


@dataclass(frozen=True, kw_only=True)
class EnodeData:
    """A typed snapshot of everything the Enode user has linked, keyed by asset id."""

    vehicles: Mapping[str, Vehicle] = field(default_factory=dict)
    chargers: Mapping[str, Charger] = field(default_factory=dict)
    batteries: Mapping[str, Battery] = field(default_factory=dict)
    inverters: Mapping[str, Inverter] = field(default_factory=dict)
    meters: Mapping[str, Meter] = field(default_factory=dict)
    hvacs: Mapping[str, Hvac] = field(default_factory=dict)
    # The user's Enode Locations, keyed by id.
    locations: Mapping[str, Location] = field(default_factory=dict)
    # Texts of the interventions referenced by the assets (in Home Assistant's language).
    interventions: Mapping[str, Intervention] = field(default_factory=dict)
    # The Enode user (linked vendors and whether their credentials are valid).
    user: User | None = None

    def assets(self, asset_type: AssetType) -> Mapping[str, Asset]:
        """Return the assets of a type, keyed by id."""
        assets: Mapping[str, Asset] = getattr(self, ASSET_FIELDS[asset_type])
        return assets

    def all_assets(self) -> dict[str, Asset]:
        """Return every asset, keyed by id."""
        result: dict[str, Asset] = {}
        for asset_type in ASSET_FIELDS:
            result.update(self.assets(asset_type))
        return result

    def asset(self, asset_id: str) -> Asset | None:
        """Return an asset of any type by id."""
        for asset_type in ASSET_FIELDS:
            if (asset := self.assets(asset_type).get(asset_id)) is not None:
                return asset
        return None


@dataclass(kw_only=True)
class EnodeRuntimeData:
    """What a loaded config entry holds."""

    client: EnodeClient
    coordinator: EnodeCoordinator
    # Push updates (None until set up; see webhook.py).
    webhook: EnodeWebhook | None = None


type EnodeConfigEntry = ConfigEntry[EnodeRuntimeData]


def intervention_language(language: str | None) -> str:
    """Map a Home Assistant language ("en", "en-GB", "nb", ...) to an Enode language."""
    if not language:
        return DEFAULT_INTERVENTION_LANGUAGE
    wanted = language.replace("_", "-").lower()
    for code in INTERVENTION_LANGUAGES:
        if code.lower() == wanted:
            return code
    primary = wanted.split("-", 1)[0]
    if primary in ("no", "nn"):
        primary = "nb"
    for code in INTERVENTION_LANGUAGES:
        if code.split("-", 1)[0].lower() == primary:
            return code
    return DEFAULT_INTERVENTION_LANGUAGE


def asset_type_of(asset: Asset) -> AssetType:
    """Return the asset type of an asset model."""
    return AssetType(asset.asset_type)


def is_charging(data: EnodeData) -> bool:
    """Return whether any vehicle or charger is charging."""
    return any(v.charge_state.is_charging for v in data.vehicles.values()) or any(
        c.charge_state.is_charging for c in data.chargers.values()
    )


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


async def async_fetch_user_assets(
    client: EnodeClient, user_id: str
) -> tuple[User | None, dict[AssetType, dict[str, Asset]]]:
    """Return the Enode user and their assets of every type, keyed by id.

    One ``GET /users/{id}`` (which asset types are linked, and whether the vendors' credentials
    are valid) and one list request per linked asset type (and page of 50): the number of requests
    does not grow with the number of devices. A user who never linked anything is None.
    """
    try:
        user: User | None = await client.get_user(user_id)
    except EnodeNotFoundError:
        user = None
    asset_types = linked_asset_types(user)
    lists: dict[AssetType, dict[str, Asset]] = {}
    for asset_type in ASSET_FIELDS:
        assets = await client.list_assets(user_id, asset_type) if asset_type in asset_types else []
        lists[asset_type] = {asset.id: asset for asset in assets}
    return user, lists


def vehicle_controls_charging(vehicle: Vehicle) -> bool:
    """Return whether a vehicle can start and stop charging (by itself or through its charger)."""
    capabilities = vehicle.capabilities
    return capabilities.start_charging.is_capable and capabilities.stop_charging.is_capable


class EnodeCoordinator(DataUpdateCoordinator[EnodeData]):
    """Fetches one Enode user's assets; merges pushed updates; tracks actions."""

    config_entry: EnodeConfigEntry

    def __init__(self, hass: HomeAssistant, entry: ConfigEntry[Any], client: EnodeClient) -> None:
        """Initialize the coordinator."""
        super().__init__(
            hass,
            LOGGER,
            config_entry=entry,
            name=f"{DOMAIN} ({entry.title})",
            update_interval=UPDATE_INTERVAL_IDLE,
            always_update=False,
        )
        self.client = client
        self.user_id: str = entry.data[CONF_USER_ID]
        self._intervention_cache: dict[tuple[str, str], Intervention | None] = {}
        self._locations: dict[str, Location] = {}
        self._locations_fetched_at: float | None = None
        # Location ids the assets referred to that the last read of the user's Locations did not
        # have (deleted meanwhile): not worth another request until the Locations are stale.
        self._missing_locations: set[str] = set()
        # Actions started from Home Assistant (or pushed) that are still PENDING, by action id.
        self._pending_actions: dict[str, EnodeAction] = {}
        self._action_asset_types: dict[str, AssetType] = {}
        self._action_waiters: dict[str, asyncio.Event] = {}
        # Final outcomes already reported (oldest first, at most MAX_REMEMBERED_ACTIONS).
        self._last_final: dict[str, EnodeAction] = {}
        self._burst_until = 0.0
        self._rate_limited = False
        # Push health: the last verified webhook delivery; the timer that ends "healthy".
        self.push_last_delivery: datetime | None = None
        self._push_expiry: CALLBACK_TYPE | None = None

    # ------------------------------------------------------------------ refresh

    @property
    def language(self) -> str:
        """Return the Enode language used for intervention texts."""
        return intervention_language(self.hass.config.language)

    async def _async_update_data(self) -> EnodeData:
        """Fetch the user's assets (one list request per linked asset type)."""
        try:
            data = await self._async_fetch()
        except EnodeAuthenticationError as err:
            raise ConfigEntryAuthFailed(
                translation_domain=DOMAIN,
                translation_key="authentication_error",
            ) from err
        except EnodeRateLimitError as err:
            retry_after = err.retry_after if err.retry_after else 60.0
            interval = max(retry_after, self._base_interval().total_seconds())
            self.update_interval = timedelta(seconds=interval)
            if not self._rate_limited:
                self._rate_limited = True
                LOGGER.warning(
                    "Enode rate limit reached; the next update is in %.0f seconds", interval
                )
            if self.data is None:
                raise UpdateFailed(
                    translation_domain=DOMAIN,
                    translation_key="rate_limited",
                    translation_placeholders={"retry_after": f"{retry_after:.0f}"},
                    retry_after=interval,
                ) from err
            return self.data
        except EnodeError as err:
            raise UpdateFailed(
                translation_domain=DOMAIN,
                translation_key="communication_error",
                translation_placeholders={"error": str(err)},
            ) from err
        if self._rate_limited:
            self._rate_limited = False
            LOGGER.info("Enode rate limit lifted")
        self.update_interval = self._interval_for(data)
        return data

    async def _async_fetch(self) -> EnodeData:
        """Fetch a fresh snapshot; raise the client's errors."""
        # Actions first: an outcome seen now is then reflected in the asset lists below.
        await self._async_poll_pending_actions()
        user, lists = await async_fetch_user_assets(self.client, self.user_id)
        data = EnodeData(
            vehicles=lists[AssetType.VEHICLE],  # type: ignore[arg-type]
            chargers=lists[AssetType.CHARGER],  # type: ignore[arg-type]
            batteries=lists[AssetType.BATTERY],  # type: ignore[arg-type]
            inverters=lists[AssetType.INVERTER],  # type: ignore[arg-type]
            meters=lists[AssetType.METER],  # type: ignore[arg-type]
            hvacs=lists[AssetType.HVAC],  # type: ignore[arg-type]
            user=user,
        )
        return await self._async_complete(data)

    async def _async_complete(self, data: EnodeData) -> EnodeData:
        """Add the cached Locations and intervention texts the snapshot refers to."""
        return replace(
            data,
            locations=await self._async_locations(data),
            interventions=await self._async_interventions(data.all_assets().values()),
        )

    async def _async_locations(self, data: EnodeData) -> dict[str, Location]:
        """Return the user's Locations; re-read when stale or when an unknown id appears."""
        wanted = {
            location_id
            for asset in data.all_assets().values()
            if (location_id := _location_id(asset)) is not None
        }
        stale = (
            self._locations_fetched_at is None
            or time.monotonic() - self._locations_fetched_at > LOCATIONS_MAX_AGE
        )
        unknown = wanted - self._locations.keys() - self._missing_locations
        if wanted and (stale or unknown):
            locations = await self.client.list_locations(self.user_id)
            self._locations = {location.id: location for location in locations}
            self._locations_fetched_at = time.monotonic()
            self._missing_locations = wanted - self._locations.keys()
        return dict(self._locations)

    async def _async_interventions(self, assets: Iterable[Asset]) -> dict[str, Intervention]:
        """Return the texts of the interventions the assets list (fetched once per id/language)."""
        language = self.language
        result: dict[str, Intervention] = {}
        for asset in assets:
            for intervention_id in _intervention_ids(asset):
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

    def _base_interval(self) -> timedelta:
        """Return the polling interval for the current snapshot."""
        if self.data is None:
            return UPDATE_INTERVAL_IDLE  # type: ignore[unreachable]
        return self._interval_for(self.data)

    def _interval_for(self, data: EnodeData) -> timedelta:
        """Return the adaptive polling interval."""
        if time.monotonic() < self._burst_until:
            return UPDATE_INTERVAL_BURST
        if self._pending_actions:
            return UPDATE_INTERVAL_ACTIVE
        if self.push_healthy:
            return UPDATE_INTERVAL_PUSH
        if is_charging(data):
            return UPDATE_INTERVAL_ACTIVE
        return UPDATE_INTERVAL_IDLE

    @callback
    def _async_reschedule(self) -> None:
        """Apply a new interval right away (after a command)."""
        self.update_interval = self._base_interval()
        if self._listeners and self.last_update_success:
            self._schedule_refresh()

    # --------------------------------------------------------- pushed updates

    @property
    def push_healthy(self) -> bool:
        """Return whether webhook deliveries arrived within ``PUSH_HEALTHY_WINDOW``."""
        return self._push_expiry is not None

    @callback
    def async_push_received(self) -> None:
        """Record a verified webhook delivery: push is healthy, polling slows down."""
        was_healthy = self.push_healthy
        self.push_last_delivery = dt_util.utcnow()
        if self._push_expiry is not None:
            self._push_expiry()
        self._push_expiry = async_call_later(
            self.hass, PUSH_HEALTHY_WINDOW, self._async_push_expired
        )
        if not was_healthy:
            LOGGER.debug("Enode push updates are arriving; polling slowly")
            self._async_reschedule()

    @callback
    def _async_push_expired(self, _now: datetime) -> None:
        """No delivery for ``PUSH_HEALTHY_WINDOW``: back to the adaptive polling."""
        self._push_expiry = None
        LOGGER.info("No Enode webhook deliveries for a while; polling normally again")
        self._async_reschedule()

    async def async_shutdown(self) -> None:
        """Cancel the push health timer, then shut down."""
        if self._push_expiry is not None:
            self._push_expiry()
            self._push_expiry = None
        await super().async_shutdown()

    async def async_set_asset(self, asset: Asset) -> None:
        """Merge an updated or newly discovered asset (for example from a webhook)."""
        asset_type = asset_type_of(asset)
        current = self.data or EnodeData()
        assets = dict(current.assets(asset_type))
        assets[asset.id] = asset
        data = replace(current, **{ASSET_FIELDS[asset_type]: assets})  # type: ignore[arg-type]
        try:
            data = await self._async_complete(data)
        except EnodeError as err:
            LOGGER.debug("Could not fetch the texts for an updated asset: %s", err)
        self.async_set_updated_data(data)

    @callback
    def async_remove_asset(self, asset_id: str) -> None:
        """Forget an asset (deleted at Enode); its device is removed from the registry."""
        if self.data is None or (asset := self.data.asset(asset_id)) is None:
            return
        field_name = ASSET_FIELDS[asset_type_of(asset)]
        assets = dict(getattr(self.data, field_name))
        assets.pop(asset_id)
        self.async_set_updated_data(replace(self.data, **{field_name: assets}))  # type: ignore[arg-type]

    # ---------------------------------------------------------------- devices

    @callback
    def async_remove_stale_devices(self) -> None:
        """Remove devices of assets that are no longer linked."""
        if self.data is None or not self.last_update_success:
            return
        known = self.data.all_assets().keys()
        registry = dr.async_get(self.hass)
        entry_id = self.config_entry.entry_id
        for device in dr.async_entries_for_config_entry(registry, entry_id):
            asset_ids = {ident for domain, ident in device.identifiers if domain == DOMAIN}
            if asset_ids and not asset_ids & known:
                LOGGER.debug("Removing device %s: no longer linked at Enode", device.id)
                registry.async_update_device(device.id, remove_config_entry_id=entry_id)

    # ---------------------------------------------------------------- actions

    def pending_action(self, asset_id: str, action_type: type[Any]) -> EnodeAction | None:
        """Return the newest pending action of a type (ChargeAction, ...) on an asset."""
        found: EnodeAction | None = None
        for action in self._pending_actions.values():
            if action.target_id == asset_id and isinstance(action, action_type):
                found = action
        return found

    @property
    def pending_actions(self) -> Mapping[str, EnodeAction]:
        """Return the pending actions by id."""
        return self._pending_actions

    async def async_run_action(self, action: EnodeAction, asset_type: AssetType) -> EnodeAction:
        """Track an action just created by a command and wait a bounded time for its outcome.

        Returns the action as last seen: final (CONFIRMED/FAILED/CANCELLED) or still PENDING, in
        which case the outcome is reconciled later (polled or pushed) and reported as an event.
        """
        self._burst_until = time.monotonic() + BURST_DURATION
        if action.state in FINAL_ACTION_STATES or action.id in self._last_final:
            self._async_process_action(action)
            await self.async_refresh()
            return self._final_or_pending(action)
        self._action_asset_types[action.id] = asset_type
        self._pending_actions[action.id] = action
        # Enode reuses a PENDING vehicle action for the same command: share its waiter.
        waiter = self._action_waiters.setdefault(action.id, asyncio.Event())
        self.async_update_listeners()
        self._async_reschedule()
        deadline = time.monotonic() + ACTION_WAIT_TIMEOUT
        while not waiter.is_set():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            try:
                async with asyncio.timeout(min(ACTION_POLL_INTERVAL, remaining)):
                    await waiter.wait()
            except TimeoutError:
                await self._async_poll_action(action.id)
        self._action_waiters.pop(action.id, None)
        latest = self._final_or_pending(action)
        if latest.state in FINAL_ACTION_STATES:
            await self.async_refresh()
        return latest

    def _final_or_pending(self, action: EnodeAction) -> EnodeAction:
        """Return the latest known version of an action."""
        if (pending := self._pending_actions.get(action.id)) is not None:
            return pending
        return self._last_final.get(action.id, action)

    async def async_handle_action(self, action: EnodeAction) -> None:
        """Merge an action update pushed by ``user:vendor-action:updated``."""
        if self._async_process_action(action):
            await self.async_request_refresh()

    @callback
    def _async_process_action(self, action: EnodeAction) -> bool:
        """Record an action's state; report a final state once. Return whether it was new.

        Only actions started from Home Assistant are tracked while PENDING; every final outcome
        is reported once. A late or repeated delivery of an action whose outcome is known (a
        webhook retried or out of order) changes nothing.
        """
        if action.id in self._last_final:
            return False
        if action.state not in FINAL_ACTION_STATES:
            if action.id in self._pending_actions:
                self._pending_actions[action.id] = action
                self.async_update_listeners()
            return False
        self._pending_actions.pop(action.id, None)
        self._action_asset_types.pop(action.id, None)
        self._last_final[action.id] = action
        while len(self._last_final) > MAX_REMEMBERED_ACTIONS:
            self._last_final.pop(next(iter(self._last_final)))
        self._fire_action_event(action)
        if (waiter := self._action_waiters.get(action.id)) is not None:
            waiter.set()
        self.async_update_listeners()
        return True

    async def _async_poll_pending_actions(self) -> None:
        """Poll every pending action once (part of a refresh)."""
        for action_id in list(self._pending_actions):
            await self._async_poll_action(action_id, raise_errors=True)

    async def _async_poll_action(self, action_id: str, *, raise_errors: bool = False) -> None:
        """Read an action's current state from Enode (the caller refreshes the assets)."""
        action = self._pending_actions.get(action_id)
        if action is None:
            return
        asset_type = self._action_asset_types.get(action_id, AssetType(str(action.target_type)))
        try:
            if asset_type is AssetType.CHARGER:
                latest: EnodeAction = await self.client.get_charger_action(action_id)
            else:
                latest = await self.client.get_vehicle_action(action_id)
        except EnodeNotFoundError:
            LOGGER.debug("Action %s is gone; no longer tracking it", action_id)
            self._pending_actions.pop(action_id, None)
            return
        except EnodeError:
            if raise_errors:
                raise
            return
        self._async_process_action(latest)

    def _fire_action_event(self, action: EnodeAction) -> None:
        """Fire ``enode_action`` for a final outcome."""
        registry = dr.async_get(self.hass)
        device = registry.async_get_device(identifiers={(DOMAIN, action.target_id or "")})
        failure = action.failure_reason
        target_max_current = getattr(getattr(action, "target_state", None), "max_current", None)
        self.hass.bus.async_fire(
            EVENT_ACTION,
            {
                "config_entry_id": self.config_entry.entry_id,
                "device_id": device.id if device else None,
                "action_id": action.id,
                "asset_id": action.target_id,
                "asset_type": action.target_type,
                "kind": str(action.kind).lower()
                if isinstance(action, ChargeAction)
                else "set_max_current",
                "max_current": target_max_current,
                "state": str(action.state).lower(),
                "failure_reason": str(failure.type).lower() if failure else None,
                "failure_detail": failure.detail if failure else None,
            },
        )


def _location_id(asset: Asset) -> str | None:
    """Return the Enode Location id an asset is at (if it has one)."""
    location = getattr(asset, "location", None)
    return getattr(location, "id", None)


def _intervention_ids(asset: Asset) -> list[str]:
    """Return the intervention ids an asset's capabilities list (in order, unique)."""
    return asset.all_intervention_ids()
