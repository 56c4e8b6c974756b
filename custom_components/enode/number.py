"""Number entities of Enode chargers and vehicles: the maximum charging current, and a vehicle's
smart charging minimum charge limit."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from homeassistant.components.number import (
    NumberDeviceClass,
    NumberEntity,
    NumberEntityDescription,
    NumberMode,
)
from homeassistant.const import PERCENTAGE, EntityCategory, UnitOfElectricCurrent
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .api import Capability, Charger, EnodeClient, MaxCurrentAction, Vehicle
from .coordinator import EnodeCoordinator
from .entity import EnodeEntity, async_add_asset_entities, capability_present, state_reads
from .helpers import enode_exception_handler, raise_for_action
from .models import EnodeConfigEntry
from .smart_charging import async_update_policy

# Commands to different devices are independent at Enode, and each call waits (bounded) for its
# action's outcome: serializing them would make one call for n entities take up to n waits.
PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class EnodeNumberEntityDescription[AssetT: Vehicle | Charger](NumberEntityDescription):
    """Describes an Enode number set through an action."""

    # The capability that allows setting the value, and its name (for messages).
    capability_fn: Callable[[AssetT], Capability]
    capability_name: str
    value_fn: Callable[[AssetT], float | None]
    # What ``value_fn`` reads of the asset (``EnodeEntity``); the pending action is no asset's.
    reads: frozenset[str]
    set_fn: Callable[[EnodeClient, str, float], Awaitable[MaxCurrentAction]]

    @property
    def exists_fn(self) -> Callable[[AssetT], bool]:
        """Return whether the entity exists: its capability is capable or blocked."""
        return lambda asset: capability_present(self.capability_fn(asset))


def _max_current[AssetT: Vehicle | Charger](
    set_fn: Callable[[EnodeClient, str, float], Awaitable[MaxCurrentAction]],
) -> EnodeNumberEntityDescription[AssetT]:
    """The maximum charging current of a charger or (experimental at Enode) a vehicle."""
    return EnodeNumberEntityDescription[AssetT](
        key="max_current",
        translation_key="max_current",
        device_class=NumberDeviceClass.CURRENT,
        native_unit_of_measurement=UnitOfElectricCurrent.AMPERE,
        native_min_value=6,
        native_max_value=32,
        native_step=1,
        mode=NumberMode.BOX,
        entity_category=EntityCategory.CONFIG,
        capability_fn=lambda asset: asset.capabilities.set_max_current,
        capability_name="set_max_current",
        value_fn=lambda asset: asset.charge_state.max_current,
        reads=state_reads("charge_state.max_current"),
        set_fn=set_fn,
    )


VEHICLE_MAX_CURRENT: EnodeNumberEntityDescription[Vehicle] = _max_current(
    lambda client, asset_id, value: client.set_vehicle_max_current(asset_id, value)
)
CHARGER_MAX_CURRENT: EnodeNumberEntityDescription[Charger] = _max_current(
    lambda client, asset_id, value: client.set_charger_max_current(asset_id, value)
)


@dataclass(frozen=True, kw_only=True)
class EnodePolicyNumberEntityDescription(NumberEntityDescription):
    """Describes a number of a vehicle's smart charging policy (set without an action)."""

    exists_fn: Callable[[Vehicle], bool]


SMART_CHARGING_MINIMUM = EnodePolicyNumberEntityDescription(
    key="smart_charging_minimum_charge_limit",
    translation_key="smart_charging_minimum_charge_limit",
    native_unit_of_measurement=PERCENTAGE,
    native_min_value=0,
    native_max_value=100,
    native_step=1,
    mode=NumberMode.SLIDER,
    entity_category=EntityCategory.CONFIG,
    exists_fn=lambda vehicle: capability_present(vehicle.capabilities.smart_charging),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: EnodeConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Set up Enode numbers (and add them when the capability appears)."""
    async_add_asset_entities(
        entry, async_add_entities, Vehicle, (VEHICLE_MAX_CURRENT,), EnodeNumberEntity
    )
    async_add_asset_entities(
        entry, async_add_entities, Charger, (CHARGER_MAX_CURRENT,), EnodeNumberEntity
    )
    async_add_asset_entities(
        entry,
        async_add_entities,
        Vehicle,
        (SMART_CHARGING_MINIMUM,),
        EnodeSmartChargingMinimumNumber,
    )


class EnodeNumberEntity[AssetT: Vehicle | Charger](EnodeEntity[AssetT], NumberEntity):
    """A settable value of an Enode asset (through an Enode action)."""

    entity_description: EnodeNumberEntityDescription[AssetT]

    def __init__(
        self,
        coordinator: EnodeCoordinator,
        asset: AssetT,
        description: EnodeNumberEntityDescription[AssetT],
    ) -> None:
        """Initialize the number."""
        super().__init__(coordinator, asset, description)
        self.entity_description = description

    @property
    def native_value(self) -> float | None:
        """Return the value (the requested one while the action is pending)."""
        action = self.data.pending_action(self.asset_id, MaxCurrentAction)
        if action is not None and action.target_state.max_current is not None:
            return action.target_state.max_current
        return self.entity_description.value_fn(self.asset)

    def _state_inputs(self) -> object:
        """Return the value (the state is written when it changes)."""
        return (self.native_value,)

    def _declared_reads(self) -> frozenset[str] | None:
        """Return what the description's ``value_fn`` reads of the asset."""
        return self.entity_description.reads

    @enode_exception_handler
    async def async_set_native_value(self, value: float) -> None:
        """Set the value."""
        description = self.entity_description
        self.raise_if_unusable(description.capability_fn(self.asset), description.capability_name)
        action = await description.set_fn(self.coordinator.client, self.asset_id, value)
        outcome = await self.coordinator.actions.async_run(action, self._model.asset_type)
        raise_for_action(self.device_info_name, outcome)


class EnodeSmartChargingMinimumNumber(EnodeEntity[Vehicle], NumberEntity):
    """Smart charging charges at once, whatever the price, up to this battery level (%).

    It cannot exceed the vehicle's charge limit (Enode refuses that): the maximum follows it.
    """

    _state_reads = state_reads(
        "smart_charging_policy.minimum_charge_limit", "charge_state.charge_limit"
    )

    @property
    def native_value(self) -> float | None:
        """Return the minimum charge limit."""
        return self.asset.smart_charging_policy.minimum_charge_limit

    @property
    def native_max_value(self) -> float:
        """Return the vehicle's charge limit (100 % when it does not report one)."""
        limit = self.asset.charge_state.charge_limit if self._current is not None else None
        return limit if limit is not None else 100

    def _state_inputs(self) -> object:
        """Return the value and its maximum (the state is written when they change)."""
        return (self.native_value, self.native_max_value)

    @enode_exception_handler
    async def async_set_native_value(self, value: float) -> None:
        """Set the minimum charge limit."""
        await async_update_policy(
            self.coordinator, self.asset, self.device_info_name, minimum_charge_limit=value
        )
