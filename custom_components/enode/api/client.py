"""Async client for the Enode API (version 2024-10-01)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, date, datetime
from email.utils import parsedate_to_datetime
import logging
import random
import time
from types import TracebackType
from typing import Any, Self, TypedDict
from urllib.parse import quote

import aiohttp
import orjson
from yarl import URL

from .const import (
    API_URLS,
    API_VERSION,
    ASSET_PATHS,
    DEFAULT_PAGE_SIZE,
    HEADER_API_VERSION,
    TOKEN_URLS,
    AssetType,
    Environment,
)
from .exceptions import (
    EnodeAuthenticationError,
    EnodeConflictError,
    EnodeConnectionError,
    EnodeError,
    EnodeForbiddenError,
    EnodeNotFoundError,
    EnodePreconditionError,
    EnodeRateLimitError,
    EnodeResponseError,
    EnodeServerError,
    EnodeTimeoutError,
)
from .models import (
    Asset,
    AssetBase,
    Battery,
    ChargeAction,
    Charger,
    ChargerAction,
    ChargingAction,
    EnodeModel,
    Hvac,
    HvacAction,
    HvacMode,
    Integration,
    Intervention,
    Inverter,
    LinkSession,
    Location,
    MaxCurrentAction,
    Meter,
    OperationModeAction,
    SmartChargingPlan,
    SmartChargingPolicy,
    SmartChargingStatus,
    SmartOverride,
    User,
    Vehicle,
    VehicleAction,
    Webhook,
    WebhookTestResult,
    describe_model_error,
)
from .reuse import AssetParser
from .statistics import ChargingStatistics, HemStatistics, HemSystem, StatisticsResolution

_LOGGER = logging.getLogger(__name__)

IDEMPOTENT_METHODS = frozenset({"GET", "PUT", "DELETE"})

ASSET_MODELS: dict[AssetType, type[Asset]] = {
    model.asset_type: model for model in (Vehicle, Charger, Battery, Inverter, Meter, Hvac)
}

# Keyword names accepted by ``update_webhook`` and their wire names.
_WEBHOOK_FIELDS = {
    "url": "url",
    "secret": "secret",
    "events": "events",
    "api_version": "apiVersion",
    "authentication": "authentication",
}

_PROBLEM_ERRORS: dict[int, type[EnodeError]] = {
    400: EnodePreconditionError,
    401: EnodeAuthenticationError,
    403: EnodeForbiddenError,
    404: EnodeNotFoundError,
    409: EnodeConflictError,
    422: EnodeConflictError,
}


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Return the delay in seconds of a ``Retry-After`` header (seconds or an HTTP date)."""
    if value is None or not (value := value.strip()):
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


class _Problem(TypedDict):
    problem_type: str | None
    title: str | None
    detail: str | None


def _problem(body: bytes) -> _Problem:
    """Return the ``type``, ``title`` and ``detail`` of a problem body (None when absent)."""
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        data = None
    if not isinstance(data, dict):
        data = {}

    def _str(key: str) -> str | None:
        value = data.get(key)
        return value if isinstance(value, str) else None

    return _Problem(problem_type=_str("type"), title=_str("title"), detail=_str("detail"))


class _Response:
    """What the client keeps of a response."""

    __slots__ = ("body", "headers", "status")

    def __init__(self, status: int, headers: Mapping[str, str], body: bytes) -> None:
        self.status = status
        self.headers = headers
        self.body = body


class EnodeClient:
    """Client for the Enode API.

    ``session`` may be injected (it is then never closed by the client). Idempotent requests (GET,
    PUT, DELETE) are retried ``max_retries`` times on connection errors, timeouts and 5xx, with a
    jittered exponential backoff starting at ``retry_base_delay`` seconds. A 429 is waited out and
    retried when its ``Retry-After`` is at most ``max_rate_limit_wait`` seconds; otherwise
    ``EnodeRateLimitError`` carries the delay.
    """

    def __init__(
        self,
        client_id: str,
        client_secret: str,
        *,
        environment: Environment = Environment.PRODUCTION,
        api_url: str | None = None,
        token_url: str | None = None,
        session: aiohttp.ClientSession | None = None,
        request_timeout: float = 30,
        max_retries: int = 3,
        max_rate_limit_wait: float = 0,
        retry_base_delay: float = 0.5,
        retry_max_delay: float = 30,
        token_refresh_margin: float = 60,
    ) -> None:
        """Initialize the client."""
        environment = Environment(environment)
        if environment is Environment.CUSTOM and (not api_url or not token_url):
            msg = "The custom environment needs api_url and token_url"
            raise ValueError(msg)
        self.environment = environment
        self.api_url = (api_url or API_URLS[environment]).rstrip("/")
        self.token_url = token_url or TOKEN_URLS[environment]
        self.request_timeout = request_timeout
        self.max_retries = max_retries
        self.max_rate_limit_wait = max_rate_limit_wait
        self.retry_base_delay = retry_base_delay
        self.retry_max_delay = retry_max_delay
        self.token_refresh_margin = token_refresh_margin
        # The monotonic clock used for the token's expiry (replaceable in tests).
        self.clock: Callable[[], float] = time.monotonic
        self._client_id = client_id
        self._client_secret = client_secret
        self._session = session
        self._close_session = False
        self._token: str | None = None
        self._token_expires_at = 0.0
        self._token_lock = asyncio.Lock()
        # Assets read again parse only what changed (``reuse.py``); webhook deliveries use it too.
        self.asset_parser = AssetParser()

    # ----------------------------------------------------------------------------------------
    # Life cycle

    async def close(self) -> None:
        """Close the session if the client created it."""
        if self._session is not None and self._close_session:
            await self._session.close()
            self._session = None
            self._close_session = False

    async def __aenter__(self) -> Self:
        """Enter the async context."""
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Leave the async context (close a session the client created)."""
        await self.close()

    def _get_session(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession()
            self._close_session = True
        return self._session

    # ----------------------------------------------------------------------------------------
    # Transport

    def _backoff(self, attempt: int) -> float:
        """Return the jittered delay before retry number ``attempt`` (0-based)."""
        delay = min(self.retry_max_delay, self.retry_base_delay * (2.0**attempt))
        return delay * random.uniform(0.5, 1.0)

    async def _send(
        self,
        method: str,
        url: str | URL,
        *,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, str | int] | None = None,
        json: Any = None,
        data: Mapping[str, str] | None = None,
        auth: aiohttp.BasicAuth | None = None,
        idempotent: bool | None = None,
        retries: int | None = None,
    ) -> _Response:
        """Send a request with retries; return the final response (any status)."""
        if idempotent is None:
            idempotent = method in IDEMPOTENT_METHODS
        max_retries = self.max_retries if retries is None else retries
        attempt = 0
        rate_limit_waits = 0
        session = self._get_session()
        while True:
            try:
                async with asyncio.timeout(self.request_timeout):
                    async with session.request(
                        method,
                        url,
                        headers=headers,
                        params=params,
                        json=json,
                        data=data,
                        auth=auth,
                    ) as resp:
                        response = _Response(resp.status, resp.headers, await resp.read())
            except TimeoutError as err:
                if idempotent and attempt < max_retries:
                    await self._retry_sleep(method, url, attempt, "timeout")
                    attempt += 1
                    continue
                msg = f"Timeout after {self.request_timeout} s on {method} {_path(url)}"
                raise EnodeTimeoutError(msg) from err
            except aiohttp.ClientError as err:
                if idempotent and attempt < max_retries:
                    await self._retry_sleep(method, url, attempt, type(err).__name__)
                    attempt += 1
                    continue
                msg = f"Error communicating with Enode on {method} {_path(url)}: {err}"
                raise EnodeConnectionError(msg) from err

            if response.status == 429:
                delay = parse_retry_after(response.headers.get("Retry-After"))
                if (
                    delay is not None
                    and delay <= self.max_rate_limit_wait
                    and rate_limit_waits < max(max_retries, 1)
                ):
                    _LOGGER.debug(
                        "Rate limited on %s %s; waiting %.1f s", method, _path(url), delay
                    )
                    rate_limit_waits += 1
                    await asyncio.sleep(delay)
                    continue
                return response
            if response.status >= 500 and idempotent and attempt < max_retries:
                await self._retry_sleep(method, url, attempt, f"status {response.status}")
                attempt += 1
                continue
            return response

    async def _retry_sleep(self, method: str, url: str | URL, attempt: int, reason: str) -> None:
        delay = self._backoff(attempt)
        _LOGGER.debug(
            "Retrying %s %s in %.2f s (attempt %d, %s)",
            method,
            _path(url),
            delay,
            attempt + 1,
            reason,
        )
        await asyncio.sleep(delay)

    # ----------------------------------------------------------------------------------------
    # Authentication

    async def _fetch_token(self) -> None:
        """Fetch a new access token (client credentials grant)."""
        response = await self._send(
            "POST",
            self.token_url,
            data={"grant_type": "client_credentials"},
            auth=aiohttp.BasicAuth(self._client_id, self._client_secret),
            headers={"Accept": "application/json"},
            idempotent=True,
        )
        if response.status in (400, 401, 403):
            problem = _problem(response.body)
            raise EnodeAuthenticationError(
                f"Enode rejected the client credentials ({response.status})",
                status=response.status,
                **problem,
            )
        if response.status != 200:
            raise _error_for(response)
        try:
            data = orjson.loads(response.body)
            token = data["access_token"]
            expires_in = float(data.get("expires_in", 3600))
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError) as err:
            msg = "Malformed token response"
            raise EnodeResponseError(msg, status=response.status) from err
        if not isinstance(token, str) or not token:
            msg = "Malformed token response"
            raise EnodeResponseError(msg, status=response.status)
        margin = min(self.token_refresh_margin, expires_in / 10)
        self._token = token
        self._token_expires_at = self.clock() + expires_in - margin
        _LOGGER.debug("Fetched an access token valid for %.0f s", expires_in)

    async def _get_token(self, *, stale: str | None = None, force: bool = False) -> str:
        """Return a valid token; refresh it when expired, forced, or equal to ``stale``."""
        async with self._token_lock:
            token = self._token
            # Reuse the cached token unless forced, expired, or the one just rejected (stale).
            if (
                not force
                and token is not None
                and token != stale
                and self.clock() < self._token_expires_at
            ):
                return token
            await self._fetch_token()
            assert self._token is not None
            return self._token

    async def verify_credentials(self) -> None:
        """Fetch a new token; raise ``EnodeAuthenticationError`` when the credentials are bad."""
        await self._get_token(force=True)

    # ----------------------------------------------------------------------------------------
    # Requests

    def _url(self, *segments: str) -> URL:
        path = "/".join(quote(str(segment), safe="") for segment in segments)
        return URL(f"{self.api_url}/{path}", encoded=True)

    async def _request(
        self,
        method: str,
        *segments: str,
        params: Mapping[str, str | int] | None = None,
        json: Any = None,
    ) -> Any:
        """Send an authenticated request; return the decoded JSON (None for an empty body)."""
        url = self._url(*segments)
        token = await self._get_token()
        response = await self._send(
            method, url, headers=self._headers(token), params=params, json=json
        )
        if response.status == 401:
            _LOGGER.debug("Token rejected on %s %s; refreshing it once", method, _path(url))
            token = await self._get_token(stale=token)
            response = await self._send(
                method, url, headers=self._headers(token), params=params, json=json
            )
        if not 200 <= response.status < 300:
            raise _error_for(response)
        if response.status == 204 or not response.body.strip():
            return None
        try:
            return orjson.loads(response.body)
        except orjson.JSONDecodeError as err:
            msg = f"Malformed JSON from {method} {_path(url)}"
            raise EnodeResponseError(msg, status=response.status) from err

    def _headers(self, token: str) -> dict[str, str]:
        return {
            "Authorization": f"Bearer {token}",
            HEADER_API_VERSION: API_VERSION,
            "Accept": "application/json",
        }

    async def _request_model[M: EnodeModel](
        self,
        model: type[M],
        method: str,
        *segments: str,
        params: Mapping[str, str | int] | None = None,
        json: Any = None,
    ) -> M:
        """Send a request (any method) and parse the answer as a ``model``."""
        data = await self._request(method, *segments, params=params, json=json)
        return _parse(model, data, self.asset_parser)

    async def _get_list[M: EnodeModel](
        self,
        model: type[M],
        *segments: str,
        params: Mapping[str, str | int] | None = None,
    ) -> list[M]:
        """GET a bare JSON array of objects."""
        data = await self._request("GET", *segments, params=params)
        if not isinstance(data, list):
            msg = f"Expected a list from {loggable_path('/' + '/'.join(segments))}"
            raise EnodeResponseError(msg)
        return [_parse(model, item, self.asset_parser) for item in data]

    async def _paginate[M: EnodeModel](
        self,
        model: type[M],
        *segments: str,
        page_size: int = DEFAULT_PAGE_SIZE,
    ) -> list[M]:
        """GET every page of a paginated list (``after`` cursor)."""
        items: list[M] = []
        after: str | None = None
        seen: set[str] = set()
        while True:
            params: dict[str, str | int] = {"pageSize": page_size}
            if after is not None:
                params["after"] = after
            data = await self._request("GET", *segments, params=params)
            if not isinstance(data, dict) or not isinstance(data.get("data"), list):
                msg = f"Expected a paginated list from {loggable_path('/' + '/'.join(segments))}"
                raise EnodeResponseError(msg)
            items.extend(_parse(model, item, self.asset_parser) for item in data["data"])
            pagination = data.get("pagination")
            after = pagination.get("after") if isinstance(pagination, dict) else None
            if not isinstance(after, str) or not after or after in seen:
                return items
            seen.add(after)

    # ----------------------------------------------------------------------------------------
    # Energy statistics (HEM systems, charging)

    async def list_hem_systems(self, user_id: str) -> list[HemSystem]:
        """Return every HEM system (a household's battery, inverter and meter) of a user."""
        return await self._paginate(HemSystem, "users", user_id, "hem-systems")

    async def get_hem_system(self, hem_system_id: str) -> HemSystem:
        """Return a HEM system."""
        return await self._request_model(HemSystem, "GET", "hem-systems", hem_system_id)

    async def get_hem_statistics(self, hem_system_id: str, day: date) -> HemStatistics:
        """Return a HEM system's statistics of one local day (in the system's time zone).

        Enode answers 400 (``EnodePreconditionError``) for a day before the installation and
        422 (``EnodeConflictError``) when it has no statistics for the day.
        """
        return await self._request_model(
            HemStatistics,
            "GET",
            "hem-systems",
            hem_system_id,
            "statistics",
            params={"interval": day.isoformat()},
        )

    async def get_charging_statistics(
        self,
        user_id: str,
        asset_type: AssetType,
        asset_id: str,
        start: datetime,
        end: datetime | None = None,
        resolution: StatisticsResolution = StatisticsResolution.HOUR,
    ) -> list[ChargingStatistics]:
        """Return a vehicle's or a charger's charging statistics from ``start`` to ``end``."""
        params: dict[str, str | int] = {
            "type": asset_type.value,
            "id": asset_id,
            "resolution": resolution.value,
            "startDate": _timestamp(start),
        }
        if end is not None:
            params["endDate"] = _timestamp(end)
        return await self._get_list(
            ChargingStatistics, "users", user_id, "statistics", "charging", params=params
        )

    # ----------------------------------------------------------------------------------------
    # Assets

    async def list_vehicles(self, user_id: str) -> list[Vehicle]:
        """Return every vehicle of a user."""
        return await self.list_assets(user_id, Vehicle)

    async def list_chargers(self, user_id: str) -> list[Charger]:
        """Return every charger of a user."""
        return await self.list_assets(user_id, Charger)

    async def list_batteries(self, user_id: str) -> list[Battery]:
        """Return every battery of a user."""
        return await self.list_assets(user_id, Battery)

    async def list_inverters(self, user_id: str) -> list[Inverter]:
        """Return every inverter of a user."""
        return await self.list_assets(user_id, Inverter)

    async def list_meters(self, user_id: str) -> list[Meter]:
        """Return every meter of a user."""
        return await self.list_assets(user_id, Meter)

    async def list_hvacs(self, user_id: str) -> list[Hvac]:
        """Return every HVAC unit of a user."""
        return await self.list_assets(user_id, Hvac)

    async def list_assets[A: AssetBase](self, user_id: str, model: type[A]) -> list[A]:
        """Return every asset of one type (``Vehicle``, ``Charger``, ...) of a user."""
        assets = await self._paginate(model, "users", user_id, ASSET_PATHS[model.asset_type])
        self.asset_parser.forget_unlisted(user_id, model, {asset.id for asset in assets})
        return assets

    async def get_asset[A: AssetBase](self, model: type[A], asset_id: str) -> A:
        """Return one asset of a type (``Vehicle``, ``Charger``, ...)."""
        return await self._request_model(model, "GET", ASSET_PATHS[model.asset_type], asset_id)

    async def get_vehicle(self, vehicle_id: str) -> Vehicle:
        """Return a vehicle."""
        return await self._request_model(Vehicle, "GET", "vehicles", vehicle_id)

    async def get_charger(self, charger_id: str) -> Charger:
        """Return a charger."""
        return await self._request_model(Charger, "GET", "chargers", charger_id)

    async def get_battery(self, battery_id: str) -> Battery:
        """Return a battery."""
        return await self._request_model(Battery, "GET", "batteries", battery_id)

    async def get_inverter(self, inverter_id: str) -> Inverter:
        """Return an inverter."""
        return await self._request_model(Inverter, "GET", "inverters", inverter_id)

    async def get_meter(self, meter_id: str) -> Meter:
        """Return a meter."""
        return await self._request_model(Meter, "GET", "meters", meter_id)

    async def get_hvac(self, hvac_id: str) -> Hvac:
        """Return an HVAC unit."""
        return await self._request_model(Hvac, "GET", "hvacs", hvac_id)

    async def refresh_hint(self, asset_type: AssetType, asset_id: str) -> None:
        """Ask Enode to refresh an asset's data soon (use sparingly)."""
        asset_type = AssetType(asset_type)
        await self._request("POST", ASSET_PATHS[asset_type], asset_id, "refresh-hint")

    async def update_charger(self, charger_id: str, *, location_id: str | None) -> Charger:
        """Assign a charger to a Location (``None`` clears it)."""
        return await self._request_model(
            Charger, "PUT", "chargers", charger_id, json={"locationId": location_id}
        )

    # ----------------------------------------------------------------------------------------
    # Linking

    async def create_link_session(
        self,
        user_id: str,
        *,
        scopes: list[str],
        language: str,
        redirect_uri: str,
        vendor: str | None = None,
        vendor_type: str | None = None,
        color_scheme: str | None = None,
    ) -> LinkSession:
        """Create a Link UI session for a user (the user is created if needed)."""
        payload: dict[str, Any] = {
            "scopes": list(scopes),
            "language": language,
            "redirectUri": redirect_uri,
        }
        if vendor is not None:
            payload["vendor"] = vendor
        if vendor_type is not None:
            payload["vendorType"] = str(vendor_type)
        if color_scheme is not None:
            payload["colorScheme"] = color_scheme
        return await self._request_model(
            LinkSession, "POST", "users", user_id, "link", json=payload
        )

    async def relink_asset(
        self,
        asset_id: str,
        *,
        language: str,
        redirect_uri: str,
        color_scheme: str | None = None,
    ) -> LinkSession:
        """Create a Link UI session that relinks an asset."""
        payload: dict[str, Any] = {"language": language, "redirectUri": redirect_uri}
        if color_scheme is not None:
            payload["colorScheme"] = color_scheme
        return await self._request_model(
            LinkSession, "POST", "assets", asset_id, "relink", json=payload
        )

    async def list_integrations(
        self, asset_types: Iterable[AssetType] | None = None
    ) -> list[Integration]:
        """Return the vendor integrations (brands) for some asset types (default: all)."""
        params: dict[str, str | int] = {}
        if asset_types is not None:
            params["assetTypes"] = ",".join(str(AssetType(t)) for t in asset_types)
        return await self._get_list(Integration, "integrations", params=params)

    # ----------------------------------------------------------------------------------------
    # Control and actions

    async def set_vehicle_charging(self, vehicle_id: str, action: ChargingAction) -> ChargeAction:
        """Start or stop charging a vehicle."""
        return await self._request_model(
            ChargeAction,
            "POST",
            "vehicles",
            vehicle_id,
            "charging",
            json={"action": str(ChargingAction(action))},
        )

    async def set_charger_charging(self, charger_id: str, action: ChargingAction) -> ChargeAction:
        """Start or stop charging on a charger."""
        return await self._request_model(
            ChargeAction,
            "POST",
            "chargers",
            charger_id,
            "charging",
            json={"action": str(ChargingAction(action))},
        )

    async def set_charger_max_current(
        self, charger_id: str, max_current: float
    ) -> MaxCurrentAction:
        """Set a charger's max current (A)."""
        return await self._request_model(
            MaxCurrentAction,
            "POST",
            "chargers",
            charger_id,
            "max-current",
            json={"maxCurrent": max_current},
        )

    async def set_vehicle_max_current(
        self, vehicle_id: str, max_current: float
    ) -> MaxCurrentAction:
        """Set a vehicle's max charging current (A); experimental in Enode (Tesla only)."""
        return await self._request_model(
            MaxCurrentAction,
            "POST",
            "vehicles",
            vehicle_id,
            "max-current",
            json={"maxCurrent": max_current},
        )

    async def get_smart_charging_policy(self, vehicle_id: str) -> SmartChargingPolicy:
        """Return a vehicle's smart charging policy."""
        return await self._request_model(
            SmartChargingPolicy, "GET", "vehicles", vehicle_id, "smart-charging-policy"
        )

    async def update_smart_charging_policy(
        self,
        vehicle_id: str,
        *,
        is_enabled: bool | None = None,
        deadline: str | None = None,
        minimum_charge_limit: float | None = None,
    ) -> SmartChargingPolicy:
        """Update some fields of a vehicle's smart charging policy; return the whole policy.

        A 400 (``EnodePreconditionError``, e.g. "Cannot activate smart charging") means the
        vehicle cannot be smart charged as asked.
        """
        payload: dict[str, Any] = {
            key: value
            for key, value in (
                ("isEnabled", is_enabled),
                ("deadline", deadline),
                ("minimumChargeLimit", minimum_charge_limit),
            )
            if value is not None
        }
        return await self._request_model(
            SmartChargingPolicy,
            "PUT",
            "vehicles",
            vehicle_id,
            "smart-charging-policy",
            json=payload,
        )

    async def get_smart_charging_status(self, vehicle_id: str) -> SmartChargingStatus:
        """Return a vehicle's smart charging status (with the active plan, and the override)."""
        return await self._request_model(
            SmartChargingStatus, "GET", "vehicles", vehicle_id, "smart-charging-status"
        )

    async def get_smart_charging_plan(
        self, vehicle_id: str, plan_id: str = "latest"
    ) -> SmartChargingPlan:
        """Return a smart charging plan of a vehicle (``latest``: the most recent one)."""
        return await self._request_model(
            SmartChargingPlan, "GET", "vehicles", vehicle_id, "smart-charging-plans", plan_id
        )

    async def create_smart_override(self, vehicle_id: str) -> SmartOverride:
        """Charge a vehicle now despite smart charging; ``vendor_action_id`` starts it."""
        return await self._request_model(
            SmartOverride, "POST", "vehicles", vehicle_id, "smart-override"
        )

    async def end_smart_override(self, vehicle_id: str) -> SmartOverride:
        """End a vehicle's smart override (404 ``EnodeNotFoundError`` when none is active)."""
        return await self._request_model(
            SmartOverride, "DELETE", "vehicles", vehicle_id, "smart-override"
        )

    async def set_battery_operation_mode(self, battery_id: str, mode: str) -> OperationModeAction:
        """Set a battery's operation mode."""
        return await self._request_model(
            OperationModeAction,
            "POST",
            "batteries",
            battery_id,
            "operation-mode",
            json={"operationMode": str(mode)},
        )

    async def set_hvac_permanent_hold(
        self,
        hvac_id: str,
        mode: HvacMode,
        *,
        heat_setpoint: float | None = None,
        cool_setpoint: float | None = None,
    ) -> HvacAction:
        """Hold an HVAC unit in a mode until told otherwise (``POST /hvacs/{id}/permanent-hold``).

        Enode's payload per mode: HEAT takes ``heat_setpoint``, COOL ``cool_setpoint``, AUTO both,
        OFF none (°C). A missing setpoint for the mode is a ``ValueError`` before any request.
        """
        mode = HvacMode(mode)
        needed = {
            HvacMode.HEAT: ("heatSetpoint",),
            HvacMode.COOL: ("coolSetpoint",),
            HvacMode.AUTO: ("coolSetpoint", "heatSetpoint"),
            HvacMode.OFF: (),
        }.get(mode)
        if needed is None:
            msg = f"An HVAC unit cannot be held in mode {mode}"
            raise ValueError(msg)
        given = {"heatSetpoint": heat_setpoint, "coolSetpoint": cool_setpoint}
        payload: dict[str, Any] = {"mode": str(mode)}
        for key in needed:
            if given[key] is None:
                msg = f"Mode {mode} needs {key}"
                raise ValueError(msg)
            payload[key] = given[key]
        return await self._request_model(
            HvacAction, "POST", "hvacs", hvac_id, "permanent-hold", json=payload
        )

    async def set_hvac_follow_schedule(self, hvac_id: str) -> HvacAction:
        """Let an HVAC unit follow the schedule set on the device (ends a permanent hold)."""
        return await self._request_model(HvacAction, "POST", "hvacs", hvac_id, "follow-schedule")

    async def get_hvac_action(self, action_id: str) -> HvacAction:
        """Return an HVAC action."""
        return await self._request_model(HvacAction, "GET", "hvacs", "actions", action_id)

    async def cancel_hvac_action(self, action_id: str) -> HvacAction:
        """Cancel an HVAC action (409 ``EnodeConflictError`` when already resolved)."""
        return await self._request_model(
            HvacAction, "POST", "hvacs", "actions", action_id, "cancel"
        )

    async def _charge_action(self, *segments: str) -> ChargeAction | MaxCurrentAction:
        method = "POST" if segments[-1] == "cancel" else "GET"
        data = await self._request(method, *segments)
        if isinstance(data, dict) and "kind" not in data and "targetState" in data:
            return _parse(MaxCurrentAction, data)
        return _parse(ChargeAction, data)

    async def get_vehicle_action(self, action_id: str) -> VehicleAction:
        """Return a vehicle action."""
        return await self._charge_action("vehicles", "actions", action_id)

    async def get_charger_action(self, action_id: str) -> ChargerAction:
        """Return a charger action."""
        return await self._charge_action("chargers", "actions", action_id)

    async def get_battery_action(self, action_id: str) -> OperationModeAction:
        """Return a battery action."""
        return await self._request_model(
            OperationModeAction, "GET", "batteries", "actions", action_id
        )

    async def cancel_vehicle_action(self, action_id: str) -> VehicleAction:
        """Cancel a vehicle action (409 ``EnodeConflictError`` when already resolved)."""
        return await self._charge_action("vehicles", "actions", action_id, "cancel")

    async def cancel_charger_action(self, action_id: str) -> ChargerAction:
        """Cancel a charger action (409 ``EnodeConflictError`` when already resolved)."""
        return await self._charge_action("chargers", "actions", action_id, "cancel")

    async def cancel_battery_action(self, action_id: str) -> OperationModeAction:
        """Cancel a battery action (409 ``EnodeConflictError`` when already resolved)."""
        return await self._request_model(
            OperationModeAction, "POST", "batteries", "actions", action_id, "cancel"
        )

    # ----------------------------------------------------------------------------------------
    # Interventions

    async def list_interventions(
        self,
        *,
        language: str | None = None,
        vendor_type: str | None = None,
        vendor: str | None = None,
    ) -> list[Intervention]:
        """Return the intervention catalog."""
        params: dict[str, str | int] = {}
        if language is not None:
            params["language"] = language
        if vendor_type is not None:
            params["vendorType"] = str(vendor_type)
        if vendor is not None:
            params["vendor"] = vendor
        return await self._get_list(Intervention, "interventions", params=params)

    async def get_intervention(
        self, intervention_id: str, *, language: str | None = None
    ) -> Intervention:
        """Return one intervention."""
        params: dict[str, str | int] = {}
        if language is not None:
            params["language"] = language
        return await self._request_model(
            Intervention, "GET", "interventions", intervention_id, params=params
        )

    # ----------------------------------------------------------------------------------------
    # Locations

    async def create_location(
        self,
        user_id: str,
        *,
        name: str,
        latitude: float,
        longitude: float,
        timezone_name: str,
    ) -> Location:
        """Create a Location for a user."""
        payload = {
            "name": name,
            "latitude": latitude,
            "longitude": longitude,
            "timezoneName": timezone_name,
        }
        return await self._request_model(
            Location, "POST", "users", user_id, "locations", json=payload
        )

    async def list_locations(self, user_id: str) -> list[Location]:
        """Return every Location of a user."""
        return await self._paginate(Location, "users", user_id, "locations")

    async def get_location(self, location_id: str) -> Location:
        """Return a Location."""
        return await self._request_model(Location, "GET", "locations", location_id)

    async def update_location(
        self,
        location_id: str,
        *,
        name: str | None = None,
        latitude: float | None = None,
        longitude: float | None = None,
        timezone_name: str | None = None,
    ) -> Location:
        """Update some fields of a Location."""
        payload: dict[str, Any] = {
            key: value
            for key, value in (
                ("name", name),
                ("latitude", latitude),
                ("longitude", longitude),
                ("timezoneName", timezone_name),
            )
            if value is not None
        }
        return await self._request_model(Location, "PUT", "locations", location_id, json=payload)

    async def delete_location(self, location_id: str) -> Location:
        """Delete a Location; return it."""
        return await self._request_model(Location, "DELETE", "locations", location_id)

    # ----------------------------------------------------------------------------------------
    # Users

    async def get_user(self, user_id: str) -> User:
        """Return a user and its linked vendors."""
        return await self._request_model(User, "GET", "users", user_id)

    async def delete_user(self, user_id: str) -> None:
        """Delete a user and all its data."""
        await self._request("DELETE", "users", user_id)

    async def disconnect_vendor(
        self, user_id: str, vendor: str, vendor_type: str | None = None
    ) -> None:
        """Disconnect a user's vendor account (or only one asset type of it)."""
        segments = ["users", user_id, "vendors", vendor]
        if vendor_type is not None:
            segments.append(str(vendor_type))
        await self._request("DELETE", *segments)

    # ----------------------------------------------------------------------------------------
    # Webhooks

    async def create_webhook(
        self,
        *,
        url: str,
        secret: str,
        events: list[str] | None = None,
        api_version: str | None = API_VERSION,
        authentication: Mapping[str, str] | None = None,
    ) -> Webhook:
        """Create a webhook (``authentication``: ``{"headerName": ..., "headerValue": ...}``)."""
        payload: dict[str, Any] = {"url": url, "secret": secret, "apiVersion": api_version}
        if events is not None:
            payload["events"] = list(events)
        if authentication is not None:
            payload["authentication"] = dict(authentication)
        return await self._request_model(Webhook, "POST", "webhooks", json=payload)

    async def list_webhooks(self) -> list[Webhook]:
        """Return every webhook of the client."""
        return await self._paginate(Webhook, "webhooks")

    async def get_webhook(self, webhook_id: str) -> Webhook:
        """Return a webhook."""
        return await self._request_model(Webhook, "GET", "webhooks", webhook_id)

    async def update_webhook(self, webhook_id: str, **changes: Any) -> Webhook:
        """Update a webhook: ``url``, ``secret``, ``events``, ``api_version``, ``authentication``.

        Updating a webhook also reactivates it.
        """
        unknown = set(changes) - set(_WEBHOOK_FIELDS)
        if unknown:
            msg = f"Unknown webhook fields: {', '.join(sorted(unknown))}"
            raise TypeError(msg)
        payload = {_WEBHOOK_FIELDS[key]: value for key, value in changes.items()}
        return await self._request_model(Webhook, "PATCH", "webhooks", webhook_id, json=payload)

    async def delete_webhook(self, webhook_id: str) -> None:
        """Delete a webhook."""
        await self._request("DELETE", "webhooks", webhook_id)

    async def test_webhook(self, webhook_id: str) -> WebhookTestResult:
        """Send an ``enode:webhook:test`` event to a webhook and return the outcome."""
        return await self._request_model(WebhookTestResult, "POST", "webhooks", webhook_id, "test")

    # ----------------------------------------------------------------------------------------
    # Health

    async def health(self) -> bool:
        """Return True when Enode reports itself ready (``GET /health/ready``, no auth)."""
        response = await self._send(
            "GET",
            self._url("health", "ready"),
            headers={HEADER_API_VERSION: API_VERSION},
            retries=0,
        )
        if 200 <= response.status < 300:
            return True
        if response.status == 503:
            return False
        raise _error_for(response)


def loggable_path(path: str) -> str:
    """Return a path fit for logs and messages: the user id after ``/users/`` masked.

    The Enode user id is personal data (diagnostics redact it); a path such as
    ``/users/{userId}/vehicles`` becomes ``/users/***/vehicles``.
    """
    segments = path.split("/")
    for index in range(len(segments) - 1):
        if segments[index] == "users" and segments[index + 1]:
            segments[index + 1] = "***"
    return "/".join(segments)


def _path(url: str | URL) -> str:
    """Return the path of a URL for logs and messages: no host, no query, no user id."""
    return loggable_path(URL(url).path if isinstance(url, str) else url.path)


def _error_for(response: _Response) -> EnodeError:
    """Return the exception for an unsuccessful response."""
    status = response.status
    problem = _problem(response.body)
    if status == 429:
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        return EnodeRateLimitError(retry_after=retry_after, **problem)
    if status >= 500:
        return EnodeServerError(status=status, **problem)
    error_class = _PROBLEM_ERRORS.get(status, EnodeResponseError)
    return error_class(status=status, **problem)


def _timestamp(moment: datetime) -> str:
    """Enode's timestamp format in a query: ``2021-03-21T00:15:00.000Z`` (UTC)."""
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _parse[M: EnodeModel](model: type[M], data: Any, parser: AssetParser | None = None) -> M:
    """Build a model from a decoded payload; raise ``EnodeResponseError`` when malformed.

    An asset goes through ``parser`` (when given), which reuses what it parsed before.
    """
    if not isinstance(data, dict):
        msg = f"Expected an object for {model.__name__}, got {type(data).__name__}"
        raise EnodeResponseError(msg)
    try:
        if parser is not None and issubclass(model, AssetBase):
            return parser.parse(model, data)
        return model.from_dict(data)
    except (ValueError, TypeError, LookupError) as err:
        # ``from None``: mashumaro's message holds the invalid value (maybe a VIN or coordinates).
        msg = f"Malformed {model.__name__}: {describe_model_error(err)}"
        raise EnodeResponseError(msg) from None
