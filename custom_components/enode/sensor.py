"""Sensors of Enode vehicles (and their smart charging status and plan), chargers, home batteries,
solar inverters, meters and HVAC units."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import (
    PERCENTAGE,
    EntityCategory,
    UnitOfEnergy,
    UnitOfLength,
    UnitOfPower,
    UnitOfTime,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.typing import StateType

from .api import (
    AssetBase,
    Battery,
    BatteryStatus,
    Charger,
    Hvac,
    Inverter,
    Meter,
    PowerDeliveryState,
    Vehicle,
)
from .coordinator import OTHER_ASSETS, EnodeCoordinator
from .entity import (
    PAIRING_READS,
    EnodeEntity,
    async_add_asset_entities,
    capability_present,
    charger_vehicle,
    device_name,
    has_charge_state,
    state_reads,
    vehicle_charger,
)
from .models import EnergyToday, EnodeConfigEntry, EnodeData
from .pairing import ChargerPairing, charger_pairing
from .smart_charging import (
    SMART_CHARGING_STATES,
    current_plan,
    estimated_savings,
    executing_plan,
    plan_start,
    smart_state,
    smart_status,
)

PARALLEL_UPDATES = 0

POWER_DELIVERY_STATES = [
    state.value.lower().replace(":", "_")
    for state in PowerDeliveryState
    if state is not PowerDeliveryState.UNKNOWN
]
CHARGER_PAIRING_STATES = [str(state) for state in ChargerPairing]
BATTERY_STATUSES = [
    status.value.lower() for status in BatteryStatus if status is not BatteryStatus.UNKNOWN
]


def battery_status(status: BatteryStatus | None) -> str | None:
    """Return the enum sensor state of a battery status (None when unknown)."""
    if status is None or status is BatteryStatus.UNKNOWN:
        return None
    return status.value.lower()


def positive_part(value: float | None) -> float | None:
    """Return ``value`` when positive, else 0 (None stays None): one direction of a flow."""
    if value is None:
        return None
    return value if value > 0 else 0.0


def negative_part(value: float | None) -> float | None:
    """Return ``-value`` when negative, else 0 (None stays None): the other direction."""
    if value is None:
        return None
    return -value if value < 0 else 0.0


def power_delivery_state(state: PowerDeliveryState | None) -> str | None:
    """Return the enum sensor state of a power delivery state (None when unknown)."""
    if state is None or state is PowerDeliveryState.UNKNOWN:
        return None
    return state.value.lower().replace(":", "_")


# Power delivery states in which no power flows (Enode reports chargeRate only while charging,
# null otherwise): the charge rate is 0 kW then, not unknown. While initializing, charging without
# a reported rate, discharging or in an unknown state, the rate stays unknown.
NO_POWER_STATES = frozenset(
    {
        PowerDeliveryState.UNPLUGGED,
        PowerDeliveryState.PLUGGED_IN_STOPPED,
        PowerDeliveryState.PLUGGED_IN_COMPLETE,
        PowerDeliveryState.PLUGGED_IN_NO_POWER,
        PowerDeliveryState.PLUGGED_IN_FAULT,
    }
)


def no_power_flows(asset: Vehicle | Charger) -> bool:
    """Return whether Enode's state of a vehicle or charger means that no power flows."""
    state = asset.charge_state
    return state.power_delivery_state in NO_POWER_STATES or state.is_plugged_in is False


def charger_charge_rate(charger: Charger, data: EnodeData) -> float | None:
    """Return a charger's charge rate (kW): 0 when no power flows, unknown if not reported."""
    if charger.charge_state.charge_rate is not None:
        return charger.charge_state.charge_rate
    return 0.0 if no_power_flows(charger) else None


def vehicle_charge_rate(vehicle: Vehicle, data: EnodeData) -> float | None:
    """Return the vehicle's charge rate, falling back to its paired charger's (kW).

    0 when the vehicle's (or the paired charger's) state means that no power flows.
    """
    if vehicle.charge_state.charge_rate is not None:
        return vehicle.charge_state.charge_rate
    charger = vehicle_charger(data, vehicle)
    if charger is not None and charger.charge_state.charge_rate is not None:
        return charger.charge_state.charge_rate
    if no_power_flows(vehicle) or (charger is not None and no_power_flows(charger)):
        return 0.0
    return None


def location_name(data: EnodeData, location_id: str | None) -> str | None:
    """Return the name of an Enode Location."""
    if location_id is None:
        return None
    location = data.locations.get(location_id)
    return location.name if location is not None else None


def _name_of(asset: AssetBase | None) -> str | None:
    """Return the device name of an asset, or None."""
    return device_name(asset) if asset is not None else None


@dataclass(frozen=True, kw_only=True)
class EnodeSensorEntityDescription[AssetT: AssetBase](SensorEntityDescription):
    """Describes an Enode sensor of an asset type."""

    exists_fn: Callable[[AssetT], bool] = lambda _: True
    value_fn: Callable[[AssetT, EnodeData], StateType | datetime]
    # A monetary value's currency, when the data gives it (else Home Assistant's currency).
    currency_fn: Callable[[AssetT, EnodeData], str | None] | None = None
    attributes_fn: Callable[[AssetT, EnodeData], Mapping[str, object] | None] | None = None
    # When a ``total`` sensor's count began (today's totals: local midnight).
    last_reset_fn: Callable[[AssetT, EnodeData], datetime | None] | None = None
    # What the functions read of the asset, when nothing of another asset (``EnodeEntity``).
    reads: frozenset[str] | None = None


def _power_delivery_state[AssetT: Vehicle | Charger]() -> EnodeSensorEntityDescription[AssetT]:
    """The power delivery state (vehicles and chargers)."""
    return EnodeSensorEntityDescription[AssetT](
        key="power_delivery_state",
        translation_key="power_delivery_state",
        device_class=SensorDeviceClass.ENUM,
        options=POWER_DELIVERY_STATES,
        exists_fn=has_charge_state,
        value_fn=lambda asset, _: power_delivery_state(asset.charge_state.power_delivery_state),
        reads=state_reads("charge_state.power_delivery_state"),
    )


def _last_seen[AssetT: AssetBase]() -> EnodeSensorEntityDescription[AssetT]:
    """When Enode last heard from the device (every asset type)."""
    return EnodeSensorEntityDescription[AssetT](
        key="last_seen",
        translation_key="last_seen",
        device_class=SensorDeviceClass.TIMESTAMP,
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,
        value_fn=lambda asset, _: asset.last_seen,
        reads=state_reads("last_seen"),
    )


def _location[AssetT: AssetBase](
    exists_fn: Callable[[AssetT], bool] = lambda _: True,
) -> EnodeSensorEntityDescription[AssetT]:
    """The name of the Enode Location the device is at."""
    return EnodeSensorEntityDescription[AssetT](
        key="location",
        translation_key="location",
        exists_fn=exists_fn,
        value_fn=lambda asset, data: location_name(data, asset.location.id),
        reads=state_reads("location.id"),
    )


VEHICLE_SENSORS: tuple[EnodeSensorEntityDescription[Vehicle], ...] = (
    EnodeSensorEntityDescription(
        key="battery_level",
        device_class=SensorDeviceClass.BATTERY,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=PERCENTAGE,
        suggested_display_precision=0,
        exists_fn=has_charge_state,
        value_fn=lambda v, _: v.charge_state.battery_level,
        reads=state_reads("charge_state.battery_level"),
    ),
    EnodeSensorEntityDescription(
        key="range",
        translation_key="range",
        device_class=SensorDeviceClass.DISTANCE,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfLength.KILOMETERS,
        suggested_display_precision=0,
        exists_fn=has_charge_state,
        value_fn=lambda v, _: v.charge_state.range,
        reads=state_reads("charge_state.range"),
    ),
    EnodeSensorEntityDescription(
        key="charge_rate",
        translation_key="charge_rate",
        device_class=SensorDeviceClass.POWER,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfPower.KILO_WATT,
        suggested_display_precision=1,
        exists_fn=has_charge_state,
        value_fn=vehicle_charge_rate,
        reads=state_reads(
            "charge_state.charge_rate",
            "charge_state.power_delivery_state",
            "charge_state.is_plugged_in",
            "charge_state.plugged_in_charger_id",
            OTHER_ASSETS,
        ),
    ),
    EnodeSensorEntityDescription(
        key="charge_time_remaining",
        translation_key="charge_time_remaining",
        device_class=SensorDeviceClass.DURATION,
        native_unit_of_measurement=UnitOfTime.MINUTES,
        exists_fn=has_charge_state,
        value_fn=lambda v, _: v.charge_state.charge_time_remaining,
        reads=state_reads("charge_state.charge_time_remaining"),
    ),
    EnodeSensorEntityDescription(
        key="charge_limit",
        translation_key="charge_limit",
        native_unit_of_measurement=PERCENTAGE,
        suggested_display_precision=0,
        exists_fn=has_charge_state,
        value_fn=lambda v, _: v.charge_state.charge_limit,
        reads=state_reads("charge_state.charge_limit"),
    ),
    EnodeSensorEntityDescription(
        key="battery_capacity",
        translation_key="battery_capacity",
        device_class=SensorDeviceClass.ENERGY_STORAGE,
        native_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        entity_category=EntityCategory.DIAGNOSTIC,
        exists_fn=has_charge_state,
        value_fn=lambda v, _: v.charge_state.battery_capacity,
        reads=state_reads("charge_state.battery_capacity"),
    ),
    EnodeSensorEntityDescription(
        key="odometer",
        translation_key="odometer",
        device_class=SensorDeviceClass.DISTANCE,
        state_class=SensorStateClass.TOTAL_INCREASING,
        native_unit_of_measurement=UnitOfLength.KILOMETERS,
        suggested_display_precision=0,
        exists_fn=lambda v: capability_present(v.capabilities.odometer),
        value_fn=lambda v, _: v.odometer.distance,
        reads=state_reads("odometer.distance"),
    ),
    _power_delivery_state(),
    _last_seen(),
    _location(lambda v: capability_present(v.capabilities.location)),
    EnodeSensorEntityDescription(
        key="connected_charger",
        translation_key="connected_charger",
        value_fn=lambda v, data: _name_of(vehicle_charger(data, v)),
        reads=state_reads("charge_state.plugged_in_charger_id", OTHER_ASSETS),
    ),
    EnodeSensorEntityDescription(
        key="charger_pairing",
        translation_key="charger_pairing",
        device_class=SensorDeviceClass.ENUM,
        options=CHARGER_PAIRING_STATES,
        value_fn=lambda v, data: str(charger_pairing(v, data)),
        reads=PAIRING_READS,
    ),
)


def _has_smart_charging(vehicle: Vehicle) -> bool:
    return capability_present(vehicle.capabilities.smart_charging)


def _consideration(vehicle: Vehicle, data: EnodeData) -> Mapping[str, object] | None:
    """What smart charging waits for, while it considers a plan."""
    status = smart_status(data, vehicle)
    consideration = status.consideration if status is not None else None
    if consideration is None:
        return None
    return {
        "plugged_in": consideration.is_plugged_in,
        "charging": consideration.is_charging,
        "at_charging_location": consideration.at_charging_location,
        "has_time_estimate": consideration.has_time_estimate,
    }


def _planned_start(vehicle: Vehicle, data: EnodeData) -> datetime | None:
    """When the executing plan (re)starts charging (or started, charging straight through)."""
    plan = executing_plan(data, vehicle)
    return plan_start(plan) if plan is not None else None


def _plan_currency(vehicle: Vehicle, data: EnodeData) -> str | None:
    plan = current_plan(data, vehicle)
    return plan.currency if plan is not None else None


# Read from the vehicle's smart charging status (``smart_charging.py``): only while smart
# charging is enabled; the plan's values while Enode has a plan (its costs also once it ended).
SMART_STATUS_READS = state_reads("smart_charging_policy.is_enabled")
SMART_CHARGING_SENSORS: tuple[EnodeSensorEntityDescription[Vehicle], ...] = (
    EnodeSensorEntityDescription(
        key="smart_charging_state",
        translation_key="smart_charging_state",
        device_class=SensorDeviceClass.ENUM,
        options=SMART_CHARGING_STATES,
        exists_fn=_has_smart_charging,
        reads=SMART_STATUS_READS,
        value_fn=smart_state,
        attributes_fn=_consideration,
    ),
    EnodeSensorEntityDescription(
        key="smart_charging_planned_start",
        translation_key="smart_charging_planned_start",
        device_class=SensorDeviceClass.TIMESTAMP,
        exists_fn=_has_smart_charging,
        reads=SMART_STATUS_READS,
        value_fn=_planned_start,
    ),
    EnodeSensorEntityDescription(
        key="smart_charging_planned_end",
        translation_key="smart_charging_planned_end",
        device_class=SensorDeviceClass.TIMESTAMP,
        exists_fn=_has_smart_charging,
        reads=SMART_STATUS_READS,
        value_fn=lambda v, data: (
            plan.estimated_finish_at if (plan := executing_plan(data, v)) else None
        ),
    ),
    EnodeSensorEntityDescription(
        key="smart_charging_estimated_cost",
        translation_key="smart_charging_estimated_cost",
        device_class=SensorDeviceClass.MONETARY,
        suggested_display_precision=2,
        exists_fn=_has_smart_charging,
        reads=SMART_STATUS_READS,
        value_fn=lambda v, data: (plan.smart_cost if (plan := current_plan(data, v)) else None),
        currency_fn=_plan_currency,
    ),
    EnodeSensorEntityDescription(
        key="smart_charging_estimated_savings",
        translation_key="smart_charging_estimated_savings",
        device_class=SensorDeviceClass.MONETARY,
        suggested_display_precision=2,
        exists_fn=_has_smart_charging,
        reads=SMART_STATUS_READS,
        value_fn=lambda v, data: estimated_savings(current_plan(data, v)),
        currency_fn=_plan_currency,
    ),
)

CHARGER_SENSORS: tuple[EnodeSensorEntityDescription[Charger], ...] = (
    EnodeSensorEntityDescription(
        key="charge_rate",
        translation_key="charge_rate",
        device_class=SensorDeviceClass.POWER,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfPower.KILO_WATT,
        suggested_display_precision=1,
        exists_fn=has_charge_state,
        value_fn=charger_charge_rate,
        reads=state_reads(
            "charge_state.charge_rate",
            "charge_state.power_delivery_state",
            "charge_state.is_plugged_in",
        ),
    ),
    _power_delivery_state(),
    _last_seen(),
    EnodeSensorEntityDescription(
        key="connected_vehicle",
        translation_key="connected_vehicle",
        value_fn=lambda c, data: _name_of(charger_vehicle(data, c)),
        reads=state_reads("charge_state.plugged_in_vehicle_id", OTHER_ASSETS),
    ),
    _location(),
)


def _power[AssetT: AssetBase](
    key: str,
    value_fn: Callable[[AssetT, EnodeData], float | None],
    reads: frozenset[str],
    exists_fn: Callable[[AssetT], bool] = lambda _: True,
) -> EnodeSensorEntityDescription[AssetT]:
    """A power (kW) measured now: signed flows, and each direction of them."""
    return EnodeSensorEntityDescription[AssetT](
        key=key,
        translation_key=key,
        device_class=SensorDeviceClass.POWER,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfPower.KILO_WATT,
        suggested_display_precision=2,
        exists_fn=exists_fn,
        value_fn=value_fn,
        reads=reads,
    )


# chargeRate: positive while charging (as Enode reports it); charging and discharging power
# are its two directions, never negative (for dashboards and the Energy dashboard's power).
BATTERY_RATE = state_reads("charge_state.charge_rate")
BATTERY_SENSORS: tuple[EnodeSensorEntityDescription[Battery], ...] = (
    EnodeSensorEntityDescription(
        key="battery_level",
        device_class=SensorDeviceClass.BATTERY,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=PERCENTAGE,
        suggested_display_precision=0,
        value_fn=lambda b, _: b.charge_state.battery_level,
        reads=state_reads("charge_state.battery_level"),
    ),
    _power("battery_power", lambda b, _: b.charge_state.charge_rate, BATTERY_RATE),
    _power("charging_power", lambda b, _: positive_part(b.charge_state.charge_rate), BATTERY_RATE),
    _power(
        "discharging_power", lambda b, _: negative_part(b.charge_state.charge_rate), BATTERY_RATE
    ),
    EnodeSensorEntityDescription(
        key="battery_status",
        translation_key="battery_status",
        device_class=SensorDeviceClass.ENUM,
        options=BATTERY_STATUSES,
        value_fn=lambda b, _: battery_status(b.charge_state.status),
        reads=state_reads("charge_state.status"),
    ),
    EnodeSensorEntityDescription(
        key="battery_capacity",
        translation_key="battery_capacity",
        device_class=SensorDeviceClass.ENERGY_STORAGE,
        native_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda b, _: b.charge_state.battery_capacity,
        reads=state_reads("charge_state.battery_capacity"),
    ),
    EnodeSensorEntityDescription(
        key="discharge_limit",
        translation_key="discharge_limit",
        native_unit_of_measurement=PERCENTAGE,
        suggested_display_precision=0,
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda b, _: b.charge_state.discharge_limit,
        reads=state_reads("charge_state.discharge_limit"),
    ),
    _last_seen(),
)


def _produces(inverter: Inverter) -> bool:
    return capability_present(inverter.capabilities.production_state)


def _today(data: EnodeData, key: str | None) -> EnergyToday | None:
    """Return today's totals of a vehicle, a charger or a HEM system (statistics.py)."""
    return data.energy_today.get(key) if key is not None else None


def _today_energy(key: str | None, data: EnodeData) -> float | None:
    return today.energy if (today := _today(data, key)) is not None else None


def _today_reset(key: str | None, data: EnodeData) -> datetime | None:
    return today.day_start if (today := _today(data, key)) is not None else None


# Today's totals from Enode's statistics (imported hourly): ``total`` with ``last_reset`` at
# local midnight, not ``total_increasing`` (a daily drop to 0 is not a meter replacement).
CHARGING_TODAY_SENSORS: tuple[EnodeSensorEntityDescription[Vehicle], ...] = (
    EnodeSensorEntityDescription(
        key="charging_energy_today",
        translation_key="charging_energy_today",
        device_class=SensorDeviceClass.ENERGY,
        state_class=SensorStateClass.TOTAL,
        native_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        suggested_display_precision=2,
        value_fn=lambda v, data: _today_energy(v.id, data),
        reads=state_reads(),
        last_reset_fn=lambda v, data: _today_reset(v.id, data),
    ),
    EnodeSensorEntityDescription(
        key="charging_cost_today",
        translation_key="charging_cost_today",
        device_class=SensorDeviceClass.MONETARY,
        state_class=SensorStateClass.TOTAL,
        suggested_display_precision=2,
        value_fn=lambda v, data: today.cost if (today := _today(data, v.id)) else None,
        reads=state_reads(),
        last_reset_fn=lambda v, data: _today_reset(v.id, data),
        currency_fn=lambda v, data: today.currency if (today := _today(data, v.id)) else None,
    ),
)

INVERTER_SENSORS: tuple[EnodeSensorEntityDescription[Inverter], ...] = (
    _power(
        "production_power",
        lambda i, _: i.production_state.production_rate,
        state_reads("production_state.production_rate"),
        _produces,
    ),
    # A counter that only grows: the Energy dashboard's solar production.
    EnodeSensorEntityDescription(
        key="lifetime_production",
        translation_key="lifetime_production",
        device_class=SensorDeviceClass.ENERGY,
        state_class=SensorStateClass.TOTAL_INCREASING,
        native_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        suggested_display_precision=1,
        exists_fn=_produces,
        value_fn=lambda i, _: i.production_state.total_lifetime_production,
        reads=state_reads("production_state.total_lifetime_production"),
    ),
    # The inverter's HEM system's solar production today (its local day).
    EnodeSensorEntityDescription(
        key="solar_production_today",
        translation_key="solar_production_today",
        device_class=SensorDeviceClass.ENERGY,
        state_class=SensorStateClass.TOTAL,
        native_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        suggested_display_precision=2,
        exists_fn=lambda i: i.hem_system_id is not None,
        value_fn=lambda i, data: _today_energy(i.hem_system_id, data),
        reads=state_reads("hem_system_id"),
        last_reset_fn=lambda i, data: _today_reset(i.hem_system_id, data),
    ),
    _last_seen(),
)


def _measures_consumption(meter: Meter) -> bool:
    return capability_present(meter.capabilities.measures_consumption)


def _measures_production(meter: Meter) -> bool:
    return capability_present(meter.capabilities.measures_production)


# energyState.power: positive while importing from the grid, negative while exporting.
METER_POWER = state_reads("energy_state.power")
METER_SENSORS: tuple[EnodeSensorEntityDescription[Meter], ...] = (
    _power(
        "grid_power",
        lambda m, _: m.energy_state.power,
        METER_POWER,
        lambda m: _measures_consumption(m) or _measures_production(m),
    ),
    _power(
        "grid_import_power",
        lambda m, _: positive_part(m.energy_state.power),
        METER_POWER,
        _measures_consumption,
    ),
    _power(
        "grid_export_power",
        lambda m, _: negative_part(m.energy_state.power),
        METER_POWER,
        _measures_production,
    ),
    _last_seen(),
)

HVAC_SENSORS: tuple[EnodeSensorEntityDescription[Hvac], ...] = (
    _power("consumption_rate", lambda h, _: h.consumption_rate, state_reads("consumption_rate")),
    _last_seen(),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: EnodeConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Set up Enode sensors (and add new ones as assets or capabilities appear)."""
    async_add_asset_entities(entry, async_add_entities, Vehicle, VEHICLE_SENSORS, EnodeSensorEntity)
    async_add_asset_entities(
        entry, async_add_entities, Vehicle, SMART_CHARGING_SENSORS, EnodeSensorEntity
    )
    async_add_asset_entities(
        entry, async_add_entities, Vehicle, CHARGING_TODAY_SENSORS, EnodeSensorEntity
    )
    async_add_asset_entities(entry, async_add_entities, Charger, CHARGER_SENSORS, EnodeSensorEntity)
    async_add_asset_entities(entry, async_add_entities, Battery, BATTERY_SENSORS, EnodeSensorEntity)
    async_add_asset_entities(
        entry, async_add_entities, Inverter, INVERTER_SENSORS, EnodeSensorEntity
    )
    async_add_asset_entities(entry, async_add_entities, Meter, METER_SENSORS, EnodeSensorEntity)
    async_add_asset_entities(entry, async_add_entities, Hvac, HVAC_SENSORS, EnodeSensorEntity)


class EnodeSensorEntity[AssetT: AssetBase](EnodeEntity[AssetT], SensorEntity):
    """A sensor of an Enode asset."""

    entity_description: EnodeSensorEntityDescription[AssetT]

    def __init__(
        self,
        coordinator: EnodeCoordinator,
        asset: AssetT,
        description: EnodeSensorEntityDescription[AssetT],
    ) -> None:
        """Initialize the sensor."""
        super().__init__(coordinator, asset, description)
        self.entity_description = description

    @property
    def native_value(self) -> StateType | datetime:
        """Return the sensor value."""
        return self.entity_description.value_fn(self.asset, self.data)

    @property
    def native_unit_of_measurement(self) -> str | None:
        """Return the unit (a monetary value's currency: the data's, else Home Assistant's)."""
        currency_fn = self.entity_description.currency_fn
        if currency_fn is None:
            return super().native_unit_of_measurement
        currency = currency_fn(self.asset, self.data) if self._current is not None else None
        return currency or self.hass.config.currency

    @property
    def last_reset(self) -> datetime | None:
        """Return when a ``total`` sensor's count began (today's totals: local midnight)."""
        last_reset_fn = self.entity_description.last_reset_fn
        if last_reset_fn is None or self._current is None:
            return None
        return last_reset_fn(self.asset, self.data)

    @property
    def extra_state_attributes(self) -> Mapping[str, object] | None:
        """Return extra attributes (what smart charging considers)."""
        attributes_fn = self.entity_description.attributes_fn
        if attributes_fn is None or self._current is None:
            return None
        return attributes_fn(self.asset, self.data)

    def _state_inputs(self) -> object:
        """Return the value, unit and attributes (the state is written when they change)."""
        return (self.native_value, self.native_unit_of_measurement, self.extra_state_attributes)

    def _declared_reads(self) -> frozenset[str] | None:
        """Return what the description's functions read of the asset."""
        return self.entity_description.reads
