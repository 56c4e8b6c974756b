"""Enode webhook helpers: signatures and typed events."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
import hashlib
import hmac
from typing import Any, ClassVar

import orjson

from .const import AssetType
from .exceptions import EnodeError, EnodeResponseError
from .models import (
    Asset,
    AssetInformation,
    Battery,
    Charger,
    Hvac,
    Inverter,
    Meter,
    SmartChargingStatus,
    Vehicle,
    VendorAction,
    action_from_dict,
    describe_model_error,
    parse_datetime,
)
from .reuse import AssetParser

__all__ = [
    "AssetDiscoveredEvent",
    "AssetEvent",
    "BatteryEvent",
    "ChargerEvent",
    "CredentialsInvalidatedEvent",
    "HeartbeatEvent",
    "HvacEvent",
    "InverterEvent",
    "MeterEvent",
    "SmartChargingStatusEvent",
    "UnknownEvent",
    "VehicleEvent",
    "VendorActionEvent",
    "WebhookEvent",
    "WebhookTestEvent",
    "compute_signature",
    "parse_event",
    "parse_events",
    "verify_signature",
]

SIGNATURE_PREFIX = "sha1="
SMART_CHARGING_STATUS_EVENT = "user:vehicle:smart-charging-status-updated"


def compute_signature(secret: str, body: bytes) -> str:
    """Return the ``x-enode-signature`` of a raw body: ``sha1=`` + HMAC-SHA1 hex digest."""
    digest = hmac.new(secret.encode(), body, hashlib.sha1).hexdigest()
    return f"{SIGNATURE_PREFIX}{digest}"


def verify_signature(secret: str, body: bytes, signature_header: str | None) -> bool:
    """Return True when ``signature_header`` signs ``body`` with ``secret`` (constant time)."""
    if not signature_header or not secret:
        return False
    expected = compute_signature(secret, body)
    return hmac.compare_digest(expected.encode(), signature_header.strip().encode())


# --------------------------------------------------------------------------------------------
# Events


@dataclass(frozen=True, kw_only=True)
class WebhookEvent:
    """Fields common to every webhook event."""

    event: str
    created_at: datetime | None = None
    version: str | None = None


@dataclass(frozen=True, kw_only=True)
class AssetDiscoveredEvent(WebhookEvent):
    """``user:<type>:discovered``: Enode found a new asset of the user.

    Enode populates only the asset's ``information``; every other property is null, and an
    ``:updated`` event with the rest follows shortly (OpenAPI: the ``*Discovered`` schemas). So
    the event carries what is known — the type, the id and the information — and whoever needs
    the asset's state fetches it (``EnodeClient.get_asset(event.model, event.asset_id)``).
    ``asset_id`` is None if the payload does not carry it either.
    """

    user_id: str | None = None
    asset_type: AssetType
    asset_id: str | None = None
    information: AssetInformation = field(default_factory=AssetInformation)

    @property
    def model(self) -> type[Asset]:
        """Return the model of the discovered asset's type (``Battery``, ``Hvac``, ...)."""
        return _ASSET_EVENTS[self.asset_type][1]


@dataclass(frozen=True, kw_only=True)
class AssetEvent(WebhookEvent):
    """A ``user:<asset>:updated|deleted`` event: the asset as it is now (or was)."""

    asset_type: ClassVar[str] = ""

    user_id: str | None = None
    updated_fields: list[str] = field(default_factory=list)

    @property
    def change(self) -> str:
        """Return ``updated`` or ``deleted``."""
        return self.event.rsplit(":", 1)[-1]

    @property
    def asset(self) -> Vehicle | Charger | Battery | Inverter | Meter | Hvac:
        """Return the asset the event carries."""
        value: Vehicle | Charger | Battery | Inverter | Meter | Hvac = getattr(
            self, self.asset_type
        )
        return value


@dataclass(frozen=True, kw_only=True)
class VehicleEvent(AssetEvent):
    """A vehicle was updated or deleted."""

    asset_type: ClassVar[str] = "vehicle"
    vehicle: Vehicle


@dataclass(frozen=True, kw_only=True)
class ChargerEvent(AssetEvent):
    """A charger was updated or deleted."""

    asset_type: ClassVar[str] = "charger"
    charger: Charger


@dataclass(frozen=True, kw_only=True)
class BatteryEvent(AssetEvent):
    """A battery was updated or deleted."""

    asset_type: ClassVar[str] = "battery"
    battery: Battery


@dataclass(frozen=True, kw_only=True)
class InverterEvent(AssetEvent):
    """An inverter was updated or deleted."""

    asset_type: ClassVar[str] = "inverter"
    inverter: Inverter


@dataclass(frozen=True, kw_only=True)
class MeterEvent(AssetEvent):
    """A meter was updated or deleted."""

    asset_type: ClassVar[str] = "meter"
    meter: Meter


@dataclass(frozen=True, kw_only=True)
class HvacEvent(AssetEvent):
    """An HVAC unit was updated or deleted."""

    asset_type: ClassVar[str] = "hvac"
    hvac: Hvac


@dataclass(frozen=True, kw_only=True)
class CredentialsInvalidatedEvent(WebhookEvent):
    """The credentials of a user's vendor account became invalid (relink needed)."""

    user_id: str | None = None
    vendor: str | None = None


@dataclass(frozen=True, kw_only=True)
class VendorActionEvent(WebhookEvent):
    """An action changed state (``action`` is a ChargeAction, MaxCurrentAction, ...)."""

    user_id: str | None = None
    action: VendorAction
    updated_fields: list[str] = field(default_factory=list)


@dataclass(frozen=True, kw_only=True)
class SmartChargingStatusEvent(WebhookEvent):
    """``user:vehicle:smart-charging-status-updated``: a vehicle's smart charging status."""

    user_id: str | None = None
    status: SmartChargingStatus
    updated_fields: list[str] = field(default_factory=list)


@dataclass(frozen=True, kw_only=True)
class HeartbeatEvent(WebhookEvent):
    """``system:heartbeat``: how many events are queued for delivery."""

    pending_events: int | None = None


@dataclass(frozen=True, kw_only=True)
class WebhookTestEvent(WebhookEvent):
    """``enode:webhook:test``."""


@dataclass(frozen=True, kw_only=True)
class UnknownEvent(WebhookEvent):
    """An event this library does not model, or a known one whose payload was malformed.

    ``raw`` is the event as received; ``error`` says why a known event could not be parsed.
    """

    raw: dict[str, Any] = field(default_factory=dict)
    error: str | None = None

    @property
    def user_id(self) -> str | None:
        """Return the user id of the event, if any."""
        user = self.raw.get("user")
        if isinstance(user, dict) and isinstance(user.get("id"), str):
            return str(user["id"])
        return None


_ASSET_EVENTS: dict[str, tuple[type[AssetEvent], type[Asset]]] = {
    "vehicle": (VehicleEvent, Vehicle),
    "charger": (ChargerEvent, Charger),
    "battery": (BatteryEvent, Battery),
    "inverter": (InverterEvent, Inverter),
    "meter": (MeterEvent, Meter),
    "hvac": (HvacEvent, Hvac),
}
_ASSET_CHANGES = frozenset({"updated", "deleted"})


def _datetime(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return parse_datetime(value)
    except ValueError:
        return None


def _str_list(value: Any) -> list[str]:
    if not isinstance(value, list):
        return []
    return [item for item in value if isinstance(item, str)]


def _user_id(data: dict[str, Any]) -> str | None:
    user = data.get("user")
    if isinstance(user, dict) and isinstance(user.get("id"), str):
        return str(user["id"])
    return None


def _object(data: dict[str, Any], key: str) -> dict[str, Any]:
    value = data.get(key)
    if not isinstance(value, dict):
        msg = f"missing object {key!r}"
        raise EnodeResponseError(msg)
    return value


def parse_event(data: dict[str, Any], parser: AssetParser | None = None) -> WebhookEvent:
    """Return the typed event for one decoded event object (never raises).

    An asset's update goes through ``parser`` when given (``reuse.py``: only the sections that
    changed since it last parsed the asset are parsed again).
    """
    event = data.get("event")
    name = event if isinstance(event, str) else ""
    common: dict[str, Any] = {
        "event": name,
        "created_at": _datetime(data.get("createdAt")),
        "version": data.get("version") if isinstance(data.get("version"), str) else None,
    }
    try:
        return _parse_known(name, data, common, parser)
    except (EnodeError, ValueError, TypeError, LookupError) as err:
        error = str(err) if isinstance(err, EnodeError) else describe_model_error(err)
        return UnknownEvent(**common, raw=data, error=error)


def _parse_known(
    name: str, data: dict[str, Any], common: dict[str, Any], parser: AssetParser | None
) -> WebhookEvent:
    if name == SMART_CHARGING_STATUS_EVENT:
        return SmartChargingStatusEvent(
            **common,
            user_id=_user_id(data),
            status=SmartChargingStatus.from_dict(_object(data, "smartChargingStatus")),
            updated_fields=_str_list(data.get("updatedFields")),
        )
    parts = name.split(":")
    entry = _ASSET_EVENTS.get(parts[1]) if len(parts) == 3 and parts[0] == "user" else None
    if entry is not None and parts[2] == "discovered":
        return _discovered(AssetType(parts[1]), data, common)
    if entry is not None and parts[2] in _ASSET_CHANGES:
        event_class, model = entry
        payload = _object(data, parts[1])
        parsed = model.from_dict(payload) if parser is None else parser.parse(model, payload)
        asset: dict[str, Any] = {parts[1]: parsed}
        return event_class(
            **common,
            user_id=_user_id(data),
            updated_fields=_str_list(data.get("updatedFields")),
            **asset,
        )
    if name == "user:vendor-action:updated":
        return VendorActionEvent(
            **common,
            user_id=_user_id(data),
            action=action_from_dict(_object(data, "vendorAction")),
            updated_fields=_str_list(data.get("updatedFields")),
        )
    if name == "user:credentials:invalidated":
        vendor = data.get("vendor")
        return CredentialsInvalidatedEvent(
            **common,
            user_id=_user_id(data),
            vendor=vendor if isinstance(vendor, str) else None,
        )
    if name == "system:heartbeat":
        pending = data.get("pendingEvents")
        return HeartbeatEvent(
            **common,
            pending_events=int(pending) if isinstance(pending, int | float) else None,
        )
    if name == "enode:webhook:test":
        return WebhookTestEvent(**common)
    return UnknownEvent(**common, raw=data)


def _discovered(
    asset_type: AssetType, data: dict[str, Any], common: dict[str, Any]
) -> AssetDiscoveredEvent:
    """Return the discovered event: the asset's id and information (the rest is null)."""
    payload = _object(data, str(asset_type))
    asset_id = payload.get("id")
    information = payload.get("information")
    # The asset's own model parses its information (a vehicle's has a VIN, an HVAC's a category).
    stub = _ASSET_EVENTS[asset_type][1].from_dict(
        {"id": "", "information": information if isinstance(information, dict) else {}}
    )
    return AssetDiscoveredEvent(
        **common,
        user_id=_user_id(data),
        asset_type=asset_type,
        asset_id=asset_id if isinstance(asset_id, str) and asset_id else None,
        information=stub.information,
    )


def parse_events(body: bytes, parser: AssetParser | None = None) -> list[WebhookEvent]:
    """Parse a webhook delivery (a JSON array of events) into typed events (assets through
    ``parser``, when given).

    Raises ``EnodeResponseError`` when the body is not JSON or not an array. Events that are
    unknown or malformed become ``UnknownEvent`` so the others are not lost.
    """
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError as err:
        msg = "Webhook body is not valid JSON"
        raise EnodeResponseError(msg) from err
    if not isinstance(data, list):
        msg = f"Webhook body is not a JSON array (got {type(data).__name__})"
        raise EnodeResponseError(msg)
    events: list[WebhookEvent] = []
    for item in data:
        if isinstance(item, dict):
            events.append(parse_event(item, parser))
        else:
            events.append(UnknownEvent(event="", raw={}, error=f"event is a {type(item).__name__}"))
    return events
