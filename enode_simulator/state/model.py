"""The state's data: the dataclasses every concern works on, and the capability table.

What a user, an asset, an action, a vendor account, a link session and the scenario settings
*are* belongs here (fields, defaults, the small properties that read them, their own wire shape
when it needs nothing else). What the simulator *does* with them belongs to the concern modules.
A new asset field (an inverter's production, an HVAC's setpoint) is declared on :class:`Asset`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..catalog import ASSET_TYPES
from ..clock import iso

type JSON = dict[str, Any]
type Listener = Callable[[JSON], None]

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


# The link scope a capability needs (granted per asset type when the asset is linked): without it,
# the capability is not usable by this client (INFERRED from Enode's scopes reference: commands
# need the ``<type>:control:*`` scope of their asset type).
CONTROL_SCOPES: dict[str, dict[str, str]] = {
    "vehicle": dict.fromkeys(
        ("startCharging", "stopCharging", "setMaxCurrent", "smartCharging"),
        "vehicle:control:charging",
    ),
    "charger": dict.fromkeys(
        ("startCharging", "stopCharging", "setMaxCurrent"), "charger:control:charging"
    ),
    "battery": dict.fromkeys(CAPABILITIES["battery"], "battery:control:operation_mode"),
    "hvac": dict.fromkeys(CAPABILITIES["hvac"], "hvac:control:mode"),
}


def render_capabilities(capabilities: Mapping[str, Capability]) -> JSON:
    """``{name: {isCapable, interventionIds}}``: the capabilities as stored (no pairing applied)."""
    return {name: cap.render() for name, cap in capabilities.items()}


@dataclass
class SmartCharging:
    """A vehicle's smart charging as Enode runs it (see ``smart.py``): state, plans, override.

    ``plan_id`` is the active plan or, once it ended, the last one (``plans`` keeps every plan
    for ``GET /vehicles/{id}/smart-charging-plans/{planId}``); ``plan_policy`` is the policy it
    was made for (a new deadline or minimum ends it). ``override`` is the latest smart override.
    """

    state: str = "DISABLED"
    state_changed_at: float = 0.0
    plan_id: str | None = None
    plan_policy: JSON | None = None
    plans: dict[str, JSON] = field(default_factory=dict)
    override: JSON | None = None
    # The override's START action, while it may still be pending.
    override_action_id: str | None = None

    @property
    def plan(self) -> JSON | None:
        """The active or last plan."""
        return self.plans.get(self.plan_id) if self.plan_id else None

    @property
    def active_plan(self) -> JSON | None:
        """The plan that has not ended, if any."""
        plan = self.plan
        return plan if plan is not None and plan["endedAt"] is None else None

    @property
    def override_active(self) -> bool:
        """Whether a smart override is in force (``endedAt`` null)."""
        return self.override is not None and self.override["endedAt"] is None


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
    smart: SmartCharging = field(default_factory=SmartCharging)
    pairing_cleared: bool = False
    failed_unplugged_commands: int = 0
    # Vehicles and chargers: when the plug went in, and how long the device takes to report it
    # (vehicles often report late; a paired charger's report counts for both, see pairing.py).
    plugged_at: float | None = None
    plug_report_delay: float = 0.0
    # Chargers (and HVACs).
    location_id: str | None = None
    location_id_updated: float | None = None
    # Batteries, inverters, meters, HVACs: their remaining wire objects, verbatim. The physics
    # (``energy.py``) writes the values it integrates into them, rounded as Enode reports them.
    extra: JSON = field(default_factory=dict)
    # Home energy over simulated time (``battery_level``/``battery_capacity`` above serve home
    # batteries too): an inverter's peak and its exact lifetime production, a battery's and an
    # HVAC's maximum power (a meter's: the household's base load), an HVAC's exact room
    # temperature and its schedule.
    rated_power_kw: float = 0.0
    lifetime_kwh: float = 0.0
    temperature: float = 20.0
    schedule: JSON = field(default_factory=dict)
    # Every scope of the link session that linked the asset (all its asset types): a relink
    # session asks for them again.
    link_scopes: list[str] = field(default_factory=list)

    @property
    def level(self) -> int:
        """Battery level as reported (whole percent)."""
        return round(self.battery_level)

    def has_scope(self, scope: str) -> bool:
        """Whether the asset was linked with a scope."""
        return scope in self.scopes

    def granted(self, name: str) -> Capability:
        """A capability as this client may use it: not capable without its control scope."""
        capability = self.capabilities[name]
        scope = CONTROL_SCOPES.get(self.type, {}).get(name)
        if scope is None or self.has_scope(scope):
            return capability
        return Capability(supported=False)

    def granted_capabilities(self) -> dict[str, Capability]:
        """Every capability as this client may use it (see :meth:`granted`)."""
        return {name: self.granted(name) for name in self.capabilities}


@dataclass
class User:
    """An Enode user of the client."""

    id: str
    created_at: float
    vendors: dict[tuple[str, str], bool] = field(default_factory=dict)
    scopes: set[str] = field(default_factory=set)


@dataclass
class Action:
    """A vendor action (charge, max current, operation mode, HVAC hold or schedule).

    ``target_state`` is what the action sets: ``targetState`` on the wire, ``target`` for HVACs.
    """

    id: str
    user_id: str
    target_id: str
    target_type: str
    category: str  # "charge", "max_current", "operation_mode", "permanent_hold", "follow_schedule"
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
        """The wire ChargeAction / MaxCurrentAction / OperationModeAction / HvacAction*."""
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
        elif self.target_type == "hvac":
            body["target"] = dict(self.target_state or {})
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
class Tariff:
    """The simple day/night tariff smart charging plans with (times in the Location's zone)."""

    currency: str = "EUR"
    day_price: float = 0.30
    night_price: float = 0.10
    night_start: str = "22:00"
    night_end: str = "06:00"

    @classmethod
    def from_spec(cls, spec: Mapping[str, Any]) -> Tariff:
        """From the scenario's ``settings.tariff`` (camelCase keys, all optional)."""
        default = cls()
        return cls(
            currency=str(spec.get("currency", default.currency)),
            day_price=float(spec.get("dayPrice", default.day_price)),
            night_price=float(spec.get("nightPrice", default.night_price)),
            night_start=str(spec.get("nightStart", default.night_start)),
            night_end=str(spec.get("nightEnd", default.night_end)),
        )


@dataclass
class Settings:
    """Scenario settings (all in simulated seconds where relevant)."""

    action_delay: float = 5.0
    token_lifetime: float = 3600.0
    link_session_lifetime: float = 24 * 3600.0
    geofence_radius_m: float = 200.0
    max_unplugged_failures: int = 10
    tariff: Tariff = field(default_factory=Tariff)
    # Days of statistics history a user gets when devices are linked (``statistics.py``).
    history_days: float = 0.0
    # The buckets of a HEM system's day: PT1H (kWh), PT30M or PT15M (average kW).
    hem_resolution: str = "PT1H"


@dataclass
class ChargingSession:
    """One charging (or HVAC consumption) session of an asset: consecutive consumption.

    ``smart_kwh`` is what was charged while a smart charging plan was in control, ``smart_cost``
    what it cost and ``non_smart_cost`` what it would have cost at the plug-in time's price.
    """

    asset_id: str
    location_id: str | None
    start: float
    end: float
    kwh: float = 0.0
    cost: float = 0.0
    smart_kwh: float = 0.0
    smart_cost: float = 0.0
    non_smart_cost: float = 0.0
    kw_max: float = 0.0
    kw_min: float = float("inf")
