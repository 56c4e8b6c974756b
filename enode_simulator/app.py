"""The aiohttp application: the Enode API (2024-10-01), the token endpoint and fault injection."""

from __future__ import annotations

import asyncio
import base64
import binascii
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
import json
import logging
import time
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from aiohttp import web

from .catalog import (
    ALL_SCOPES,
    ALL_VENDORS,
    API_VERSION,
    ASSET_TYPES,
    COLOR_SCHEMES,
    LANGUAGES,
    PLURALS,
    render_intervention,
)
from .state import ApiError, SimState, bad_request, not_found

type JSON = dict[str, Any]
type Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

_LOGGER = logging.getLogger(__name__)


PUBLIC_PREFIXES = ("/_simulator", "/link", "/health/ready", "/oauth2/token", "/favicon.ico")
UNLOGGED_PREFIXES = ("/_simulator", "/link", "/favicon.ico")
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
VERSION_HEADER = "Enode-Version"
# Request headers whose values the request log replaces with REDACTED.
SECRET_HEADERS = frozenset({"authorization", "cookie", "proxy-authorization"})
REDACTED = "**REDACTED**"


# --- Faults ------------------------------------------------------------------------------------


@dataclass
class Fault:
    """What the next ``count`` matching requests get instead of (or on top of) the real answer."""

    status: int | None = None
    count: int = 1
    path_prefix: str | None = None
    method: str | None = None
    retry_after: str | None = None
    latency: float | None = None
    malformed: bool = False
    detail: str | None = None
    id: int = 0

    def matches(self, method: str, path: str) -> bool:
        """Whether the fault applies to a request."""
        return (self.path_prefix is None or path.startswith(self.path_prefix)) and (
            self.method is None or self.method.upper() == method
        )

    def describe(self) -> JSON:
        """JSON description for the control API."""
        return {
            "id": self.id,
            "status": self.status,
            "count": self.count,
            "pathPrefix": self.path_prefix,
            "method": self.method,
            "retryAfter": self.retry_after,
            "latency": self.latency,
            "malformed": self.malformed,
            "detail": self.detail,
        }


@dataclass
class FaultInjector:
    """Queued faults, consumed in order by matching API requests."""

    faults: list[Fault] = field(default_factory=list)
    _next_id: int = 1

    def add(self, fault: Fault) -> Fault:
        """Queue a fault."""
        if fault.count < 1:
            raise ValueError("count must be >= 1")
        if fault.status is None and fault.latency is None and not fault.malformed:
            raise ValueError("a fault needs status, latency or malformed")
        fault.id = self._next_id
        self._next_id += 1
        self.faults.append(fault)
        return fault

    def take(self, method: str, path: str) -> Fault | None:
        """The first matching fault (its count decremented), if any."""
        for fault in self.faults:
            if fault.matches(method, path):
                fault.count -= 1
                if fault.count <= 0:
                    self.faults.remove(fault)
                return fault
        return None

    def clear(self) -> None:
        """Drop every queued fault."""
        self.faults.clear()


STATE_KEY: web.AppKey[SimState] = web.AppKey("enode_state", SimState)
FAULTS_KEY: web.AppKey[FaultInjector] = web.AppKey("enode_faults", FaultInjector)
REQUESTS_KEY: web.AppKey[list[tuple[str, str]]] = web.AppKey("enode_requests")
REQUEST_LOG_KEY: web.AppKey[list[JSON]] = web.AppKey("enode_request_log")


# --- Helpers -----------------------------------------------------------------------------------


def problem_response(err: ApiError, headers: dict[str, str] | None = None) -> web.Response:
    """A Problem JSON response."""
    return web.json_response(err.problem, status=err.status, headers=headers)


def state_of(request: web.Request) -> SimState:
    """The simulator state of the app serving a request."""
    return request.app[STATE_KEY]


async def read_json(request: web.Request) -> Any:
    """The JSON body or a 400."""
    try:
        return await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise bad_request("Request body must be valid JSON.") from err


async def read_object(request: web.Request, allowed: set[str]) -> JSON:
    """A JSON object body whose keys are all in ``allowed`` (additionalProperties false)."""
    body = await read_json(request)
    if not isinstance(body, dict):
        raise bad_request("Request body must be a JSON object.")
    extra = sorted(set(body) - allowed)
    if extra:
        raise bad_request(f"Unknown properties: {', '.join(extra)}.")
    return body


def _encode_cursor(index: int) -> str:
    return base64.urlsafe_b64encode(f"idx:{index}".encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        prefix, _, number = raw.partition(":")
        if prefix != "idx":
            raise ValueError(raw)
        index = int(number)
    except (ValueError, binascii.Error, UnicodeDecodeError) as err:
        raise bad_request("Invalid pagination cursor.") from err
    if index < 0:
        raise bad_request("Invalid pagination cursor.")
    return index


def paginate(request: web.Request, items: list[Any]) -> JSON:
    """Cursor pagination: ``pageSize`` (default 50), ``after`` / ``before`` (exclusive)."""
    query = request.query
    raw_size = query.get("pageSize", "50")
    try:
        size = int(raw_size)
    except ValueError:
        raise bad_request("pageSize must be an integer.") from None
    if size < 1:
        raise bad_request("pageSize must be greater than 0.")
    if "after" in query and "before" in query:
        raise bad_request("Only one of 'after' and 'before' can be given.")
    if "before" in query:
        end = min(_decode_cursor(query["before"]), len(items))
        start = max(0, end - size)
    else:
        start = min(_decode_cursor(query["after"]), len(items)) if "after" in query else 0
        end = min(len(items), start + size)
    return {
        "data": items[start:end],
        "pagination": {
            "before": _encode_cursor(start) if start > 0 else None,
            "after": _encode_cursor(end) if end < len(items) else None,
        },
    }


def newest_first[T](items: list[T]) -> list[T]:
    """Enode lists are sorted by creation, newest first (insertion order breaks ties)."""
    return list(reversed(items))


# --- Middlewares -------------------------------------------------------------------------------


def _loggable_headers(request: web.Request) -> dict[str, str]:
    """Request headers for the log: secrets redacted (an Authorization scheme is kept)."""
    headers = {}
    for name, value in request.headers.items():
        lower = name.lower()
        if lower not in SECRET_HEADERS:
            headers[name] = value
            continue
        scheme, space, _ = value.partition(" ")
        keep_scheme = bool(space) and lower.endswith("authorization")
        headers[name] = f"{scheme} {REDACTED}" if keep_scheme else REDACTED
    return headers


def _check_version(request: web.Request) -> None:
    """``Enode-Version``: absent means the client's default (2024-10-01); others are refused."""
    version = request.headers.get(VERSION_HEADER, API_VERSION).strip()
    if version != API_VERSION:
        raise bad_request(
            f"Unsupported {VERSION_HEADER} {version!r}: this simulator implements {API_VERSION}."
        )


def _is_public(path: str) -> bool:
    return path.startswith(PUBLIC_PREFIXES)


@web.middleware
async def core_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Request log, fault injection, bearer auth, clock tick and Problem responses."""
    app = request.app
    state = app[STATE_KEY]
    path = request.path
    api = not path.startswith(UNLOGGED_PREFIXES)
    if api:
        app[REQUESTS_KEY].append((request.method, path))
        app[REQUEST_LOG_KEY].append(
            {
                "method": request.method,
                "path": path,
                "query": request.query_string,
                "headers": _loggable_headers(request),
                "at": time.time(),
            }
        )
    fault = app[FAULTS_KEY].take(request.method, path) if api else None
    if fault is not None and fault.latency:
        await asyncio.sleep(fault.latency)
    if fault is not None and fault.status is not None:
        headers = {"Retry-After": fault.retry_after} if fault.retry_after is not None else None
        titles = {429: "Too Many Requests", 503: "Service Unavailable"}
        err = ApiError(
            fault.status,
            titles.get(fault.status, "Injected fault"),
            fault.detail or "Fault injected by the Enode simulator.",
        )
        return problem_response(err, headers)
    try:
        if api and not _is_public(path):
            header = request.headers.get("Authorization", "")
            scheme, _, token = header.partition(" ")
            if scheme.lower() != "bearer" or not token or not state.token_valid(token):
                raise ApiError(401, "Unauthorized", "Missing, invalid or expired access token.")
        if api and not path.startswith("/oauth2/token"):
            _check_version(request)
        if not path.startswith("/_simulator"):
            state.tick()
            if request.method not in READ_METHODS:
                # Mutating methods mark what they change; this keeps any that do not honest.
                state.mark_dirty()
        response = await handler(request)
        if not path.startswith("/_simulator"):
            state.sync()
    except ApiError as err:
        response = problem_response(err)
    except web.HTTPNotFound:
        response = problem_response(not_found("Route not found"))
    except web.HTTPMethodNotAllowed:
        response = problem_response(ApiError(405, "Method Not Allowed", "Method not allowed."))
    if fault is not None and fault.malformed and isinstance(response, web.Response):
        return web.Response(
            body=b'{"data": [{"id": "truncated', status=200, content_type="application/json"
        )
    return response


# --- Token -------------------------------------------------------------------------------------


async def token_endpoint(request: web.Request) -> web.Response:
    """``POST /oauth2/token``: client credentials with Basic auth (or form fields)."""
    state = state_of(request)
    form = await request.post()
    if form.get("grant_type") != "client_credentials":
        return web.json_response(
            {"error": "unsupported_grant_type", "error_description": "Use client_credentials."},
            status=400,
        )
    client_id = str(form.get("client_id", ""))
    client_secret = str(form.get("client_secret", ""))
    header = request.headers.get("Authorization", "")
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(encoded, validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            decoded = ""
        client_id, _, client_secret = decoded.partition(":")
    issued = state.issue_token(client_id, client_secret)
    if issued is None:
        return web.json_response(
            {"error": "invalid_client", "error_description": "Client authentication failed."},
            status=401,
            headers={"WWW-Authenticate": 'Basic realm="enode"'},
        )
    token, expires_in = issued
    return web.json_response(
        {"access_token": token, "expires_in": expires_in, "token_type": "bearer", "scope": ""}
    )


# --- Assets ------------------------------------------------------------------------------------


def _asset_type_of(request: web.Request) -> str:
    return str(request["enode_asset_type"])


async def list_assets(request: web.Request) -> web.Response:
    """``GET /{assets}`` and ``GET /users/{userId}/{assets}``."""
    state = state_of(request)
    asset_type = _asset_type_of(request)
    user_id = request.match_info.get("userId")
    assets = (
        state.user_assets(user_id, asset_type)
        if user_id is not None
        else state.assets_of_type(asset_type)
    )
    page = paginate(request, newest_first(assets))
    page["data"] = [state.wire_view(asset) for asset in page["data"]]
    return web.json_response(page)


async def get_asset(request: web.Request) -> web.Response:
    """``GET /{assets}/{id}``."""
    state = state_of(request)
    asset = state.get_asset(request.match_info["assetId"], _asset_type_of(request))
    return web.json_response(state.wire_view(asset))


async def refresh_hint(request: web.Request) -> web.Response:
    """``POST /{assets}/{id}/refresh-hint``: 204."""
    state_of(request).get_asset(request.match_info["assetId"], _asset_type_of(request))
    return web.Response(status=204)


async def update_asset_location(request: web.Request) -> web.Response:
    """``PUT /chargers/{id}`` and ``PUT /hvacs/{id}`` with ``{locationId}``."""
    state = state_of(request)
    asset_type = _asset_type_of(request)
    state.get_asset(request.match_info["assetId"], asset_type)
    body = await read_object(request, {"locationId"})
    if "locationId" not in body:
        raise bad_request("locationId is required.")
    location_id = body["locationId"]
    if location_id is not None and not isinstance(location_id, str):
        raise bad_request("locationId must be a string or null.")
    asset = state.set_asset_location(request.match_info["assetId"], asset_type, location_id)
    return web.json_response(state.wire_view(asset))


async def control_charging(request: web.Request) -> web.Response:
    """``POST /vehicles|chargers/{id}/charging`` ``{action: START|STOP}``."""
    state = state_of(request)
    asset_type = _asset_type_of(request)
    state.get_asset(request.match_info["assetId"], asset_type)
    body = await read_object(request, {"action"})
    action = state.control_charging(request.match_info["assetId"], asset_type, body.get("action"))
    return web.json_response(action.render())


async def set_max_current(request: web.Request) -> web.Response:
    """``POST /chargers|vehicles/{id}/max-current`` ``{maxCurrent}``."""
    state = state_of(request)
    asset_type = _asset_type_of(request)
    state.get_asset(request.match_info["assetId"], asset_type)
    body = await read_object(request, {"maxCurrent"})
    action = state.set_max_current(
        request.match_info["assetId"], body.get("maxCurrent"), asset_type
    )
    return web.json_response(action.render())


async def get_smart_charging_policy(request: web.Request) -> web.Response:
    """``GET /vehicles/{id}/smart-charging-policy``."""
    policy = state_of(request).smart_charging_policy(request.match_info["assetId"])
    return web.json_response(policy)


async def update_smart_charging_policy(request: web.Request) -> web.Response:
    """``PUT /vehicles/{id}/smart-charging-policy`` with a partial policy."""
    state = state_of(request)
    state.get_asset(request.match_info["assetId"], "vehicle")
    body = await read_object(request, {"isEnabled", "deadline", "minimumChargeLimit"})
    policy = state.update_smart_charging_policy(request.match_info["assetId"], body)
    return web.json_response(policy)


async def get_smart_charging_status(request: web.Request) -> web.Response:
    """``GET /vehicles/{id}/smart-charging-status``."""
    status = state_of(request).smart_charging_status(request.match_info["assetId"])
    return web.json_response(status)


async def get_smart_charging_plan(request: web.Request) -> web.Response:
    """``GET /vehicles/{id}/smart-charging-plans/{planId}`` (``latest``: the newest plan)."""
    plan = state_of(request).smart_charging_plan(
        request.match_info["assetId"], request.match_info["planId"]
    )
    return web.json_response(plan)


async def create_smart_override(request: web.Request) -> web.Response:
    """``POST /vehicles/{id}/smart-override``: charge now."""
    override = state_of(request).create_smart_override(request.match_info["assetId"])
    return web.json_response(override)


async def end_smart_override(request: web.Request) -> web.Response:
    """``DELETE /vehicles/{id}/smart-override`` (404 when none is active)."""
    override = state_of(request).end_smart_override(request.match_info["assetId"])
    return web.json_response(override)


async def battery_operation_mode(request: web.Request) -> web.Response:
    """``POST /batteries/{id}/operation-mode`` ``{operationMode}``."""
    state = state_of(request)
    state.get_asset(request.match_info["assetId"], "battery")
    body = await read_object(request, {"operationMode"})
    action = state.set_operation_mode(request.match_info["assetId"], body.get("operationMode"))
    return web.json_response(action.render())


async def hvac_permanent_hold(request: web.Request) -> web.Response:
    """``POST /hvacs/{id}/permanent-hold`` ``{mode, heatSetpoint?, coolSetpoint?}``."""
    state = state_of(request)
    state.get_asset(request.match_info["assetId"], "hvac")
    body = await read_object(request, {"mode", "heatSetpoint", "coolSetpoint"})
    action = state.set_permanent_hold(request.match_info["assetId"], body)
    return web.json_response(action.render())


async def hvac_follow_schedule(request: web.Request) -> web.Response:
    """``POST /hvacs/{id}/follow-schedule`` (no body)."""
    state = state_of(request)
    action = state.follow_schedule(request.match_info["assetId"])
    return web.json_response(action.render())


async def get_action(request: web.Request) -> web.Response:
    """``GET /{assets}/actions/{actionId}``."""
    action = state_of(request).get_action(request.match_info["actionId"], _asset_type_of(request))
    return web.json_response(action.render())


async def cancel_action(request: web.Request) -> web.Response:
    """``POST /{assets}/actions/{actionId}/cancel``."""
    action = state_of(request).cancel_action(
        request.match_info["actionId"], _asset_type_of(request)
    )
    return web.json_response(action.render())


# --- Interventions, integrations, health ------------------------------------------------------


def _language(request: web.Request) -> str | None:
    language = request.query.get("language")
    if language is not None and language not in LANGUAGES:
        raise bad_request(f"Unsupported language {language!r}.")
    if language == "browser":
        accepted = request.headers.get("Accept-Language", "")
        for part in accepted.split(","):
            tag = part.split(";")[0].strip()
            if tag in LANGUAGES:
                return tag
        return "en-US"
    return language


async def list_interventions(request: web.Request) -> web.Response:
    """``GET /interventions`` (``language``, ``vendorType``, ``vendor``)."""
    state = state_of(request)
    language = _language(request)
    vendor_type = request.query.get("vendorType")
    vendor = request.query.get("vendor")
    if vendor_type is not None and vendor_type not in ASSET_TYPES:
        raise bad_request(f"Unknown vendorType {vendor_type!r}.")
    items = [
        render_intervention(entry, language)
        for entry in state.interventions.values()
        if vendor_type in (None, entry.get("vendorType"))
        and (vendor is None or entry.get("vendor") == vendor)
    ]
    return web.json_response(items)


async def get_intervention(request: web.Request) -> web.Response:
    """``GET /interventions/{interventionId}``."""
    state = state_of(request)
    entry = state.interventions.get(request.match_info["interventionId"])
    if entry is None:
        raise not_found("Intervention not found.")
    return web.json_response(render_intervention(entry, _language(request)))


def _asset_types_query(request: web.Request) -> list[str]:
    raw = request.query.get("assetTypes", ",".join(ASSET_TYPES))
    types = [part.strip() for part in raw.split(",") if part.strip()]
    unknown = [t for t in types if t not in ASSET_TYPES]
    if unknown or not types:
        raise bad_request(f"Invalid assetTypes {raw!r}.")
    return types


async def list_integrations(request: web.Request) -> web.Response:
    """``GET /integrations?assetTypes=vehicle,charger``: the vendors supporting all of them.

    Without ``assetTypes`` (the document's default: every type) every vendor is listed.
    """
    types = _asset_types_query(request) if "assetTypes" in request.query else None
    return web.json_response(state_of(request).integrations(types))


async def health_vendors(request: web.Request) -> web.Response:
    """``GET /health/{assets}``."""
    state = state_of(request)
    items = [
        {k: v for k, v in item.items() if k not in ("assetTypes", "scopes")}
        for item in state.integrations([_asset_type_of(request)])
    ]
    return web.json_response(items)


async def health_ready(request: web.Request) -> web.Response:
    """``GET /health/ready``: 204 (no authentication)."""
    return web.Response(status=204)


# --- Users and link sessions ----------------------------------------------------------------


async def list_users(request: web.Request) -> web.Response:
    """``GET /users``."""
    state = state_of(request)
    from .clock import iso

    items = [
        {"id": user.id, "createdAt": iso(user.created_at), "scopes": sorted(user.scopes)}
        for user in newest_first(list(state.users.values()))
    ]
    return web.json_response(paginate(request, items))


async def get_user(request: web.Request) -> web.Response:
    """``GET /users/{userId}``."""
    state = state_of(request)
    return web.json_response(state.render_user(state.get_user(request.match_info["userId"])))


async def delete_user(request: web.Request) -> web.Response:
    """``DELETE /users/{userId}``."""
    state_of(request).delete_user(request.match_info["userId"])
    return web.Response(status=204)


async def deauthorize_user(request: web.Request) -> web.Response:
    """``DELETE /users/{userId}/authorization``: credentials dropped, data kept."""
    state = state_of(request)
    user = state.get_user(request.match_info["userId"])
    for key in user.vendors:
        user.vendors[key] = False
    return web.Response(status=204)


async def disconnect_vendor(request: web.Request) -> web.Response:
    """``DELETE /users/{userId}/vendors/{vendor}[/{vendorType}]``."""
    vendor_type = request.match_info.get("vendorType")
    if vendor_type is not None and vendor_type not in ASSET_TYPES:
        raise bad_request(f"Unknown vendorType {vendor_type!r}.")
    state_of(request).disconnect_vendor(
        request.match_info["userId"], request.match_info["vendor"], vendor_type
    )
    return web.Response(status=204)


def _validate_common_link(body: JSON) -> tuple[str, str, str | None]:
    language = body.get("language")
    if language is None:
        raise bad_request("language is required.")
    if language not in LANGUAGES:
        raise bad_request(f"Unsupported language {language!r}.")
    redirect_uri = body.get("redirectUri")
    if not isinstance(redirect_uri, str) or not redirect_uri:
        raise bad_request("redirectUri is required.")
    if len(redirect_uri) > 500:
        raise bad_request("redirectUri must be at most 500 characters.")
    if ":" not in redirect_uri or redirect_uri.startswith("about:"):
        raise bad_request("redirectUri must be an absolute URI.")
    color_scheme = body.get("colorScheme")
    if color_scheme is not None and color_scheme not in COLOR_SCHEMES:
        raise bad_request(f"Unsupported colorScheme {color_scheme!r}.")
    return str(language), redirect_uri, color_scheme


def _base_url(request: web.Request) -> str:
    return str(request.url.origin())


async def create_link(request: web.Request) -> web.Response:
    """``POST /users/{userId}/link``."""
    state = state_of(request)
    body = await read_object(
        request, {"scopes", "language", "redirectUri", "vendor", "vendorType", "colorScheme"}
    )
    scopes = body.get("scopes")
    if not isinstance(scopes, list) or not scopes:
        raise bad_request("scopes is required and must be a non-empty array.")
    invalid = [s for s in scopes if s not in ALL_SCOPES]
    if invalid:
        raise bad_request(f"Invalid scopes: {', '.join(map(str, invalid))}.")
    for asset_type in {s.split(":", 1)[0] for s in scopes}:
        if f"{asset_type}:read:data" not in scopes:
            raise bad_request(f"The {asset_type}:read:data scope is required for {asset_type}.")
    language, redirect_uri, color_scheme = _validate_common_link(body)
    vendor = body.get("vendor")
    if vendor is not None and vendor not in ALL_VENDORS:
        raise bad_request(f"Unknown vendor {vendor!r}.")
    vendor_type = body.get("vendorType")
    if vendor_type is not None and vendor_type not in ASSET_TYPES:
        raise bad_request(f"Unknown vendorType {vendor_type!r}.")
    session = state.create_link_session(
        request.match_info["userId"],
        scopes=scopes,
        language=language,
        redirect_uri=redirect_uri,
        base_url=_base_url(request),
        vendor=vendor,
        vendor_type=vendor_type,
        color_scheme=color_scheme,
    )
    return web.json_response({"linkUrl": session.link_url, "linkToken": session.token})


async def relink_asset(request: web.Request) -> web.Response:
    """``POST /assets/{assetId}/relink``."""
    state = state_of(request)
    body = await read_object(request, {"language", "redirectUri", "colorScheme"})
    asset = state.assets.get(request.match_info["assetId"])
    if asset is None:
        raise bad_request("Asset not found or already linked")
    language, redirect_uri, color_scheme = _validate_common_link(body)
    session = state.create_link_session(
        asset.user_id,
        # Seed 000: the relink session asks for what the original session did (every type).
        scopes=list(asset.link_scopes or asset.scopes),
        language=language,
        redirect_uri=redirect_uri,
        base_url=_base_url(request),
        vendor=asset.vendor,
        vendor_type=asset.type,
        color_scheme=color_scheme,
        relink_asset_id=asset.id,
    )
    return web.json_response({"linkUrl": session.link_url, "linkToken": session.token})


# --- Locations -----------------------------------------------------------------------------


def _location_fields(body: JSON, *, partial: bool) -> JSON:
    fields: JSON = {}
    required = () if partial else ("name", "latitude", "longitude")
    for key in required:
        if key not in body:
            raise bad_request(f"{key} is required.")
    if "name" in body:
        if not isinstance(body["name"], str) or not body["name"]:
            raise bad_request("name must be a non-empty string.")
        fields["name"] = body["name"]
    for key, limit in (("latitude", 90), ("longitude", 180)):
        if key in body:
            value = body[key]
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise bad_request(f"{key} must be a number.")
            if not -limit <= value <= limit:
                raise bad_request(f"{key} must be between -{limit} and {limit}.")
            fields[key] = float(value)
    if "timezoneName" in body:
        tz = body["timezoneName"]
        try:
            ZoneInfo(str(tz))
        except (ZoneInfoNotFoundError, ValueError):
            raise bad_request(f"Unknown timezoneName {tz!r}.") from None
        fields["timezoneName"] = str(tz)
    elif not partial:
        raise bad_request("timezoneName is required.")
    return fields


_LOCATION_KEYS = {"name", "latitude", "longitude", "timezoneName"}


async def create_location(request: web.Request) -> web.Response:
    """``POST /users/{userId}/locations``."""
    state = state_of(request)
    body = await read_object(request, _LOCATION_KEYS)
    location = state.create_location(
        request.match_info["userId"], _location_fields(body, partial=False)
    )
    return web.json_response(state.render_location(location))


async def list_locations(request: web.Request) -> web.Response:
    """``GET /locations`` and ``GET /users/{userId}/locations``."""
    state = state_of(request)
    user_id = request.match_info.get("userId")
    items = [
        state.render_location(location)
        for location in newest_first(list(state.locations.values()))
        if user_id in (None, location["userId"])
    ]
    return web.json_response(paginate(request, items))


async def get_location(request: web.Request) -> web.Response:
    """``GET /locations/{locationId}``."""
    state = state_of(request)
    return web.json_response(
        state.render_location(state.get_location(request.match_info["locationId"]))
    )


async def update_location(request: web.Request) -> web.Response:
    """``PUT /locations/{locationId}``."""
    state = state_of(request)
    state.get_location(request.match_info["locationId"])
    body = await read_object(request, _LOCATION_KEYS)
    location = state.update_location(
        request.match_info["locationId"], _location_fields(body, partial=True)
    )
    return web.json_response(state.render_location(location))


async def delete_location(request: web.Request) -> web.Response:
    """``DELETE /locations/{locationId}``: 200 with the deleted location."""
    state = state_of(request)
    location = state.delete_location(request.match_info["locationId"])
    return web.json_response(state.render_location(location))


# --- HEM systems and statistics ----------------------------------------------------------------


async def list_hem_systems(request: web.Request) -> web.Response:
    """``GET /hem-systems`` and ``GET /users/{userId}/hem-systems``."""
    state = state_of(request)
    ids = state.hem_system_ids(request.match_info.get("userId"))
    page = paginate(request, newest_first(ids))
    page["data"] = [state.render_hem_system(system_id) for system_id in page["data"]]
    return web.json_response(page)


async def get_hem_system(request: web.Request) -> web.Response:
    """``GET /hem-systems/{hemSystemId}``."""
    system = state_of(request).render_hem_system(request.match_info["hemSystemId"])
    return web.json_response(system)


async def get_hem_statistics(request: web.Request) -> web.Response:
    """``GET /hem-systems/{hemSystemId}/statistics?interval=YYYY-MM-DD|YYYY-MM``."""
    statistics = state_of(request).hem_statistics(
        request.match_info["hemSystemId"], request.query.get("interval")
    )
    return web.json_response(statistics)


async def get_charging_statistics(request: web.Request) -> web.Response:
    """``GET /users/{userId}/statistics/charging`` (``type``, ``id``, ``startDate``, ...)."""
    buckets = state_of(request).charging_statistics(request.match_info["userId"], request.query)
    return web.json_response(buckets)


async def get_charging_sessions(request: web.Request) -> web.Response:
    """``GET /users/{userId}/statistics/charging/sessions``."""
    sessions = state_of(request).charging_sessions_statistics(
        request.match_info["userId"], request.query
    )
    return web.json_response(sessions)


# --- Routing ---------------------------------------------------------------------------------


def _typed(asset_type: str, handler: Handler) -> Handler:
    async def wrapped(request: web.Request) -> web.StreamResponse:
        request["enode_asset_type"] = asset_type
        return await handler(request)

    wrapped.__doc__ = handler.__doc__
    return wrapped


def add_api_routes(app: web.Application) -> None:
    """Register every Enode API route."""
    router = app.router
    router.add_post("/oauth2/token", token_endpoint)
    router.add_get("/health/ready", health_ready)
    for asset_type in ASSET_TYPES:
        plural = PLURALS[asset_type]
        router.add_get(f"/{plural}", _typed(asset_type, list_assets))
        router.add_get(f"/users/{{userId}}/{plural}", _typed(asset_type, list_assets))
        router.add_get(f"/health/{plural}", _typed(asset_type, health_vendors))
        router.add_get(f"/{plural}/{{assetId}}", _typed(asset_type, get_asset))
        router.add_post(f"/{plural}/{{assetId}}/refresh-hint", _typed(asset_type, refresh_hint))
    for asset_type in ("vehicle", "charger", "battery", "hvac"):
        plural = PLURALS[asset_type]
        router.add_get(f"/{plural}/actions/{{actionId}}", _typed(asset_type, get_action))
        router.add_post(f"/{plural}/actions/{{actionId}}/cancel", _typed(asset_type, cancel_action))
    for asset_type in ("vehicle", "charger"):
        plural = PLURALS[asset_type]
        router.add_post(f"/{plural}/{{assetId}}/charging", _typed(asset_type, control_charging))
    router.add_put("/chargers/{assetId}", _typed("charger", update_asset_location))
    router.add_put("/hvacs/{assetId}", _typed("hvac", update_asset_location))
    for asset_type in ("charger", "vehicle"):
        router.add_post(
            f"/{PLURALS[asset_type]}/{{assetId}}/max-current", _typed(asset_type, set_max_current)
        )
    router.add_get("/vehicles/{assetId}/smart-charging-policy", get_smart_charging_policy)
    router.add_put("/vehicles/{assetId}/smart-charging-policy", update_smart_charging_policy)
    router.add_get("/vehicles/{assetId}/smart-charging-status", get_smart_charging_status)
    router.add_get("/vehicles/{assetId}/smart-charging-plans/{planId}", get_smart_charging_plan)
    router.add_post("/vehicles/{assetId}/smart-override", create_smart_override)
    router.add_delete("/vehicles/{assetId}/smart-override", end_smart_override)
    router.add_post("/batteries/{assetId}/operation-mode", battery_operation_mode)
    router.add_post("/hvacs/{assetId}/permanent-hold", hvac_permanent_hold)
    router.add_post("/hvacs/{assetId}/follow-schedule", hvac_follow_schedule)
    router.add_get("/interventions", list_interventions)
    router.add_get("/interventions/{interventionId}", get_intervention)
    router.add_get("/integrations", list_integrations)
    router.add_get("/users", list_users)
    router.add_get("/users/{userId}", get_user)
    router.add_delete("/users/{userId}", delete_user)
    router.add_delete("/users/{userId}/authorization", deauthorize_user)
    router.add_delete("/users/{userId}/vendors/{vendor}", disconnect_vendor)
    router.add_delete("/users/{userId}/vendors/{vendor}/{vendorType}", disconnect_vendor)
    router.add_post("/users/{userId}/link", create_link)
    router.add_post("/assets/{assetId}/relink", relink_asset)
    router.add_get("/locations", list_locations)
    router.add_get("/users/{userId}/locations", list_locations)
    router.add_post("/users/{userId}/locations", create_location)
    router.add_get("/locations/{locationId}", get_location)
    router.add_put("/locations/{locationId}", update_location)
    router.add_delete("/locations/{locationId}", delete_location)
    router.add_get("/hem-systems", list_hem_systems)
    router.add_get("/users/{userId}/hem-systems", list_hem_systems)
    router.add_get("/hem-systems/{hemSystemId}", get_hem_system)
    router.add_get("/hem-systems/{hemSystemId}/statistics", get_hem_statistics)
    router.add_get("/users/{userId}/statistics/charging", get_charging_statistics)
    router.add_get("/users/{userId}/statistics/charging/sessions", get_charging_sessions)
