"""The simulator's state model: users, assets, actions, locations, link sessions and tokens.

Everything the API exposes is computed from this model by ``render_*`` methods, so derived values
(EV charger pairing, location inference, charge-rate fallback) are always consistent. Every change
Enode would report by webhook goes through :meth:`SimState.emit`: call :meth:`SimState.sync` after
mutating assets and it emits ``user:<type>:discovered|updated|deleted`` with ``updatedFields``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
import copy
from dataclasses import dataclass, field
import math
import re
import secrets
from typing import Any
import uuid

from .catalog import (
    API_VERSION,
    ASSET_TYPES,
    INTERVENTIONS,
    SCOPES_BY_ASSET_TYPE,
    VENDORS,
    integration,
)
from .clock import SimClock, iso

type JSON = dict[str, Any]
type Listener = Callable[[JSON], None]

_ID_NAMESPACE = uuid.UUID("5b1c2e0a-7f4d-4e8b-9a61-3c2d1e0f9a8b")

CAPABILITIES: dict[str, tuple[str, ...]] = {
    "vehicle": (
        "information",
        "chargeState",
        "location",
        "odometer",
        "setMaxCurrent",
        "startCharging",
        "stopCharging",
        "smartCharging",
    ),
    "charger": ("information", "chargeState", "startCharging", "stopCharging", "setMaxCurrent"),
    "battery": ("exportFocus", "importFocus", "timeOfUse", "selfReliance", "idle"),
    "inverter": ("productionState", "productionStatistics"),
    "meter": ("measuresConsumption", "measuresProduction"),
    "hvac": ("setFollowSchedule", "setPermanentHold"),
}
OPERATION_MODE_CAPABILITY: dict[str, str] = {
    "IMPORT_FOCUS": "importFocus",
    "EXPORT_FOCUS": "exportFocus",
    "TIME_OF_USE": "timeOfUse",
    "SELF_RELIANCE": "selfReliance",
    "IDLE": "idle",
}
UNREACHABLE_DETAIL = "The device remained unreachable."
UNPLUGGED_DETAIL = "The asset was unplugged before the action could be completed"
CONFLICT_DETAIL = "A newer action for this device has been created."
NOT_FOUND_DETAIL = "The device was deleted while the action was PENDING."
CANCELLED_DETAIL = "The action was cancelled by request."
EARTH_RADIUS_M = 6_371_000.0
# PartialVehicleSmartChargingPolicy.deadline
DEADLINE_PATTERN = re.compile(r"(?:[01]\d|2[0-3]):[0-5]\d|24:00")


class ApiError(Exception):
    """An Enode Problem response: ``{type, title, detail}`` with an HTTP status."""

    SLUGS: dict[int, str] = {
        400: "bad-request",
        401: "unauthorized",
        403: "forbidden",
        404: "not-found",
        405: "method-not-allowed",
        409: "conflict",
        422: "unprocessable-entity",
        429: "too-many-requests",
        500: "server-error",
        502: "bad-gateway",
        503: "service-unavailable",
        504: "gateway-timeout",
    }

    def __init__(self, status: int, title: str, detail: str, *, body: JSON | None = None) -> None:
        """``body`` replaces the Problem body (409 on cancel returns the action)."""
        super().__init__(f"{status} {title}: {detail}")
        self.status = status
        self.title = title
        self.detail = detail
        self.body = body

    @property
    def problem(self) -> JSON:
        """The Problem body."""
        if self.body is not None:
            return self.body
        slug = self.SLUGS.get(self.status, "error")
        return {
            "type": f"https://developers.enode.com/api/problems/{slug}",
            "title": self.title,
            "detail": self.detail,
        }


def bad_request(detail: str) -> ApiError:
    """A 400 Problem."""
    return ApiError(400, "Bad request", detail)


def not_found(detail: str) -> ApiError:
    """A 404 Problem."""
    return ApiError(404, "Not Found", detail)


# --- Model ------------------------------------------------------------------------------------


@dataclass
class Capability:
    """A capability: ``supported`` devices are capable unless an intervention blocks them."""

    supported: bool = True
    interventions: list[str] = field(default_factory=list)

    @property
    def capable(self) -> bool:
        """``isCapable`` on the wire."""
        return self.supported and not self.interventions

    def render(self) -> JSON:
        """``{isCapable, interventionIds}``."""
        return {"isCapable": self.capable, "interventionIds": list(self.interventions)}

    @classmethod
    def from_spec(cls, spec: Any) -> Capability:
        """From ``true``/``false`` or ``{isCapable, interventionIds}``.

        A capability that is not capable but has interventions is *blocked* (supported);
        one that is not capable without interventions is permanently missing.
        """
        if isinstance(spec, bool):
            return cls(supported=spec)
        interventions = list(spec.get("interventionIds", []))
        capable = bool(spec.get("isCapable", True))
        return cls(supported=capable or bool(interventions), interventions=interventions)


@dataclass
class Asset:
    """One linked asset (vehicle, charger, battery, inverter, meter or HVAC)."""

    id: str
    type: str
    user_id: str
    vendor: str
    template_id: str
    account: str | None
    created_at: float
    last_seen: float
    information: JSON
    capabilities: dict[str, Capability]
    scopes: list[str]
    reachable: bool = True
    schedule_controlled: bool = False
    # Vehicles and chargers.
    plugged: bool = False
    plugged_to: str | None = None
    charging: bool = False
    charge_rate_kw: float = 7.4
    reports_charge_rate: bool = True
    max_current: float | None = 16.0
    charge_updated: float | None = None
    # Vehicles.
    battery_level: float = 50.0
    battery_capacity: float = 60.0
    charge_limit: float = 100.0
    full_range_km: float = 400.0
    gps: bool = False
    latitude: float | None = None
    longitude: float | None = None
    location_updated: float | None = None
    odometer_km: float | None = None
    smart_charging_policy: JSON = field(
        default_factory=lambda: {"isEnabled": False, "deadline": None, "minimumChargeLimit": 0}
    )
    pairing_cleared: bool = False
    failed_unplugged_commands: int = 0
    # Chargers (and HVACs).
    location_id: str | None = None
    location_id_updated: float | None = None
    # Batteries, inverters, meters, HVACs: their remaining wire objects, verbatim.
    extra: JSON = field(default_factory=dict)

    @property
    def level(self) -> int:
        """Battery level as reported (whole percent)."""
        return round(self.battery_level)


@dataclass
class User:
    """An Enode user of the client."""

    id: str
    created_at: float
    vendors: dict[tuple[str, str], bool] = field(default_factory=dict)
    scopes: set[str] = field(default_factory=set)


@dataclass
class Action:
    """A vendor action (charge, max current, operation mode)."""

    id: str
    user_id: str
    target_id: str
    target_type: str
    category: str  # "charge", "max_current" or "operation_mode"
    created_at: float
    updated_at: float
    due: float
    kind: str | None = None
    target_state: JSON | None = None
    state: str = "PENDING"
    completed_at: float | None = None
    failure_reason: JSON | None = None

    @property
    def pending(self) -> bool:
        """Still PENDING."""
        return self.state == "PENDING"

    def render(self) -> JSON:
        """The wire ChargeAction / MaxCurrentAction / OperationModeAction."""
        body: JSON = {
            "id": self.id,
            "userId": self.user_id,
            "createdAt": iso(self.created_at),
            "updatedAt": iso(self.updated_at),
            "completedAt": iso(self.completed_at) if self.completed_at is not None else None,
            "state": self.state,
            "targetId": self.target_id,
            "targetType": self.target_type,
        }
        if self.category == "charge":
            body["kind"] = self.kind
        else:
            body["targetState"] = dict(self.target_state or {})
        body["failureReason"] = dict(self.failure_reason) if self.failure_reason else None
        return body


@dataclass
class VendorAccount:
    """A virtual vendor (OEM) account the Link UI can sign in to."""

    vendor: str
    username: str
    password: str
    devices: list[JSON]

    @property
    def key(self) -> str:
        """``VENDOR:username``."""
        return f"{self.vendor}:{self.username}"

    def devices_of(self, asset_types: Iterable[str]) -> list[JSON]:
        """Device templates of the given asset types."""
        wanted = set(asset_types)
        return [device for device in self.devices if device["type"] in wanted]


@dataclass
class LinkSession:
    """A single-use Link UI session (``POST /users/{id}/link`` or ``/assets/{id}/relink``)."""

    token: str
    user_id: str
    scopes: list[str]
    language: str
    redirect_uri: str
    created_at: float
    expires_at: float
    vendor: str | None = None
    vendor_type: str | None = None
    color_scheme: str | None = None
    relink_asset_id: str | None = None
    used: bool = False
    link_url: str = ""

    @property
    def asset_types(self) -> list[str]:
        """Asset types the session links (from its scopes), in Enode's order.

        ``vendor_type`` only narrows the brand selection (see ``SimState.session_vendors``).
        """
        types = {scope.split(":", 1)[0] for scope in self.scopes}
        return [asset_type for asset_type in ASSET_TYPES if asset_type in types]

    def is_expired(self, now: float) -> bool:
        """Older than its lifetime."""
        return now >= self.expires_at

    def is_usable(self, now: float) -> bool:
        """Neither used nor expired."""
        return not self.used and not self.is_expired(now)


@dataclass
class Settings:
    """Scenario settings (all in simulated seconds where relevant)."""

    action_delay: float = 5.0
    token_lifetime: float = 3600.0
    link_session_lifetime: float = 24 * 3600.0
    geofence_radius_m: float = 200.0
    max_unplugged_failures: int = 10


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi = phi2 - phi1
    dlambda = math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(a))


def changed_fields(old: Any, new: Any, prefix: str = "") -> list[str]:
    """Dotted paths of the leaves that differ (``chargeState.batteryLevel``)."""
    if old == new:
        return []
    if isinstance(old, dict) and isinstance(new, dict):
        fields: list[str] = []
        for key in list(old) + [k for k in new if k not in old]:
            path = f"{prefix}.{key}" if prefix else key
            if key not in old or key not in new:
                fields.append(path)
            else:
                fields.extend(changed_fields(old[key], new[key], path))
        return fields
    return [prefix]


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))


# --- State --------------------------------------------------------------------------------------


class SimState:
    """The whole simulated Enode client: credentials, users, assets and everything around them."""

    def __init__(self, clock: SimClock | None = None) -> None:
        """An empty state; :func:`enode_simulator.scenario.apply_scenario` fills it."""
        self.clock = clock or SimClock()
        self.listeners: list[Listener] = []
        self.events: list[JSON] = []
        self.reset()

    def reset(self) -> None:
        """Forget everything except the clock and the listeners."""
        self.client_id = "demo-client"
        self.client_secret = "demo-secret"
        self.default_user_id = "demo-user"
        self.settings = Settings()
        self.users: dict[str, User] = {}
        self.assets: dict[str, Asset] = {}
        self.actions: dict[str, Action] = {}
        self.locations: dict[str, JSON] = {}
        self.link_sessions: dict[str, LinkSession] = {}
        self.vendor_accounts: list[VendorAccount] = []
        self.tokens: dict[str, float] = {}
        self.interventions: dict[str, JSON] = {entry["id"]: entry for entry in INTERVENTIONS}
        self.linking_status: dict[str, str] = {}
        self.public_url: str | None = None
        self._rendered: dict[str, JSON] = {}
        self._rendered_types: dict[str, str] = {}
        self._first_charger: dict[str, Asset] | None = None
        self._last_tick = self.clock.now()
        # Whether something an asset's wire view depends on may have changed since the last
        # ``sync``; while it is False, ``sync`` is free and ``wire_view`` serves ``_rendered``.
        self._dirty = True

    # -- time ---------------------------------------------------------------------------------

    def now(self) -> float:
        """Simulated now."""
        return self.clock.now()

    def tick(self) -> None:
        """Bring the model up to simulated now: resolve due actions, charge batteries."""
        target = self.now()
        while True:
            due = [a for a in self.actions.values() if a.pending and a.due <= target]
            if not due:
                break
            action = min(due, key=lambda a: (a.due, a.created_at))
            self._integrate(max(action.due, self._last_tick))
            self._resolve(action)
        self._integrate(target)
        self.sync()

    def advance_time(self, seconds: float) -> None:
        """Move simulated time forward and apply everything that happens meanwhile."""
        self.tick()
        self.clock.advance(seconds)
        self.tick()

    def _integrate(self, until: float) -> None:
        """Charge every charging vehicle from the last tick until ``until``."""
        dt = until - self._last_tick
        if dt <= 0:
            return
        for vehicle in self.assets_of_type("vehicle"):
            if not vehicle.charging or vehicle.battery_capacity <= 0:
                continue
            before = vehicle.level
            gained = self.session_rate(vehicle) * dt / 3600 / vehicle.battery_capacity * 100
            vehicle.battery_level = min(vehicle.charge_limit, vehicle.battery_level + gained)
            if vehicle.battery_level >= vehicle.charge_limit:
                self._set_charging(vehicle, False)
            if vehicle.level != before or not vehicle.charging:
                # The wire view only shows whole percent: below that nothing is visible.
                vehicle.charge_updated = until
                self._dirty = True
        self._last_tick = until

    # -- events ------------------------------------------------------------------------------

    def emit(self, event: JSON) -> None:
        """Hand an event to every listener (the webhook dispatcher) and keep it in history."""
        event.setdefault("createdAt", iso(self.now()))
        event.setdefault("version", API_VERSION)
        self.events.append(event)
        if len(self.events) > 10_000:
            del self.events[:1_000]
        for listener in list(self.listeners):
            listener(event)

    def mark_dirty(self) -> None:
        """Something an asset's wire view depends on may have changed: re-render on next sync.

        Every mutating method of this class calls it; code that changes an :class:`Asset`,
        a location or the settings directly must call it too.
        """
        self._dirty = True

    def _changed(self) -> None:
        self._dirty = True
        self.sync()

    def wire_view(self, asset: Asset) -> JSON:
        """The asset's current wire object, as last synced (read-only: do not mutate it).

        Brings the views up to date first when something changed, so it equals
        :meth:`render_asset` (with ``lastSeen`` as the events reported it).
        """
        self.sync()
        return self._rendered[asset.id]

    def sync(self) -> None:
        """Emit discovered/updated/deleted events for every asset whose wire view changed.

        A no-op unless something was marked dirty since the last sync, so reads cost nothing.
        """
        if not self._dirty:
            return
        now = self.now()
        current: dict[str, JSON] = {}
        self._first_charger = {}
        for asset in self.assets.values():
            if asset.type == "charger":
                self._first_charger.setdefault(asset.user_id, asset)
        try:
            rendered = [(asset, self.render_asset(asset)) for asset in list(self.assets.values())]
        finally:
            self._first_charger = None
        self._dirty = False
        for asset, body in rendered:
            previous = self._rendered.get(asset.id)
            if previous is None:
                current[asset.id] = body
                self.emit(self._asset_event(asset, "discovered", body))
                continue
            fields = [f for f in changed_fields(previous, body) if f != "lastSeen"]
            if not fields:
                current[asset.id] = previous
                continue
            if asset.reachable:
                asset.last_seen = now
                body["lastSeen"] = iso(now)
                if previous.get("lastSeen") != body["lastSeen"]:
                    fields.append("lastSeen")
            current[asset.id] = body
            event = self._asset_event(asset, "updated", body)
            event["updatedFields"] = fields
            self.emit(event)
        for asset_id, body in self._rendered.items():
            if asset_id not in current:
                asset_type = self._rendered_types[asset_id]
                self.emit(
                    {
                        "event": f"user:{asset_type}:deleted",
                        "user": {"id": body["userId"]},
                        asset_type: body,
                    }
                )
        self._rendered = current
        self._rendered_types = {asset_id: self.assets[asset_id].type for asset_id in current}

    def _asset_event(self, asset: Asset, what: str, body: JSON) -> JSON:
        return {
            "event": f"user:{asset.type}:{what}",
            "user": {"id": asset.user_id},
            asset.type: copy.deepcopy(body),
        }

    def emit_action(self, action: Action, fields: list[str]) -> None:
        """``user:vendor-action:updated``."""
        self.emit(
            {
                "event": "user:vendor-action:updated",
                "user": {"id": action.user_id},
                "vendorAction": action.render(),
                "updatedFields": fields,
            }
        )

    def mark_rendered(self) -> None:
        """Take the current wire views as the baseline without emitting (scenario load)."""
        self._rendered = {asset.id: self.render_asset(asset) for asset in self.assets.values()}
        self._rendered_types = {asset.id: asset.type for asset in self.assets.values()}
        self._dirty = False

    # -- tokens -------------------------------------------------------------------------------

    def issue_token(self, client_id: str, client_secret: str) -> tuple[str, int] | None:
        """A new access token for valid client credentials, else ``None``."""
        if not (
            secrets.compare_digest(client_id, self.client_id)
            and secrets.compare_digest(client_secret, self.client_secret)
        ):
            return None
        token = secrets.token_urlsafe(32)
        self.tokens[token] = self.now() + self.settings.token_lifetime
        return token, int(self.settings.token_lifetime)

    def token_valid(self, token: str) -> bool:
        """Known and not expired."""
        expires = self.tokens.get(token)
        return expires is not None and self.now() < expires

    def revoke_tokens(self) -> None:
        """Forget every token (e.g. after the client secret was rotated)."""
        self.tokens.clear()

    # -- users --------------------------------------------------------------------------------

    def ensure_user(self, user_id: str) -> User:
        """The user, created on first use (as Enode does for link sessions)."""
        user = self.users.get(user_id)
        if user is None:
            user = self.users[user_id] = User(id=user_id, created_at=self.now())
        return user

    def get_user(self, user_id: str) -> User:
        """The user or a 404."""
        user = self.users.get(user_id)
        if user is None:
            raise not_found("User not found.")
        return user

    def render_user(self, user: User) -> JSON:
        """``GET /users/{userId}``."""
        return {
            "id": user.id,
            "linkedVendors": [
                {"vendor": vendor, "vendorType": vendor_type, "isValid": valid}
                for (vendor, vendor_type), valid in user.vendors.items()
            ],
        }

    def delete_user(self, user_id: str) -> None:
        """Delete a user and everything they own."""
        self.get_user(user_id)
        for asset in self.user_assets(user_id):
            self._delete_asset(asset)
        for location_id in [k for k, v in self.locations.items() if v["userId"] == user_id]:
            del self.locations[location_id]
        for token in [k for k, v in self.link_sessions.items() if v.user_id == user_id]:
            del self.link_sessions[token]
        del self.users[user_id]
        self._changed()

    def disconnect_vendor(self, user_id: str, vendor: str, vendor_type: str | None) -> None:
        """Remove a vendor (optionally one asset type of it) from a user."""
        user = self.get_user(user_id)
        for asset in self.user_assets(user_id):
            if asset.vendor == vendor and vendor_type in (None, asset.type):
                self._delete_asset(asset)
        for key in list(user.vendors):
            if key[0] == vendor and vendor_type in (None, key[1]):
                del user.vendors[key]
        self._changed()

    def invalidate_credentials(self, user_id: str, vendor: str) -> None:
        """The vendor account's credentials stop working: ``isValid: false`` and an event."""
        user = self.get_user(user_id)
        keys = [key for key in user.vendors if key[0] == vendor]
        if not keys:
            raise not_found(f"User has no linked {vendor} account.")
        for key in keys:
            user.vendors[key] = False
        self.mark_dirty()
        self.emit(
            {
                "event": "user:credentials:invalidated",
                "user": {"id": user_id},
                "vendor": vendor,
            }
        )

    def credentials_valid(self, asset: Asset) -> bool:
        """Whether the asset's vendor credentials are valid."""
        user = self.users.get(asset.user_id)
        return user is None or user.vendors.get((asset.vendor, asset.type), True)

    # -- assets --------------------------------------------------------------------------------

    def assets_of_type(self, asset_type: str) -> list[Asset]:
        """All assets of a type (any user), oldest first."""
        return [asset for asset in self.assets.values() if asset.type == asset_type]

    def user_assets(self, user_id: str, asset_type: str | None = None) -> list[Asset]:
        """A user's assets (optionally of a type), oldest first."""
        return [
            asset
            for asset in self.assets.values()
            if asset.user_id == user_id and asset_type in (None, asset.type)
        ]

    def get_asset(self, asset_id: str, asset_type: str | None = None) -> Asset:
        """An asset (of a type) or a 404."""
        asset = self.assets.get(asset_id)
        if asset is None or asset_type not in (None, asset.type):
            label = asset_type.capitalize() if asset_type else "Asset"
            raise not_found(f"{label} not found.")
        return asset

    def new_asset_id(self, user_id: str, template_id: str) -> str:
        """The template's id when free, else a stable id derived from user and template."""
        if template_id not in self.assets:
            return template_id
        return str(uuid.uuid5(_ID_NAMESPACE, f"{user_id}/{template_id}"))

    def add_asset(
        self,
        user_id: str,
        template: JSON,
        *,
        account: str | None = None,
        scopes: Iterable[str] | None = None,
        asset_id: str | None = None,
    ) -> Asset:
        """Create an asset for a user from a device template (see ``scenario.build_asset``)."""
        from .scenario import build_asset

        asset_type = template.get("type")
        if asset_type not in CAPABILITIES:
            raise bad_request(f"Unknown asset type {asset_type!r}.")
        template_id = str(template.get("id") or uuid.uuid4())
        vendor = str(template.get("vendor", ""))
        if vendor not in VENDORS[asset_type]:
            raise bad_request(f"Vendor {vendor!r} does not make {asset_type} assets.")
        user = self.ensure_user(user_id)
        new_id = asset_id or self.new_asset_id(user_id, template_id)
        if new_id in self.assets:
            raise bad_request(f"Asset {new_id} already exists.")
        granted = [
            s
            for s in (scopes if scopes is not None else SCOPES_BY_ASSET_TYPE[asset_type])
            if s.startswith(f"{asset_type}:")
        ] or list(SCOPES_BY_ASSET_TYPE[asset_type])
        asset = build_asset(
            template,
            asset_id=new_id,
            user_id=user_id,
            template_id=template_id,
            account=account,
            scopes=sorted(granted),
            now=self.now(),
        )
        location = self.locations.get(asset.location_id) if asset.location_id else None
        if location is None or location["userId"] != user_id:
            asset.location_id = None
            asset.location_id_updated = None
        self.assets[new_id] = asset
        user.vendors[(asset.vendor, asset.type)] = True
        user.scopes.update(asset.scopes)
        self.mark_dirty()
        return asset

    def remove_asset(self, asset_id: str) -> None:
        """Delete an asset (``user:<type>:deleted``)."""
        self._delete_asset(self.get_asset(asset_id))
        self._changed()

    def _delete_asset(self, asset: Asset) -> None:
        for action in self.actions.values():
            if action.pending and action.target_id == asset.id:
                self._finish(action, "CANCELLED", "NOT_FOUND", NOT_FOUND_DETAIL)
        self._unplug(asset, cancel=False)
        del self.assets[asset.id]
        self.mark_dirty()

    # -- rendering --------------------------------------------------------------------------

    def render_asset(self, asset: Asset) -> JSON:
        """The wire object of an asset, with pairing applied."""
        base: JSON = {
            "id": asset.id,
            "userId": asset.user_id,
            "vendor": asset.vendor,
            "lastSeen": iso(asset.last_seen),
            "isReachable": asset.reachable,
        }
        if asset.type == "vehicle":
            return base | self._render_vehicle(asset)
        if asset.type == "charger":
            return base | self._render_charger(asset)
        body = base | copy.deepcopy(asset.extra)
        caps: JSON = {name: cap.render() for name, cap in asset.capabilities.items()}
        if asset.type == "hvac":
            caps = copy.deepcopy(asset.extra.get("capabilities", {})) | caps
            body["location"] = {"id": asset.location_id}
        body["information"] = copy.deepcopy(asset.information)
        body["capabilities"] = caps
        body["scopes"] = list(asset.scopes)
        return body

    def active_partner(self, asset: Asset) -> Asset | None:
        """The same-user asset it is plugged into (an *active* pair), if any."""
        if not asset.plugged or asset.plugged_to is None:
            return None
        partner = self.assets.get(asset.plugged_to)
        if partner is None or partner.user_id != asset.user_id:
            return None
        return partner

    def paired_charger(self, vehicle: Asset) -> Asset | None:
        """The charger an *established* pair unlocks the vehicle with, if any."""
        active = self.active_partner(vehicle)
        if active is not None:
            return active
        if vehicle.pairing_cleared:
            return None
        if self._first_charger is not None:
            return self._first_charger.get(vehicle.user_id)
        chargers = self.user_assets(vehicle.user_id, "charger")
        return chargers[0] if chargers else None

    def session_rate(self, asset: Asset) -> float:
        """kW flowing in the asset's charging session."""
        partner = self.assets.get(asset.plugged_to) if asset.plugged_to else None
        if partner is None:
            return asset.charge_rate_kw
        return min(asset.charge_rate_kw, partner.charge_rate_kw)

    def vehicle_location_id(self, vehicle: Asset) -> str | None:
        """Inferred from an active pair's charger, else the GPS geofence."""
        active = self.active_partner(vehicle)
        if active is not None and active.location_id:
            return active.location_id
        if not (vehicle.gps and vehicle.latitude is not None and vehicle.longitude is not None):
            return None
        best: tuple[float, str] | None = None
        for location in self.locations.values():
            if location["userId"] != vehicle.user_id:
                continue
            meters = distance_m(
                vehicle.latitude, vehicle.longitude, location["latitude"], location["longitude"]
            )
            if meters <= self.settings.geofence_radius_m and (best is None or meters < best[0]):
                best = (meters, location["id"])
        return best[1] if best else None

    def vehicle_capabilities(self, vehicle: Asset) -> JSON:
        """Vehicle capabilities with EV charger pairing applied (DESIGN.md section 6)."""
        caps: JSON = {name: cap.render() for name, cap in vehicle.capabilities.items()}
        charger = self.paired_charger(vehicle)
        if charger is None:
            return caps
        for name in ("startCharging", "stopCharging"):
            own = vehicle.capabilities[name]
            theirs = charger.capabilities[name]
            if theirs.capable:
                caps[name] = {"isCapable": True, "interventionIds": []}
            elif own.capable:
                # Optional: the vehicle can do it alone; the charger's interventions are returned.
                caps[name] = {"isCapable": True, "interventionIds": list(theirs.interventions)}
            else:
                caps[name] = {
                    "isCapable": False,
                    "interventionIds": _unique(theirs.interventions + own.interventions),
                }
        caps["location"] = {"isCapable": True, "interventionIds": []}
        own_state = vehicle.capabilities["chargeState"]
        caps["chargeState"] = {
            "isCapable": own_state.capable,
            "interventionIds": _unique(
                own_state.interventions + charger.capabilities["chargeState"].interventions
            ),
        }
        return caps

    def _render_vehicle(self, vehicle: Asset) -> JSON:
        active = self.active_partner(vehicle)
        level = vehicle.level
        rate: float | None = None
        if vehicle.charging:
            session = self.session_rate(vehicle)
            if vehicle.reports_charge_rate or active is not None:
                rate = round(session, 2)
        remaining: int | None = None
        if vehicle.charging and rate:
            to_go = max(0.0, vehicle.charge_limit - level) / 100 * vehicle.battery_capacity
            remaining = round(to_go / rate * 60)
        fully = level >= vehicle.charge_limit
        if not vehicle.plugged:
            pds = "UNPLUGGED"
        elif vehicle.charging:
            pds = "PLUGGED_IN:CHARGING"
        elif fully:
            pds = "PLUGGED_IN:COMPLETE"
        else:
            pds = "PLUGGED_IN:STOPPED"
        gps_ok = vehicle.gps and vehicle.capabilities["location"].capable
        return {
            "information": dict(vehicle.information),
            "chargeState": {
                "batteryLevel": level,
                "range": round(level / 100 * vehicle.full_range_km),
                "isPluggedIn": vehicle.plugged,
                "isCharging": vehicle.charging,
                "isFullyCharged": fully,
                "batteryCapacity": vehicle.battery_capacity,
                "chargeLimit": vehicle.charge_limit,
                "chargeRate": rate,
                "chargeTimeRemaining": remaining,
                "lastUpdated": iso(vehicle.charge_updated) if vehicle.charge_updated else None,
                "maxCurrent": vehicle.max_current,
                "powerDeliveryState": pds,
                "pluggedInChargerId": active.id if active is not None else None,
            },
            "smartChargingPolicy": dict(vehicle.smart_charging_policy),
            "odometer": {
                "distance": vehicle.odometer_km,
                "lastUpdated": iso(vehicle.created_at) if vehicle.odometer_km is not None else None,
            },
            "capabilities": self.vehicle_capabilities(vehicle),
            "scopes": list(vehicle.scopes),
            "location": {
                "id": self.vehicle_location_id(vehicle),
                "latitude": vehicle.latitude if gps_ok else None,
                "longitude": vehicle.longitude if gps_ok else None,
                "lastUpdated": (
                    iso(vehicle.location_updated)
                    if gps_ok and vehicle.location_updated is not None
                    else None
                ),
            },
        }

    def _render_charger(self, charger: Asset) -> JSON:
        active = self.active_partner(charger)
        if not charger.plugged:
            pds = "UNPLUGGED"
        elif charger.charging:
            pds = "PLUGGED_IN:CHARGING"
        else:
            pds = "PLUGGED_IN:STOPPED"
        return {
            "chargeState": {
                "isPluggedIn": charger.plugged,
                "isCharging": charger.charging,
                "chargeRate": round(self.session_rate(charger), 2) if charger.charging else None,
                "lastUpdated": iso(charger.charge_updated) if charger.charge_updated else None,
                "maxCurrent": charger.max_current,
                "powerDeliveryState": pds,
                "pluggedInVehicleId": active.id if active is not None else None,
            },
            "capabilities": {name: cap.render() for name, cap in charger.capabilities.items()},
            "scopes": list(charger.scopes),
            "information": dict(charger.information),
            "location": {
                "id": charger.location_id,
                "lastUpdated": (
                    iso(charger.location_id_updated) if charger.location_id_updated else None
                ),
            },
        }

    # -- physical state (control API) ------------------------------------------------------

    def _set_charging(self, asset: Asset, on: bool) -> None:
        self.mark_dirty()
        now = self.now()
        targets = [asset]
        partner = self.assets.get(asset.plugged_to) if asset.plugged_to else None
        if partner is not None and partner.plugged_to == asset.id:
            targets.append(partner)
        for target in targets:
            if target.charging != on:
                target.charging = on
                target.charge_updated = now

    def plug_in(
        self, asset_id: str, partner_id: str | None = None, *, charging: bool = False
    ) -> None:
        """Plug a vehicle or charger in (into ``partner_id`` or an unknown counterpart)."""
        asset = self.get_asset(asset_id)
        if asset.type not in ("vehicle", "charger"):
            raise bad_request("Only vehicles and chargers can be plugged in.")
        partner: Asset | None = None
        if partner_id is not None:
            partner = self.get_asset(partner_id)
            if {asset.type, partner.type} != {"vehicle", "charger"}:
                raise bad_request("Plug a vehicle into a charger.")
        self._unplug(asset, cancel=True)
        if partner is not None:
            self._unplug(partner, cancel=True)
        now = self.now()
        for item, other in ((asset, partner), (partner, asset)):
            if item is None:
                continue
            item.plugged = True
            item.plugged_to = other.id if other is not None else None
            item.charge_updated = now
            if item.type == "vehicle" and other is not None and other.user_id == item.user_id:
                item.pairing_cleared = False
                item.failed_unplugged_commands = 0
        if charging:
            self._set_charging(asset, True)
        self._changed()

    def unplug(self, asset_id: str) -> None:
        """Unplug a vehicle or charger (and whatever it was plugged into)."""
        self._unplug(self.get_asset(asset_id), cancel=True)
        self._changed()

    def _unplug(self, asset: Asset, *, cancel: bool) -> None:
        self.mark_dirty()
        partner = self.assets.get(asset.plugged_to) if asset.plugged_to else None
        now = self.now()
        for item in (asset, partner):
            if item is None or not item.plugged:
                continue
            item.plugged = False
            item.plugged_to = None
            item.charging = False
            item.charge_updated = now
            if cancel:
                for action in self.actions.values():
                    if action.pending and action.target_id == item.id and action.kind:
                        self._finish(action, "CANCELLED", "FAILED_PRECONDITION", UNPLUGGED_DETAIL)

    def set_battery_level(self, vehicle_id: str, level: float) -> None:
        """Set a vehicle's (or home battery's) battery level in percent."""
        asset = self.get_asset(vehicle_id)
        if not 0 <= level <= 100:
            raise bad_request("level must be between 0 and 100")
        if asset.type == "battery":
            asset.extra["chargeState"]["batteryLevel"] = level
            asset.extra["chargeState"]["lastUpdated"] = iso(self.now())
        elif asset.type == "vehicle":
            asset.battery_level = float(level)
            asset.charge_updated = self.now()
            if asset.charging and asset.battery_level >= asset.charge_limit:
                self._set_charging(asset, False)
        else:
            raise bad_request("Only vehicles and batteries have a battery level.")
        self._changed()

    def set_charging_state(self, asset_id: str, charging: bool) -> None:
        """Start/stop charging physically (e.g. from the car's screen), no action involved."""
        asset = self.get_asset(asset_id)
        if charging and not asset.plugged:
            raise bad_request("The asset is not plugged in.")
        self._set_charging(asset, charging)
        self._changed()

    def set_vehicle_position(self, vehicle_id: str, latitude: float, longitude: float) -> None:
        """Move a GPS vehicle."""
        vehicle = self.get_asset(vehicle_id, "vehicle")
        vehicle.latitude = latitude
        vehicle.longitude = longitude
        vehicle.location_updated = self.now()
        self._changed()

    def set_reachable(self, asset_id: str, reachable: bool) -> None:
        """Make a device (un)reachable: its pending actions then fail with NO_RESPONSE."""
        self.get_asset(asset_id).reachable = reachable
        self._changed()

    def set_schedule_controlled(self, asset_id: str, controlled: bool) -> None:
        """Whether a schedule / smart charging plan controls it (commands get 422)."""
        self.get_asset(asset_id).schedule_controlled = controlled
        self.mark_dirty()

    def add_intervention(self, asset_id: str, capability: str, intervention_id: str) -> None:
        """Block a capability with an intervention from the catalog."""
        asset = self.get_asset(asset_id)
        if intervention_id not in self.interventions:
            raise bad_request(f"Unknown intervention {intervention_id}.")
        cap = asset.capabilities.get(capability)
        if cap is None:
            raise bad_request(f"{asset.type} has no capability {capability!r}.")
        cap.supported = True
        if intervention_id not in cap.interventions:
            cap.interventions.append(intervention_id)
        self._changed()

    def remove_intervention(
        self, asset_id: str, intervention_id: str, capability: str | None = None
    ) -> None:
        """Remove an intervention (from one capability or all of them)."""
        asset = self.get_asset(asset_id)
        for name, cap in asset.capabilities.items():
            if capability in (None, name) and intervention_id in cap.interventions:
                cap.interventions.remove(intervention_id)
        self._changed()

    def set_linking_status(self, vendor: str, status: str) -> None:
        """A vendor's ``linkingStatus``: READY, ELEVATED_ERROR_RATE or OUTAGE."""
        if status not in ("READY", "ELEVATED_ERROR_RATE", "OUTAGE"):
            raise bad_request(f"Unknown linking status {status!r}.")
        self.linking_status[vendor] = status

    # -- commands (the API) -------------------------------------------------------------------

    def _new_action(self, asset: Asset, category: str, **fields: Any) -> Action:
        now = self.now()
        action = Action(
            id=str(uuid.uuid4()),
            user_id=asset.user_id,
            target_id=asset.id,
            target_type=asset.type,
            category=category,
            created_at=now,
            updated_at=now,
            due=now + self.settings.action_delay,
            **fields,
        )
        self.actions[action.id] = action
        return action

    def _finish(
        self, action: Action, state: str, reason: str | None = None, detail: str | None = None
    ) -> None:
        self.mark_dirty()
        now = self.now()
        action.state = state
        action.updated_at = now
        action.completed_at = now
        fields = ["state", "updatedAt", "completedAt"]
        if reason is not None:
            action.failure_reason = {"type": reason, "detail": detail or ""}
            fields.append("failureReason")
        self.emit_action(action, fields)

    def _pending_for(self, asset: Asset) -> list[Action]:
        return [a for a in self.actions.values() if a.pending and a.target_id == asset.id]

    def control_charging(self, asset_id: str, asset_type: str, kind: Any) -> Action:
        """``POST /vehicles|chargers/{id}/charging``."""
        asset = self.get_asset(asset_id, asset_type)
        if kind not in ("START", "STOP"):
            raise bad_request("action must be START or STOP.")
        if asset.schedule_controlled:
            what = (
                "a Schedule or has an active Smart Charging Plan"
                if asset_type == "vehicle"
                else "a Schedule"
            )
            detail = f"The {asset_type} is controlled by {what}."
            raise ApiError(422, "Unprocessable Entity", detail)
        capability = "startCharging" if kind == "START" else "stopCharging"
        caps = (
            self.vehicle_capabilities(asset)
            if asset.type == "vehicle"
            else {n: c.render() for n, c in asset.capabilities.items()}
        )
        if not caps[capability]["isCapable"]:
            raise bad_request(f"The {asset_type} is not capable of {capability}.")
        if not asset.plugged:
            self._count_unplugged_failure(asset)
            self._changed()
            raise bad_request(f"The {asset_type} is not plugged in.")
        pending_kinds = {a.kind for a in self._pending_for(asset) if a.category == "charge"}
        if kind == "START" and asset.charging and "STOP" not in pending_kinds:
            raise bad_request(f"The {asset_type} is already charging.")
        if kind == "STOP" and not asset.charging and "START" not in pending_kinds:
            raise bad_request(f"The {asset_type} is not charging.")
        if kind == "START" and asset.type == "vehicle" and asset.level >= asset.charge_limit:
            raise bad_request("The vehicle is fully charged.")
        asset.failed_unplugged_commands = 0
        self.mark_dirty()
        for pending in self._pending_for(asset):
            if asset.type == "vehicle" and pending.category == "charge" and pending.kind == kind:
                return pending
            self._finish(pending, "CANCELLED", "CONFLICT", CONFLICT_DETAIL)
        return self._new_action(asset, "charge", kind=kind)

    def _count_unplugged_failure(self, asset: Asset) -> None:
        if asset.type != "vehicle" or asset.pairing_cleared:
            return
        asset.failed_unplugged_commands += 1
        if asset.failed_unplugged_commands >= self.settings.max_unplugged_failures:
            asset.pairing_cleared = True

    def set_max_current(
        self, asset_id: str, max_current: Any, asset_type: str = "charger"
    ) -> Action:
        """``POST /chargers|vehicles/{id}/max-current``.

        One active action per device: a pending one (of any kind) is cancelled. The new action
        confirms after the action delay and then sets ``chargeState.maxCurrent``.
        """
        asset = self.get_asset(asset_id, asset_type)
        if isinstance(max_current, bool) or not isinstance(max_current, int | float):
            raise bad_request("maxCurrent must be a number.")
        if max_current <= 0:
            raise bad_request("maxCurrent must be positive.")
        if not asset.capabilities["setMaxCurrent"].capable:
            raise bad_request(f"The {asset_type} is not capable of setMaxCurrent.")
        self.mark_dirty()
        for pending in self._pending_for(asset):
            self._finish(pending, "CANCELLED", "CONFLICT", CONFLICT_DETAIL)
        return self._new_action(asset, "max_current", target_state={"maxCurrent": max_current})

    def smart_charging_policy(self, vehicle_id: str) -> JSON:
        """``GET /vehicles/{id}/smart-charging-policy``: the stored policy (a copy)."""
        return dict(self.get_asset(vehicle_id, "vehicle").smart_charging_policy)

    def update_smart_charging_policy(self, vehicle_id: str, changes: JSON) -> JSON:
        """``PUT /vehicles/{id}/smart-charging-policy`` with a partial, validated policy.

        Enabling (or changing a policy that stays enabled) needs the ``smartCharging``
        capability: otherwise 400 "Cannot activate smart charging". Turning it off always works.
        """
        vehicle = self.get_asset(vehicle_id, "vehicle")
        policy = vehicle.smart_charging_policy
        if "isEnabled" in changes and not isinstance(changes["isEnabled"], bool):
            raise bad_request("isEnabled must be a boolean.")
        if "deadline" in changes:
            deadline = changes["deadline"]
            if not isinstance(deadline, str) or not DEADLINE_PATTERN.fullmatch(deadline):
                raise bad_request("deadline must be a time of day HH:MM (00:00-24:00).")
        if "minimumChargeLimit" in changes:
            limit = changes["minimumChargeLimit"]
            if isinstance(limit, bool) or not isinstance(limit, int | float):
                raise bad_request("minimumChargeLimit must be a number.")
            if not 0 <= limit <= vehicle.charge_limit:
                raise bad_request(
                    "minimumChargeLimit must be between 0 and the vehicle's charge limit."
                )
        enabled = changes.get("isEnabled", policy.get("isEnabled", False))
        if enabled and not vehicle.capabilities["smartCharging"].capable:
            raise ApiError(
                400,
                "Cannot activate smart charging",
                "The vehicle is not capable of smart charging.",
            )
        self.mark_dirty()
        policy.update(changes)
        return dict(policy)

    def set_operation_mode(self, battery_id: str, mode: Any) -> Action:
        """``POST /batteries/{id}/operation-mode``."""
        battery = self.get_asset(battery_id, "battery")
        capability = OPERATION_MODE_CAPABILITY.get(mode) if isinstance(mode, str) else None
        if capability is None:
            raise bad_request(
                "operationMode must be one of " + ", ".join(OPERATION_MODE_CAPABILITY) + "."
            )
        if not battery.capabilities[capability].capable:
            raise bad_request(f"The battery is not capable of {mode}.")
        if battery.extra.get("config", {}).get("operationMode") == mode:
            raise bad_request(f"The battery is already in {mode}.")
        for pending in self._pending_for(battery):
            self._finish(pending, "CANCELLED", "CONFLICT", CONFLICT_DETAIL)
        return self._new_action(battery, "operation_mode", target_state={"operationMode": mode})

    def get_action(self, action_id: str, target_type: str) -> Action:
        """An action of a target type or a 404."""
        action = self.actions.get(action_id)
        if action is None or action.target_type != target_type:
            raise not_found("Action not found.")
        return action

    def cancel_action(self, action_id: str, target_type: str) -> Action:
        """``POST /<type>/actions/{id}/cancel`` (409 with the action when already resolved)."""
        action = self.get_action(action_id, target_type)
        if not action.pending:
            raise ApiError(
                409, "Conflict", "Action already in a resolved state.", body=action.render()
            )
        self._finish(action, "CANCELLED", "REQUESTED_CANCELLATION", CANCELLED_DETAIL)
        return action

    def _resolve(self, action: Action) -> None:
        """A due PENDING action: confirm it or fail it."""
        self.mark_dirty()
        asset = self.assets.get(action.target_id)
        if asset is None:
            self._finish(action, "CANCELLED", "NOT_FOUND", NOT_FOUND_DETAIL)
            return
        if not asset.reachable or not self.credentials_valid(asset):
            self._finish(action, "FAILED", "NO_RESPONSE", UNREACHABLE_DETAIL)
            return
        if action.category == "charge":
            if not asset.plugged:
                self._finish(action, "CANCELLED", "FAILED_PRECONDITION", UNPLUGGED_DETAIL)
                return
            self._set_charging(asset, action.kind == "START")
        elif action.category == "max_current":
            asset.max_current = float((action.target_state or {})["maxCurrent"])
            asset.charge_updated = self.now()
        else:
            config = asset.extra.setdefault("config", {})
            config["operationMode"] = (action.target_state or {})["operationMode"]
            config["lastUpdated"] = iso(self.now())
        self._finish(action, "CONFIRMED")

    # -- locations ------------------------------------------------------------------------------

    def render_location(self, location: JSON) -> JSON:
        """The wire LocationResponse."""
        return {
            "id": location["id"],
            "userId": location["userId"],
            "name": location["name"],
            "latitude": location["latitude"],
            "longitude": location["longitude"],
            "timezoneName": location["timezoneName"],
            "createdAt": iso(location["createdAt"]),
        }

    def get_location(self, location_id: str) -> JSON:
        """A location or a 404."""
        location = self.locations.get(location_id)
        if location is None:
            raise not_found("Location not found.")
        return location

    def create_location(self, user_id: str, fields: JSON, location_id: str | None = None) -> JSON:
        """Create a location (fields already validated)."""
        self.ensure_user(user_id)
        location: JSON = {
            "id": location_id or str(uuid.uuid4()),
            "userId": user_id,
            "timezoneName": "UTC",
            "createdAt": self.now(),
        } | fields
        self.locations[location["id"]] = location
        self._changed()
        return location

    def update_location(self, location_id: str, fields: JSON) -> JSON:
        """Update a location (fields already validated)."""
        location = self.get_location(location_id)
        location.update(fields)
        self._changed()
        return location

    def delete_location(self, location_id: str) -> JSON:
        """Delete a location; chargers that used it lose their location."""
        location = self.get_location(location_id)
        del self.locations[location_id]
        for asset in self.assets.values():
            if asset.location_id == location_id:
                asset.location_id = None
                asset.location_id_updated = self.now()
        self._changed()
        return location

    def set_asset_location(self, asset_id: str, asset_type: str, location_id: str | None) -> Asset:
        """``PUT /chargers/{id}`` (and HVACs) with ``locationId``."""
        asset = self.get_asset(asset_id, asset_type)
        if location_id is not None:
            location = self.locations.get(location_id)
            if location is None or location["userId"] != asset.user_id:
                raise bad_request("Location not found.")
        asset.location_id = location_id
        asset.location_id_updated = self.now()
        self._changed()
        return asset

    # -- interventions and integrations -------------------------------------------------------

    def integrations(self, asset_types: Iterable[str] | None = None) -> list[JSON]:
        """``GET /integrations``: vendors supporting any of the asset types."""
        wanted = set(asset_types) if asset_types is not None else set(ASSET_TYPES)
        vendors = [
            vendor
            for vendor in dict.fromkeys(v for t in ASSET_TYPES for v in VENDORS[t])
            if any(vendor in VENDORS[t] for t in wanted)
        ]
        return [integration(v, self.linking_status.get(v, "READY")) for v in vendors]

    def is_link_intervention(self, intervention_id: str) -> bool:
        """Whether the intervention is resolved by relinking (``action: "Link"``)."""
        entry = self.interventions.get(intervention_id)
        return entry is not None and entry.get("action") == "Link"

    # -- link sessions ------------------------------------------------------------------------

    def create_link_session(
        self,
        user_id: str,
        *,
        scopes: list[str],
        language: str,
        redirect_uri: str,
        base_url: str,
        vendor: str | None = None,
        vendor_type: str | None = None,
        color_scheme: str | None = None,
        relink_asset_id: str | None = None,
    ) -> LinkSession:
        """A single-use session whose ``link_url`` points at this simulator's Link UI."""
        if relink_asset_id is None:
            self.ensure_user(user_id)
        now = self.now()
        token = secrets.token_urlsafe(24)
        session = LinkSession(
            token=token,
            user_id=user_id,
            scopes=list(scopes),
            language=language,
            redirect_uri=redirect_uri,
            created_at=now,
            expires_at=now + self.settings.link_session_lifetime,
            vendor=vendor,
            vendor_type=vendor_type,
            color_scheme=color_scheme,
            relink_asset_id=relink_asset_id,
            link_url=f"{(self.public_url or base_url).rstrip('/')}/link/{token}",
        )
        self.link_sessions[token] = session
        return session

    def get_link_session(self, token: str) -> LinkSession | None:
        """A session by token (check ``is_usable`` before using it)."""
        return self.link_sessions.get(token)

    def session_vendors(self, session: LinkSession) -> list[JSON]:
        """Integrations offered by a session's brand selection.

        Vendors of the session's ``vendorType`` when given, else of any of its asset types.
        """
        if session.vendor_type:
            return self.integrations([session.vendor_type])
        return self.integrations(session.asset_types)

    def find_vendor_account(
        self, vendor: str, username: str, password: str | None = None
    ) -> VendorAccount | None:
        """A vendor account by credentials (``password=None`` skips the password check)."""
        for account in self.vendor_accounts:
            if account.vendor == vendor and account.username == username:
                if password is None or secrets.compare_digest(account.password, password):
                    return account
                return None
        return None

    def accounts_for_vendor(self, vendor: str) -> list[VendorAccount]:
        """The virtual accounts of a vendor."""
        return [account for account in self.vendor_accounts if account.vendor == vendor]

    def link_account(
        self,
        user_id: str,
        account: VendorAccount,
        asset_types: Iterable[str],
        scopes: Iterable[str] | None = None,
    ) -> list[Asset]:
        """Link an account's devices of the given types to a user (creating the user)."""
        types = list(asset_types)
        scope_list = list(scopes) if scopes is not None else None
        self.ensure_user(user_id)
        linked: list[Asset] = []
        for template in account.devices_of(types):
            existing = next(
                (
                    asset
                    for asset in self.user_assets(user_id)
                    if asset.template_id == template["id"]
                ),
                None,
            )
            if existing is not None:
                self._restore_access(existing)
                linked.append(existing)
                continue
            linked.append(self.add_asset(user_id, template, account=account.key, scopes=scope_list))
        user = self.users[user_id]
        for asset_type in types:
            if account.vendor in VENDORS.get(asset_type, ()):
                user.vendors[(account.vendor, asset_type)] = True
        self._changed()
        return linked

    def complete_link_session(self, session: LinkSession, account: VendorAccount) -> list[Asset]:
        """Finish a (re)link session with an account: link (or relink) and mark it used."""
        if session.relink_asset_id is not None:
            asset = self.relink_asset(session.relink_asset_id)
            session.used = True
            return [asset]
        assets = self.link_account(session.user_id, account, session.asset_types, session.scopes)
        session.used = True
        return assets

    def relink_asset(self, asset_id: str) -> Asset:
        """Restore an asset's access: valid credentials, Link interventions cleared."""
        asset = self.get_asset(asset_id)
        self._restore_access(asset)
        self._changed()
        return asset

    def _restore_access(self, asset: Asset) -> None:
        self.mark_dirty()
        user = self.ensure_user(asset.user_id)
        for key in list(user.vendors):
            if key[0] == asset.vendor:
                user.vendors[key] = True
        user.vendors[(asset.vendor, asset.type)] = True
        for cap in asset.capabilities.values():
            cap.interventions = [i for i in cap.interventions if not self.is_link_intervention(i)]
