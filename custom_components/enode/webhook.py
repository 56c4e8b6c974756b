"""Push updates: Enode webhooks delivered to a Home Assistant webhook (DESIGN.md sections 2, 8).

Every entry has a Home Assistant webhook id and a random signing secret (generated once, kept in
the entry). Entries of one Enode client share them: Enode sends every user's events to each of
the client's webhooks, so one webhook per client is enough, and each event is routed to the entry
of its user (``PushChannel``). The channel's public URL is registered at Enode: a Nabu Casa
cloudhook when Home Assistant Cloud is active, else Home Assistant's external https URL (in the
custom environment, used with the local simulator, a configured internal or external URL over
plain http works too). Without a usable URL the entries just keep polling.

Deliveries are read up to a sane size (413 beyond), verified (``x-enode-signature``, constant
time), parsed into typed events and merged into the coordinators' snapshots; every verified
delivery (heartbeats included) marks push healthy, which slows polling down. The handler answers
at once and processes the events in the background, one delivery after the other. The webhook is
registered before an entry's first refresh: what arrives while it sets up is applied once ready
(Home Assistant answers 200 for a webhook id nobody registered, so Enode would not redeliver).

Push can stop quietly: Enode deactivates a webhook after a day of failed deliveries (sandbox:
five minutes), a webhook can be deleted, a URL can stop reaching Home Assistant. When nothing was
delivered for a while, the channel asks Enode (``GET /webhooks/{id}``, then a test delivery) and
reactivates, recreates or moves the webhook, and the entries catch up with a refresh; without a
URL (or after a failed registration) it simply tries again, so a cloudhook is used once Home
Assistant Cloud connects.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from http import HTTPStatus
import secrets
from typing import TYPE_CHECKING, Any

from aiohttp import web
from homeassistant.components import webhook
from homeassistant.const import CONF_WEBHOOK_ID
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.network import NoURLAvailableError
from homeassistant.util import dt as dt_util
from homeassistant.util.hass_dict import HassKey

from .api import (
    Asset,
    AssetBase,
    AssetType,
    EnodeClient,
    EnodeError,
    EnodeNotFoundError,
    EnodePreconditionError,
    Environment,
    VendorAction,
    WebhookTestStatus,
)
from .api.const import HEADER_SIGNATURE
from .api.models import Webhook
from .api.webhooks import (
    SMART_CHARGING_STATUS_EVENT,
    AssetDiscoveredEvent,
    AssetEvent,
    CredentialsInvalidatedEvent,
    HeartbeatEvent,
    SmartChargingStatusEvent,
    UnknownEvent,
    VendorActionEvent,
    WebhookEvent,
    WebhookTestEvent,
    parse_events,
    verify_signature,
)
from .const import CONF_ENVIRONMENT, DOMAIN, LOGGER
from .coordinator import PUSH_HEALTHY_WINDOW, EnodeCoordinator
from .helpers import Deadline
from .hub import client_group
from .models import EnodeConfigEntry

if TYPE_CHECKING:
    from homeassistant.components.cloud import CloudConnectionState

# Entry data keys (CONF_WEBHOOK_ID is Home Assistant's "webhook_id").
CONF_WEBHOOK_SECRET = "webhook_secret"
CONF_CLOUDHOOK_URL = "cloudhook_url"
CONF_ENODE_WEBHOOK_ID = "enode_webhook_id"
# What the entries sharing one webhook keep alike.
SHARED_KEYS = (CONF_WEBHOOK_ID, CONF_WEBHOOK_SECRET, CONF_ENODE_WEBHOOK_ID, CONF_CLOUDHOOK_URL)

# What our Enode webhook subscribes to (heartbeats are always sent; test events on request).
SUBSCRIBED_EVENTS: tuple[str, ...] = (
    *(
        f"user:{asset_type}:{change}"
        for asset_type in AssetType
        for change in ("discovered", "updated", "deleted")
    ),
    "user:vendor-action:updated",
    "user:credentials:invalidated",
    SMART_CHARGING_STATUS_EVENT,
)
# Enode delivers at most 100 events per request (a few hundred kB): a larger body is not a
# delivery and is refused (413) before it is read into memory; bodies are read in chunks.
MAX_DELIVERY_BYTES = 2 * 1024 * 1024
READ_CHUNK_BYTES = 64 * 1024
# Events kept while an entry sets up (beyond: 503, and Enode delivers them again later).
MAX_EARLY_EVENTS = 1000
# The channel looks at its webhook after this long without a delivery (heartbeats come every few
# minutes while a webhook works), and again this often while the silence lasts (or while it has
# no URL, or its registration failed).
PUSH_SILENCE = PUSH_HEALTHY_WINDOW
WEBHOOK_CHECK_INTERVAL = timedelta(minutes=15)
# Enode accepts webhook URLs of 8 to 200 characters.
URL_MIN_LENGTH = 8
URL_MAX_LENGTH = 200

# What a check can find wrong with a registered webhook (and the line it logs once).
PROBLEM_DELETED = "deleted"
PROBLEM_INACTIVE = "inactive"
PROBLEM_UNREACHABLE = "unreachable"
_PROBLEMS = {
    PROBLEM_DELETED: "The Enode webhook was deleted at Enode",
    PROBLEM_INACTIVE: (
        "The Enode webhook is inactive (Enode stops delivering after a day of failed "
        "deliveries, e.g. while Home Assistant was off)"
    ),
    PROBLEM_UNREACHABLE: "Enode could not deliver a test event to Home Assistant",
}

# Status values (diagnostics).
STATUS_PENDING = "pending"
STATUS_REGISTERED = "registered"
STATUS_NO_URL = "no_url"
STATUS_FAILED = "registration_failed"

# The channels by Home Assistant webhook id; webhook ids whose "no usable URL" line was logged
# (once per run); Enode webhooks of entries that now share another one (deleted when possible).
_CHANNELS: HassKey[dict[str, PushChannel]] = HassKey(f"{DOMAIN}_push_channels")
_NO_URL_LOGGED: HassKey[set[str]] = HassKey(f"{DOMAIN}_webhook_no_url_logged")
_OBSOLETE: HassKey[set[str]] = HassKey(f"{DOMAIN}_obsolete_enode_webhooks")


def _event_user(event: WebhookEvent) -> str | None:
    """Return the Enode user an event is about (None: heartbeats, tests, no user)."""
    user_id = getattr(event, "user_id", None)
    return user_id if isinstance(user_id, str) else None


# ------------------------------------------------------------------------------- channel


class PushChannel:
    """One Home Assistant webhook and its Enode webhook, shared by the entries of a client."""

    def __init__(self, hass: HomeAssistant, webhook_id: str, secret: str) -> None:
        """Initialize a channel (``async_join`` adds entries)."""
        self.hass = hass
        self.webhook_id = webhook_id
        self._secret = secret
        self.members: dict[str, EnodeWebhook] = {}
        self.url: str | None = None
        self.status = STATUS_PENDING
        self.enode_webhook_id: str | None = None
        self.last_delivery: datetime | None = None
        self._lock = asyncio.Lock()
        self._problem: str | None = None
        self._unsubs: list[CALLBACK_TYPE] = []
        # The next check (moved later by every delivery).
        self._next_check = Deadline(hass, self._async_check_due)

    @property
    def _primary(self) -> EnodeWebhook | None:
        """Return the member whose entry speaks for the channel (the first to join)."""
        return next(iter(self.members.values()), None)

    # ------------------------------------------------------------------ members

    @callback
    def async_join(self, member: EnodeWebhook) -> None:
        """Add an entry; the first one registers the Home Assistant webhook."""
        first = not self.members
        self.members[member.entry.entry_id] = member
        if self.enode_webhook_id is None:
            self.enode_webhook_id = member.entry.data.get(CONF_ENODE_WEBHOOK_ID)
        if not first:
            return
        webhook.async_register(
            self.hass,
            DOMAIN,
            f"Enode ({member.entry.title})",
            self.webhook_id,
            self._async_handle,
            local_only=False,
            allowed_methods=["POST"],
        )
        if "cloud" in self.hass.config.components:
            from homeassistant.components import cloud

            self._unsubs.append(
                cloud.async_listen_connection_change(self.hass, self._async_cloud_changed)
            )

    @callback
    def async_leave(self, member: EnodeWebhook) -> None:
        """Remove an entry; the last one unregisters the Home Assistant webhook."""
        self.members.pop(member.entry.entry_id, None)
        if self.members:
            return
        webhook.async_unregister(self.hass, self.webhook_id)
        self._async_cancel_check()
        while self._unsubs:
            self._unsubs.pop()()
        channels = self.hass.data.get(_CHANNELS, {})
        if channels.get(self.webhook_id) is self:
            del channels[self.webhook_id]

    # --------------------------------------------------------------- deliveries

    async def _async_handle(
        self, hass: HomeAssistant, webhook_id: str, request: web.Request
    ) -> web.Response:
        """Verify a delivery and hand each event to its user's entry (processed later)."""
        try:
            body = await _async_read_body(request)
        except _BodyTooLarge:
            LOGGER.debug(
                "Refused an Enode webhook delivery larger than %d bytes", MAX_DELIVERY_BYTES
            )
            return web.Response(status=HTTPStatus.REQUEST_ENTITY_TOO_LARGE)
        except (OSError, ValueError) as err:
            LOGGER.debug("Could not read an Enode webhook delivery: %s", err)
            return web.Response(status=HTTPStatus.BAD_REQUEST)
        if not verify_signature(self._secret, body, request.headers.get(HEADER_SIGNATURE)):
            LOGGER.debug("Rejected an Enode webhook delivery: missing or wrong signature")
            return web.Response(status=HTTPStatus.UNAUTHORIZED)
        # The first entry's client parses (it read those assets, so only what changed is parsed
        # again; whichever parser reads them, the models are the same: ``api/reuse.py``).
        primary = self._primary
        try:
            events = parse_events(body, primary.client.asset_parser if primary else None)
        except EnodeError as err:
            LOGGER.debug("Rejected an Enode webhook delivery: %s", err)
            return web.Response(status=HTTPStatus.BAD_REQUEST)
        routed = self._route(events)
        if not all(member.can_take(len(routed[key])) for key, member in self.members.items()):
            # An entry still setting up cannot keep that many: Enode delivers them again.
            return web.Response(status=HTTPStatus.SERVICE_UNAVAILABLE)
        self.last_delivery = dt_util.utcnow()
        self._problem = None
        self._async_schedule_check(PUSH_SILENCE)
        for key, member in list(self.members.items()):
            member.coordinator.async_push_received()
            member.async_deliver(routed[key])
        return web.Response(status=HTTPStatus.OK)

    def _route(self, events: Sequence[WebhookEvent]) -> dict[str, list[WebhookEvent]]:
        """Return the events for each member: each user's to its entry."""
        routed: dict[str, list[WebhookEvent]] = {key: [] for key in self.members}
        by_user = {member.coordinator.user_id: key for key, member in self.members.items()}
        for event in events:
            user_id = _event_user(event)
            if user_id is None:
                if isinstance(event, UnknownEvent) and routed:
                    routed[next(iter(routed))].append(event)  # logged once, by one entry
                continue  # heartbeats and tests: the delivery itself marked push healthy
            if (key := by_user.get(user_id)) is None:
                LOGGER.debug("Ignoring a %s event of another Enode user", event.event)
                continue
            routed[key].append(event)
        return routed

    # ------------------------------------------------------------- registration

    async def async_register(self) -> None:
        """Register (or update) the channel's webhook at Enode; on failure keep polling."""
        async with self._lock:
            await self._async_register()
            if not self._next_check.pending:
                self._async_schedule_check(WEBHOOK_CHECK_INTERVAL)

    async def _async_register(self, *, quiet: bool = False) -> None:
        if (primary := self._primary) is None:
            return
        url = await primary.async_public_url()
        if url is None:
            self.status = STATUS_NO_URL
            logged = self.hass.data.setdefault(_NO_URL_LOGGED, set())
            if self.webhook_id not in logged:
                logged.add(self.webhook_id)
                LOGGER.info(
                    "Enode push updates are off for %s: Home Assistant has no public https URL "
                    "(set one in Settings > System > Network, or use Home Assistant Cloud); "
                    "polling instead",
                    primary.entry.title,
                )
            return
        self.url = url
        try:
            hook = await self._async_create_or_update(primary.client, url)
        except EnodeError as err:
            was_failed = self.status == STATUS_FAILED
            self.status = STATUS_FAILED
            if quiet or was_failed:
                LOGGER.debug("Could not register the Enode webhook: %s", err)
            else:
                LOGGER.warning("Could not register the Enode webhook; polling instead: %s", err)
            return
        self.status = STATUS_REGISTERED
        self.enode_webhook_id = hook.id
        for member in self.members.values():
            member.coordinator.async_push_registered()
        self._async_store(
            {
                CONF_ENODE_WEBHOOK_ID: hook.id,
                CONF_CLOUDHOOK_URL: primary.entry.data.get(CONF_CLOUDHOOK_URL),
            }
        )
        LOGGER.debug("Enode webhook registered; push updates are on")
        await self._async_delete_obsolete(primary.client, keep=hook.id)

    @callback
    def _async_store(self, changes: Mapping[str, str | None]) -> None:
        """Write shared values into every member's entry (None: the key is removed)."""
        for member in self.members.values():
            entry = member.entry
            update = {key: value for key, value in changes.items() if entry.data.get(key) != value}
            if update:
                data = {**entry.data, **update}
                self.hass.config_entries.async_update_entry(
                    entry, data={key: value for key, value in data.items() if value is not None}
                )

    async def _async_create_or_update(self, client: EnodeClient, url: str) -> Webhook:
        """Reuse the client's Enode webhook for this URL (or ours), else create one."""
        hooks = await client.list_webhooks()
        existing = next((hook for hook in hooks if hook.url == url), None) or next(
            (hook for hook in hooks if hook.id == self.enode_webhook_id), None
        )
        if existing is None:
            try:
                return await client.create_webhook(
                    url=url, secret=self._secret, events=list(SUBSCRIBED_EVENTS)
                )
            except EnodePreconditionError as err:
                if "already exists" not in f"{err.title} {err.detail}".lower():
                    raise
                # Created meanwhile (another set-up of this entry): take that one over.
                hooks = await client.list_webhooks()
                existing = next((hook for hook in hooks if hook.url == url), None)
                if existing is None:
                    raise
        # The secret is never returned: set ours. An update also reactivates the webhook.
        return await client.update_webhook(
            existing.id, url=url, secret=self._secret, events=list(SUBSCRIBED_EVENTS)
        )

    async def _async_delete_obsolete(self, client: EnodeClient, *, keep: str) -> None:
        """Delete Enode webhooks entries used before they shared this one (best effort)."""
        obsolete = self.hass.data.get(_OBSOLETE, set())
        for hook_id in sorted(obsolete - {keep}):
            obsolete.discard(hook_id)
            try:
                await client.delete_webhook(hook_id)
            except EnodeError as err:
                LOGGER.debug("Could not delete an Enode webhook no longer used: %s", err)

    # ------------------------------------------------------------------- health

    @callback
    def _async_schedule_check(self, delay: timedelta) -> None:
        """Look at the webhook after ``delay`` (unless a delivery comes first)."""
        if self.members:
            self._next_check.set(delay)
        else:
            self._next_check.cancel()

    @callback
    def _async_cancel_check(self) -> None:
        self._next_check.cancel()

    @callback
    def _async_check_due(self, _now: datetime) -> None:
        """Nothing was delivered for a while: check (in the background of the first entry)."""
        if (primary := self._primary) is not None:
            primary.entry.async_create_background_task(
                self.hass, self.async_check(), f"{DOMAIN} webhook check"
            )

    async def _async_cloud_changed(self, state: CloudConnectionState) -> None:
        """Home Assistant Cloud connected: a cloudhook may be possible now."""
        from homeassistant.components.cloud import CloudConnectionState

        if state is CloudConnectionState.CLOUD_CONNECTED and self.status != STATUS_REGISTERED:
            await self.async_check()

    async def async_check(self) -> None:
        """Make sure Enode still delivers: register again, or reactivate, recreate or move.

        Runs after ``PUSH_SILENCE`` without a delivery, then every ``WEBHOOK_CHECK_INTERVAL``
        while the silence lasts. Without a URL or after a failed registration it tries again.
        A registered webhook is read (``GET /webhooks/{id}``: gone, create it; inactive,
        reactivate it), then tested (a test delivery; failed: register the current URL again).
        After a repair the entries refresh, catching up on what Enode dropped.
        """
        async with self._lock:
            try:
                await self._async_check()
            finally:
                if not self._next_check.pending:
                    self._async_schedule_check(WEBHOOK_CHECK_INTERVAL)

    async def _async_check(self) -> None:
        if (primary := self._primary) is None:
            return
        if self.status in (STATUS_NO_URL, STATUS_FAILED):
            await self._async_register(quiet=True)
            if self.status == STATUS_REGISTERED:
                await self._async_catch_up()
            return
        if self.status != STATUS_REGISTERED or self.enode_webhook_id is None:
            return
        problem = await self._async_diagnose(primary.client, self.enode_webhook_id)
        if problem is None:
            return
        if problem != self._problem:
            self._problem = problem
            LOGGER.info("%s; registering the Enode webhook again", _PROBLEMS[problem])
        await self._async_register(quiet=True)
        if self.status == STATUS_REGISTERED:
            await self._async_catch_up()

    async def _async_diagnose(self, client: EnodeClient, hook_id: str) -> str | None:
        """Return what is wrong with the Enode webhook (None: it works, or Enode can't say)."""
        try:
            hook = await client.get_webhook(hook_id)
        except EnodeNotFoundError:
            return PROBLEM_DELETED
        except EnodeError as err:
            LOGGER.debug("Could not read the Enode webhook: %s", err)
            return None
        if hook.is_active is False:
            return PROBLEM_INACTIVE
        try:
            result = await client.test_webhook(hook_id)
        except EnodeError as err:
            LOGGER.debug("Could not test the Enode webhook: %s", err)
            return None
        if result.status is WebhookTestStatus.SUCCESS:
            return None
        return PROBLEM_UNREACHABLE

    async def _async_catch_up(self) -> None:
        """Refresh every entry: Enode may have dropped events meanwhile."""
        for member in list(self.members.values()):
            await member.coordinator.async_request_refresh()


@callback
def _async_channel(hass: HomeAssistant, webhook_id: str, secret: str) -> PushChannel:
    """Return the channel of a webhook id (created the first time)."""
    channels = hass.data.setdefault(_CHANNELS, {})
    if (channel := channels.get(webhook_id)) is None:
        channel = channels[webhook_id] = PushChannel(hass, webhook_id, secret)
    return channel


# -------------------------------------------------------------------------------- member


class EnodeWebhook:
    """The push updates of one config entry: its place in the client's ``PushChannel``."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: EnodeConfigEntry,
        client: EnodeClient,
        coordinator: EnodeCoordinator,
    ) -> None:
        """Initialize from the entry's stored webhook id and secret."""
        self.hass = hass
        self.entry = entry
        self.client = client
        self.coordinator = coordinator
        self.webhook_id: str = entry.data[CONF_WEBHOOK_ID]
        self._secret: str = entry.data[CONF_WEBHOOK_SECRET]
        self._channel: PushChannel | None = None
        self._lock = asyncio.Lock()
        # Until the entry is set up, verified deliveries wait here (applied once it is ready).
        self._ready = False
        self._early: list[WebhookEvent] = []

    @property
    def status(self) -> str:
        """Return the registration status (``STATUS_*``)."""
        return self._channel.status if self._channel is not None else STATUS_PENDING

    @property
    def url(self) -> str | None:
        """Return the URL registered at Enode."""
        return self._channel.url if self._channel is not None else None

    @property
    def registered(self) -> bool:
        """Return whether Enode delivers to this webhook."""
        return self.status == STATUS_REGISTERED

    # ------------------------------------------------------------------ set-up

    @callback
    def async_listen(self) -> None:
        """Join the client's channel now, before the entry's first refresh.

        Home Assistant answers 200 to a delivery for a webhook id nobody registered, so Enode
        would not deliver it again: deliveries that arrive while the entry sets up are kept
        and applied once it is ready (``async_start``).
        """
        if self._channel is not None:
            return
        channel = self._channel = _async_channel(self.hass, self.webhook_id, self._secret)
        channel.async_join(self)
        self.entry.async_on_unload(self._async_leave)

    @callback
    def _async_leave(self) -> None:
        if self._channel is not None:
            self._channel.async_leave(self)
            self._channel = None

    @callback
    def async_start(self) -> None:
        """The entry is set up: apply what arrived meanwhile; register at Enode (background)."""
        self.async_listen()
        self._ready = True
        if self._early:
            early, self._early = self._early, []
            self.entry.async_create_background_task(
                self.hass, self.async_process(early), f"{DOMAIN} webhook deliveries during set-up"
            )
        self.entry.async_create_background_task(
            self.hass, self.async_register_at_enode(), f"{DOMAIN} webhook registration"
        )

    async def async_register_at_enode(self) -> None:
        """Register the channel's webhook at Enode (once for the entries sharing it)."""
        if self._channel is not None:
            await self._channel.async_register()

    async def async_public_url(self) -> str | None:
        """Return the URL Enode can deliver to, or None."""
        hass = self.hass
        if (url := await self._async_cloudhook_url()) is not None:
            return url
        custom = self.entry.data.get(CONF_ENVIRONMENT) == Environment.CUSTOM
        try:
            if custom:
                # A local Enode (the simulator): a configured URL (the internal one first),
                # plain http is fine; not a guessed address.
                internal = bool(hass.config.internal_url)
                url = webhook.async_generate_url(
                    hass,
                    self.webhook_id,
                    allow_internal=internal,
                    allow_external=not internal,
                    allow_ip=True,
                )
            else:
                url = webhook.async_generate_url(hass, self.webhook_id, allow_internal=False)
        except NoURLAvailableError:
            return None
        if not custom and not url.startswith("https://"):
            return None
        if not URL_MIN_LENGTH <= len(url) <= URL_MAX_LENGTH:
            return None
        return url

    async def _async_cloudhook_url(self) -> str | None:
        """Return a Nabu Casa cloudhook URL when Home Assistant Cloud is active."""
        if "cloud" not in self.hass.config.components:
            return None
        from homeassistant.components import cloud

        if not cloud.async_active_subscription(self.hass):
            return None
        if stored := self.entry.data.get(CONF_CLOUDHOOK_URL):
            return str(stored)
        try:
            url = await cloud.async_create_cloudhook(self.hass, self.webhook_id)
        except cloud.CloudNotAvailable:
            LOGGER.debug("Home Assistant Cloud is not connected; no cloudhook for Enode")
            return None
        self.hass.config_entries.async_update_entry(
            self.entry, data={**self.entry.data, CONF_CLOUDHOOK_URL: url}
        )
        return url

    # ---------------------------------------------------------------- deliveries

    def can_take(self, count: int) -> bool:
        """Return whether ``count`` more events can be accepted now."""
        return self._ready or len(self._early) + count <= MAX_EARLY_EVENTS

    @callback
    def async_deliver(self, events: list[WebhookEvent]) -> None:
        """Accept this entry's events of a verified delivery (kept until set-up is done)."""
        if not events:
            return
        if not self._ready:
            self._early.extend(events)
            return
        self.entry.async_create_background_task(
            self.hass, self.async_process(events), f"{DOMAIN} webhook delivery"
        )

    async def async_process(self, events: Sequence[WebhookEvent]) -> None:
        """Merge a delivery's events in order (deliveries one after the other).

        Consecutive updates of different assets are merged into one snapshot: a delivery of
        100 devices' updates updates the entities once, not 100 times (README "Performance").
        A later update of a device already in the batch starts the next snapshot, so every state
        Enode reported is shown, in order (history and automations see each transition).
        """
        async with self._lock:
            updates: dict[str, Asset] = {}
            for event in events:
                if (update := self._asset_update(event)) is not None:
                    asset = update.asset
                    if asset.id in updates:
                        await self._async_merge(updates)
                    known = self.coordinator.data.assets(asset.asset_type).get(asset.id)
                    if _older(asset, known):
                        LOGGER.debug("Ignoring a late %s event (older than known)", event.event)
                    else:
                        updates[asset.id] = asset
                    continue
                await self._async_merge(updates)
                try:
                    await self._async_process_event(event)
                except Exception:  # one bad event must not lose the others
                    LOGGER.exception("Could not process the Enode webhook event %s", event.event)
            await self._async_merge(updates)

    def _asset_update(self, event: WebhookEvent) -> AssetEvent | None:
        """Return the event if it updates an asset of this entry's user."""
        if (
            isinstance(event, AssetEvent)
            and event.change != "deleted"
            and event.user_id == self.coordinator.user_id
            and not _foreign(event, self.coordinator.user_id)
        ):
            return event
        return None

    async def _async_merge(self, updates: dict[str, Asset]) -> None:
        """Merge the collected asset updates in one snapshot, and forget them."""
        if not updates:
            return
        assets = list(updates.values())
        updates.clear()
        try:
            await self.coordinator.async_set_assets(assets)
        except Exception:  # the other events of the delivery still count
            LOGGER.exception("Could not merge %d pushed Enode asset updates", len(assets))

    async def _async_process_event(self, event: WebhookEvent) -> None:
        """Merge one event into the coordinator."""
        coordinator = self.coordinator
        if isinstance(event, HeartbeatEvent | WebhookTestEvent):
            return  # the delivery itself marked push healthy
        if isinstance(event, UnknownEvent):
            if event.error:
                LOGGER.debug("Ignoring a malformed %s event: %s", event.event, event.error)
            else:
                LOGGER.debug("Ignoring the unknown webhook event %s", event.event or "(unnamed)")
            return
        user_id = getattr(event, "user_id", None)
        if user_id != coordinator.user_id:
            LOGGER.debug("Ignoring a %s event of another Enode user", event.event)
            return
        if isinstance(event, AssetDiscoveredEvent):
            await self._async_discovered(event)
        elif isinstance(event, AssetEvent):
            await self._async_asset_event(event)
        elif isinstance(event, VendorActionEvent):
            action = event.action
            if action.user_id is not None and action.user_id != coordinator.user_id:
                LOGGER.debug(
                    "Ignoring a %s event: the action belongs to another Enode user", event.event
                )
            elif type(action) is not VendorAction:
                await coordinator.actions.async_handle_update(action)
            else:
                LOGGER.debug("Ignoring an update of an action this integration does not model")
        elif isinstance(event, SmartChargingStatusEvent):
            data = coordinator.smart_charging.merge(coordinator.data, event.status)
            if data is None:
                LOGGER.debug("Ignoring a smart charging status (unknown vehicle, or out of date)")
            else:
                coordinator.async_set_updated_data(data)
        elif isinstance(event, CredentialsInvalidatedEvent):
            # The user request says which vendor is invalid: the repairs follow the refresh.
            await coordinator.async_request_refresh()

    async def _async_discovered(self, event: AssetDiscoveredEvent) -> None:
        """A new asset: fetch it once, so its device appears now (not at the next poll).

        Enode's discovered event carries only the asset's information (the rest follows in an
        updated event, later). Without an id, the next refresh finds the asset instead.
        """
        coordinator = self.coordinator
        if event.asset_id is None:
            LOGGER.debug("A %s event without an asset id; refreshing", event.event)
            await coordinator.async_request_refresh()
            return
        if coordinator.data.asset(event.asset_id) is not None:
            return  # known already (a refresh or an update came first)
        await coordinator.async_fetch_asset(event.model, event.asset_id)

    async def _async_asset_event(self, event: AssetEvent) -> None:
        """An asset event not merged with the updates: deleted, or another user's asset."""
        if _foreign(event, self.coordinator.user_id):
            LOGGER.debug(
                "Ignoring a %s event: the asset belongs to another Enode user", event.event
            )
            return
        if event.change == "deleted":
            self.coordinator.async_remove_asset(event.asset.id)


class _BodyTooLarge(Exception):
    """A request body larger than ``MAX_DELIVERY_BYTES``."""


async def _async_read_body(request: web.Request) -> bytes:
    """Return a request's body, reading at most ``MAX_DELIVERY_BYTES`` of it.

    Reads ``request.content`` in chunks rather than ``request.read()``: that one reads up to
    aiohttp's ``client_max_size`` (16 MiB in Home Assistant) and then raises out of the handler,
    and the ``MockRequest`` of a Nabu Casa cloudhook delivery has no ``read()`` at all.
    """
    length = getattr(request, "content_length", None)
    if length is not None and length > MAX_DELIVERY_BYTES:
        raise _BodyTooLarge
    body = bytearray()
    stream = request.content  # once: a MockRequest makes a new reader on every access
    while chunk := await stream.read(READ_CHUNK_BYTES):
        body += chunk
        if len(body) > MAX_DELIVERY_BYTES:
            raise _BodyTooLarge
    return bytes(body)


def _foreign(event: AssetEvent, user_id: str) -> bool:
    """Return whether an event's asset says it belongs to another Enode user."""
    owner = event.asset.user_id
    return owner is not None and owner != user_id


def _older(new: AssetBase, current: AssetBase | None) -> bool:
    """Return whether an asset is older than the known version (by ``lastSeen``)."""
    if current is None or new.last_seen is None or current.last_seen is None:
        return False
    return new.last_seen < current.last_seen


# ------------------------------------------------------------------------- entry hooks


@callback
def async_prepare_webhook(hass: HomeAssistant, entry: EnodeConfigEntry) -> None:
    """Give the entry its webhook id and signing secret: the ones of the client's other entries
    (one webhook per Enode client), else new ones (kept in the entry).

    An entry that had its own webhook before sharing takes the first entry's; its own Enode
    webhook is deleted once the shared one is registered.
    """
    group = client_group(entry.data)
    source = next(
        (
            other
            for other in hass.config_entries.async_entries(DOMAIN)
            if client_group(other.data) == group
            and CONF_WEBHOOK_ID in other.data
            and CONF_WEBHOOK_SECRET in other.data
        ),
        None,
    )
    if source is None or source.entry_id == entry.entry_id:
        if CONF_WEBHOOK_ID not in entry.data or CONF_WEBHOOK_SECRET not in entry.data:
            hass.config_entries.async_update_entry(
                entry,
                data={
                    **entry.data,
                    CONF_WEBHOOK_ID: webhook.async_generate_id(),
                    CONF_WEBHOOK_SECRET: secrets.token_urlsafe(32),
                },
            )
        return
    if all(entry.data.get(key) == source.data.get(key) for key in SHARED_KEYS):
        return
    own = entry.data.get(CONF_ENODE_WEBHOOK_ID)
    if own and own != source.data.get(CONF_ENODE_WEBHOOK_ID):
        hass.data.setdefault(_OBSOLETE, set()).add(own)
    data = {key: value for key, value in entry.data.items() if key not in SHARED_KEYS}
    data.update({key: source.data[key] for key in SHARED_KEYS if key in source.data})
    hass.config_entries.async_update_entry(entry, data=data)


async def async_remove_webhook(
    hass: HomeAssistant, entry: EnodeConfigEntry, client: EnodeClient
) -> None:
    """Delete the entry's Enode webhook and cloudhook (best effort), unless another entry of
    the client still uses them."""
    webhook_id = entry.data.get(CONF_WEBHOOK_ID)
    if any(
        other.data.get(CONF_WEBHOOK_ID) == webhook_id
        for other in hass.config_entries.async_entries(DOMAIN)
        if other.entry_id != entry.entry_id
    ):
        LOGGER.debug("The Enode webhook stays: another entry of this Enode client uses it")
        return
    if enode_webhook_id := entry.data.get(CONF_ENODE_WEBHOOK_ID):
        try:
            await client.delete_webhook(enode_webhook_id)
        except EnodeError as err:
            LOGGER.debug("Could not delete the Enode webhook: %s", err)
    if entry.data.get(CONF_CLOUDHOOK_URL) and "cloud" in hass.config.components:
        from homeassistant.components import cloud

        try:
            await cloud.async_delete_cloudhook(hass, entry.data[CONF_WEBHOOK_ID])
        except cloud.CloudNotAvailable:
            LOGGER.debug("Could not delete the Enode cloudhook: Home Assistant Cloud is off")


def webhook_diagnostics(entry: EnodeConfigEntry) -> dict[str, Any]:
    """Return the push status for diagnostics (the URL redacted)."""
    push = entry.runtime_data.webhook
    coordinator = entry.runtime_data.coordinator
    last = coordinator.push_last_delivery
    return {
        "status": push.status,
        "registered": push.registered,
        "url": "**REDACTED**" if push.url else None,
        "cloudhook": bool(entry.data.get(CONF_CLOUDHOOK_URL)),
        "last_delivery": last.isoformat() if last else None,
        "push_healthy": coordinator.push_healthy,
    }
