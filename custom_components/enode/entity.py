"""Base entity, device info and dynamic entity creation for Enode.

Every entity belongs to one Enode asset and reads only the coordinator's snapshot. The base entity
is generic over the asset type (``EnodeEntity[Vehicle]``), so descriptions and entities are typed
per asset type; a new device type needs a model, a description tuple per platform, and texts.

Updates are cheap at scale (README "Performance"): a pushed asset updates only the entities of
that asset and of the vehicle or charger plugged into it (the coordinator's listener context is
the asset id; anything else in the snapshot changing updates every entity), and an entity writes
its state only when what it shows changed (``_state_inputs``). An entity that shows something of
another asset than its own or its plugged-in partner must say so in ``EnodeCoordinator``'s
``changed_assets`` rules.

An entity whose state is computed from its own asset alone (and from the rest of the snapshot,
which a merge of assets leaves as it was) declares the fields it reads (``state_reads``, as
``asset_changes`` names them: ``charge_state.battery_level``; ``OTHER_ASSETS`` when it also reads
the vehicle or charger plugged into it; its listener context, an ``AssetContext``, carries them):
a merge that changed none of them does not call it at all.
``tests/integration/test_push_scale.py`` records what every entity reads over several households
against its declaration, and after every merge in the integration tests every entity of the
merged assets must show what it would compute (``tests/integration/conftest.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.entity import Entity, EntityDescription
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .api import AssetBase, Capability, Charger, Vehicle
from .const import DOMAIN, LOGGER
from .coordinator import OTHER_ASSETS, AssetContext, EnodeCoordinator, FieldsContext
from .helpers import raise_if_unusable
from .models import EnodeConfigEntry, EnodeData


def capability_present(capability: Capability) -> bool:
    """Return whether a capability is capable or blocked (not permanently missing).

    Enode: ``isCapable: false`` without interventions is permanently missing; with interventions
    it is blocked until the user acts.
    """
    return capability.is_capable or capability.is_blocked


def has_charge_state(asset: Vehicle | Charger) -> bool:
    """Return whether a vehicle or charger reports its charge state (capable or blocked)."""
    return capability_present(asset.capabilities.charge_state)


def device_name(asset: AssetBase) -> str:
    """Return the device name of an asset (never the VIN)."""
    if asset.display_name:
        return asset.display_name
    brand = asset.information.brand or str(asset.vendor).title()
    model = asset.information.model
    return f"{brand} {model}" if model else brand


def asset_device_info(asset: AssetBase) -> DeviceInfo:
    """Return the device info of an asset: brand, model, year, name and serial number."""
    model = asset.information.model
    if model and asset.model_year:
        model = f"{model} ({asset.model_year})"
    info = DeviceInfo(
        identifiers={(DOMAIN, asset.id)},
        manufacturer=asset.information.brand or str(asset.vendor).title(),
        model=model,
        name=device_name(asset),
    )
    if asset.serial_number:
        info["serial_number"] = asset.serial_number
    return info


def state_reads(*paths: str) -> frozenset[str]:
    """Return a declaration of what an entity's state reads of its own asset (``EnodeEntity``)."""
    return frozenset(paths)


# The fields of a vehicle that its pairing with the user's chargers reads, with the chargers.
PAIRING_READS = state_reads(
    "charge_state.plugged_in_charger_id",
    "capabilities.start_charging",
    "capabilities.stop_charging",
    OTHER_ASSETS,
)


def pairing_changed(changed: Mapping[str, frozenset[str]] | None) -> list[str] | None:
    """Return the assets of a merge (``EnodeCoordinator.changed_assets``) whose pairing may have
    changed: those for which something in ``PAIRING_READS`` did; None (every asset) for None."""
    if changed is None:
        return None
    return [asset_id for asset_id, reads in changed.items() if not reads.isdisjoint(PAIRING_READS)]


class EnodeEntity[AssetT: AssetBase](CoordinatorEntity[EnodeCoordinator]):
    """An entity of one Enode asset of type ``AssetT``."""

    _attr_has_entity_name = True
    # What the state (with its availability) is computed from: these fields of the entity's own
    # asset, besides what a merge of assets leaves as it was (Locations, texts, pending actions,
    # smart charging statuses, today's energy); with ``OTHER_ASSETS``, also the vehicle or charger
    # plugged into it (a vehicle: every charger's interventions). None: unknown, so every update
    # that concerns the entity computes its state.
    _state_reads: ClassVar[frozenset[str] | None] = None

    def __init__(
        self,
        coordinator: EnodeCoordinator,
        asset: AssetT,
        description: EntityDescription,
    ) -> None:
        """Initialize the entity."""
        self.entity_description = description
        self._reads = self._declared_reads()
        super().__init__(coordinator, context=AssetContext(asset.id, self._reads))
        self._model = type(asset)
        self.asset_id = asset.id
        self._attr_unique_id = f"{asset.id}_{description.key}"
        self._attr_device_info = asset_device_info(asset)
        self._last_name = device_name(asset)
        # What the state was last written from (see ``_state_inputs``).
        self._written: object = None
        # The asset found in the snapshot last looked in (``_current``).
        self._looked_up: AssetT | None = None
        self._looked_up_in: EnodeData | None = None

    def _declared_reads(self) -> frozenset[str] | None:
        """Return what the state reads of the asset (``_state_reads``); None: undeclared.

        Entities whose descriptions compute the state declare it in the description (called
        once its ``entity_description`` is set).
        """
        return self._state_reads

    async def async_added_to_hass(self) -> None:
        """Listen to the coordinator; remember what the first state is written from."""
        await super().async_added_to_hass()
        self._written = self._state_written()

    def _state_written(self) -> tuple[bool, object]:
        """Return what the state would be written from now: availability and inputs."""
        available = self.available
        return (available, self._state_inputs() if available else None)

    def _state_inputs(self) -> object:
        """Return what the written state is computed from (its value and attributes).

        Only called while available. ``None`` means unknown: the state is always written.
        """
        return None

    @callback
    def _handle_coordinator_update(self) -> None:
        """Write the state when it changed (not for every update of the snapshot)."""
        written = self._state_written()
        if written[1] is not None and written == self._written:
            return
        self._written = written
        super()._handle_coordinator_update()

    @property
    def _current(self) -> AssetT | None:
        """Return this entity's asset in the snapshot, if it is still linked."""
        data = self.coordinator.data
        if data is not self._looked_up_in:  # once per snapshot (its state reads it often)
            asset = data.assets(self._model.asset_type).get(self.asset_id)
            self._looked_up = asset if isinstance(asset, self._model) else None
            self._looked_up_in = data
        return self._looked_up

    @property
    def asset(self) -> AssetT:
        """Return this entity's asset (only call while available)."""
        asset = self._current
        assert asset is not None
        return asset

    @property
    def data(self) -> EnodeData:
        """Return the snapshot."""
        return self.coordinator.data

    @property
    def device_info_name(self) -> str:
        """Return the device name (for messages)."""
        if (asset := self._current) is not None:
            self._last_name = device_name(asset)
        return self._last_name

    @property
    def available(self) -> bool:
        """Return whether the coordinator works and the asset is still linked."""
        return super().available and self._current is not None

    def raise_if_unusable(self, capability: Capability, name: str) -> None:
        """Raise a translated ServiceValidationError when a capability is missing or blocked."""
        raise_if_unusable(self.hass, self.coordinator.data, capability, name, self.device_info_name)


# What a description's ``exists_fn`` may read of an asset (``tests/integration/test_push_scale.py``
# checks every description against it): a merge that changed none of these of an asset (the
# coordinator's ``changed_assets``) cannot have made an entity of it appear or go.
EXISTS_INPUTS = frozenset({"capabilities", "location", "information", "scopes", "hem_system_id"})


def assets_to_check[AssetT: AssetBase](
    assets: Mapping[str, AssetT], changed: Mapping[str, frozenset[str]] | None
) -> Iterable[AssetT]:
    """Return the assets whose entities' existence may have changed: after a merge, those of
    the merged assets whose ``EXISTS_INPUTS`` changed; else every asset."""
    if changed is None:
        return assets.values()
    return [
        assets[asset_id]
        for asset_id, fields in changed.items()
        if not fields.isdisjoint(EXISTS_INPUTS) and asset_id in assets
    ]


class AssetEntityDescription[AssetT: AssetBase](Protocol):
    """What ``async_add_asset_entities`` needs of a description: its key and ``exists_fn``."""

    @property
    def key(self) -> str:
        """Return the key (the suffix of the unique id)."""

    @property
    def exists_fn(self) -> Callable[[AssetT], bool]:
        """Return whether the entity exists for an asset (e.g. its capability is present)."""


@dataclass(frozen=True, kw_only=True)
class EnodeEntityDescription[AssetT: AssetBase](EntityDescription):
    """A description with ``exists_fn``, for platforms without a description class of their own."""

    exists_fn: Callable[[AssetT], bool] = lambda _: True


@callback
def async_add_asset_entities[
    AssetT: AssetBase,
    # A bound cannot name AssetT (the descriptions of the factory's entity type are of AssetT):
    # the factory's signature ties the two together.
    DescriptionT: AssetEntityDescription[Any],
](
    entry: EnodeConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
    model: type[AssetT],
    descriptions: Sequence[DescriptionT],
    factory: Callable[[EnodeCoordinator, AssetT, DescriptionT], Entity],
) -> None:
    """Add the entities of every asset of a type now, and whenever assets or capabilities appear.

    An entity is created the first time its description's ``exists_fn(asset)`` returns True (for
    example when a capability becomes capable), without a reload. When it returns False again
    (the capability became permanently missing: a charger's pairing was cleared, say), the
    entity is removed from Home Assistant and its registry; Home Assistant keeps the user's
    settings of a removed entity (its entity id, name, area), so if the capability comes back
    the entity returns as it was.
    """
    coordinator = entry.runtime_data.coordinator
    added: dict[str, Entity] = {}

    @callback
    def _async_add_new() -> None:
        current: set[str] = set()
        checked: set[str] = set()
        gone: list[Entity] = []
        new_entities: list[Entity] = []
        changed = coordinator.changed_assets
        for asset in assets_to_check(coordinator.data.assets(model.asset_type), changed):
            if not isinstance(asset, model):
                continue
            for description in descriptions:
                unique_id = f"{asset.id}_{description.key}"
                checked.add(unique_id)
                exists = description.exists_fn(asset)
                if unique_id in added:
                    # Only capabilities Enode reported count as gone (a payload without any
                    # is not a device that lost them all).
                    if exists or not asset.capabilities.wire_order:
                        current.add(unique_id)
                    else:
                        gone.append(added[unique_id])
                    continue
                if not exists:
                    continue
                entity = factory(coordinator, asset, description)
                added[unique_id] = entity
                current.add(unique_id)
                new_entities.append(entity)
        # Forget entities of removed assets (their device goes) and of vanished capabilities, so
        # they come back if the asset or the capability does.
        considered = added.keys() if changed is None else checked
        for unique_id in [key for key in considered if key in added and key not in current]:
            del added[unique_id]
        for entity in gone:
            _async_remove_entity(coordinator.hass, entity)
        if new_entities:
            async_add_entities(new_entities)

    _async_add_new()
    # After a merge it is called only when a merged asset's EXISTS_INPUTS changed.
    entry.async_on_unload(
        coordinator.async_add_listener(_async_add_new, FieldsContext(EXISTS_INPUTS))
    )


@callback
def _async_remove_entity(hass: HomeAssistant, entity: Entity) -> None:
    """Remove an entity whose capability is permanently missing, with its registry entry.

    Removing the registry entry also removes the entity from its platform (disabled entities
    were never added, and only have the entry).
    """
    registry_entry = entity.registry_entry
    if registry_entry is None:
        return  # not added yet
    registry = er.async_get(hass)
    if registry.async_get(registry_entry.entity_id) is not None:
        LOGGER.debug("Removing %s: its capability is no longer there", registry_entry.entity_id)
        registry.async_remove(registry_entry.entity_id)


def vehicle_charger(data: EnodeData, vehicle: Vehicle) -> Charger | None:
    """Return the charger a vehicle is plugged into (pairing active), if known."""
    charger_id = vehicle.charge_state.plugged_in_charger_id
    return data.chargers.get(charger_id) if charger_id else None


def charger_vehicle(data: EnodeData, charger: Charger) -> Vehicle | None:
    """Return the vehicle plugged into a charger (pairing active), if known."""
    vehicle_id = charger.charge_state.plugged_in_vehicle_id
    return data.vehicles.get(vehicle_id) if vehicle_id else None
