"""Webhook registrations and deliveries of the Enode simulator.

Enode delivers events to registered webhooks as JSON arrays of at most 100 events, signed with
``x-enode-signature: sha1=<hmac-sha1 hex of the raw body>``. Failed deliveries (non-2xx, connection
error or a timeout of 5 s) are retried with exponential backoff; after a configurable number of
consecutive failures the webhook is marked inactive and its pending events are dropped. The test
endpoint (and an update) reactivates it.

Everything time-based (retries, heartbeats) follows the simulator's clock, so tests can drive it
with ``advance_time``; ``flush()`` delivers everything that is due right now and returns when done.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Mapping
import contextlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
import hashlib
import hmac
import json
import logging
import re
from typing import Any
import uuid

import aiohttp
from aiohttp import web
from yarl import URL

_LOGGER = logging.getLogger(__name__)

API_VERSION = "2024-10-01"
MAX_BATCH_SIZE = 100
MAX_ATTEMPT_LOG = 1000
HEARTBEAT_EVENT = "system:heartbeat"
TEST_EVENT = "enode:webhook:test"

#: The values ``events`` may contain (WebhookCreatePayload.events in the 2024-10-01 document).
SUBSCRIBABLE_EVENTS: frozenset[str] = frozenset(
    {
        "*",
        "user:vehicle:discovered",
        "user:vehicle:updated",
        "user:vehicle:deleted",
        "user:vehicle:smart-charging-status-updated",
        "user:charge-action:updated",
        "user:vendor-action:updated",
        "user:schedule:execution-updated",
        "user:charger:discovered",
        "user:charger:updated",
        "user:charger:deleted",
        "user:hvac:discovered",
        "user:hvac:updated",
        "user:hvac:deleted",
        "user:inverter:discovered",
        "user:inverter:updated",
        "user:inverter:deleted",
        "user:inverter:statistics-updated",
        "user:credentials:invalidated",
        "user:battery:discovered",
        "user:battery:updated",
        "user:battery:deleted",
        "enode:webhook:test",
        "user:meter:discovered",
        "user:meter:updated",
        "user:meter:deleted",
    }
)

_HEADER_NAME_RE = re.compile(r"^[a-z0-9\-_]+$")
_HEADER_VALUE_RE = re.compile(r"^[a-zA-Z0-9_:;.,/\\\"'?!(){}\[\]@<>=\-+*#$&`|~^% ]+$")


def compute_signature(secret: str, body: bytes) -> str:
    """Return the ``x-enode-signature`` header value for a delivery body."""
    digest = hmac.new(secret.encode(), body, hashlib.sha1).hexdigest()
    return f"sha1={digest}"


def format_time(moment: datetime) -> str:
    """Format a datetime the way Enode does (UTC, milliseconds, ``Z``)."""
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def updated_fields(old: Mapping[str, Any], new: Mapping[str, Any], prefix: str = "") -> list[str]:
    """Dotted paths of the leaf values that differ between two asset payloads."""
    changed: list[str] = []
    for key in sorted(set(old) | set(new)):
        path = f"{prefix}{key}"
        before, after = old.get(key), new.get(key)
        if isinstance(before, Mapping) and isinstance(after, Mapping):
            changed.extend(updated_fields(before, after, f"{path}."))
        elif before != after:
            changed.append(path)
    return changed


class WebhookError(Exception):
    """A request to the registration endpoints that Enode would reject."""

    def __init__(self, status: int, title: str, detail: str) -> None:
        """Keep the problem's parts."""
        super().__init__(detail)
        self.status = status
        self.title = title
        self.detail = detail

    @property
    def problem_type(self) -> str:
        """The Problem ``type`` URI for the status."""
        slug = "not-found" if self.status == 404 else "bad-request"
        return f"https://developers.enode.com/api/problems/{slug}"

    def as_problem(self) -> dict[str, str]:
        """The Problem body."""
        return {"type": self.problem_type, "title": self.title, "detail": self.detail}


def _invalid(detail: str) -> WebhookError:
    return WebhookError(400, "Webhook input is not valid.", detail)


@dataclass(kw_only=True)
class Authentication:
    """The optional header sent with every delivery."""

    header_name: str
    header_value: str


@dataclass(kw_only=True)
class Webhook:
    """A registered webhook and its delivery state."""

    id: str
    url: str
    secret: str
    events: list[str]
    api_version: str | None
    authentication: Authentication | None
    created_at: datetime
    is_active: bool = True
    last_success: datetime | None = None
    consecutive_failures: int = 0
    next_attempt_at: datetime | None = None
    pending: list[dict[str, Any]] = field(default_factory=list)

    def wants(self, event_name: str) -> bool:
        """Whether this webhook subscribes to an event."""
        if event_name == HEARTBEAT_EVENT:
            return True
        return "*" in self.events or event_name in self.events

    def to_response(self) -> dict[str, Any]:
        """The ``WebhookResponse`` payload (the secret and header value are never returned)."""
        return {
            "id": self.id,
            "url": self.url,
            "events": list(self.events),
            # A required string: a webhook that never had a delivery reports its creation.
            "lastSuccess": format_time(self.last_success or self.created_at),
            "isActive": self.is_active,
            "createdAt": format_time(self.created_at),
            "apiVersion": self.api_version,
            "authentication": (
                {"headerName": self.authentication.header_name} if self.authentication else None
            ),
        }


@dataclass(kw_only=True, frozen=True)
class DeliveryAttempt:
    """One POST to a webhook (kept in ``WebhookDispatcher.attempts`` for tests and demos)."""

    webhook_id: str
    delivery_id: str
    at: datetime
    events: tuple[str, ...]
    status: int | None
    error: str | None

    @property
    def ok(self) -> bool:
        """Whether the endpoint acknowledged the delivery with a 2xx."""
        return self.status is not None and 200 <= self.status < 300

    def to_dict(self) -> dict[str, Any]:
        """JSON form for the control API."""
        return {
            "webhookId": self.webhook_id,
            "deliveryId": self.delivery_id,
            "at": format_time(self.at),
            "events": list(self.events),
            "status": self.status,
            "error": self.error,
            "ok": self.ok,
        }


@dataclass(kw_only=True, frozen=True)
class _Response:
    status: int
    body: str
    headers: list[str]


@dataclass(kw_only=True)
class WebhookSettings:
    """Tunables of the delivery engine (scenario key ``webhooks`` uses the camelCase names)."""

    timeout: float = 5.0
    max_failures: int = 5
    retry_base: float = 30.0
    retry_max: float = 3600.0
    heartbeat_interval: float | None = 300.0
    auto_deliver: bool = True
    coalesce_delay: float = 0.05
    poll_interval: float = 1.0

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> WebhookSettings:
        """Build from a scenario's ``webhooks`` object."""
        names = {
            "timeoutSeconds": "timeout",
            "maxFailures": "max_failures",
            "retryBaseSeconds": "retry_base",
            "retryMaxSeconds": "retry_max",
            "heartbeatSeconds": "heartbeat_interval",
            "autoDeliver": "auto_deliver",
        }
        kwargs = {attr: data[key] for key, attr in names.items() if key in data}
        return cls(**kwargs)

    def backoff(self, failures: int) -> float:
        """Seconds to wait before the next attempt after ``failures`` consecutive failures."""
        return float(min(self.retry_max, self.retry_base * 2 ** max(failures - 1, 0)))


def _utcnow() -> datetime:
    return datetime.now(UTC)


class WebhookDispatcher:
    """Registered webhooks, their queues and the delivery engine."""

    def __init__(
        self,
        *,
        clock: Callable[[], datetime] = _utcnow,
        settings: WebhookSettings | None = None,
        api_version: str = API_VERSION,
    ) -> None:
        """Create an empty registry; call ``start()`` to deliver in the background."""
        self._clock = clock
        self.settings = settings or WebhookSettings()
        self.api_version = api_version
        self._webhooks: dict[str, Webhook] = {}
        self.attempts: list[DeliveryAttempt] = []
        self._lock = asyncio.Lock()
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._session: aiohttp.ClientSession | None = None
        self._next_heartbeat: datetime | None = None

    # -- lifecycle -----------------------------------------------------------------------------

    async def start(self) -> None:
        """Start background delivery (when ``settings.auto_deliver``)."""
        if self.settings.auto_deliver and self._task is None:
            self._task = asyncio.create_task(self._run(), name="enode-simulator-webhooks")

    async def stop(self) -> None:
        """Stop background delivery and close the HTTP session."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def _run(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self.settings.poll_interval)
            self._wake.clear()
            await asyncio.sleep(self.settings.coalesce_delay)
            try:
                await self.flush()
            except Exception:  # the loop must survive anything a delivery does
                _LOGGER.exception("Webhook delivery round failed")

    # -- registry ------------------------------------------------------------------------------

    @property
    def webhooks(self) -> list[Webhook]:
        """Registered webhooks, oldest first."""
        return list(self._webhooks.values())

    def get(self, webhook_id: str) -> Webhook:
        """A webhook by id (404 ``WebhookError`` if unknown)."""
        try:
            return self._webhooks[webhook_id]
        except KeyError:
            raise WebhookError(
                404, "Webhook not found", f"Could not find webhook {webhook_id}"
            ) from None

    def create(self, payload: Any) -> Webhook:
        """Register a webhook from a ``WebhookCreatePayload``."""
        data = _require_object(payload)
        _reject_unknown(data, {"url", "secret", "events", "apiVersion", "authentication"})
        if "url" not in data or "secret" not in data:
            raise _invalid("Both url and secret are required.")
        url = _validate_url(data["url"])
        if any(hook.url == url for hook in self._webhooks.values()):
            raise WebhookError(400, "Webhook already exists.", "Webhook already exists.")
        webhook = Webhook(
            id=str(uuid.uuid4()),
            url=url,
            secret=_validate_secret(data["secret"]),
            events=_validate_events(data.get("events", ["*"])),
            api_version=_validate_api_version(data.get("apiVersion")),
            authentication=_validate_authentication(data.get("authentication")),
            created_at=self._clock(),
        )
        self._webhooks[webhook.id] = webhook
        if self._next_heartbeat is None and self.settings.heartbeat_interval is not None:
            self._next_heartbeat = self._clock() + timedelta(
                seconds=self.settings.heartbeat_interval
            )
        return webhook

    def update(self, webhook_id: str, payload: Any) -> Webhook:
        """Apply a ``WebhookUpdatePayload``; an update also reactivates the webhook."""
        webhook = self.get(webhook_id)
        data = _require_object(payload)
        _reject_unknown(data, {"url", "secret", "events", "apiVersion", "authentication"})
        if "url" in data:
            url = _validate_url(data["url"])
            if any(h.url == url and h.id != webhook_id for h in self._webhooks.values()):
                raise WebhookError(400, "Webhook already exists.", "Webhook already exists.")
            webhook.url = url
        if "secret" in data:
            webhook.secret = _validate_secret(data["secret"])
        if "events" in data:
            webhook.events = _validate_events(data["events"])
        if "apiVersion" in data:
            webhook.api_version = _validate_api_version(data["apiVersion"])
        if "authentication" in data:
            webhook.authentication = _validate_authentication(data["authentication"])
        self._reactivate(webhook)
        return webhook

    def delete(self, webhook_id: str) -> None:
        """Remove a webhook and its pending events."""
        self.get(webhook_id)
        del self._webhooks[webhook_id]

    def drop_pending(self) -> None:
        """Drop queued events and retry state but keep the registrations."""
        for webhook in self._webhooks.values():
            webhook.pending.clear()
            webhook.next_attempt_at = None
            webhook.consecutive_failures = 0

    def clear(self) -> None:
        """Forget every webhook and the attempt log."""
        self._webhooks.clear()
        self.attempts.clear()

    def set_active(self, active: bool, webhook_id: str | None = None) -> None:
        """Mark one webhook (or every one) inactive or active again.

        Inactive is what Enode does after a day of failed deliveries (sandbox: five minutes):
        the pending events are dropped and nothing is delivered until the webhook is updated or
        tested successfully.
        """
        hooks = [self.get(webhook_id)] if webhook_id is not None else self.webhooks
        for webhook in hooks:
            if active:
                self._reactivate(webhook)
            else:
                webhook.is_active = False
                webhook.pending.clear()
                webhook.next_attempt_at = None

    def _reactivate(self, webhook: Webhook) -> None:
        webhook.is_active = True
        webhook.consecutive_failures = 0
        webhook.next_attempt_at = None

    # -- events --------------------------------------------------------------------------------

    def emit(self, event: Mapping[str, Any]) -> None:
        """Queue an event for every active webhook that subscribes to it.

        ``event`` needs at least ``event``; ``createdAt`` and ``version`` are filled in when
        missing, and ``:updated`` events always carry ``updatedFields``.
        """
        name = str(event["event"])
        prepared = dict(event)
        prepared.setdefault("createdAt", format_time(self._clock()))
        if name.endswith(":updated"):
            prepared.setdefault("updatedFields", [])
        queued = False
        for webhook in self._webhooks.values():
            if webhook.is_active and webhook.wants(name):
                item = dict(prepared)
                item.setdefault("version", webhook.api_version or self.api_version)
                webhook.pending.append(item)
                queued = True
        if queued:
            self._wake.set()

    def emit_many(self, events: Iterable[Mapping[str, Any]]) -> None:
        """Queue several events in order."""
        for event in events:
            self.emit(event)

    @property
    def pending_count(self) -> int:
        """Events waiting for delivery, over all webhooks."""
        return sum(len(hook.pending) for hook in self._webhooks.values())

    def _queue_heartbeats(self, now: datetime) -> None:
        interval = self.settings.heartbeat_interval
        if interval is None or self._next_heartbeat is None or now < self._next_heartbeat:
            return
        self._next_heartbeat = now + timedelta(seconds=interval)
        for webhook in self._webhooks.values():
            if not webhook.is_active:
                continue
            if any(item["event"] == HEARTBEAT_EVENT for item in webhook.pending):
                continue
            webhook.pending.append(
                {
                    "event": HEARTBEAT_EVENT,
                    "createdAt": format_time(now),
                    "version": webhook.api_version or self.api_version,
                    "pendingEvents": len(webhook.pending),
                }
            )

    # -- delivery ------------------------------------------------------------------------------

    def wake(self) -> None:
        """Ask the background loop to look for due work (e.g. after the clock moved)."""
        self._wake.set()

    async def flush(self, *, force: bool = False) -> list[DeliveryAttempt]:
        """Deliver every batch that is due now and return the attempts made.

        Retries wait for their backoff on the simulated clock unless ``force`` is set, which
        makes one immediate attempt per failing webhook. A webhook whose attempt fails is not
        tried again within the same flush.
        """
        async with self._lock:
            now = self._clock()
            self._queue_heartbeats(now)
            hooks = [
                hook
                for hook in self._webhooks.values()
                if hook.is_active
                and hook.pending
                and (force or hook.next_attempt_at is None or hook.next_attempt_at <= now)
            ]
            results = await asyncio.gather(*(self._drain(hook) for hook in hooks))
            return [attempt for attempts in results for attempt in attempts]

    def _record(self, attempt: DeliveryAttempt) -> None:
        self.attempts.append(attempt)
        if len(self.attempts) > MAX_ATTEMPT_LOG:
            del self.attempts[: len(self.attempts) - MAX_ATTEMPT_LOG]

    async def _drain(self, webhook: Webhook) -> list[DeliveryAttempt]:
        attempts: list[DeliveryAttempt] = []
        while webhook.pending and webhook.is_active and webhook.id in self._webhooks:
            batch = webhook.pending[:MAX_BATCH_SIZE]
            attempt, _ = await self._post(webhook, batch)
            attempts.append(attempt)
            self._record(attempt)
            now = self._clock()
            if attempt.ok:
                del webhook.pending[: len(batch)]
                webhook.last_success = now
                webhook.consecutive_failures = 0
                webhook.next_attempt_at = None
                continue
            webhook.consecutive_failures += 1
            if webhook.consecutive_failures >= self.settings.max_failures:
                _LOGGER.info(
                    "Webhook %s marked inactive after %d failed deliveries; dropping %d events",
                    webhook.id,
                    webhook.consecutive_failures,
                    len(webhook.pending),
                )
                webhook.is_active = False
                webhook.pending.clear()
                webhook.next_attempt_at = None
            else:
                delay = self.settings.backoff(webhook.consecutive_failures)
                webhook.next_attempt_at = now + timedelta(seconds=delay)
            break
        return attempts

    async def _post(
        self, webhook: Webhook, batch: list[dict[str, Any]]
    ) -> tuple[DeliveryAttempt, _Response | None]:
        body = json.dumps(batch, separators=(",", ":")).encode()
        delivery_id = str(uuid.uuid4())
        headers = {
            "content-type": "application/json",
            "x-enode-delivery": delivery_id,
            "x-enode-signature": compute_signature(webhook.secret, body),
        }
        if webhook.authentication is not None:
            headers[webhook.authentication.header_name.lower()] = (
                webhook.authentication.header_value
            )
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession()
        response: _Response | None = None
        error: str | None = None
        try:
            async with self._session.post(
                webhook.url,
                data=body,
                headers=headers,
                timeout=aiohttp.ClientTimeout(total=self.settings.timeout),
                allow_redirects=False,
            ) as resp:
                text = await resp.text(errors="replace")
                response = _Response(
                    status=resp.status,
                    body=text[:2000],
                    headers=[f"{key.lower()}: {value}" for key, value in resp.headers.items()],
                )
        except TimeoutError:
            error = f"Timed out after {self.settings.timeout:g} seconds"
        except (aiohttp.ClientError, OSError, ValueError) as err:
            error = f"{type(err).__name__}: {err}"
        attempt = DeliveryAttempt(
            webhook_id=webhook.id,
            delivery_id=delivery_id,
            at=self._clock(),
            events=tuple(str(item["event"]) for item in batch),
            status=response.status if response else None,
            error=error,
        )
        return attempt, response

    async def test(self, webhook_id: str) -> dict[str, Any]:
        """Send ``enode:webhook:test`` now; reactivate the webhook on success."""
        webhook = self.get(webhook_id)
        event = {
            "event": TEST_EVENT,
            "createdAt": format_time(self._clock()),
            "version": webhook.api_version or self.api_version,
        }
        attempt, response = await self._post(webhook, [event])
        self._record(attempt)
        if attempt.ok and response is not None:
            self._reactivate(webhook)
            webhook.last_success = self._clock()
            return {
                "status": "SUCCESS",
                "description": f"Webhook endpoint responded with status {response.status}.",
                "response": {
                    "code": response.status,
                    "body": response.body,
                    "headers": response.headers,
                },
            }
        if response is not None:
            description = f"Webhook endpoint responded with status {response.status}."
        else:
            description = f"Could not deliver the test event: {attempt.error}."
        return {"status": "FAILURE", "description": description, "response": None}


# -- validation helpers ------------------------------------------------------------------------


def _require_object(payload: Any) -> dict[str, Any]:
    if not isinstance(payload, dict):
        raise _invalid("The request body must be a JSON object.")
    return payload


def _reject_unknown(data: Mapping[str, Any], allowed: set[str]) -> None:
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise _invalid(f"Unknown properties: {', '.join(unknown)}.")


def _validate_url(value: Any) -> str:
    if not isinstance(value, str) or not 8 <= len(value) <= 200:
        raise _invalid("url must be a string of 8 to 200 characters.")
    try:
        parsed = URL(value)
    except ValueError:
        parsed = None
    if parsed is None or parsed.scheme not in {"http", "https"} or not parsed.host:
        raise _invalid("url must be an absolute http(s) URL.")
    return value


def _validate_secret(value: Any) -> str:
    if not isinstance(value, str) or not 6 <= len(value) <= 256:
        raise _invalid("secret must be a string of 6 to 256 characters.")
    return value


def _validate_events(value: Any) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise _invalid("events must be an array of event names.")
    unknown = [item for item in value if item not in SUBSCRIBABLE_EVENTS]
    if unknown:
        raise _invalid(f"Unknown events: {', '.join(unknown)}.")
    return list(dict.fromkeys(value)) or ["*"]


def _validate_api_version(value: Any) -> str | None:
    if value is not None and value != API_VERSION:
        raise _invalid(f"apiVersion must be null or {API_VERSION}.")
    return None if value is None else API_VERSION


def _validate_authentication(value: Any) -> Authentication | None:
    if value is None:
        return None
    if not isinstance(value, dict) or set(value) != {"headerName", "headerValue"}:
        raise _invalid("authentication must be an object with headerName and headerValue.")
    name, secret = value["headerName"], value["headerValue"]
    if not isinstance(name, str) or not 1 <= len(name) <= 128 or not _HEADER_NAME_RE.match(name):
        raise _invalid("authentication.headerName is not a valid header name.")
    if (
        not isinstance(secret, str)
        or not 1 <= len(secret) <= 256
        or not _HEADER_VALUE_RE.match(secret)
    ):
        raise _invalid("authentication.headerValue is not a valid header value.")
    return Authentication(header_name=name, header_value=secret)


# -- HTTP routes -------------------------------------------------------------------------------

DISPATCHER_KEY: web.AppKey[WebhookDispatcher] = web.AppKey("enode_webhooks", WebhookDispatcher)


def _problem(err: WebhookError) -> web.Response:
    return web.json_response(err.as_problem(), status=err.status)


async def _read_json(request: web.Request) -> Any:
    try:
        return await request.json()
    except ValueError:
        raise _invalid("The request body is not valid JSON.") from None


def _paginate(request: web.Request, items: list[dict[str, Any]]) -> dict[str, Any]:
    """Cursor pagination over a list (newest first), cursors are item indexes."""
    query = request.query
    if "after" in query and "before" in query:
        raise _invalid("Only one of after and before may be given.")
    try:
        size = int(query.get("pageSize", "50"))
        after = int(query["after"]) if "after" in query else None
        before = int(query["before"]) if "before" in query else None
    except ValueError:
        raise _invalid("pageSize and cursors must be valid.") from None
    if size < 1:
        raise _invalid("pageSize must be greater than 0.")
    if before is not None:
        end = max(min(before, len(items)), 0)
        start = max(end - size, 0)
    else:
        start = max(after or 0, 0)
        end = min(start + size, len(items))
    return {
        "data": items[start:end],
        "pagination": {
            "before": str(start) if start > 0 else None,
            "after": str(end) if end < len(items) else None,
        },
    }


def _dispatcher(request: web.Request) -> WebhookDispatcher:
    return request.app[DISPATCHER_KEY]


async def create_webhook(request: web.Request) -> web.Response:
    """POST /webhooks."""
    try:
        webhook = _dispatcher(request).create(await _read_json(request))
    except WebhookError as err:
        return _problem(err)
    return web.json_response(webhook.to_response())


async def list_webhooks(request: web.Request) -> web.Response:
    """GET /webhooks (paginated, newest first)."""
    items = [hook.to_response() for hook in reversed(_dispatcher(request).webhooks)]
    try:
        return web.json_response(_paginate(request, items))
    except WebhookError as err:
        return _problem(err)


async def get_webhook(request: web.Request) -> web.Response:
    """GET /webhooks/{webhookId}."""
    try:
        webhook = _dispatcher(request).get(request.match_info["webhookId"])
    except WebhookError as err:
        return _problem(err)
    return web.json_response(webhook.to_response())


async def update_webhook(request: web.Request) -> web.Response:
    """PATCH /webhooks/{webhookId}."""
    dispatcher = _dispatcher(request)
    try:
        dispatcher.get(request.match_info["webhookId"])
        webhook = dispatcher.update(request.match_info["webhookId"], await _read_json(request))
    except WebhookError as err:
        return _problem(err)
    return web.json_response(webhook.to_response())


async def delete_webhook(request: web.Request) -> web.Response:
    """DELETE /webhooks/{webhookId}."""
    try:
        _dispatcher(request).delete(request.match_info["webhookId"])
    except WebhookError as err:
        return _problem(err)
    return web.Response(status=204)


async def test_webhook(request: web.Request) -> web.Response:
    """POST /webhooks/{webhookId}/test."""
    try:
        result = await _dispatcher(request).test(request.match_info["webhookId"])
    except WebhookError as err:
        return _problem(err)
    return web.json_response(result)


async def control_flush(request: web.Request) -> web.Response:
    """POST /_simulator/webhooks/flush: deliver everything due now (``?force=1`` skips backoff)."""
    force = request.query.get("force", "").lower() in {"1", "true", "yes"}
    attempts = await _dispatcher(request).flush(force=force)
    return web.json_response({"attempts": [attempt.to_dict() for attempt in attempts]})


async def control_deliveries(request: web.Request) -> web.Response:
    """GET /_simulator/webhooks/deliveries: every delivery attempt so far."""
    dispatcher = _dispatcher(request)
    return web.json_response(
        {
            "pendingEvents": dispatcher.pending_count,
            "attempts": [attempt.to_dict() for attempt in dispatcher.attempts],
        }
    )


def add_routes(app: web.Application, dispatcher: WebhookDispatcher) -> None:
    """Register the webhook endpoints and their control endpoints on the simulator app."""
    app[DISPATCHER_KEY] = dispatcher
    app.router.add_post("/webhooks", create_webhook)
    app.router.add_get("/webhooks", list_webhooks)
    app.router.add_get("/webhooks/{webhookId}", get_webhook)
    app.router.add_patch("/webhooks/{webhookId}", update_webhook)
    app.router.add_delete("/webhooks/{webhookId}", delete_webhook)
    app.router.add_post("/webhooks/{webhookId}/test", test_webhook)
    app.router.add_post("/_simulator/webhooks/flush", control_flush)
    app.router.add_get("/_simulator/webhooks/deliveries", control_deliveries)
