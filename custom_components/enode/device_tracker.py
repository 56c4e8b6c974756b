"""GPS position of Enode vehicles (only for vehicles that report coordinates)."""

from __future__ import annotations

from homeassistant.components.device_tracker.config_entry import TrackerEntity
from homeassistant.components.device_tracker.const import SourceType
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .api import Vehicle
from .entity import (
    EnodeEntity,
    EnodeEntityDescription,
    async_add_asset_entities,
    capability_present,
    state_reads,
)
from .models import EnodeConfigEntry

PARALLEL_UPDATES = 0


def has_gps(vehicle: Vehicle) -> bool:
    """Return whether a vehicle has a location capability and reports coordinates."""
    return (
        capability_present(vehicle.capabilities.location)
        and vehicle.location.latitude is not None
        and vehicle.location.longitude is not None
    )


POSITION = EnodeEntityDescription[Vehicle](
    key="position", translation_key="position", exists_fn=has_gps
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: EnodeConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Set up vehicle trackers (and add them when a vehicle starts reporting GPS)."""
    async_add_asset_entities(entry, async_add_entities, Vehicle, (POSITION,), EnodeVehicleTracker)


class EnodeVehicleTracker(EnodeEntity[Vehicle], TrackerEntity):
    """The GPS position of a vehicle."""

    _attr_source_type = SourceType.GPS
    _state_reads = state_reads("location.latitude", "location.longitude")

    @property
    def latitude(self) -> float | None:
        """Return the latitude."""
        return self.asset.location.latitude

    @property
    def longitude(self) -> float | None:
        """Return the longitude."""
        return self.asset.location.longitude

    def _state_inputs(self) -> object:
        """Return the position (the state is written when it changes)."""
        return (self.latitude, self.longitude)
