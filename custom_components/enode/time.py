"""Time entities of Enode vehicles: the smart charging deadline.

Enode's deadline is a time of day (``HH:MM``, ``24:00`` = midnight) by which smart charging has
the vehicle charged; it is read in the time zone of the Location where the vehicle charges (the
Location this integration creates has Home Assistant's). Home Assistant shows ``24:00`` as 00:00,
the same next midnight.
"""

from __future__ import annotations

from datetime import time

from homeassistant.components.time import TimeEntity
from homeassistant.const import EntityCategory
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
from .helpers import enode_exception_handler
from .models import EnodeConfigEntry
from .smart_charging import async_update_policy

# One policy update at a time per vehicle is plenty; they answer at once.
PARALLEL_UPDATES = 1

SMART_CHARGING_DEADLINE = EnodeEntityDescription[Vehicle](
    key="smart_charging_deadline",
    translation_key="smart_charging_deadline",
    entity_category=EntityCategory.CONFIG,
    exists_fn=lambda vehicle: capability_present(vehicle.capabilities.smart_charging),
)


def parse_deadline(value: str | None) -> time | None:
    """Return Enode's ``HH:MM`` deadline as a time (``24:00``: midnight; invalid: None)."""
    if not value:
        return None
    hours, _, minutes = value.partition(":")
    try:
        return time(int(hours) % 24, int(minutes))
    except ValueError:
        return None


async def async_setup_entry(
    hass: HomeAssistant,
    entry: EnodeConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Set up the smart charging deadlines (and add them when the capability appears)."""
    async_add_asset_entities(
        entry, async_add_entities, Vehicle, (SMART_CHARGING_DEADLINE,), EnodeDeadlineEntity
    )


class EnodeDeadlineEntity(EnodeEntity[Vehicle], TimeEntity):
    """The time of day by which smart charging has the vehicle charged."""

    _state_reads = state_reads("smart_charging_policy.deadline")

    @property
    def native_value(self) -> time | None:
        """Return the deadline."""
        return parse_deadline(self.asset.smart_charging_policy.deadline)

    def _state_inputs(self) -> object:
        """Return the deadline (the state is written when it changes)."""
        return (self.native_value,)

    @enode_exception_handler
    async def async_set_value(self, value: time) -> None:
        """Set the deadline (to the minute)."""
        await async_update_policy(
            self.coordinator, self.asset, self.device_info_name, deadline=value.strftime("%H:%M")
        )
