"""Binary sensors of Enode devices (including "Action required")."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
import re
from typing import TypedDict

from homeassistant.components.binary_sensor import (
    BinarySensorDeviceClass,
    BinarySensorEntity,
    BinarySensorEntityDescription,
)
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .api import AssetBase, Battery, BatteryStatus, Charger, Hvac, Inverter, Meter, Vehicle
from .coordinator import OTHER_ASSETS, EnodeCoordinator
from .entity import (
    EnodeEntity,
    async_add_asset_entities,
    capability_present,
    has_charge_state,
    state_reads,
    vehicle_charger,
)
from .models import EnodeConfigEntry, EnodeData
from .smart_charging import enrolled

PARALLEL_UPDATES = 0


class InterventionAttributes(TypedDict):
    """An intervention as the "Action required" sensor shows it."""

    id: str
    title: str | None
    access: str | None
    agent: str | None
    action: str | None
    blocking: bool
    capabilities: list[str]


def _snake(value: StrEnum | None) -> str | None:
    """Return an Enode enum value in snake case ("ThirdParty" -> "third_party")."""
    if value is None:
        return None
    return re.sub(r"(?<!^)(?=[A-Z])", "_", str(value)).lower()


def asset_interventions(data: EnodeData, asset: AssetBase) -> list[InterventionAttributes]:
    """Return an asset's interventions in the order Enode returns them.

    ``blocking`` is True when a capability that lists the intervention is not capable (the
    intervention must be resolved to use it) and False when every capability that lists it is
    capable (the intervention is optional: it only improves the device, see DESIGN.md section 6).
    """
    capabilities: dict[str, list[str]] = {}
    blocking: dict[str, bool] = {}
    for name, capability in asset.capabilities.items():
        for intervention_id in capability.intervention_ids:
            capabilities.setdefault(intervention_id, []).append(name)
            blocking[intervention_id] = blocking.get(intervention_id, False) or (
                not capability.is_capable
            )
    result: list[InterventionAttributes] = []
    for intervention_id in asset.all_intervention_ids():
        intervention = data.interventions.get(intervention_id)
        resolution = intervention.resolution if intervention is not None else None
        result.append(
            {
                "id": intervention_id,
                "title": resolution.title if resolution else None,
                "access": _snake(resolution.access) if resolution else None,
                "agent": _snake(resolution.agent) if resolution else None,
                "action": _snake(resolution.action) if resolution else None,
                "blocking": blocking.get(intervention_id, False),
                "capabilities": capabilities.get(intervention_id, []),
            }
        )
    return result


def plugged_in_at_charging_location(vehicle: Vehicle, data: EnodeData) -> bool:
    """Return whether a vehicle is plugged into the user's charger at the charger's Location."""
    charger = vehicle_charger(data, vehicle)
    if charger is None or charger.location.id is None:
        return False
    return vehicle.location.id == charger.location.id


@dataclass(frozen=True, kw_only=True)
class EnodeBinarySensorEntityDescription[AssetT: AssetBase](BinarySensorEntityDescription):
    """Describes an Enode binary sensor of an asset type."""

    exists_fn: Callable[[AssetT], bool] = lambda _: True
    is_on_fn: Callable[[AssetT, EnodeData], bool | None]
    attributes_fn: Callable[[AssetT, EnodeData], Mapping[str, object]] | None = None
    # What the functions read of the asset, when nothing of another asset (``EnodeEntity``).
    reads: frozenset[str] | None = None


def _action_required[AssetT: AssetBase]() -> EnodeBinarySensorEntityDescription[AssetT]:
    """Whether Enode asks the user to do something; the interventions as attributes."""
    return EnodeBinarySensorEntityDescription[AssetT](
        key="action_required",
        translation_key="action_required",
        device_class=BinarySensorDeviceClass.PROBLEM,
        is_on_fn=lambda asset, _: bool(asset.all_intervention_ids()),
        attributes_fn=lambda asset, data: {"interventions": asset_interventions(data, asset)},
        reads=state_reads("capabilities"),
    )


def _reachable[AssetT: AssetBase]() -> EnodeBinarySensorEntityDescription[AssetT]:
    """Whether Enode can reach the device right now."""
    return EnodeBinarySensorEntityDescription[AssetT](
        key="reachable",
        translation_key="reachable",
        device_class=BinarySensorDeviceClass.CONNECTIVITY,
        entity_category=EntityCategory.DIAGNOSTIC,
        is_on_fn=lambda asset, _: asset.is_reachable,
        reads=state_reads("is_reachable"),
    )


def _plugged_in[AssetT: Vehicle | Charger]() -> EnodeBinarySensorEntityDescription[AssetT]:
    """Whether a cable connects the vehicle and a charger."""
    return EnodeBinarySensorEntityDescription[AssetT](
        key="plugged_in",
        translation_key="plugged_in",
        device_class=BinarySensorDeviceClass.PLUG,
        exists_fn=has_charge_state,
        is_on_fn=lambda asset, _: asset.charge_state.is_plugged_in,
        reads=state_reads("charge_state.is_plugged_in"),
    )


def _charging[AssetT: Vehicle | Charger]() -> EnodeBinarySensorEntityDescription[AssetT]:
    """Whether power flows into the vehicle."""
    return EnodeBinarySensorEntityDescription[AssetT](
        key="charging",
        device_class=BinarySensorDeviceClass.BATTERY_CHARGING,
        exists_fn=has_charge_state,
        is_on_fn=lambda asset, _: asset.charge_state.is_charging,
        reads=state_reads("charge_state.is_charging"),
    )


VEHICLE_BINARY_SENSORS: tuple[EnodeBinarySensorEntityDescription[Vehicle], ...] = (
    _plugged_in(),
    _charging(),
    EnodeBinarySensorEntityDescription(
        key="fully_charged",
        translation_key="fully_charged",
        exists_fn=has_charge_state,
        is_on_fn=lambda v, _: v.charge_state.is_fully_charged,
        reads=state_reads("charge_state.is_fully_charged"),
    ),
    _reachable(),
    EnodeBinarySensorEntityDescription(
        key="plugged_in_at_charging_location",
        translation_key="plugged_in_at_charging_location",
        is_on_fn=plugged_in_at_charging_location,
        reads=state_reads("charge_state.plugged_in_charger_id", "location.id", OTHER_ASSETS),
    ),
    _action_required(),
    # Seed 004: enrolled while smart charging is on and usable, also while unplugged or away.
    EnodeBinarySensorEntityDescription(
        key="smart_charging_enrolled",
        translation_key="smart_charging_enrolled",
        exists_fn=lambda v: capability_present(v.capabilities.smart_charging),
        is_on_fn=enrolled,
        reads=state_reads("smart_charging_policy.is_enabled", "capabilities.smart_charging"),
    ),
)

CHARGER_BINARY_SENSORS: tuple[EnodeBinarySensorEntityDescription[Charger], ...] = (
    _plugged_in(),
    _charging(),
    _reachable(),
    _action_required(),
)


def battery_fault(battery: Battery) -> bool | None:
    """Return whether a battery reports a fault (None when its status is unknown)."""
    status = battery.charge_state.status
    if status is None or status is BatteryStatus.UNKNOWN:
        return None
    return status is BatteryStatus.FAULT


BATTERY_BINARY_SENSORS: tuple[EnodeBinarySensorEntityDescription[Battery], ...] = (
    EnodeBinarySensorEntityDescription(
        key="fault",
        translation_key="battery_fault",
        device_class=BinarySensorDeviceClass.PROBLEM,
        is_on_fn=lambda b, _: battery_fault(b),
        reads=state_reads("charge_state.status"),
    ),
    _reachable(),
    _action_required(),
)

INVERTER_BINARY_SENSORS: tuple[EnodeBinarySensorEntityDescription[Inverter], ...] = (
    EnodeBinarySensorEntityDescription(
        key="producing",
        translation_key="producing",
        device_class=BinarySensorDeviceClass.RUNNING,
        exists_fn=lambda i: capability_present(i.capabilities.production_state),
        is_on_fn=lambda i, _: i.production_state.is_producing,
        reads=state_reads("production_state.is_producing"),
    ),
    _reachable(),
    _action_required(),
)

METER_BINARY_SENSORS: tuple[EnodeBinarySensorEntityDescription[Meter], ...] = (
    _reachable(),
    _action_required(),
)

HVAC_BINARY_SENSORS: tuple[EnodeBinarySensorEntityDescription[Hvac], ...] = (
    _reachable(),
    _action_required(),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: EnodeConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Set up Enode binary sensors (and add new ones as assets or capabilities appear)."""
    async_add_asset_entities(
        entry, async_add_entities, Vehicle, VEHICLE_BINARY_SENSORS, EnodeBinarySensorEntity
    )
    async_add_asset_entities(
        entry, async_add_entities, Charger, CHARGER_BINARY_SENSORS, EnodeBinarySensorEntity
    )
    async_add_asset_entities(
        entry, async_add_entities, Battery, BATTERY_BINARY_SENSORS, EnodeBinarySensorEntity
    )
    async_add_asset_entities(
        entry, async_add_entities, Inverter, INVERTER_BINARY_SENSORS, EnodeBinarySensorEntity
    )
    async_add_asset_entities(
        entry, async_add_entities, Meter, METER_BINARY_SENSORS, EnodeBinarySensorEntity
    )
    async_add_asset_entities(
        entry, async_add_entities, Hvac, HVAC_BINARY_SENSORS, EnodeBinarySensorEntity
    )


class EnodeBinarySensorEntity[AssetT: AssetBase](EnodeEntity[AssetT], BinarySensorEntity):
    """A binary sensor of an Enode asset."""

    entity_description: EnodeBinarySensorEntityDescription[AssetT]

    def __init__(
        self,
        coordinator: EnodeCoordinator,
        asset: AssetT,
        description: EnodeBinarySensorEntityDescription[AssetT],
    ) -> None:
        """Initialize the binary sensor."""
        super().__init__(coordinator, asset, description)
        self.entity_description = description

    @property
    def is_on(self) -> bool | None:
        """Return the state."""
        return self.entity_description.is_on_fn(self.asset, self.data)

    @property
    def extra_state_attributes(self) -> Mapping[str, object] | None:
        """Return extra attributes (the interventions of "Action required")."""
        if self.entity_description.attributes_fn is None:
            return None
        return self.entity_description.attributes_fn(self.asset, self.data)

    def _state_inputs(self) -> object:
        """Return the state and the attributes (the state is written when they change)."""
        return (self.is_on, self.extra_state_attributes)

    def _declared_reads(self) -> frozenset[str] | None:
        """Return what the description's functions read of the asset."""
        return self.entity_description.reads
