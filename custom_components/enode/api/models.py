"""Typed models of the Enode API (version 2024-10-01).

Every model is a frozen, keyword-only dataclass with mashumaro (de)serialisation: ``from_dict``
takes the wire (camelCase) payload and ``to_dict`` produces it again. Attributes are snake_case.

The models are tolerant, as Enode's payloads change over time:

* an unknown enum value becomes the enum's ``UNKNOWN`` member (never an exception);
* extra keys are ignored;
* a missing optional key becomes ``None`` (a missing list becomes ``[]``, a missing nested object
  becomes an object whose fields are all ``None``);
* the nulls Enode documents are accepted everywhere.

Only ``id`` is required on the top-level resources.
"""

# The field helpers (_f, _list, _obj, _req) return dataclasses.field(...) objects: RUF009 does
# not know that, so it is silenced for this file.
# ruff: noqa: RUF009

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from enum import StrEnum
from functools import cached_property
from typing import Any, ClassVar, Self

from mashumaro.config import BaseConfig
from mashumaro.mixins.orjson import DataClassORJSONMixin

from .const import AssetType

__all__ = [
    "ActionState",
    "Asset",
    "AssetBase",
    "AssetInformation",
    "AssetLocation",
    "Battery",
    "BatteryCapabilities",
    "BatteryChargeState",
    "BatteryConfig",
    "BatteryInformation",
    "BatteryOperationMode",
    "BatteryStatus",
    "Capability",
    "ChargeAction",
    "Charger",
    "ChargerAction",
    "ChargerCapabilities",
    "ChargerChargeState",
    "ChargerInformation",
    "ChargerLocation",
    "ChargingAction",
    "EnodeModel",
    "FailureReason",
    "FailureReasonType",
    "Hvac",
    "HvacAction",
    "HvacActionTarget",
    "HvacCapabilities",
    "HvacCategory",
    "HvacHoldType",
    "HvacInformation",
    "HvacLocation",
    "HvacMode",
    "HvacTemperatureState",
    "HvacThermostatState",
    "Integration",
    "Intervention",
    "InterventionDomain",
    "InterventionResolution",
    "Inverter",
    "InverterCapabilities",
    "InverterInformation",
    "InverterProductionState",
    "LinkSession",
    "LinkedVendor",
    "LinkingStatus",
    "Location",
    "MaxCurrentAction",
    "Meter",
    "MeterCapabilities",
    "MeterEnergyState",
    "MeterInformation",
    "Odometer",
    "OperationModeAction",
    "PowerDeliveryState",
    "ResolutionAccess",
    "ResolutionAction",
    "ResolutionAgent",
    "SiteLocation",
    "SmartChargeState",
    "SmartChargingConsideration",
    "SmartChargingFailureCondition",
    "SmartChargingPlan",
    "SmartChargingPolicy",
    "SmartChargingStatus",
    "SmartOverride",
    "TargetMaxCurrent",
    "TargetOperationMode",
    "TemperatureRange",
    "TolerantStrEnum",
    "User",
    "Vehicle",
    "VehicleAction",
    "VehicleCapabilities",
    "VehicleChargeState",
    "VehicleInformation",
    "VehicleLocation",
    "VendorAction",
    "Webhook",
    "WebhookAuthentication",
    "WebhookTestResponse",
    "WebhookTestResult",
    "WebhookTestStatus",
    "action_from_dict",
    "describe_model_error",
    "parse_datetime",
]


# --------------------------------------------------------------------------------------------
# Helpers

# The field metadata key of a numeric field's plausible range, and the ranges used (Enode's units:
# kW, kWh, km, minutes, A, degrees Celsius). Generous: they only catch what no device reports.
BOUNDS = "bounds"
PERCENT = (0.0, 100.0)
LATITUDE = (-90.0, 90.0)
LONGITUDE = (-180.0, 180.0)
CURRENT = (0.0, 1000.0)
TEMPERATURE = (-100.0, 150.0)
EV_POWER = (-1000.0, 1000.0)
SITE_POWER = (-100_000.0, 100_000.0)


def _f(
    alias: str | None = None,
    *,
    default: Any = None,
    bounds: tuple[float, float] | None = None,
) -> Any:
    """Return an optional field (default ``None``) with its wire name.

    ``bounds`` is the range (inclusive) a real device can report: a value outside it is dropped
    when an asset is read (``validation.py``).
    """
    metadata: dict[str, Any] = {"alias": alias} if alias else {}
    if bounds is not None:
        metadata[BOUNDS] = bounds
    return field(default=default, metadata=metadata)


def _list(alias: str | None = None) -> Any:
    """Return a list field that defaults to ``[]``."""
    metadata = {"alias": alias} if alias else {}
    return field(default_factory=list, metadata=metadata)


def _obj(factory: Any, alias: str | None = None) -> Any:
    """Return a nested-object field that defaults to an empty object."""
    metadata = {"alias": alias} if alias else {}
    return field(default_factory=factory, metadata=metadata)


def _req(alias: str | None = None) -> Any:
    """Return a required field with its wire name."""
    metadata = {"alias": alias} if alias else {}
    return field(metadata=metadata)


def describe_model_error(err: BaseException) -> str:
    """Describe a deserialisation error by field and class, never by value.

    mashumaro's messages include the invalid value, which may be a VIN or coordinates.
    """
    field_name = getattr(err, "field_name", None)
    holder = getattr(err, "holder_class_name", None)
    if isinstance(field_name, str):
        return f"field {field_name!r} of {holder}"
    return type(err).__name__


def parse_datetime(value: str) -> datetime:
    """Return an ISO 8601 timestamp as an aware datetime; one without a timezone is UTC.

    Enode's timestamps are UTC (``...Z``); a payload without the offset (seen from some vendors
    and in hand-made deliveries) must still compare with the aware ones.
    """
    moment = datetime.fromisoformat(value)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


class EnodeModel(DataClassORJSONMixin):
    """Base of every model: serialises by the wire (camelCase) names."""

    class Config(BaseConfig):
        """mashumaro configuration: wire names; every timestamp aware (naive ones are UTC)."""

        serialize_by_alias = True
        serialization_strategy = {
            datetime: {"deserialize": parse_datetime, "serialize": datetime.isoformat}
        }


class TolerantStrEnum(StrEnum):
    """A string enum whose unknown values become ``UNKNOWN``."""

    @classmethod
    def _missing_(cls, value: object) -> Self:
        return cls("UNKNOWN")


# --------------------------------------------------------------------------------------------
# Enums


class PowerDeliveryState(TolerantStrEnum):
    """Power delivery state of a vehicle or a charger."""

    UNKNOWN = "UNKNOWN"
    UNPLUGGED = "UNPLUGGED"
    PLUGGED_IN_INITIALIZING = "PLUGGED_IN:INITIALIZING"
    PLUGGED_IN_CHARGING = "PLUGGED_IN:CHARGING"
    PLUGGED_IN_STOPPED = "PLUGGED_IN:STOPPED"
    PLUGGED_IN_COMPLETE = "PLUGGED_IN:COMPLETE"
    PLUGGED_IN_NO_POWER = "PLUGGED_IN:NO_POWER"
    PLUGGED_IN_FAULT = "PLUGGED_IN:FAULT"
    PLUGGED_IN_DISCHARGING = "PLUGGED_IN:DISCHARGING"


class ActionState(TolerantStrEnum):
    """State of an action."""

    UNKNOWN = "UNKNOWN"
    PENDING = "PENDING"
    CONFIRMED = "CONFIRMED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"


class ChargingAction(TolerantStrEnum):
    """Kind of a charge action."""

    UNKNOWN = "UNKNOWN"
    START = "START"
    STOP = "STOP"


class FailureReasonType(TolerantStrEnum):
    """Why an action failed or was cancelled."""

    UNKNOWN = "UNKNOWN"
    NO_RESPONSE = "NO_RESPONSE"
    FAILED_PRECONDITION = "FAILED_PRECONDITION"
    CONFLICT = "CONFLICT"
    NOT_FOUND = "NOT_FOUND"
    UNNECESSARY = "UNNECESSARY"
    REQUESTED_CANCELLATION = "REQUESTED_CANCELLATION"


class SmartChargeState(TolerantStrEnum):
    """A vehicle's smart charging state (also a plan's final state, ``PLAN:ENDED:*``)."""

    UNKNOWN = "UNKNOWN"
    DISABLED = "DISABLED"
    CONSIDERING = "CONSIDERING"
    PLAN_EXECUTING_STOPPING = "PLAN:EXECUTING:STOPPING"
    PLAN_EXECUTING_STOP_FAILED = "PLAN:EXECUTING:STOP_FAILED"
    PLAN_EXECUTING_STOPPED = "PLAN:EXECUTING:STOPPED"
    PLAN_EXECUTING_STOPPED_AWAITING_PRICES = "PLAN:EXECUTING:STOPPED:AWAITING_PRICES"
    PLAN_EXECUTING_STARTING = "PLAN:EXECUTING:STARTING"
    PLAN_EXECUTING_START_FAILED = "PLAN:EXECUTING:START_FAILED"
    PLAN_EXECUTING_STARTED = "PLAN:EXECUTING:STARTED"
    PLAN_EXECUTING_CHARGE_INTERRUPTED = "PLAN:EXECUTING:CHARGE_INTERRUPTED"
    PLAN_EXECUTING_OVERRIDDEN = "PLAN:EXECUTING:OVERRIDDEN"
    PLAN_ENDED_FINISHED = "PLAN:ENDED:FINISHED"
    PLAN_ENDED_UNPLUGGED = "PLAN:ENDED:UNPLUGGED"
    PLAN_ENDED_FAILED = "PLAN:ENDED:FAILED"
    PLAN_ENDED_DISABLED = "PLAN:ENDED:DISABLED"
    PLAN_ENDED_DEADLINE_CHANGED = "PLAN:ENDED:DEADLINE_CHANGED"
    FULLY_CHARGED = "FULLY_CHARGED"


class SmartChargingFailureCondition(TolerantStrEnum):
    """Why a smart charging plan failed (or ``FINISHED_LATE``)."""

    UNKNOWN = "UNKNOWN"
    STOP_FAILED = "STOP_FAILED"
    START_FAILED = "START_FAILED"
    FINISHED_LATE = "FINISHED_LATE"
    CHARGE_INTERRUPTED = "CHARGE_INTERRUPTED"


class BatteryOperationMode(TolerantStrEnum):
    """Operation mode of a home battery."""

    UNKNOWN = "UNKNOWN"
    IMPORT_FOCUS = "IMPORT_FOCUS"
    EXPORT_FOCUS = "EXPORT_FOCUS"
    TIME_OF_USE = "TIME_OF_USE"
    SELF_RELIANCE = "SELF_RELIANCE"
    IDLE = "IDLE"


class BatteryStatus(TolerantStrEnum):
    """Charge status of a home battery."""

    UNKNOWN = "UNKNOWN"
    CHARGING = "CHARGING"
    DISCHARGING = "DISCHARGING"
    IDLE = "IDLE"
    FAULT = "FAULT"


class HvacMode(TolerantStrEnum):
    """Thermostat mode of an HVAC unit."""

    UNKNOWN = "UNKNOWN"
    OFF = "OFF"
    AUTO = "AUTO"
    COOL = "COOL"
    HEAT = "HEAT"


class HvacHoldType(TolerantStrEnum):
    """Hold type of an HVAC unit."""

    UNKNOWN = "UNKNOWN"
    PERMANENT = "PERMANENT"
    SCHEDULED = "SCHEDULED"


class HvacCategory(TolerantStrEnum):
    """Category of an HVAC unit."""

    UNKNOWN = "UNKNOWN"
    HEATING = "HEATING"
    COOLING = "COOLING"
    HEAT_PUMP = "HEAT_PUMP"
    AGGREGATOR = "AGGREGATOR"


class InterventionDomain(TolerantStrEnum):
    """Domain of an intervention."""

    UNKNOWN = "UNKNOWN"
    ACCOUNT = "Account"
    DEVICE = "Device"


class ResolutionAccess(TolerantStrEnum):
    """Where the user resolves an intervention."""

    UNKNOWN = "UNKNOWN"
    REMOTE = "Remote"
    PHYSICAL = "Physical"


class ResolutionAgent(TolerantStrEnum):
    """Who resolves an intervention."""

    UNKNOWN = "UNKNOWN"
    USER = "User"
    THIRD_PARTY = "ThirdParty"


class ResolutionAction(TolerantStrEnum):
    """What the user should do to resolve an intervention (``Link`` = relink)."""

    UNKNOWN = "UNKNOWN"
    LINK = "Link"


class LinkingStatus(TolerantStrEnum):
    """Status of a vendor integration."""

    UNKNOWN = "UNKNOWN"
    READY = "READY"
    ELEVATED_ERROR_RATE = "ELEVATED_ERROR_RATE"
    OUTAGE = "OUTAGE"


class WebhookTestStatus(TolerantStrEnum):
    """Outcome of a webhook test."""

    UNKNOWN = "UNKNOWN"
    SUCCESS = "SUCCESS"
    FAILURE = "FAILURE"


# --------------------------------------------------------------------------------------------
# Capabilities


@dataclass(frozen=True, kw_only=True)
class Capability(EnodeModel):
    """A capability: whether it is usable, and the interventions that block or improve it."""

    is_capable: bool = _f("isCapable", default=False)
    intervention_ids: list[str] = _list("interventionIds")

    @property
    def is_blocked(self) -> bool:
        """Return True when the capability is missing but interventions can unlock it."""
        return not self.is_capable and bool(self.intervention_ids)


# The ``(wire name, attribute)`` pairs of each capability group's fields (read once per class).
_CAPABILITY_FIELDS: dict[type, tuple[tuple[str, str], ...]] = {}


@dataclass(frozen=True, kw_only=True)
class _Capabilities(EnodeModel):
    """Base of the capability groups; remembers the order of the capabilities on the wire."""

    wire_order: tuple[str, ...] = field(
        default=(),
        compare=False,
        repr=False,
        metadata={"alias": "__wire_order__", "serialize": "omit"},
    )

    @classmethod
    def __pre_deserialize__(cls, d: dict[Any, Any]) -> dict[Any, Any]:
        return {**d, "__wire_order__": [key for key in d if isinstance(key, str)]}

    def items(self) -> list[tuple[str, Capability]]:
        """Return ``(wire name, capability)`` pairs, in the order the API returned them."""
        return list(self._items)

    @cached_property
    def _items(self) -> tuple[tuple[str, Capability], ...]:
        """The pairs of ``items()``, worked out once (the group is immutable)."""
        by_alias: dict[str, Capability] = {}
        if (pairs := _CAPABILITY_FIELDS.get(type(self))) is None:
            pairs = _CAPABILITY_FIELDS[type(self)] = tuple(
                (fld.metadata.get("alias", fld.name), fld.name) for fld in fields(self)
            )
        for alias, name in pairs:
            value = getattr(self, name)
            if isinstance(value, Capability):
                by_alias[alias] = value
        ordered = [name for name in self.wire_order if name in by_alias]
        ordered += [name for name in by_alias if name not in ordered]
        return tuple((name, by_alias[name]) for name in ordered)

    def all_intervention_ids(self) -> list[str]:
        """Return the intervention ids of every capability (unique, in order)."""
        return list(self._intervention_ids)

    @cached_property
    def _intervention_ids(self) -> tuple[str, ...]:
        """The ids of ``all_intervention_ids()``, worked out once."""
        seen: dict[str, None] = {}
        for _, capability in self._items:
            for intervention_id in capability.intervention_ids:
                seen.setdefault(intervention_id, None)
        return tuple(seen)


@dataclass(frozen=True, kw_only=True)
class VehicleCapabilities(_Capabilities):
    """Capabilities of a vehicle."""

    information: Capability = _obj(Capability)
    charge_state: Capability = _obj(Capability, "chargeState")
    location: Capability = _obj(Capability)
    odometer: Capability = _obj(Capability)
    set_max_current: Capability = _obj(Capability, "setMaxCurrent")
    start_charging: Capability = _obj(Capability, "startCharging")
    stop_charging: Capability = _obj(Capability, "stopCharging")
    smart_charging: Capability = _obj(Capability, "smartCharging")


@dataclass(frozen=True, kw_only=True)
class ChargerCapabilities(_Capabilities):
    """Capabilities of a charger."""

    information: Capability = _obj(Capability)
    charge_state: Capability = _obj(Capability, "chargeState")
    start_charging: Capability = _obj(Capability, "startCharging")
    stop_charging: Capability = _obj(Capability, "stopCharging")
    set_max_current: Capability = _obj(Capability, "setMaxCurrent")


@dataclass(frozen=True, kw_only=True)
class BatteryCapabilities(_Capabilities):
    """Capabilities of a battery (one per operation mode)."""

    export_focus: Capability = _obj(Capability, "exportFocus")
    import_focus: Capability = _obj(Capability, "importFocus")
    time_of_use: Capability = _obj(Capability, "timeOfUse")
    self_reliance: Capability = _obj(Capability, "selfReliance")
    idle: Capability = _obj(Capability)

    def capability_for(self, mode: BatteryOperationMode) -> Capability | None:
        """Return the capability that allows an operation mode."""
        return {
            BatteryOperationMode.EXPORT_FOCUS: self.export_focus,
            BatteryOperationMode.IMPORT_FOCUS: self.import_focus,
            BatteryOperationMode.TIME_OF_USE: self.time_of_use,
            BatteryOperationMode.SELF_RELIANCE: self.self_reliance,
            BatteryOperationMode.IDLE: self.idle,
        }.get(mode)


@dataclass(frozen=True, kw_only=True)
class InverterCapabilities(_Capabilities):
    """Capabilities of an inverter."""

    production_state: Capability = _obj(Capability, "productionState")
    production_statistics: Capability = _obj(Capability, "productionStatistics")


@dataclass(frozen=True, kw_only=True)
class MeterCapabilities(_Capabilities):
    """Capabilities of a meter."""

    measures_consumption: Capability = _obj(Capability, "measuresConsumption")
    measures_production: Capability = _obj(Capability, "measuresProduction")


@dataclass(frozen=True, kw_only=True)
class TemperatureRange(EnodeModel):
    """A temperature (or temperature difference) range."""

    min: float | None = None
    max: float | None = None


@dataclass(frozen=True, kw_only=True)
class HvacCapabilities(_Capabilities):
    """Capabilities of an HVAC unit."""

    capable_modes: list[HvacMode] | None = _f("capableModes")
    cool_setpoint_range: TemperatureRange | None = _f("coolSetpointRange")
    heat_setpoint_range: TemperatureRange | None = _f("heatSetpointRange")
    setpoint_difference_range: TemperatureRange | None = _f("setpointDifferenceRange")
    set_follow_schedule: Capability = _obj(Capability, "setFollowSchedule")
    set_permanent_hold: Capability = _obj(Capability, "setPermanentHold")


# --------------------------------------------------------------------------------------------
# What every asset type has


@dataclass(frozen=True, kw_only=True)
class AssetInformation(EnodeModel):
    """Static information every asset type reports."""

    brand: str | None = None
    model: str | None = None


@dataclass(frozen=True, kw_only=True)
class AssetLocation(EnodeModel):
    """The Enode Location an asset is at or assigned to (``id``)."""

    id: str | None = None


@dataclass(frozen=True, kw_only=True)
class AssetBase(EnodeModel):
    """Fields and behaviour the six asset types share; each narrows the typed groups."""

    asset_type: ClassVar[AssetType]

    id: str = _req()
    user_id: str | None = _f("userId")
    vendor: str | None = None
    last_seen: datetime | None = _f("lastSeen")
    is_reachable: bool | None = _f("isReachable")
    scopes: list[str] = _list()
    information: AssetInformation = _obj(AssetInformation)
    capabilities: _Capabilities = _obj(_Capabilities)
    location: AssetLocation = _obj(AssetLocation)

    @property
    def display_name(self) -> str | None:
        """Return the name the owner gave the device at its vendor (when Enode reports one)."""
        return None

    @property
    def model_year(self) -> int | None:
        """Return the model year (when Enode reports one)."""
        return None

    @property
    def serial_number(self) -> str | None:
        """Return the device's serial number (when Enode reports one)."""
        return None

    def all_intervention_ids(self) -> list[str]:
        """Return the ids of the interventions of every capability (unique, in order)."""
        return self.capabilities.all_intervention_ids()

    @classmethod
    def __post_deserialize__(cls, obj: Self) -> Self:
        """Drop the values no device can report (``validation.py``), whoever sent them."""
        from .validation import plausible_asset

        return plausible_asset(obj)


# --------------------------------------------------------------------------------------------
# Vehicle


@dataclass(frozen=True, kw_only=True)
class VehicleInformation(AssetInformation):
    """Static information about a vehicle."""

    vin: str | None = None
    year: int | None = None
    display_name: str | None = _f("displayName")


@dataclass(frozen=True, kw_only=True)
class VehicleChargeState(EnodeModel):
    """Charge state of a vehicle."""

    battery_level: float | None = _f("batteryLevel", bounds=PERCENT)
    range: float | None = _f(bounds=(0.0, 5000.0))
    is_plugged_in: bool | None = _f("isPluggedIn")
    is_charging: bool | None = _f("isCharging")
    is_fully_charged: bool | None = _f("isFullyCharged")
    battery_capacity: float | None = _f("batteryCapacity", bounds=(0.0, 1000.0))
    charge_limit: float | None = _f("chargeLimit", bounds=PERCENT)
    charge_rate: float | None = _f("chargeRate", bounds=EV_POWER)
    charge_time_remaining: float | None = _f("chargeTimeRemaining", bounds=(0.0, 100_000.0))
    last_updated: datetime | None = _f("lastUpdated")
    max_current: float | None = _f("maxCurrent", bounds=CURRENT)
    power_delivery_state: PowerDeliveryState = _f(
        "powerDeliveryState", default=PowerDeliveryState.UNKNOWN
    )
    plugged_in_charger_id: str | None = _f("pluggedInChargerId")


@dataclass(frozen=True, kw_only=True)
class SmartChargingPolicy(EnodeModel):
    """Smart charging policy of a vehicle."""

    is_enabled: bool | None = _f("isEnabled")
    deadline: str | None = None
    minimum_charge_limit: float | None = _f("minimumChargeLimit", bounds=PERCENT)


@dataclass(frozen=True, kw_only=True)
class SmartChargingPlan(EnodeModel):
    """A smart charging plan: stop at ``stop_at`` (after the minimum), resume at ``start_at``.

    Costs are estimates in ``currency``: ``smart_cost`` with the plan, ``non_smart_cost`` if the
    vehicle charged at once. Enode's 2024-10-01 plan gives no energy amount.
    """

    id: str = _req()
    vehicle_id: str | None = _f("vehicleId")
    location_id: str | None = _f("locationId")
    currency: str | None = None
    non_smart_cost: float | None = _f("nonSmartCost")
    smart_cost: float | None = _f("smartCost")
    stop_at: datetime | None = _f("stopAt")
    start_at: datetime | None = _f("startAt")
    estimated_finish_at: datetime | None = _f("estimatedFinishAt")
    stop_confirmed_at: datetime | None = _f("stopConfirmedAt")
    start_confirmed_at: datetime | None = _f("startConfirmedAt")
    ended_at: datetime | None = _f("endedAt")
    final_state: SmartChargeState | None = _f("finalState")
    failure_condition: SmartChargingFailureCondition | None = _f("failureCondition")


@dataclass(frozen=True, kw_only=True)
class SmartChargingConsideration(EnodeModel):
    """What smart charging waits for before it plans (while ``CONSIDERING``)."""

    is_plugged_in: bool | None = _f("isPluggedIn")
    is_charging: bool | None = _f("isCharging")
    at_charging_location: bool | None = _f("atChargingLocation")
    has_time_estimate: bool | None = _f("hasTimeEstimate")


@dataclass(frozen=True, kw_only=True)
class SmartOverride(EnodeModel):
    """A smart override ("charge now"): active while ``ended_at`` is None."""

    created_at: datetime | None = _f("createdAt")
    ended_at: datetime | None = _f("endedAt")
    target_type: str | None = _f("targetType")
    target_id: str | None = _f("targetId")
    vendor_action_id: str | None = _f("vendorActionId")

    @property
    def is_active(self) -> bool:
        """Return whether the override is still in force."""
        return self.ended_at is None


@dataclass(frozen=True, kw_only=True)
class SmartChargingStatus(EnodeModel):
    """A vehicle's smart charging status (``plan`` during the ``PLAN:*`` states)."""

    vehicle_id: str = _req("vehicleId")
    updated_at: datetime | None = _f("updatedAt")
    state: SmartChargeState = SmartChargeState.UNKNOWN
    state_changed_at: datetime | None = _f("stateChangedAt")
    consideration: SmartChargingConsideration | None = None
    plan: SmartChargingPlan | None = None
    smart_override: SmartOverride | None = _f("smartOverride")


@dataclass(frozen=True, kw_only=True)
class Odometer(EnodeModel):
    """Odometer of a vehicle."""

    distance: float | None = _f(bounds=(0.0, 10_000_000.0))
    last_updated: datetime | None = _f("lastUpdated")


@dataclass(frozen=True, kw_only=True)
class VehicleLocation(AssetLocation):
    """GPS position of a vehicle and the Enode Location it is at (``id``)."""

    latitude: float | None = _f(bounds=LATITUDE)
    longitude: float | None = _f(bounds=LONGITUDE)
    last_updated: datetime | None = _f("lastUpdated")


@dataclass(frozen=True, kw_only=True)
class Vehicle(AssetBase):
    """An electric vehicle."""

    asset_type: ClassVar[AssetType] = AssetType.VEHICLE

    information: VehicleInformation = _obj(VehicleInformation)
    charge_state: VehicleChargeState = _obj(VehicleChargeState, "chargeState")
    smart_charging_policy: SmartChargingPolicy = _obj(SmartChargingPolicy, "smartChargingPolicy")
    odometer: Odometer = _obj(Odometer)
    capabilities: VehicleCapabilities = _obj(VehicleCapabilities)
    location: VehicleLocation = _obj(VehicleLocation)

    @property
    def display_name(self) -> str | None:
        """Return the name the owner gave the vehicle."""
        return self.information.display_name

    @property
    def model_year(self) -> int | None:
        """Return the model year."""
        return self.information.year


# --------------------------------------------------------------------------------------------
# Charger


@dataclass(frozen=True, kw_only=True)
class ChargerChargeState(EnodeModel):
    """Charge state of a charger."""

    is_plugged_in: bool | None = _f("isPluggedIn")
    is_charging: bool | None = _f("isCharging")
    charge_rate: float | None = _f("chargeRate", bounds=EV_POWER)
    last_updated: datetime | None = _f("lastUpdated")
    max_current: float | None = _f("maxCurrent", bounds=CURRENT)
    power_delivery_state: PowerDeliveryState = _f(
        "powerDeliveryState", default=PowerDeliveryState.UNKNOWN
    )
    plugged_in_vehicle_id: str | None = _f("pluggedInVehicleId")


@dataclass(frozen=True, kw_only=True)
class ChargerInformation(AssetInformation):
    """Static information about a charger."""

    year: int | None = None
    serial_number: str | None = _f("serialNumber")


@dataclass(frozen=True, kw_only=True)
class ChargerLocation(AssetLocation):
    """The Enode Location a charger is assigned to."""

    last_updated: datetime | None = _f("lastUpdated")


@dataclass(frozen=True, kw_only=True)
class Charger(AssetBase):
    """An EV charger."""

    asset_type: ClassVar[AssetType] = AssetType.CHARGER

    charge_state: ChargerChargeState = _obj(ChargerChargeState, "chargeState")
    capabilities: ChargerCapabilities = _obj(ChargerCapabilities)
    information: ChargerInformation = _obj(ChargerInformation)
    location: ChargerLocation = _obj(ChargerLocation)

    @property
    def model_year(self) -> int | None:
        """Return the model year."""
        return self.information.year

    @property
    def serial_number(self) -> str | None:
        """Return the charger's serial number."""
        return self.information.serial_number


# --------------------------------------------------------------------------------------------
# Battery, inverter, meter, HVAC


@dataclass(frozen=True, kw_only=True)
class SiteLocation(AssetLocation):
    """Position of a battery, inverter or meter and the Enode Location it is at (``id``)."""

    latitude: float | None = _f(bounds=LATITUDE)
    longitude: float | None = _f(bounds=LONGITUDE)
    last_updated: datetime | None = _f("lastUpdated")


@dataclass(frozen=True, kw_only=True)
class BatteryChargeState(EnodeModel):
    """Charge state of a home battery (``charge_rate`` > 0 while charging)."""

    status: BatteryStatus | None = None
    battery_capacity: float | None = _f("batteryCapacity", bounds=(0.0, 100_000.0))
    battery_level: float | None = _f("batteryLevel", bounds=PERCENT)
    charge_rate: float | None = _f("chargeRate", bounds=SITE_POWER)
    discharge_limit: float | None = _f("dischargeLimit", bounds=PERCENT)
    last_updated: datetime | None = _f("lastUpdated")


@dataclass(frozen=True, kw_only=True)
class BatteryConfig(EnodeModel):
    """Configuration of a home battery."""

    operation_mode: BatteryOperationMode | None = _f("operationMode")
    last_updated: datetime | None = _f("lastUpdated")


@dataclass(frozen=True, kw_only=True)
class BatteryInformation(AssetInformation):
    """Static information about a home battery."""

    id: str | None = None
    site_name: str | None = _f("siteName")
    installation_date: datetime | None = _f("installationDate")


@dataclass(frozen=True, kw_only=True)
class Battery(AssetBase):
    """A home battery."""

    asset_type: ClassVar[AssetType] = AssetType.BATTERY

    charge_state: BatteryChargeState = _obj(BatteryChargeState, "chargeState")
    config: BatteryConfig = _obj(BatteryConfig)
    information: BatteryInformation = _obj(BatteryInformation)
    capabilities: BatteryCapabilities = _obj(BatteryCapabilities)
    location: SiteLocation = _obj(SiteLocation)
    hem_system_id: str | None = _f("hemSystemId")


@dataclass(frozen=True, kw_only=True)
class InverterProductionState(EnodeModel):
    """Production state of a solar inverter."""

    production_rate: float | None = _f("productionRate", bounds=SITE_POWER)
    is_producing: bool | None = _f("isProducing")
    total_lifetime_production: float | None = _f("totalLifetimeProduction", bounds=(0.0, 1e10))
    last_updated: datetime | None = _f("lastUpdated")


@dataclass(frozen=True, kw_only=True)
class InverterInformation(AssetInformation):
    """Static information about a solar inverter."""

    id: str | None = None
    sn: str | None = None
    site_name: str | None = _f("siteName")
    installation_date: datetime | None = _f("installationDate")


@dataclass(frozen=True, kw_only=True)
class Inverter(AssetBase):
    """A solar inverter."""

    asset_type: ClassVar[AssetType] = AssetType.INVERTER

    production_state: InverterProductionState = _obj(InverterProductionState, "productionState")
    timezone: str | None = None
    capabilities: InverterCapabilities = _obj(InverterCapabilities)
    information: InverterInformation = _obj(InverterInformation)
    location: SiteLocation = _obj(SiteLocation)
    hem_system_id: str | None = _f("hemSystemId")

    @property
    def serial_number(self) -> str | None:
        """Return the inverter's serial number."""
        return self.information.sn


@dataclass(frozen=True, kw_only=True)
class MeterInformation(AssetInformation):
    """Static information about a meter."""

    site_name: str | None = _f("siteName")
    installation_date: datetime | None = _f("installationDate")


@dataclass(frozen=True, kw_only=True)
class MeterEnergyState(EnodeModel):
    """Energy state of a meter (``power`` in kW: positive = import, negative = export)."""

    power: float | None = _f(bounds=SITE_POWER)
    last_updated: datetime | None = _f("lastUpdated")


@dataclass(frozen=True, kw_only=True)
class Meter(AssetBase):
    """An energy meter."""

    asset_type: ClassVar[AssetType] = AssetType.METER

    information: MeterInformation = _obj(MeterInformation)
    energy_state: MeterEnergyState = _obj(MeterEnergyState, "energyState")
    location: SiteLocation = _obj(SiteLocation)
    capabilities: MeterCapabilities = _obj(MeterCapabilities)
    hem_system_id: str | None = _f("hemSystemId")


@dataclass(frozen=True, kw_only=True)
class HvacInformation(AssetInformation):
    """Static information about an HVAC unit."""

    display_name: str | None = _f("displayName")
    group_name: str | None = _f("groupName")
    category: HvacCategory | None = None


@dataclass(frozen=True, kw_only=True)
class HvacTemperatureState(EnodeModel):
    """Temperature state of an HVAC unit."""

    current_temperature: float | None = _f("currentTemperature", bounds=TEMPERATURE)
    is_active: bool | None = _f("isActive")
    last_updated: datetime | None = _f("lastUpdated")


@dataclass(frozen=True, kw_only=True)
class HvacThermostatState(EnodeModel):
    """Thermostat state of an HVAC unit."""

    mode: HvacMode = HvacMode.UNKNOWN
    heat_setpoint: float | None = _f("heatSetpoint", bounds=TEMPERATURE)
    cool_setpoint: float | None = _f("coolSetpoint", bounds=TEMPERATURE)
    hold_type: HvacHoldType | None = _f("holdType")
    last_updated: datetime | None = _f("lastUpdated")


@dataclass(frozen=True, kw_only=True)
class HvacLocation(AssetLocation):
    """The Enode Location an HVAC unit is assigned to."""


@dataclass(frozen=True, kw_only=True)
class Hvac(AssetBase):
    """An HVAC unit (heat pump, thermostat, air conditioner...)."""

    asset_type: ClassVar[AssetType] = AssetType.HVAC

    consumption_rate: float | None = _f("consumptionRate", bounds=SITE_POWER)
    information: HvacInformation = _obj(HvacInformation)
    temperature_state: HvacTemperatureState = _obj(HvacTemperatureState, "temperatureState")
    thermostat_state: HvacThermostatState = _obj(HvacThermostatState, "thermostatState")
    capabilities: HvacCapabilities = _obj(HvacCapabilities)
    location: HvacLocation = _obj(HvacLocation)

    @property
    def display_name(self) -> str | None:
        """Return the name the owner gave the unit."""
        return self.information.display_name


type Asset = Vehicle | Charger | Battery | Inverter | Meter | Hvac


# --------------------------------------------------------------------------------------------
# Actions


@dataclass(frozen=True, kw_only=True)
class FailureReason(EnodeModel):
    """Why an action failed or was cancelled."""

    type: FailureReasonType = FailureReasonType.UNKNOWN
    detail: str | None = None


@dataclass(frozen=True, kw_only=True)
class VendorAction(EnodeModel):
    """Fields common to every action (and the type of an action we do not model)."""

    id: str = _req()
    user_id: str | None = _f("userId")
    created_at: datetime | None = _f("createdAt")
    updated_at: datetime | None = _f("updatedAt")
    completed_at: datetime | None = _f("completedAt")
    state: ActionState = ActionState.UNKNOWN
    target_id: str | None = _f("targetId")
    target_type: str | None = _f("targetType")
    failure_reason: FailureReason | None = _f("failureReason")

    @property
    def is_resolved(self) -> bool:
        """Return True when the action has its outcome: CONFIRMED, FAILED or CANCELLED.

        A state this client does not know (``UNKNOWN``) is not an outcome: it may be a new
        intermediate state, so the action is still followed.
        """
        return self.state in (ActionState.CONFIRMED, ActionState.FAILED, ActionState.CANCELLED)


@dataclass(frozen=True, kw_only=True)
class ChargeAction(VendorAction):
    """A start/stop charging action."""

    kind: ChargingAction = ChargingAction.UNKNOWN


@dataclass(frozen=True, kw_only=True)
class TargetMaxCurrent(EnodeModel):
    """Target of a max current action."""

    max_current: float | None = _f("maxCurrent", bounds=CURRENT)


@dataclass(frozen=True, kw_only=True)
class MaxCurrentAction(VendorAction):
    """A set-max-current action."""

    target_state: TargetMaxCurrent = _obj(TargetMaxCurrent, "targetState")


@dataclass(frozen=True, kw_only=True)
class TargetOperationMode(EnodeModel):
    """Target of a battery operation mode action."""

    operation_mode: BatteryOperationMode | None = _f("operationMode")


@dataclass(frozen=True, kw_only=True)
class OperationModeAction(VendorAction):
    """A battery operation mode action."""

    target_state: TargetOperationMode = _obj(TargetOperationMode, "targetState")


@dataclass(frozen=True, kw_only=True)
class HvacActionTarget(EnodeModel):
    """Target of an HVAC action.

    A permanent hold targets a ``mode`` with its setpoints (``heatSetpoint`` in HEAT and AUTO,
    ``coolSetpoint`` in COOL and AUTO) and ``holdType`` PERMANENT; following the device's
    schedule targets only ``holdType`` SCHEDULED.
    """

    mode: HvacMode | None = None
    heat_setpoint: float | None = _f("heatSetpoint")
    cool_setpoint: float | None = _f("coolSetpoint")
    hold_type: HvacHoldType | None = _f("holdType")


@dataclass(frozen=True, kw_only=True)
class HvacAction(VendorAction):
    """An HVAC permanent-hold or follow-schedule action (``target`` says which)."""

    target: HvacActionTarget = _obj(HvacActionTarget)

    @property
    def follows_schedule(self) -> bool:
        """Return True for a follow-schedule action (its target is the SCHEDULED hold)."""
        return self.target.hold_type is HvacHoldType.SCHEDULED


type VehicleAction = ChargeAction | MaxCurrentAction
type ChargerAction = ChargeAction | MaxCurrentAction


def action_from_dict(data: dict[str, Any]) -> VendorAction:
    """Return the typed action for an action payload (``VendorAction`` when not modelled)."""
    if "kind" in data:
        return ChargeAction.from_dict(data)
    if isinstance(data.get("target"), dict):
        return HvacAction.from_dict(data)
    target_state = data.get("targetState")
    if isinstance(target_state, dict):
        if "maxCurrent" in target_state:
            return MaxCurrentAction.from_dict(data)
        if "operationMode" in target_state:
            return OperationModeAction.from_dict(data)
    return VendorAction.from_dict(data)


# --------------------------------------------------------------------------------------------
# Interventions, integrations, link sessions


@dataclass(frozen=True, kw_only=True)
class InterventionResolution(EnodeModel):
    """How to resolve an intervention (``description`` is Markdown)."""

    title: str | None = None
    description: str | None = None
    access: ResolutionAccess = ResolutionAccess.UNKNOWN
    agent: ResolutionAgent = ResolutionAgent.UNKNOWN
    action: ResolutionAction | None = None


@dataclass(frozen=True, kw_only=True)
class Intervention(EnodeModel):
    """A user action that unlocks a blocked capability."""

    id: str = _req()
    vendor: str | None = None
    vendor_type: str | None = _f("vendorType")
    brand: str | None = None
    introduced_at: datetime | None = _f("introducedAt")
    domain: InterventionDomain = InterventionDomain.UNKNOWN
    resolution: InterventionResolution = _obj(InterventionResolution)

    @property
    def needs_relink(self) -> bool:
        """Return True when the resolution is to relink the asset."""
        return self.resolution.action is ResolutionAction.LINK


@dataclass(frozen=True, kw_only=True)
class Integration(EnodeModel):
    """A vendor integration (a brand the user can link)."""

    vendor: str = _req()
    display_name: str | None = _f("displayName")
    asset_types: list[str] = _list("assetTypes")
    status: LinkingStatus = LinkingStatus.UNKNOWN
    portal_name: str | None = _f("portalName")
    linking_status: LinkingStatus = _f("linkingStatus", default=LinkingStatus.UNKNOWN)


@dataclass(frozen=True, kw_only=True)
class LinkSession(EnodeModel):
    """A Link UI session."""

    link_url: str = _req("linkUrl")
    link_token: str | None = _f("linkToken")


# --------------------------------------------------------------------------------------------
# Locations, users, webhooks


@dataclass(frozen=True, kw_only=True)
class Location(EnodeModel):
    """An Enode Location (for example "Home")."""

    id: str = _req()
    user_id: str | None = _f("userId")
    name: str | None = None
    latitude: float | None = _f(bounds=LATITUDE)
    longitude: float | None = _f(bounds=LONGITUDE)
    timezone_name: str | None = _f("timezoneName")
    created_at: datetime | None = _f("createdAt")


@dataclass(frozen=True, kw_only=True)
class LinkedVendor(EnodeModel):
    """A vendor account linked by a user (``is_valid`` False = credentials invalidated)."""

    vendor: str | None = None
    vendor_type: str | None = _f("vendorType")
    is_valid: bool | None = _f("isValid")


@dataclass(frozen=True, kw_only=True)
class User(EnodeModel):
    """An Enode user and its linked vendor accounts."""

    id: str = _req()
    linked_vendors: list[LinkedVendor] = _list("linkedVendors")


@dataclass(frozen=True, kw_only=True)
class WebhookAuthentication(EnodeModel):
    """The extra header Enode sends with webhook deliveries (the value is never returned)."""

    header_name: str | None = _f("headerName")


@dataclass(frozen=True, kw_only=True)
class Webhook(EnodeModel):
    """A webhook subscription."""

    id: str = _req()
    url: str | None = None
    events: list[str] = _list()
    last_success: datetime | None = _f("lastSuccess")
    is_active: bool | None = _f("isActive")
    created_at: datetime | None = _f("createdAt")
    api_version: str | None = _f("apiVersion")
    authentication: WebhookAuthentication | None = None


@dataclass(frozen=True, kw_only=True)
class WebhookTestResponse(EnodeModel):
    """What the webhook endpoint answered to a test delivery."""

    code: int | None = None
    body: str | None = None
    headers: list[str] | None = None


@dataclass(frozen=True, kw_only=True)
class WebhookTestResult(EnodeModel):
    """Outcome of ``POST /webhooks/{id}/test``."""

    status: WebhookTestStatus = WebhookTestStatus.UNKNOWN
    description: str | None = None
    response: WebhookTestResponse | None = None
