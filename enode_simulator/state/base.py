"""What every concern of :class:`~enode_simulator.state.SimState` shares.

``StateBase`` holds the data (every attribute is set in :meth:`StateBase.reset`, so this is the one
place to read what the state consists of) and the primitives all concerns call: simulated now,
change marking (``mark_dirty``), ``emit`` and the user and asset lookups. Each concern is a
mixin of this base in its own module; the methods one concern calls on another are declared at
the end of the class (type checking only), each naming the module that implements it.

A new attribute goes in ``reset``; a new cross-concern call gets a declaration here. Behaviour
does not belong here.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import tzinfo
from typing import TYPE_CHECKING, Any

from ..catalog import API_VERSION, INTERVENTIONS
from ..clock import SimClock, iso
from .errors import not_found
from .model import (
    JSON,
    Action,
    Asset,
    ChargingSession,
    LinkSession,
    Listener,
    Settings,
    User,
    VendorAccount,
)

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

    from .energy import HomeFlows


class StateBase:
    """The simulated Enode client's data and the primitives every concern uses."""

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
        # While every asset is rendered at once: each user's chargers (see pairing.py).
        self._user_chargers: dict[str, list[Asset]] | None = None
        # Each vehicle's smart charging status as last pushed (without ``updatedAt``).
        self._smart_rendered: dict[str, JSON] = {}
        self._last_tick = self.clock.now()
        # The time of the last home-energy step (``energy.py``; steps are aligned to the clock).
        self._energy_at = self._last_tick
        # Statistics (``statistics.py``): per ledger key (``home:<userId>`` or an asset id) the
        # 15-minute slots' totals; each asset's charging sessions; each user's history start.
        self.flows: dict[str, dict[int, dict[str, float]]] = {}
        self.charging_sessions: dict[str, list[ChargingSession]] = {}
        self.history_start: dict[str, float] = {}
        # The time zone a user's history was first seeded in (it keeps it when devices are added).
        self.history_zone: dict[str, tzinfo] = {}
        # Whether something an asset's wire view depends on may have changed since the last
        # ``sync``; while it is False, ``sync`` is free and ``wire_view`` serves ``_rendered``.
        self._dirty = True

    # -- time ---------------------------------------------------------------------------------

    def now(self) -> float:
        """Simulated now."""
        return self.clock.now()

    # -- changes and events -------------------------------------------------------------------

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

        Every mutating method of ``SimState`` calls it; code that changes an :class:`Asset`,
        a location or the settings directly must call it too.
        """
        self._dirty = True

    def _changed(self) -> None:
        self._dirty = True
        self.sync()

    # -- lookups ------------------------------------------------------------------------------

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

    # -- what one concern calls on another (implemented in the module named) -------------------

    if TYPE_CHECKING:
        # core.py
        def sync(self) -> None: ...

        def add_asset(
            self, user_id: str, template: JSON, *, account: str | None, scopes: Iterable[str] | None
        ) -> Asset: ...

        def _delete_asset(self, asset: Asset) -> None: ...

        # render.py
        def render_asset(self, asset: Asset) -> JSON: ...

        # pairing.py
        def active_partner(self, asset: Asset) -> Asset | None: ...

        def detected_plugged(self, asset: Asset) -> bool: ...

        def charge_executor(self, vehicle: Asset, capability: str) -> Asset: ...

        def _detect_plug_ins(self, since: float, until: float) -> None: ...

        def session_rate(self, asset: Asset) -> float: ...

        def vehicle_capabilities(self, vehicle: Asset) -> JSON: ...

        def vehicle_location_id(self, vehicle: Asset) -> str | None: ...

        def _count_unplugged_failure(self, asset: Asset) -> None: ...

        def _reset_unplugged_failures(self, asset: Asset) -> None: ...

        # actions.py
        def _asset_deleted(self, asset: Asset) -> None: ...

        def _new_action(self, asset: Asset, category: str, **fields: Any) -> Action: ...

        def _finish(
            self, action: Action, state: str, reason: str | None = None, detail: str | None = None
        ) -> None: ...

        def _supersede(self, asset: Asset) -> None: ...

        def _asset_unplugged(self, asset: Asset) -> None: ...

        def _resolve(self, action: Action) -> None: ...

        # locations.py
        def nearest_location_id(
            self, user_id: str, latitude: float, longitude: float
        ) -> str | None: ...

        # linking.py
        def credentials_valid(self, asset: Asset) -> bool: ...

        # smart.py
        def plan_in_control(self, vehicle: Asset) -> bool: ...

        def _smart_reconcile(self, at: float | None = None) -> None: ...

        def _next_plan_time(self, after: float, until: float) -> float | None: ...

        def _sync_smart_status(self, *, emit: bool = True) -> None: ...

        # physical.py
        def _integrate(self, until: float) -> None: ...

        # energy.py
        def _integrate_energy(self, until: float) -> None: ...

        def settle_energy(self, user_id: str | None = None) -> None: ...

        def scheduled_thermostat(self, hvac: Asset, hour: float | None = None) -> JSON: ...

        def home_zone(self, user_id: str, assets: list[Asset] | None = None) -> ZoneInfo | None: ...

        def _position(self, asset: Asset) -> tuple[float, float]: ...

        def _step_home(
            self, user_id: str, at: float, dt: float, ev_load_kw: float | None = None
        ) -> None: ...

        # statistics.py
        def _record_home(
            self, user_id: str, start: float, end: float, flows: HomeFlows
        ) -> None: ...

        def _record_charging(
            self, asset: Asset, start: float, end: float, kwh: float
        ) -> list[str]: ...

        def seed_history(
            self, days: float, user_id: str | None = None, *, keep_past: bool = False
        ) -> None: ...

        def _set_charging(self, asset: Asset, on: bool) -> None: ...

        def _unplug(self, asset: Asset, *, cancel: bool) -> None: ...
