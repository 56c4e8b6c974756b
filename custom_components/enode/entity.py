"""Base entity, device info and dynamic entity creation for Enode."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from homeassistant.core import callback
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.entity import Entity, EntityDescription
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .api import Asset, AssetType, Capability, Charger, Vehicle
from .const import DOMAIN
from .coordinator import EnodeConfigEntry, EnodeCoordinator, EnodeData


def capability_present(capability: Capability | None) -> bool:
    """Return whether a capability is capable or blocked (not permanently missing).

    Enode: ``isCapable: false`` without interventions is permanently missing; with interventions
    it is blocked until the user acts.
    """
    if capability is None:
        return False
    return capability.is_capable or bool(capability.intervention_ids)


def has_charge_state(asset: Any) -> bool:
    """Return whether an asset reports its charge state (capable or blocked)."""
    return capability_present(asset.capabilities.charge_state)


def device_name(asset: Asset) -> str:
    """Return the device name of an asset (never the VIN)."""
    information = getattr(asset, "information", None)
    display_name = getattr(information, "display_name", None)
    if display_name:
        return str(display_name)
    brand = getattr(information, "brand", None) or str(asset.vendor).title()
    model = getattr(information, "model", None)
    return f"{brand} {model}" if model else str(brand)


def asset_device_info(asset: Asset) -> DeviceInfo:
    """Return the device info of an asset: brand, model, year, name and (charger) serial."""
    information = getattr(asset, "information", None)
    model = getattr(information, "model", None)
    year = getattr(information, "year", None)
    if model and year:
        model = f"{model} ({year})"
    info = DeviceInfo(
        identifiers={(DOMAIN, asset.id)},
        manufacturer=getattr(information, "brand", None) or str(asset.vendor).title(),
        model=model,
        name=device_name(asset),
    )
    serial = getattr(information, "serial_number", None)
    if isinstance(asset, Charger) and serial:
        info["serial_number"] = serial
    return info


class EnodeEntity(CoordinatorEntity[EnodeCoordinator]):
    """An entity of one Enode asset."""

    _attr_has_entity_name = True

    def __init__(
        self,
        coordinator: EnodeCoordinator,
        asset_id: str,
        description: EntityDescription,
    ) -> None:
        """Initialize the entity."""
        super().__init__(coordinator)
        self.entity_description = description
        self.asset_id = asset_id
        self._attr_unique_id = f"{asset_id}_{description.key}"
        asset = coordinator.data.asset(asset_id)
        assert asset is not None
        self._attr_device_info = asset_device_info(asset)

    @property
    def asset(self) -> Asset:
        """Return this entity's asset (only call while available)."""
        asset = self.coordinator.data.asset(self.asset_id)
        assert asset is not None
        return asset

    @property
    def device_info_name(self) -> str:
        """Return the device name (for messages)."""
        if (asset := self.coordinator.data.asset(self.asset_id)) is not None:
            return device_name(asset)
        return self.asset_id

    @property
    def available(self) -> bool:
        """Return whether the coordinator works and the asset is still linked."""
        return super().available and self.coordinator.data.asset(self.asset_id) is not None

    def raise_if_unusable(self, capability_name: str) -> None:
        """Raise a translated ServiceValidationError when a capability is missing or blocked."""
        capability: Capability | None = getattr(
            getattr(self.asset, "capabilities", None), capability_name, None
        )
        if capability is not None and capability.is_capable:
            return
        if capability is None or not capability.intervention_ids:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="capability_missing",
                translation_placeholders={
                    "device": device_name(self.asset),
                    "capability": capability_name,
                },
            )
        interventions = self.coordinator.data.interventions
        titles = [
            interventions[iid].resolution.title if iid in interventions else iid
            for iid in capability.intervention_ids
        ]
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="capability_blocked",
            translation_placeholders={
                "device": device_name(self.asset),
                "capability": capability_name,
                "intervention": "; ".join(str(title) for title in titles),
            },
        )


type EntityFactory = Callable[[EnodeCoordinator, str, Any], Entity]


@callback
def async_add_asset_entities(
    entry: EnodeConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
    descriptions: Mapping[AssetType, Sequence[Any]],
    factory: EntityFactory,
) -> None:
    """Add the entities of every asset now and whenever assets or capabilities appear.

    Each description needs an ``exists_fn(asset) -> bool``: an entity is created the first time it
    returns True (for example when a capability becomes capable), without a reload.
    """
    coordinator = entry.runtime_data.coordinator
    added: set[str] = set()

    @callback
    def _async_add_new() -> None:
        data: EnodeData = coordinator.data
        current: set[str] = set()
        new_entities: list[Entity] = []
        for asset_type, type_descriptions in descriptions.items():
            for asset_id, asset in data.assets(asset_type).items():
                for description in type_descriptions:
                    unique_id = f"{asset_id}_{description.key}"
                    if unique_id in added:
                        current.add(unique_id)
                        continue
                    if not description.exists_fn(asset):
                        continue
                    added.add(unique_id)
                    current.add(unique_id)
                    new_entities.append(factory(coordinator, asset_id, description))
        # Forget entities of removed assets so they come back if the asset is linked again.
        added.intersection_update(current)
        if new_entities:
            async_add_entities(new_entities)

    _async_add_new()
    entry.async_on_unload(coordinator.async_add_listener(_async_add_new))


def vehicle_charger(data: EnodeData, vehicle: Vehicle) -> Charger | None:
    """Return the charger a vehicle is plugged into (pairing active), if known."""
    charger_id = vehicle.charge_state.plugged_in_charger_id
    return data.chargers.get(charger_id) if charger_id else None
