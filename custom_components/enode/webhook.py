"""Push updates: Enode webhooks delivered to a Home Assistant webhook (DESIGN.md sections 2, 8).

On entry set-up a Home Assistant webhook is registered (its id and a random signing secret are
generated once and kept in the entry) and its public URL is registered at Enode: a Nabu Casa
cloudhook when Home Assistant Cloud is active, else Home Assistant's external https URL (in the
custom environment, used with the local simulator, a configured internal or external URL over
plain http works too). Without a usable URL the entry just keeps polling.

Deliveries are verified (``x-enode-signature``, constant time), parsed into typed events and merged
into the coordinator's snapshot; every verified delivery (heartbeats included) marks push healthy,
which slows polling down. The handler answers at once and processes the events in the background,
one delivery after the other.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from http import HTTPStatus
import secrets
from typing import Any

from aiohttp import web
from homeassistant.components import webhook
from homeassistant.const import CONF_WEBHOOK_ID
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.network import NoURLAvailableError
from homeassistant.util.hass_dict import HassKey

from .api import (
    AssetBase,
    AssetType,
    ChargeAction,
    EnodeClient,
    EnodeError,
    EnodePreconditionError,
    Environment,
    MaxCurrentAction,
)
from .api.const import HEADER_SIGNATURE
from .api.models import Webhook
from .api.webhooks import (
    AssetEvent,
    CredentialsInvalidatedEvent,
    HeartbeatEvent,
    UnknownEvent,
    VendorActionEvent,
    WebhookEvent,
    WebhookTestEvent,
    parse_events,
    verify_signature,
)
from .const import CONF_ENVIRONMENT, DOMAIN, LOGGER
from .coordinator import EnodeCoordinator
from .models import EnodeConfigEntry

# Entry data keys (CONF_WEBHOOK_ID is Home Assistant's "webhook_id").
CONF_WEBHOOK_SECRET = "webhook_secret"
CONF_CLOUDHOOK_URL = "cloudhook_url"
CONF_ENODE_WEBHOOK_ID = "enode_webhook_id"

# What our Enode webhook subscribes to (heartbeats are always sent; test events on request).
SUBSCRIBED_EVENTS: tuple[str, ...] = (
    *(
        f"user:{asset_type}:{change}"
        for asset_type in AssetType
        for change in ("discovered", "updated", "deleted")
    ),
    "user:vendor-action:updated",
    "user:credentials:invalidated",
)
# Enode delivers at most 100 events per request (a few hundred kB): a larger body is not a
# delivery and is refused (413) before it is read into memory; bodies are read in chunks.
MAX_DELIVERY_BYTES = 2 * 1024 * 1024
READ_CHUNK_BYTES = 64 * 1024
# Events kept while the entry sets up (beyond: 503, and Enode delivers them again later).
MAX_EARLY_EVENTS = 1000
# Enode accepts webhook URLs of 8 to 200 characters.
URL_MIN_LENGTH = 8
URL_MAX_LENGTH = 200

# Status values (diagnostics).
STATUS_PENDING = "pending"
STATUS_REGISTERED = "registered"
STATUS_NO_URL = "no_url"
STATUS_FAILED = "registration_failed"

# Entries whose "no usable URL" line was logged already (logged once per entry and run).
_NO_URL_LOGGED: HassKey[set[str]] = HassKey(f"{DOMAIN}_webhook_no_url_logged")


class EnodeWebhook:
    """The push channel of one config entry: Home Assistant webhook + Enode registration."""

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
        self.url: str | None = None
        self.status = STATUS_PENDING
        self._lock = asyncio.Lock()
        self._listening = False
        # Until the entry is set up, verified deliveries wait here (applied once it is ready).
        self._ready = False
        self._early: list[WebhookEvent] = []

    @property
    def registered(self) -> bool:
        """Return whether Enode delivers to this webhook."""
        return self.status == STATUS_REGISTERED

    # ------------------------------------------------------------------ set-up

    @callback
    def async_listen(self) -> None:
        """Register the Home Assistant webhook now, before the entry's first refresh.

        Home Assistant answers 200 to a delivery for a webhook id nobody registered, so Enode
        would not deliver it again: deliveries that arrive while the entry sets up are kept
        and applied once it is ready (``async_start``).
        """
        if self._listening:
            return
        self._listening = True
        self.async_register_local()
        self.entry.async_on_unload(self.async_unregister_local)

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

    @callback
    def async_register_local(self) -> None:
        """Register the Home Assistant webhook (reachable from outside, POST only)."""
        webhook.async_register(
            self.hass,
            DOMAIN,
            f"Enode ({self.entry.title})",
            self.webhook_id,
            self._async_handle,
            local_only=False,
            allowed_methods=["POST"],
        )

    @callback
    def async_unregister_local(self) -> None:
        """Unregister the Home Assistant webhook."""
        webhook.async_unregister(self.hass, self.webhook_id)

    async def async_register_at_enode(self) -> None:
        """Find the public URL and register it at Enode; on failure keep polling."""
        url = await self.async_public_url()
        if url is None:
            self.status = STATUS_NO_URL
            logged = self.hass.data.setdefault(_NO_URL_LOGGED, set())
            if self.entry.entry_id not in logged:
                logged.add(self.entry.entry_id)
                LOGGER.info(
                    "Enode push updates are off for %s: Home Assistant has no public https URL "
                    "(set one in Settings > System > Network, or use Home Assistant Cloud); "
                    "polling instead",
                    self.entry.title,
                )
            return
        self.url = url
        try:
            hook = await self._async_create_or_update(url)
        except EnodeError as err:
            self.status = STATUS_FAILED
            LOGGER.warning("Could not register the Enode webhook; polling instead: %s", err)
            return
        self.status = STATUS_REGISTERED
        if self.entry.data.get(CONF_ENODE_WEBHOOK_ID) != hook.id:
            self.hass.config_entries.async_update_entry(
                self.entry, data={**self.entry.data, CONF_ENODE_WEBHOOK_ID: hook.id}
            )
        LOGGER.debug("Enode webhook registered; push updates are on")

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

    async def _async_create_or_update(self, url: str) -> Webhook:
        """Reuse the client's Enode webhook for this URL (or ours), else create one."""
        hooks = await self.client.list_webhooks()
        stored_id = self.entry.data.get(CONF_ENODE_WEBHOOK_ID)
        existing = next((hook for hook in hooks if hook.url == url), None) or next(
            (hook for hook in hooks if hook.id == stored_id), None
        )
        if existing is None:
            try:
                return await self.client.create_webhook(
                    url=url, secret=self._secret, events=list(SUBSCRIBED_EVENTS)
                )
            except EnodePreconditionError as err:
                if "already exists" not in f"{err.title} {err.detail}".lower():
                    raise
                # Created meanwhile (another set-up of this entry): take that one over.
                hooks = await self.client.list_webhooks()
                existing = next((hook for hook in hooks if hook.url == url), None)
                if existing is None:
                    raise
        # The secret is never returned: set ours. An update also reactivates the webhook.
        return await self.client.update_webhook(
            existing.id, url=url, secret=self._secret, events=list(SUBSCRIBED_EVENTS)
        )

    # ---------------------------------------------------------------- deliveries

    async def _async_handle(
        self, hass: HomeAssistant, webhook_id: str, request: web.Request
    ) -> web.Response:
        """Verify and accept a delivery; process its events in the background."""
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
        try:
            events = parse_events(body)
        except EnodeError as err:
            LOGGER.debug("Rejected an Enode webhook delivery: %s", err)
            return web.Response(status=HTTPStatus.BAD_REQUEST)
        if not self._ready:
            if len(self._early) + len(events) > MAX_EARLY_EVENTS:
                # Not ready for that many: Enode delivers them again later.
                return web.Response(status=HTTPStatus.SERVICE_UNAVAILABLE)
            self._early.extend(events)
            return web.Response(status=HTTPStatus.OK)
        self.coordinator.async_push_received()
        self.entry.async_create_background_task(
            hass, self.async_process(events), f"{DOMAIN} webhook delivery"
        )
        return web.Response(status=HTTPStatus.OK)

    async def async_process(self, events: Sequence[WebhookEvent]) -> None:
        """Merge a delivery's events in order (deliveries one after the other)."""
        async with self._lock:
            for event in events:
                try:
                    await self._async_process_event(event)
                except Exception:  # one bad event must not lose the others
                    LOGGER.exception("Could not process the Enode webhook event %s", event.event)

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
        if isinstance(event, AssetEvent):
            await self._async_asset_event(event)
        elif isinstance(event, VendorActionEvent):
            action = event.action
            if action.user_id is not None and action.user_id != coordinator.user_id:
                LOGGER.debug(
                    "Ignoring a %s event: the action belongs to another Enode user", event.event
                )
            elif isinstance(action, ChargeAction | MaxCurrentAction):
                await coordinator.actions.async_handle_update(action)
            else:
                LOGGER.debug("Ignoring an update of an action this integration does not track")
        elif isinstance(event, CredentialsInvalidatedEvent):
            # The user request says which vendor is invalid: the repairs follow the refresh.
            await coordinator.async_request_refresh()

    async def _async_asset_event(self, event: AssetEvent) -> None:
        """Merge a discovered, updated or deleted asset."""
        coordinator = self.coordinator
        asset = event.asset
        if asset.user_id is not None and asset.user_id != coordinator.user_id:
            LOGGER.debug(
                "Ignoring a %s event: the asset belongs to another Enode user", event.event
            )
            return
        if event.change == "deleted":
            coordinator.async_remove_asset(asset.id)
            return
        current = coordinator.data.asset(asset.id)
        if _older(asset, current):
            LOGGER.debug("Ignoring a late %s event (older than what is known)", event.event)
            return
        await coordinator.async_set_asset(asset)


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


def _older(new: AssetBase, current: AssetBase | None) -> bool:
    """Return whether an asset is older than the known version (by ``lastSeen``)."""
    if current is None or new.last_seen is None or current.last_seen is None:
        return False
    return new.last_seen < current.last_seen


# ------------------------------------------------------------------------- entry hooks


@callback
def async_prepare_webhook(hass: HomeAssistant, entry: EnodeConfigEntry) -> None:
    """Give the entry its webhook id and signing secret (once; they are kept in the entry)."""
    if CONF_WEBHOOK_ID not in entry.data or CONF_WEBHOOK_SECRET not in entry.data:
        hass.config_entries.async_update_entry(
            entry,
            data={
                **entry.data,
                CONF_WEBHOOK_ID: webhook.async_generate_id(),
                CONF_WEBHOOK_SECRET: secrets.token_urlsafe(32),
            },
        )


async def async_remove_webhook(
    hass: HomeAssistant, entry: EnodeConfigEntry, client: EnodeClient
) -> None:
    """Delete the entry's Enode webhook and cloudhook (best effort)."""
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
