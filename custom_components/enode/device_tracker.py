"""GPS position of Enode vehicles (only for vehicles that report coordinates)."""

from __future__ import annotations

from homeassistant.components.device_tracker import SourceType, TrackerEntity
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity import EntityDescription
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .api import AssetType, Vehicle
from .coordinator import EnodeConfigEntry, EnodeCoordinator
from .entity import EnodeEntity, async_add_asset_entities, capability_present

PARALLEL_UPDATES = 0


class EnodeTrackerEntityDescription(EntityDescription, frozen_or_thawed=True):
    """Describes the vehicle position tracker."""

    @staticmethod
    def exists_fn(vehicle: Vehicle) -> bool:
        """Create the tracker for vehicles with a location capability that report GPS."""
        return (
            capability_present(vehicle.capabilities.location)
            and vehicle.location.latitude is not None
            and vehicle.location.longitude is not None
        )


POSITION = EnodeTrackerEntityDescription(key="position", translation_key="position")


async def async_setup_entry(
    hass: HomeAssistant,
    entry: EnodeConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Set up vehicle trackers (and add them when a vehicle starts reporting GPS)."""
    async_add_asset_entities(
        entry, async_add_entities, {AssetType.VEHICLE: (POSITION,)}, EnodeVehicleTracker
    )


class EnodeVehicleTracker(EnodeEntity, TrackerEntity):
    """The GPS position of a vehicle."""

    _attr_source_type = SourceType.GPS

    def __init__(
        self,
        coordinator: EnodeCoordinator,
        asset_id: str,
        description: EnodeTrackerEntityDescription,
    ) -> None:
        """Initialize the tracker."""
        super().__init__(coordinator, asset_id, description)

    @property
    def latitude(self) -> float | None:
        """Return the latitude."""
        return self.asset.location.latitude  # type: ignore[union-attr]

    @property
    def longitude(self) -> float | None:
        """Return the longitude."""
        return self.asset.location.longitude  # type: ignore[union-attr]
