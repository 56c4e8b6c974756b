"""EV charger pairing and capability rules across platforms (vehicles and chargers)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from homeassistant.const import STATE_OFF, STATE_ON, STATE_UNKNOWN
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er

from custom_components.enode.api import PowerDeliveryState
from custom_components.enode.const import DOMAIN
from custom_components.enode.sensor import power_delivery_state

from .conftest import (
    CHARGER,
    CHARGER_ID,
    CHARGER_REMOTE_ACCESS,
    GPS_VEHICLE,
    GPS_VEHICLE_ID,
    HOME_ID,
    TEST_USER,
    VEHICLE_ID,
    VEHICLE_NO_CONTROL,
    async_refresh,
    household,
    make_entry,
    setup_entry,
)


def _entity_id(entity_registry: er.EntityRegistry, domain: str, unique_id: str) -> str | None:
    return entity_registry.async_get_entity_id(domain, DOMAIN, unique_id)


async def test_pairing_none_established_active_and_back(
    hass: HomeAssistant,
    simulator_factory: Any,
    entity_registry: er.EntityRegistry,
    device_registry: dr.DeviceRegistry,
) -> None:
    """Linking a charger unlocks the vehicle's control and location; plugging in activates it."""
    sim = await simulator_factory(household(linked=[VEHICLE_NO_CONTROL], unlinked=[CHARGER]))
    entry = await setup_entry(hass, make_entry(sim))

    # No charger linked: the vehicle cannot control charging alone, so a charger is required;
    # charging control and location permanently missing.
    assert hass.states.get("sensor.family_car_charger_pairing").state == "required"
    assert hass.states.get("sensor.family_car_connected_charger").state == STATE_UNKNOWN
    assert _entity_id(entity_registry, "switch", f"{VEHICLE_ID}_charging") is None
    assert _entity_id(entity_registry, "sensor", f"{VEHICLE_ID}_location") is None
    assert _entity_id(entity_registry, "device_tracker", f"{VEHICLE_ID}_position") is None
    assert hass.states.get("binary_sensor.family_car_plugged_in_at_charging_location").state == (
        STATE_OFF
    )

    # The user links the charger: the pair is established and the vehicle's startCharging,
    # stopCharging and location become capable; the entities appear without a reload.
    sim.add_asset(TEST_USER, "charger", CHARGER)
    await async_refresh(hass, entry)
    assert device_registry.async_get_device(identifiers={(DOMAIN, CHARGER_ID)}) is not None
    assert hass.states.get("sensor.family_car_charger_pairing").state == "established"
    switch_id = _entity_id(entity_registry, "switch", f"{VEHICLE_ID}_charging")
    assert switch_id == "switch.family_car_charge"
    assert hass.states.get(switch_id).state == STATE_OFF
    assert hass.states.get("sensor.family_car_location").state == STATE_UNKNOWN
    assert hass.states.get("sensor.family_car_connected_charger").state == STATE_UNKNOWN
    assert hass.states.get("sensor.zaptec_go_connected_vehicle").state == STATE_UNKNOWN
    assert hass.states.get("sensor.zaptec_go_location").state == "Home"
    # A vehicle without GPS never gets a tracker.
    assert _entity_id(entity_registry, "device_tracker", f"{VEHICLE_ID}_position") is None

    # Plugged into each other: active. The vehicle (no GPS) is at the charger's Location.
    sim.plug_in(VEHICLE_ID, CHARGER_ID)
    await async_refresh(hass, entry)
    assert hass.states.get("sensor.family_car_charger_pairing").state == "active"
    assert hass.states.get("sensor.family_car_connected_charger").state == "Zaptec Go"
    assert hass.states.get("sensor.zaptec_go_connected_vehicle").state == "Family car"
    assert hass.states.get("sensor.family_car_location").state == "Home"
    assert hass.states.get("binary_sensor.family_car_plugged_in_at_charging_location").state == (
        STATE_ON
    )
    assert hass.states.get("binary_sensor.family_car_plugged_in").state == STATE_ON

    # Unplugged: back to established.
    sim.unplug(VEHICLE_ID)
    await async_refresh(hass, entry)
    assert hass.states.get("sensor.family_car_charger_pairing").state == "established"
    assert hass.states.get("sensor.family_car_connected_charger").state == STATE_UNKNOWN
    assert hass.states.get("sensor.family_car_location").state == STATE_UNKNOWN
    assert hass.states.get("binary_sensor.family_car_plugged_in_at_charging_location").state == (
        STATE_OFF
    )
    assert hass.states.get("binary_sensor.family_car_plugged_in").state == STATE_OFF


async def test_plugged_in_elsewhere(hass: HomeAssistant, simulator_factory: Any) -> None:
    """Plugged into a charger that is not the user's: no active pair, not at charging location."""
    sim = await simulator_factory(household(linked=[VEHICLE_NO_CONTROL, CHARGER]))
    await setup_entry(hass, make_entry(sim))
    sim.plug_in(VEHICLE_ID, None)
    await async_refresh(hass, hass.config_entries.async_entries(DOMAIN)[0])
    assert hass.states.get("binary_sensor.family_car_plugged_in").state == STATE_ON
    assert hass.states.get("sensor.family_car_charger_pairing").state == "established"
    assert hass.states.get("binary_sensor.family_car_plugged_in_at_charging_location").state == (
        STATE_OFF
    )


async def test_device_info(
    hass: HomeAssistant, simulator_factory: Any, device_registry: dr.DeviceRegistry
) -> None:
    """Brand as manufacturer, model with year, display name; charger serial; never the VIN."""
    sim = await simulator_factory(household(linked=[VEHICLE_NO_CONTROL, CHARGER]))
    await setup_entry(hass, make_entry(sim))
    vehicle = device_registry.async_get_device(identifiers={(DOMAIN, VEHICLE_ID)})
    assert vehicle is not None
    assert (vehicle.manufacturer, vehicle.model, vehicle.name) == (
        "Volkswagen",
        "ID.3 (2021)",
        "Family car",
    )
    assert vehicle.serial_number is None
    charger = device_registry.async_get_device(identifiers={(DOMAIN, CHARGER_ID)})
    assert charger is not None
    assert (charger.manufacturer, charger.model, charger.name, charger.serial_number) == (
        "Zaptec",
        "Go (2022)",
        "Zaptec Go",
        "ZAP0001",
    )
    vin = VEHICLE_NO_CONTROL["information"]["vin"]
    for device in dr.async_entries_for_config_entry(
        device_registry, hass.config_entries.async_entries(DOMAIN)[0].entry_id
    ):
        assert vin not in repr(device)
    for state in hass.states.async_all():
        assert vin not in repr(state)


async def test_helpers_edge_cases(hass: HomeAssistant, simulator_factory: Any) -> None:
    """Unknown states, and an asset that vanishes under its entities."""
    assert power_delivery_state(PowerDeliveryState.UNKNOWN) is None
    assert power_delivery_state(None) is None

    sim = await simulator_factory(household(linked=[VEHICLE_NO_CONTROL, CHARGER]))
    entry = await setup_entry(hass, make_entry(sim))
    assert hass.states.get("switch.family_car_charge").state == STATE_OFF
    entry.runtime_data.coordinator.async_remove_asset(VEHICLE_ID)
    await hass.async_block_till_done()
    # Its device is removed with its entities; the charger's stay.
    assert hass.states.get("switch.family_car_charge") is None
    assert hass.states.get("sensor.family_car_battery") is None
    assert hass.states.get("switch.zaptec_go_charge").state == STATE_OFF


async def test_charge_rate_fallback(hass: HomeAssistant, simulator_factory: Any) -> None:
    """A vehicle that reports no charge rate shows its paired charger's while the pair is active.

    Enode fills the vehicle's ``chargeRate`` from the charger it is plugged into; when a payload
    still has none (a pushed update, for example), the integration falls back to the charger's.
    """
    sim = await simulator_factory(
        household(
            linked=[VEHICLE_NO_CONTROL, CHARGER],
            plugged=[{"vehicle": VEHICLE_ID, "charger": CHARGER_ID, "charging": True}],
        )
    )
    entry = await setup_entry(hass, make_entry(sim))
    # The session runs at the slower side of the pair: the vehicle's 7.4 kW on an 11 kW charger.
    assert hass.states.get("sensor.family_car_charge_rate").state == "7.4"
    assert hass.states.get("sensor.zaptec_go_charge_rate").state == "7.4"

    # The vehicle's own payload without a rate: the charger's rate is shown.
    coordinator = entry.runtime_data.coordinator
    vehicle = coordinator.data.vehicles[VEHICLE_ID]
    await coordinator.async_set_asset(
        replace(vehicle, charge_state=replace(vehicle.charge_state, charge_rate=None))
    )
    await hass.async_block_till_done()
    assert hass.states.get("sensor.family_car_charge_rate").state == "7.4"

    # Charging elsewhere (not the user's charger): a vehicle that reports no rate has none.
    sim.unplug(VEHICLE_ID)
    sim.plug_in(VEHICLE_ID, None, charging=True)
    await async_refresh(hass, entry)
    assert hass.states.get("binary_sensor.family_car_charging").state == STATE_ON
    assert hass.states.get("sensor.family_car_charger_pairing").state == "established"
    assert hass.states.get("sensor.family_car_charge_rate").state == STATE_UNKNOWN


# --- What the simulator's pairing rules mean in Home Assistant (seeds 002, 004) ----------------

BLOCKED_CHARGER: dict[str, Any] = {
    "id": "charger-0002",
    "type": "charger",
    "vendor": "EASEE",
    "information": {"brand": "Easee", "model": "One", "year": 2021, "serialNumber": "EH0002"},
    "capabilities": {
        "startCharging": {"isCapable": False, "interventionIds": [CHARGER_REMOTE_ACCESS]},
        "stopCharging": {"isCapable": False, "interventionIds": [CHARGER_REMOTE_ACCESS]},
    },
}


async def test_every_linked_charger_counts(hass: HomeAssistant, simulator_factory: Any) -> None:
    """The first charger cannot control charging, the second can: the vehicle is controllable
    (through the second); the first one's intervention is only a suggestion on the vehicle."""
    sim = await simulator_factory(
        household(
            linked=[VEHICLE_NO_CONTROL, BLOCKED_CHARGER, CHARGER],
            plugged=[{"vehicle": VEHICLE_ID, "charger": CHARGER_ID, "charging": False}],
        )
    )
    await setup_entry(hass, make_entry(sim))
    assert hass.states.get("sensor.family_car_charger_pairing").state == "active"
    await hass.services.async_call(
        "switch", "turn_on", {"entity_id": "switch.family_car_charge"}, blocking=True
    )
    assert hass.states.get("switch.family_car_charge").state == STATE_ON
    attributes = hass.states.get("binary_sensor.family_car_action_required").attributes
    (intervention,) = attributes["interventions"]
    assert intervention["id"] == CHARGER_REMOTE_ACCESS
    assert intervention["blocking"] is False


async def test_pair_held_while_the_charger_is_blocked(
    hass: HomeAssistant, simulator_factory: Any
) -> None:
    """The only charger's own intervention keeps the vehicle from charging: the pair is still
    established (the charger must be fixed), not cleared, and charging control is not waiting
    for a charger."""
    sim = await simulator_factory(household(linked=[VEHICLE_NO_CONTROL, BLOCKED_CHARGER]))
    await setup_entry(hass, make_entry(sim))
    assert hass.states.get("sensor.family_car_charger_pairing").state == "established"
    assert hass.states.get("switch.family_car_charge").state == STATE_OFF


async def test_location_only_when_inferable(
    hass: HomeAssistant, simulator_factory: Any, entity_registry: er.EntityRegistry
) -> None:
    """A vehicle without GPS gets its location only when the charger has a charging location."""
    no_location = CHARGER | {"locationId": None}
    sim = await simulator_factory(household(linked=[VEHICLE_NO_CONTROL, no_location]))
    entry = await setup_entry(hass, make_entry(sim))
    assert hass.states.get("sensor.family_car_charger_pairing").state == "established"
    assert _entity_id(entity_registry, "sensor", f"{VEHICLE_ID}_location") is None
    await hass.services.async_call(
        DOMAIN,
        "set_charging_location",
        {"device_id": _device_id(hass, CHARGER_ID), "location_id": HOME_ID},
        blocking=True,
    )
    await async_refresh(hass, entry)
    assert _entity_id(entity_registry, "sensor", f"{VEHICLE_ID}_location") == (
        "sensor.family_car_location"
    )


async def test_smart_charging_unlocked_by_the_charger(
    hass: HomeAssistant, simulator_factory: Any, entity_registry: er.EntityRegistry
) -> None:
    """A vehicle that cannot be controlled alone becomes eligible for smart charging with its
    charger (seed 004): the switch appears and turns on."""
    with_deadline = {"smartChargingPolicy": {"isEnabled": False, "deadline": "07:00"}}
    sim = await simulator_factory(
        household(linked=[VEHICLE_NO_CONTROL | with_deadline], unlinked=[CHARGER])
    )
    entry = await setup_entry(hass, make_entry(sim))
    assert _entity_id(entity_registry, "switch", f"{VEHICLE_ID}_smart_charging") is None
    sim.add_asset(TEST_USER, "charger", CHARGER)
    await async_refresh(hass, entry)
    assert _entity_id(entity_registry, "switch", f"{VEHICLE_ID}_smart_charging") == (
        "switch.family_car_smart_charging"
    )
    await hass.services.async_call(
        "switch", "turn_on", {"entity_id": "switch.family_car_smart_charging"}, blocking=True
    )
    assert hass.states.get("switch.family_car_smart_charging").state == STATE_ON


async def test_granted_scopes_are_enforced(
    hass: HomeAssistant, simulator_factory: Any, entity_registry: er.EntityRegistry
) -> None:
    """A vehicle linked without ``vehicle:control:charging`` has no charging control in Home
    Assistant, even with a charger linked."""
    sim = await simulator_factory(household(linked=[CHARGER]))
    sim.add_asset(
        TEST_USER, "vehicle", GPS_VEHICLE, scopes=["vehicle:read:data", "vehicle:read:location"]
    )
    await setup_entry(hass, make_entry(sim))
    assert float(hass.states.get("sensor.tessie_battery").state) == 50
    for key in ("charging", "smart_charging"):
        assert _entity_id(entity_registry, "switch", f"{GPS_VEHICLE_ID}_{key}") is None, key
    assert _entity_id(entity_registry, "number", f"{GPS_VEHICLE_ID}_max_current") is None


async def test_plug_in_detected_through_the_charger(
    hass: HomeAssistant, simulator_factory: Any
) -> None:
    """A vehicle that reports its plug-in late shows plugged in as soon as its paired charger
    reports it (seed 004: faster plug-in detection); on another charger only later."""
    slow = GPS_VEHICLE | {"plugReportDelay": 600}
    sim = await simulator_factory(household(linked=[slow, CHARGER]))
    entry = await setup_entry(hass, make_entry(sim))
    sim.plug_in(GPS_VEHICLE_ID, CHARGER_ID)
    await async_refresh(hass, entry)
    assert hass.states.get("binary_sensor.tessie_plugged_in").state == STATE_ON
    assert hass.states.get("sensor.tessie_connected_charger").state == "Zaptec Go"
    sim.unplug(GPS_VEHICLE_ID)
    sim.plug_in(GPS_VEHICLE_ID, None)
    await async_refresh(hass, entry)
    assert hass.states.get("binary_sensor.tessie_plugged_in").state == STATE_OFF
    sim.advance_time(600)
    await async_refresh(hass, entry)
    assert hass.states.get("binary_sensor.tessie_plugged_in").state == STATE_ON


def _device_id(hass: HomeAssistant, asset_id: str) -> str:
    device = dr.async_get(hass).async_get_device(identifiers={(DOMAIN, asset_id)})
    assert device is not None
    return device.id
