"""The integration's state: the snapshot entities read, the runtime data of a loaded entry.

``EnodeData`` is the only state an entity reads (DESIGN.md section 2): every asset of the Enode
user keyed by id, the Locations and intervention texts they refer to, the user, the vehicles'
smart charging statuses, and the commands still pending (so an entity shows a requested state
from the same snapshot as everything else). It changes only through the coordinator's
``async_set_updated_data``.

``EnodeRuntimeData`` is built once in ``async_setup_entry`` before the platforms are set up.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from homeassistant.config_entries import ConfigEntry

from .api import (
    Asset,
    AssetType,
    Battery,
    Charger,
    EnodeClient,
    Hvac,
    Intervention,
    Inverter,
    Location,
    Meter,
    SmartChargingStatus,
    User,
    Vehicle,
    VendorAction,
)
from .api.const import ASSET_PATHS
from .api.reuse import copy_with

if TYPE_CHECKING:
    from .actions import EnodeActions
    from .coordinator import EnodeCoordinator
    from .statistics import EnodeStatistics
    from .webhook import EnodeWebhook


@dataclass(frozen=True, kw_only=True)
class PendingAction:
    """A command Enode is still working on (PENDING), and the type of the asset it targets."""

    action: VendorAction
    asset_type: AssetType


@dataclass(frozen=True, kw_only=True)
class EnergyToday:
    """Today's energy (and cost) so far, from the statistics import (``statistics.py``).

    ``day_start`` is the local midnight the totals count from (the sensors' ``last_reset``);
    the hour still under way is included with what Enode has of it.
    """

    day_start: datetime
    energy: float
    cost: float | None = None
    currency: str | None = None


@dataclass(frozen=True, kw_only=True)
class EnodeData:
    """A typed snapshot of everything the Enode user has linked, keyed by asset id."""

    vehicles: Mapping[str, Vehicle] = field(default_factory=dict)
    chargers: Mapping[str, Charger] = field(default_factory=dict)
    batteries: Mapping[str, Battery] = field(default_factory=dict)
    inverters: Mapping[str, Inverter] = field(default_factory=dict)
    meters: Mapping[str, Meter] = field(default_factory=dict)
    hvacs: Mapping[str, Hvac] = field(default_factory=dict)
    # The user's Enode Locations, keyed by id.
    locations: Mapping[str, Location] = field(default_factory=dict)
    # Texts of the interventions referenced by the assets (in Home Assistant's language).
    interventions: Mapping[str, Intervention] = field(default_factory=dict)
    # The Enode user (linked vendors and whether their credentials are valid).
    user: User | None = None
    # Commands started from Home Assistant that Enode has not resolved yet, by action id.
    pending_actions: Mapping[str, PendingAction] = field(default_factory=dict)
    # Smart charging statuses (with the active plan and the override) of the vehicles whose
    # policy is enabled, by vehicle id (``smart_charging.py`` reads and merges them).
    smart_charging: Mapping[str, SmartChargingStatus] = field(default_factory=dict)
    # Today's charging energy and cost by vehicle and charger id, and today's solar production by
    # HEM system id (written hourly by ``statistics.py``; a refresh keeps them).
    energy_today: Mapping[str, EnergyToday] = field(default_factory=dict)

    def assets(self, asset_type: AssetType) -> Mapping[str, Asset]:
        """Return the assets of a type, keyed by id."""
        # The fields holding the assets are named like Enode's paths (``vehicles``, ...).
        assets: Mapping[str, Asset] = getattr(self, ASSET_PATHS[asset_type])
        return assets

    def iter_assets(self) -> Iterator[Asset]:
        """Yield every asset (vehicles first, then chargers, ...)."""
        for asset_type in AssetType:
            yield from self.assets(asset_type).values()

    def all_assets(self) -> dict[str, Asset]:
        """Return every asset, keyed by id."""
        return {asset.id: asset for asset in self.iter_assets()}

    def asset(self, asset_id: str) -> Asset | None:
        """Return an asset of any type by id."""
        for asset_type in AssetType:
            if (asset := self.assets(asset_type).get(asset_id)) is not None:
                return asset
        return None

    def with_asset(self, asset: Asset) -> EnodeData:
        """Return the snapshot with an asset added or replaced."""
        return self.with_assets((asset,))

    def with_assets(self, assets: Iterable[Asset]) -> EnodeData:
        """Return the snapshot with assets added or replaced (a later one of the same id wins),
        copying each type's mapping once: a delivery of 100 devices' updates is one copy, not
        100 (README "Performance")."""
        merged: dict[AssetType, dict[str, Asset]] = {}
        for asset in assets:
            if (of_type := merged.get(asset.asset_type)) is None:
                of_type = merged[asset.asset_type] = dict(self.assets(asset.asset_type))
            of_type[asset.id] = asset
        # Each type's mapping to its field (``vehicles``, ...): of that type by ``asset_type``.
        changes: dict[str, Any] = {ASSET_PATHS[kind]: of_type for kind, of_type in merged.items()}
        return copy_with(self, changes) if changes else self

    def without_asset(self, asset_id: str) -> EnodeData:
        """Return the snapshot without an asset."""

        def _drop[A](assets: Mapping[str, A]) -> dict[str, A]:
            return {key: value for key, value in assets.items() if key != asset_id}

        return replace(
            self,
            vehicles=_drop(self.vehicles),
            chargers=_drop(self.chargers),
            batteries=_drop(self.batteries),
            inverters=_drop(self.inverters),
            meters=_drop(self.meters),
            hvacs=_drop(self.hvacs),
            smart_charging=_drop(self.smart_charging),
        )

    def pending_action[ActionT: VendorAction](
        self, asset_id: str, action_type: type[ActionT]
    ) -> ActionT | None:
        """Return the newest pending action of a type (ChargeAction, ...) on an asset."""
        found: ActionT | None = None
        for pending in self.pending_actions.values():
            action = pending.action
            if action.target_id == asset_id and isinstance(action, action_type):
                found = action
        return found

    @property
    def is_charging(self) -> bool:
        """Return whether any vehicle or charger is charging."""
        return any(v.charge_state.is_charging for v in self.vehicles.values()) or any(
            c.charge_state.is_charging for c in self.chargers.values()
        )


@dataclass(kw_only=True)
class EnodeRuntimeData:
    """What a loaded config entry holds (built once, before the platforms are set up)."""

    client: EnodeClient
    coordinator: EnodeCoordinator
    actions: EnodeActions
    # Push updates: the Home Assistant webhook and its registration at Enode.
    webhook: EnodeWebhook
    # The hourly import of Enode's energy statistics into long-term statistics.
    statistics: EnodeStatistics


type EnodeConfigEntry = ConfigEntry[EnodeRuntimeData]
