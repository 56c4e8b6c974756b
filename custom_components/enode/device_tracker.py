"""GPS position of Enode vehicles (only for vehicles that report coordinates)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from homeassistant.components.device_tracker.config_entry import TrackerEntity
from homeassistant.components.device_tracker.const import SourceType
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity import EntityDescription
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .api import AssetType, Vehicle
from .coordinator import EnodeConfigEntry
from .entity import EnodeEntity, async_add_asset_entities, capability_present

PARALLEL_UPDATES = 0


def has_gps(vehicle: Vehicle) -> bool:
    """Return whether a vehicle has a location capability and reports coordinates."""
    return (
        capability_present(vehicle.capabilities.location)
        and vehicle.location.latitude is not None
        and vehicle.location.longitude is not None
    )


@dataclass(frozen=True, kw_only=True)
class EnodeTrackerEntityDescription(EntityDescription):
    """Describes the vehicle position tracker."""

    exists_fn: Callable[[Vehicle], bool] = has_gps


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

    @property
    def latitude(self) -> float | None:
        """Return the latitude."""
        return self.asset.location.latitude  # type: ignore[union-attr]

    @property
    def longitude(self) -> float | None:
        """Return the longitude."""
        return self.asset.location.longitude  # type: ignore[union-attr]
