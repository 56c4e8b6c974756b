"""Unit tests of the Enode models (tolerance, aliases, helpers) and constants."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from custom_components.enode.api import (
    ActionState,
    AssetType,
    Battery,
    BatteryOperationMode,
    BatteryStatus,
    Capability,
    ChargeAction,
    Charger,
    ChargingAction,
    EnodeError,
    EnodeRateLimitError,
    FailureReasonType,
    Hvac,
    HvacAction,
    HvacCategory,
    HvacHoldType,
    HvacMode,
    Integration,
    Intervention,
    InterventionDomain,
    Inverter,
    LinkingStatus,
    LinkSession,
    Location,
    MaxCurrentAction,
    Meter,
    OperationModeAction,
    PowerDeliveryState,
    ResolutionAccess,
    ResolutionAction,
    ResolutionAgent,
    User,
    Vehicle,
    VendorAction,
    Webhook,
    WebhookTestResult,
    WebhookTestStatus,
    action_from_dict,
    describe_model_error,
    scopes_for,
)

VEHICLE: dict[str, Any] = {
    "id": "05ee9df5-d072-4ee8-b773-399dec8f5693",
    "userId": "bb28471e-cde6-4eff-ace4-9a7f4f50882a",
    "vendor": "TESLA",
    "lastSeen": "2024-01-07T17:04:26.000Z",
    "isReachable": True,
    "information": {
        "vin": "2HGFB2F5XEH542858",
        "brand": "Tesla",
        "model": "Model S P85",
        "year": 2020,
        "displayName": "Batmobile",
    },
    "chargeState": {
        "batteryLevel": 66,
        "range": 228,
        "isPluggedIn": True,
        "isCharging": True,
        "isFullyCharged": False,
        "batteryCapacity": 48.1,
        "chargeLimit": 90,
        "chargeRate": 2,
        "chargeTimeRemaining": 285,
        "lastUpdated": "2020-04-07T17:04:26Z",
        "maxCurrent": 16,
        "powerDeliveryState": "PLUGGED_IN:CHARGING",
        "pluggedInChargerId": None,
    },
    "smartChargingPolicy": {"isEnabled": False, "deadline": None, "minimumChargeLimit": 0},
    "odometer": {"distance": 65393, "lastUpdated": "2024-01-07T17:04:26.000Z"},
    "capabilities": {
        "information": {"isCapable": True, "interventionIds": []},
        "chargeState": {"isCapable": True, "interventionIds": []},
        "location": {"isCapable": True, "interventionIds": []},
        "odometer": {"isCapable": True, "interventionIds": []},
        "setMaxCurrent": {"isCapable": False, "interventionIds": []},
        "startCharging": {"isCapable": True, "interventionIds": []},
        "stopCharging": {"isCapable": True, "interventionIds": []},
        "smartCharging": {"isCapable": True, "interventionIds": []},
    },
    "scopes": ["vehicle:control:charging", "vehicle:read:data", "vehicle:read:location"],
    "location": {
        "longitude": 10.7197486,
        "latitude": 59.9173985,
        "lastUpdated": "2024-01-07T17:04:26.000Z",
        "id": None,
    },
}

CHARGER: dict[str, Any] = {
    "id": "e7d4db80-4fca-4781-ac70-14108f560706",
    "userId": "bb28471e-cde6-4eff-ace4-9a7f4f50882a",
    "vendor": "ZAPTEC",
    "lastSeen": "2020-04-07T17:04:26Z",
    "isReachable": True,
    "chargeState": {
        "isPluggedIn": True,
        "isCharging": False,
        "chargeRate": None,
        "lastUpdated": "2020-04-07T17:04:26Z",
        "maxCurrent": 16,
        "powerDeliveryState": "PLUGGED_IN:STOPPED",
        "pluggedInVehicleId": None,
    },
    "capabilities": {
        "information": {"isCapable": True, "interventionIds": []},
        "chargeState": {"isCapable": True, "interventionIds": []},
        "startCharging": {"isCapable": True, "interventionIds": ["i-1"]},
        "stopCharging": {"isCapable": False, "interventionIds": ["i-1", "i-2"]},
        "setMaxCurrent": {"isCapable": True, "interventionIds": []},
    },
    "scopes": ["charger:control:charging", "charger:read:data"],
    "information": {"brand": "Zaptec", "model": "Home", "year": None, "serialNumber": "ZAP1"},
    "location": {"id": None, "lastUpdated": None},
}


def test_vehicle_from_dict() -> None:
    """A full vehicle payload maps to snake_case typed attributes."""
    vehicle = Vehicle.from_dict(VEHICLE)
    assert vehicle.id == VEHICLE["id"]
    assert vehicle.user_id == VEHICLE["userId"]
    assert vehicle.last_seen == datetime(2024, 1, 7, 17, 4, 26, tzinfo=UTC)
    assert vehicle.information.display_name == "Batmobile"
    assert vehicle.information.year == 2020
    assert vehicle.charge_state.battery_level == 66
    assert vehicle.charge_state.power_delivery_state is PowerDeliveryState.PLUGGED_IN_CHARGING
    assert vehicle.charge_state.plugged_in_charger_id is None
    assert vehicle.smart_charging_policy.is_enabled is False
    assert vehicle.odometer.distance == 65393
    assert vehicle.capabilities.start_charging.is_capable is True
    assert vehicle.capabilities.set_max_current.is_capable is False
    assert vehicle.location.latitude == pytest.approx(59.9173985)
    assert vehicle.location.id is None
    assert vehicle.all_intervention_ids() == []
    assert Vehicle.asset_type == "vehicle"


def test_round_trip_uses_wire_names() -> None:
    """to_dict produces the camelCase wire payload, which parses back to an equal model."""
    vehicle = Vehicle.from_dict(VEHICLE)
    data = vehicle.to_dict()
    assert data["chargeState"]["powerDeliveryState"] == "PLUGGED_IN:CHARGING"
    assert data["information"]["displayName"] == "Batmobile"
    assert "wire_order" not in data["capabilities"]
    assert "__wire_order__" not in data["capabilities"]
    assert Vehicle.from_dict(data) == vehicle
    charger = Charger.from_dict(CHARGER)
    assert Charger.from_dict(charger.to_dict()) == charger


def test_unknown_enum_values_become_unknown() -> None:
    """Unknown enum values never raise: they become the UNKNOWN member."""
    data = {**VEHICLE, "chargeState": {**VEHICLE["chargeState"], "powerDeliveryState": "WARP"}}
    assert Vehicle.from_dict(data).charge_state.power_delivery_state is PowerDeliveryState.UNKNOWN
    action = ChargeAction.from_dict(
        {
            "id": "a",
            "state": "EXPLODED",
            "kind": "TELEPORT",
            "failureReason": {"type": "NEW_REASON", "detail": "x"},
        }
    )
    assert action.state is ActionState.UNKNOWN
    assert action.kind is ChargingAction.UNKNOWN
    assert action.failure_reason is not None
    assert action.failure_reason.type is FailureReasonType.UNKNOWN
    assert HvacMode("DEFROST") is HvacMode.UNKNOWN
    assert ResolutionAccess("Telepathic") is ResolutionAccess.UNKNOWN
    assert LinkingStatus(42) is LinkingStatus.UNKNOWN  # type: ignore[arg-type]


def test_extra_keys_ignored_and_missing_keys_default() -> None:
    """Extra keys are ignored; missing optional keys become None, [] or empty objects."""
    vehicle = Vehicle.from_dict({"id": "v", "brandNewField": {"a": 1}, "chargeState": {"x": 1}})
    assert vehicle.user_id is None
    assert vehicle.is_reachable is None
    assert vehicle.scopes == []
    assert vehicle.charge_state.battery_level is None
    assert vehicle.charge_state.power_delivery_state is PowerDeliveryState.UNKNOWN
    assert vehicle.capabilities.start_charging == Capability(is_capable=False, intervention_ids=[])
    assert vehicle.location.latitude is None
    assert vehicle.information.vin is None


def test_documented_nulls_accepted() -> None:
    """Every nullable field accepts null."""
    data = {
        **VEHICLE,
        "isReachable": None,
        "information": dict.fromkeys(VEHICLE["information"]),
        "chargeState": {
            **dict.fromkeys(VEHICLE["chargeState"]),
            "powerDeliveryState": "UNKNOWN",
        },
        "odometer": {"distance": None, "lastUpdated": None},
        "location": {"longitude": None, "latitude": None, "lastUpdated": None, "id": None},
    }
    vehicle = Vehicle.from_dict(data)
    assert vehicle.is_reachable is None
    assert vehicle.charge_state.is_fully_charged is None
    assert vehicle.information.vin is None


def test_missing_id_is_an_error() -> None:
    """The id of a resource is required."""
    with pytest.raises(Exception, match="id"):
        Vehicle.from_dict({"vendor": "TESLA"})


def test_intervention_ids_in_wire_order() -> None:
    """all_intervention_ids is unique and follows the order of the capabilities as returned."""
    charger = Charger.from_dict(CHARGER)
    assert charger.all_intervention_ids() == ["i-1", "i-2"]
    data = {
        "id": "v",
        "capabilities": {
            "stopCharging": {"isCapable": False, "interventionIds": ["c", "a"]},
            "chargeState": {"isCapable": True, "interventionIds": ["b"]},
            "startCharging": {"isCapable": False, "interventionIds": ["a", "d"]},
        },
    }
    vehicle = Vehicle.from_dict(data)
    assert vehicle.all_intervention_ids() == ["c", "a", "b", "d"]
    names = [name for name, _ in vehicle.capabilities.items()]
    assert names[:3] == ["stopCharging", "chargeState", "startCharging"]
    assert set(names) == {
        "information",
        "chargeState",
        "location",
        "odometer",
        "setMaxCurrent",
        "startCharging",
        "stopCharging",
        "smartCharging",
    }
    assert vehicle.capabilities.stop_charging.is_blocked is True
    assert vehicle.capabilities.charge_state.is_blocked is False
    assert vehicle.capabilities.odometer.is_blocked is False


def test_battery_inverter_meter_hvac() -> None:
    """The other asset types parse with their enums and helpers."""
    capability = {"isCapable": True, "interventionIds": []}
    battery = Battery.from_dict(
        {
            "id": "b",
            "userId": "u",
            "vendor": "TESLA",
            "lastSeen": "2024-05-01T10:00:00Z",
            "isReachable": True,
            "chargeState": {
                "status": "CHARGING",
                "batteryCapacity": 13.5,
                "batteryLevel": 80,
                "chargeRate": 2.5,
                "dischargeLimit": 10,
                "lastUpdated": None,
            },
            "config": {"operationMode": "SELF_RELIANCE", "lastUpdated": None},
            "information": {
                "id": "vendor-id",
                "brand": "Tesla",
                "model": "Powerwall",
                "siteName": "Home",
                "installationDate": "2023-01-01T00:00:00Z",
            },
            "capabilities": {
                "exportFocus": capability,
                "importFocus": capability,
                "timeOfUse": {"isCapable": False, "interventionIds": ["x"]},
                "selfReliance": capability,
                "idle": capability,
            },
            "scopes": ["battery:read:data"],
            "location": {"id": None, "longitude": 1.0, "latitude": 2.0, "lastUpdated": None},
            "hemSystemId": None,
        }
    )
    assert battery.charge_state.status is BatteryStatus.CHARGING
    assert battery.config.operation_mode is BatteryOperationMode.SELF_RELIANCE
    assert battery.information.site_name == "Home"
    assert battery.all_intervention_ids() == ["x"]
    cap = battery.capabilities.capability_for(BatteryOperationMode.TIME_OF_USE)
    assert cap is not None
    assert cap.is_capable is False
    assert battery.capabilities.capability_for(BatteryOperationMode.UNKNOWN) is None
    assert (
        Battery.from_dict({"id": "b", "chargeState": {"status": None}}).charge_state.status is None
    )

    inverter = Inverter.from_dict(
        {
            "id": "i",
            "productionState": {
                "productionRate": 3.2,
                "isProducing": True,
                "totalLifetimeProduction": 1000,
                "lastUpdated": None,
            },
            "timezone": "Europe/Oslo",
            "capabilities": {"productionState": capability, "productionStatistics": capability},
            "information": {"id": "x", "sn": None, "brand": "SMA", "model": "M"},
        }
    )
    assert inverter.production_state.production_rate == 3.2
    assert inverter.timezone == "Europe/Oslo"
    assert inverter.all_intervention_ids() == []

    meter = Meter.from_dict(
        {
            "id": "m",
            "energyState": {"power": -1.5, "lastUpdated": None},
            "capabilities": {"measuresConsumption": capability, "measuresProduction": capability},
        }
    )
    assert meter.energy_state.power == -1.5
    assert meter.capabilities.measures_production.is_capable is True
    assert meter.all_intervention_ids() == []

    hvac = Hvac.from_dict(
        {
            "id": "h",
            "consumptionRate": 0.4,
            "information": {
                "brand": "Tado",
                "model": None,
                "displayName": "Living room",
                "groupName": None,
                "category": "HEAT_PUMP",
            },
            "temperatureState": {"currentTemperature": 21.5, "isActive": True, "lastUpdated": None},
            "thermostatState": {
                "mode": "HEAT",
                "heatSetpoint": 22,
                "coolSetpoint": None,
                "holdType": "PERMANENT",
                "lastUpdated": None,
            },
            "capabilities": {
                "capableModes": ["HEAT", "OFF", "SUPERHEAT"],
                "coolSetpointRange": None,
                "heatSetpointRange": {"min": 5, "max": 30},
                "setpointDifferenceRange": None,
                "setFollowSchedule": capability,
                "setPermanentHold": {"isCapable": False, "interventionIds": ["h1"]},
            },
            "location": {"id": "loc"},
        }
    )
    assert hvac.information.category is HvacCategory.HEAT_PUMP
    assert hvac.thermostat_state.mode is HvacMode.HEAT
    assert hvac.thermostat_state.hold_type is HvacHoldType.PERMANENT
    assert hvac.capabilities.capable_modes == [HvacMode.HEAT, HvacMode.OFF, HvacMode.UNKNOWN]
    assert hvac.capabilities.heat_setpoint_range is not None
    assert hvac.capabilities.heat_setpoint_range.max == 30
    assert hvac.all_intervention_ids() == ["h1"]
    assert hvac.location.id == "loc"


def test_actions() -> None:
    """Action payloads map to the right action class."""
    base = {
        "id": "a",
        "userId": "u",
        "createdAt": "2024-01-01T00:00:00Z",
        "updatedAt": "2024-01-01T00:00:00Z",
        "completedAt": None,
        "state": "PENDING",
        "targetId": "t",
        "failureReason": None,
    }
    charge = action_from_dict({**base, "targetType": "vehicle", "kind": "START"})
    assert isinstance(charge, ChargeAction)
    assert charge.kind is ChargingAction.START
    assert charge.is_resolved is False
    max_current = action_from_dict(
        {**base, "targetType": "charger", "targetState": {"maxCurrent": 10}}
    )
    assert isinstance(max_current, MaxCurrentAction)
    assert max_current.target_state.max_current == 10
    mode = action_from_dict(
        {
            **base,
            "state": "FAILED",
            "targetState": {"operationMode": "IDLE"},
            "targetType": "battery",
        }
    )
    assert isinstance(mode, OperationModeAction)
    assert mode.target_state.operation_mode is BatteryOperationMode.IDLE
    assert mode.is_resolved is True
    assert replace(mode, state=ActionState.UNKNOWN).is_resolved is False
    hold = action_from_dict(
        {
            **base,
            "targetType": "hvac",
            "target": {
                "mode": "AUTO",
                "heatSetpoint": 19,
                "coolSetpoint": 24,
                "holdType": "PERMANENT",
            },
        }
    )
    assert isinstance(hold, HvacAction)
    assert hold.target.mode is HvacMode.AUTO
    assert (hold.target.heat_setpoint, hold.target.cool_setpoint) == (19, 24)
    assert hold.target.hold_type is HvacHoldType.PERMANENT
    assert not hold.follows_schedule
    schedule = action_from_dict({**base, "targetType": "hvac", "target": {"holdType": "SCHEDULED"}})
    assert isinstance(schedule, HvacAction)
    assert schedule.follows_schedule
    assert schedule.target.mode is None
    # A mode or hold type this client does not know is UNKNOWN, not an error.
    odd = action_from_dict(
        {**base, "targetType": "hvac", "target": {"mode": "DRY", "holdType": "TIMER"}}
    )
    assert isinstance(odd, HvacAction)
    assert odd.target.mode is HvacMode.UNKNOWN
    assert odd.target.hold_type is HvacHoldType.UNKNOWN
    unmodelled = action_from_dict({**base, "targetType": "teleporter"})
    assert type(unmodelled) is VendorAction


def test_intervention_integration_link_user_location_webhook() -> None:
    """The remaining resource models."""
    intervention = Intervention.from_dict(
        {
            "id": "i",
            "vendor": None,
            "vendorType": None,
            "brand": None,
            "introducedAt": "2023-03-16T00:00:00Z",
            "domain": "Account",
            "resolution": {
                "title": "Pair your phone key",
                "description": "Open the **app**",
                "access": "Physical",
                "agent": "User",
                "action": "Link",
            },
        }
    )
    assert intervention.domain is InterventionDomain.ACCOUNT
    assert intervention.resolution.access is ResolutionAccess.PHYSICAL
    assert intervention.resolution.agent is ResolutionAgent.USER
    assert intervention.resolution.action is ResolutionAction.LINK
    assert intervention.needs_relink is True
    no_action = Intervention.from_dict(
        {"id": "j", "domain": "Device", "resolution": {"agent": "ThirdParty", "action": None}}
    )
    assert no_action.needs_relink is False
    assert no_action.resolution.agent is ResolutionAgent.THIRD_PARTY

    integration = Integration.from_dict(
        {
            "vendor": "TESLA",
            "displayName": "Tesla",
            "assetTypes": ["vehicle", "charger"],
            "scopes": ["vehicle:read:data"],
            "status": "READY",
            "portalName": "Tesla",
            "linkingStatus": "ELEVATED_ERROR_RATE",
        }
    )
    assert integration.linking_status is LinkingStatus.ELEVATED_ERROR_RATE
    assert integration.asset_types == ["vehicle", "charger"]

    session = LinkSession.from_dict({"linkUrl": "https://link", "linkToken": "tok"})
    assert session.link_url == "https://link"

    user = User.from_dict(
        {
            "id": "u",
            "linkedVendors": [{"vendor": "TESLA", "vendorType": "vehicle", "isValid": False}],
        }
    )
    assert user.linked_vendors[0].is_valid is False
    assert user.linked_vendors[0].vendor_type == "vehicle"

    location = Location.from_dict(
        {
            "id": "l",
            "userId": "u",
            "name": "Home",
            "latitude": 59.9,
            "longitude": 10.7,
            "timezoneName": "Europe/Oslo",
            "createdAt": "2024-01-01T00:00:00Z",
        }
    )
    assert location.timezone_name == "Europe/Oslo"

    webhook = Webhook.from_dict(
        {
            "id": "w",
            "url": "https://example.com/hook",
            "events": ["*"],
            "lastSuccess": None,
            "isActive": True,
            "createdAt": "2024-01-01T00:00:00Z",
            "apiVersion": "2024-10-01",
            "authentication": {"headerName": "x-auth"},
        }
    )
    assert webhook.last_success is None
    assert webhook.authentication is not None
    assert webhook.authentication.header_name == "x-auth"

    result = WebhookTestResult.from_dict(
        {
            "status": "FAILURE",
            "description": "bad",
            "response": {"code": 500, "body": "", "headers": None},
        }
    )
    assert result.status is WebhookTestStatus.FAILURE
    assert result.response is not None
    assert result.response.code == 500


def test_scopes_for() -> None:
    """Link scopes for several asset types are unique and ordered."""
    assert scopes_for([AssetType.VEHICLE]) == [
        "vehicle:read:data",
        "vehicle:read:location",
        "vehicle:control:charging",
    ]
    scopes = scopes_for([AssetType.CHARGER, AssetType.CHARGER, AssetType.BATTERY])
    assert scopes == [
        "charger:read:data",
        "charger:control:charging",
        "battery:read:data",
        "battery:read:location",
        "battery:control:operation_mode",
    ]
    assert scopes_for([]) == []


def test_describe_model_error() -> None:
    """Deserialisation errors are described by field, without the value."""
    with pytest.raises(ValueError) as err:
        Vehicle.from_dict({"id": "v", "information": {"year": "VIN123"}})
    assert describe_model_error(err.value) == "field 'information' of Vehicle"
    assert describe_model_error(KeyError("x")) == "KeyError"


def test_exception_attributes_and_message() -> None:
    """Exceptions carry the problem and build a readable message."""
    err = EnodeError(status=404, problem_type="t", title="Not Found", detail="gone")
    assert str(err) == "404: Not Found: gone"
    assert (err.status, err.problem_type, err.title, err.detail) == (404, "t", "Not Found", "gone")
    assert str(EnodeError()) == "EnodeError"
    rate = EnodeRateLimitError(retry_after=12.5)
    assert rate.retry_after == 12.5
    assert rate.status == 429
    assert str(EnodeError("custom", status=500)) == "custom"
