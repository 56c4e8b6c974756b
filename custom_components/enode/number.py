"""Number entities of Enode chargers and vehicles: the maximum charging current."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from homeassistant.components.number import (
    NumberDeviceClass,
    NumberEntity,
    NumberEntityDescription,
    NumberMode,
)
from homeassistant.const import EntityCategory, UnitOfElectricCurrent
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .api import AssetType, EnodeClient, MaxCurrentAction
from .coordinator import EnodeConfigEntry
from .entity import EnodeEntity, async_add_asset_entities, capability_present
from .helpers import enode_exception_handler, raise_for_action

# Commands to different devices are independent at Enode, and each call waits (bounded) for its
# action's outcome: serializing them would make one call for n entities take up to n waits.
PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class EnodeNumberEntityDescription(NumberEntityDescription):
    """Describes an Enode number."""

    asset_type: AssetType
    capability: str
    exists_fn: Callable[[Any], bool]
    value_fn: Callable[[Any], float | None]
    set_fn: Callable[[EnodeClient, str, float], Awaitable[MaxCurrentAction]]


def _max_current(
    asset_type: AssetType, set_fn: Callable[[EnodeClient, str, float], Awaitable[MaxCurrentAction]]
) -> EnodeNumberEntityDescription:
    """The maximum charging current of a charger or (experimental at Enode) a vehicle."""
    return EnodeNumberEntityDescription(
        key="max_current",
        translation_key="max_current",
        device_class=NumberDeviceClass.CURRENT,
        native_unit_of_measurement=UnitOfElectricCurrent.AMPERE,
        native_min_value=6,
        native_max_value=32,
        native_step=1,
        mode=NumberMode.BOX,
        entity_category=EntityCategory.CONFIG,
        asset_type=asset_type,
        capability="set_max_current",
        exists_fn=lambda asset: capability_present(asset.capabilities.set_max_current),
        value_fn=lambda asset: asset.charge_state.max_current,
        set_fn=set_fn,
    )


NUMBERS: dict[AssetType, tuple[EnodeNumberEntityDescription, ...]] = {
    AssetType.VEHICLE: (
        _max_current(
            AssetType.VEHICLE,
            lambda client, asset_id, value: client.set_vehicle_max_current(asset_id, value),
        ),
    ),
    AssetType.CHARGER: (
        _max_current(
            AssetType.CHARGER,
            lambda client, asset_id, value: client.set_charger_max_current(asset_id, value),
        ),
    ),
}


async def async_setup_entry(
    hass: HomeAssistant,
    entry: EnodeConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Set up Enode numbers (and add them when the capability appears)."""
    async_add_asset_entities(entry, async_add_entities, NUMBERS, EnodeNumberEntity)


class EnodeNumberEntity(EnodeEntity, NumberEntity):
    """A settable value of an Enode asset (through an Enode action)."""

    entity_description: EnodeNumberEntityDescription

    @property
    def native_value(self) -> float | None:
        """Return the value (the requested one while the action is pending)."""
        action = self.coordinator.pending_action(self.asset_id, MaxCurrentAction)
        if isinstance(action, MaxCurrentAction) and action.target_state.max_current is not None:
            return action.target_state.max_current
        return self.entity_description.value_fn(self.asset)

    @enode_exception_handler
    async def async_set_native_value(self, value: float) -> None:
        """Set the value."""
        self.raise_if_unusable(self.entity_description.capability)
        action = await self.entity_description.set_fn(self.coordinator.client, self.asset_id, value)
        outcome = await self.coordinator.async_run_action(
            action, self.entity_description.asset_type
        )
        raise_for_action(self, outcome)
