"""Scenarios: JSON data files describing the client, vendor accounts, users and devices.

Format (every key optional unless noted)::

    {
      "description": "...",
      "extends": "demo",                      # start from another scenario, then override keys
      "client": {"id": "demo-client", "secret": "demo-secret"},
      "defaultUser": "demo-user",             # Simulator.user_id
      "settings": {"actionDelay": 5, "tokenLifetime": 3600, "linkSessionLifetime": 86400,
                   "geofenceRadius": 200, "maxUnpluggedFailures": 10, "historyDays": 0,
                   "hemResolution": "PT1H",
                   "tariff": {"currency": "EUR", "dayPrice": 0.3, "nightPrice": 0.1,
                              "nightStart": "22:00", "nightEnd": "06:00"}},
      "linkingStatus": {"EASEE": "OUTAGE"},
      "interventions": [ ...extra catalog entries, same shape as catalog.INTERVENTIONS... ],
      "vendorAccounts": [
        {"vendor": "TESLA", "username": "...", "password": "...", "devices": [<device>, ...]}
      ],
      "users": [{"id": "demo-user", "linkedAccounts": ["TESLA:username", ...] | "all"}],
      "locations": [{"id", "userId", "name", "latitude", "longitude", "timezoneName"}],
      "plugged": [{"vehicle": "<asset id>", "charger": "<asset id>|null", "charging": false}],
      "generate": {"vehicles": 20, "chargers": 20, ...}   # see generate_fleet()
    }

A device is ``{"id", "type", "vendor", ...}`` plus per-type state; see :func:`build_asset`.
"""

from __future__ import annotations

from collections.abc import Mapping
import copy
import json
from pathlib import Path
from typing import Any
import uuid

from .catalog import display_name
from .clock import iso
from .state import (
    CAPABILITIES,
    Asset,
    Capability,
    Settings,
    SimState,
    Tariff,
    VendorAccount,
)

type JSON = dict[str, Any]

SCENARIO_DIR = Path(__file__).parent / "scenarios"


def available_scenarios() -> list[str]:
    """Names of the bundled scenarios."""
    return sorted(path.stem for path in SCENARIO_DIR.glob("*.json"))


def load_scenario(scenario: str | Path | Mapping[str, Any]) -> JSON:
    """Resolve a scenario name, path or dict into a dict (``extends`` and ``generate`` applied)."""
    if isinstance(scenario, Mapping):
        data = copy.deepcopy(dict(scenario))
    else:
        path = Path(scenario)
        if not path.suffix and not path.exists():
            path = SCENARIO_DIR / f"{scenario}.json"
        if not path.is_file():
            raise ValueError(
                f"Unknown scenario {scenario!s}; bundled: {', '.join(available_scenarios())}"
            )
        data = json.loads(path.read_text(encoding="utf-8"))
    base_name = data.pop("extends", None)
    if base_name is not None:
        base = load_scenario(base_name)
        base.pop("description", None)
        data = base | data
    generate = data.pop("generate", None)
    if generate is not None:
        generated = generate_fleet(**generate)
        for key in ("vendorAccounts", "users", "plugged", "locations"):
            data[key] = list(data.get(key, [])) + generated[key]
        data.setdefault("defaultUser", generated["defaultUser"])
    return data


def apply_scenario(state: SimState, data: Mapping[str, Any]) -> None:
    """Reset ``state`` and load a (resolved) scenario into it. No events are emitted."""
    state.reset()
    client = data.get("client", {})
    state.client_id = str(client.get("id", "demo-client"))
    state.client_secret = str(client.get("secret", "demo-secret"))
    settings = data.get("settings", {})
    state.settings = Settings(
        action_delay=float(settings.get("actionDelay", 5.0)),
        token_lifetime=float(settings.get("tokenLifetime", 3600.0)),
        link_session_lifetime=float(settings.get("linkSessionLifetime", 24 * 3600.0)),
        geofence_radius_m=float(settings.get("geofenceRadius", 200.0)),
        max_unplugged_failures=int(settings.get("maxUnpluggedFailures", 10)),
        tariff=Tariff.from_spec(settings.get("tariff", {})),
        history_days=float(settings.get("historyDays", 0)),
        hem_resolution=str(settings.get("hemResolution", "PT1H")),
    )
    if state.settings.hem_resolution not in ("PT15M", "PT30M", "PT1H"):
        raise ValueError("settings.hemResolution must be PT15M, PT30M or PT1H")
    for entry in data.get("interventions", []):
        state.interventions[entry["id"]] = copy.deepcopy(entry)
    for vendor, status in data.get("linkingStatus", {}).items():
        state.set_linking_status(vendor, status)
    for spec in data.get("vendorAccounts", []):
        devices = []
        for device in spec.get("devices", []):
            item = copy.deepcopy(device)
            item.setdefault("vendor", spec["vendor"])
            item.setdefault("id", str(uuid.uuid4()))
            devices.append(item)
        state.vendor_accounts.append(
            VendorAccount(
                vendor=spec["vendor"],
                username=spec["username"],
                password=spec.get("password", "password"),
                devices=devices,
            )
        )
    users = data.get("users", [])
    state.default_user_id = str(
        data.get("defaultUser") or (users[0]["id"] if users else "demo-user")
    )
    for location in data.get("locations", []):
        keys = ("name", "latitude", "longitude", "timezoneName")
        fields = {k: location[k] for k in keys if k in location}
        state.create_location(location["userId"], fields, location_id=location.get("id"))
    for user in users:
        state.ensure_user(user["id"])
        linked = user.get("linkedAccounts", [])
        accounts = (
            state.vendor_accounts if linked == "all" else [_account(state, key) for key in linked]
        )
        for account in accounts:
            types = {device["type"] for device in account.devices}
            state.link_account(user["id"], account, types)
    for plug in data.get("plugged", []):
        state.plug_in(plug["vehicle"], plug.get("charger"), charging=bool(plug.get("charging")))
    state.settle_energy()
    state.mark_rendered()
    state.events.clear()


def _account(state: SimState, key: str) -> VendorAccount:
    vendor, _, username = key.partition(":")
    account = state.find_vendor_account(vendor, username)
    if account is None:
        raise ValueError(f"Scenario links unknown vendor account {key!r}")
    return account


def _caps(asset_type: str, spec: Mapping[str, Any]) -> dict[str, Capability]:
    return {name: Capability.from_spec(spec.get(name, True)) for name in CAPABILITIES[asset_type]}


def build_asset(
    template: Mapping[str, Any],
    *,
    asset_id: str,
    user_id: str,
    template_id: str,
    account: str | None,
    scopes: list[str],
    now: float,
) -> Asset:
    """Build an asset from a device template.

    Vehicle keys: ``information`` {brand, model, year, displayName, vin}, ``batteryLevel``,
    ``batteryCapacity`` (kWh), ``chargeLimit``, ``rangeKm`` (at 100 %), ``chargeRateKw``,
    ``reportsChargeRate``, ``maxCurrent``, ``gps`` {latitude, longitude} or null,
    ``odometer`` (km), ``smartChargingPolicy``. Charger keys: ``information`` {brand, model,
    year, serialNumber}, ``chargeRateKw``, ``maxCurrent``, ``locationId``. Both: ``isPluggedIn``
    (into an unknown counterpart), ``isCharging``, ``plugReportDelay`` (simulated seconds until
    the device reports a plug-in; a paired charger's report counts for the vehicle too).
    Battery/inverter/meter/HVAC: their wire objects (``chargeState``, ``config``,
    ``productionState``, ``energyState``, ``temperatureState``, ``thermostatState``,
    ``location``, ``timezone``...) verbatim, plus what the physics needs (see
    :func:`_energy_parameters`); an HVAC's ``capabilities`` may give ``capableModes`` and the
    setpoint ranges too.
    Every type: ``capabilities`` {name: bool | {isCapable, interventionIds}} (default capable),
    ``isReachable``, ``scheduleControlled``.
    """
    asset_type = str(template["type"])
    vendor = str(template["vendor"])
    brand = display_name(vendor)
    info = copy.deepcopy(dict(template.get("information", {})))
    asset = Asset(
        id=asset_id,
        type=asset_type,
        user_id=user_id,
        vendor=vendor,
        template_id=template_id,
        account=account,
        created_at=now,
        last_seen=now,
        information=info,
        capabilities=_caps(asset_type, template.get("capabilities", {})),
        scopes=scopes,
        reachable=bool(template.get("isReachable", True)),
        schedule_controlled=bool(template.get("scheduleControlled", False)),
    )
    if asset_type in ("vehicle", "charger"):
        asset.plugged = bool(template.get("isPluggedIn", False))
        asset.plug_report_delay = float(template.get("plugReportDelay", 0))
        asset.charging = asset.plugged and bool(template.get("isCharging", False))
        default_rate = 7.4 if asset_type == "vehicle" else 11.0
        asset.charge_rate_kw = float(template.get("chargeRateKw", default_rate))
        asset.max_current = template.get("maxCurrent", 16.0 if asset_type == "charger" else None)
        asset.charge_updated = now
    if asset_type == "vehicle":
        asset.information = {
            "vin": info.get("vin"),
            "brand": info.get("brand", brand),
            "model": info.get("model"),
            "year": info.get("year"),
            "displayName": info.get("displayName"),
        }
        asset.battery_level = float(template.get("batteryLevel", 50))
        asset.battery_capacity = float(template.get("batteryCapacity", 60))
        asset.charge_limit = float(template.get("chargeLimit", 100))
        asset.full_range_km = float(template.get("rangeKm", 400))
        asset.reports_charge_rate = bool(template.get("reportsChargeRate", True))
        gps = template.get("gps")
        if gps:
            asset.gps = True
            asset.latitude = float(gps["latitude"])
            asset.longitude = float(gps["longitude"])
            asset.location_updated = now
        odometer = template.get("odometer")
        asset.odometer_km = float(odometer) if odometer is not None else None
        if "smartChargingPolicy" in template:
            # Keys it leaves out keep their defaults (off, no deadline, minimum 0).
            asset.smart_charging_policy.update(copy.deepcopy(template["smartChargingPolicy"]))
    elif asset_type == "charger":
        asset.information = {
            "brand": info.get("brand", brand),
            "model": info.get("model", f"{brand} charger"),
            "year": info.get("year"),
            "serialNumber": info.get("serialNumber", template_id[:12].upper()),
        }
        asset.location_id = template.get("locationId")
        asset.location_id_updated = now if asset.location_id else None
    else:
        asset.extra = _default_extra(asset_type, template, now)
        asset.information = asset.extra.pop("information")
        _energy_parameters(asset, template)
    return asset


def _energy_parameters(asset: Asset, template: Mapping[str, Any]) -> None:
    """What the home-energy physics needs beyond the wire objects (``state/energy.py``).

    Battery: ``maxPowerKw`` (default 5). Inverter: ``peakPowerKw`` (default 6). Meter:
    ``baseLoadKw``, the household's base load (default 0.4). HVAC: ``ratedPowerKw`` while active
    (default 1.5; a unit whose ``consumptionRate`` is null does not report its consumption),
    ``schedule`` {``mode``, ``comfortHours``: [from, to], ``heat``/``cool``: {comfort, eco}}.
    """
    extra = asset.extra
    if asset.type == "battery":
        state = extra["chargeState"]
        asset.battery_level = float(state.get("batteryLevel") or 0)
        asset.battery_capacity = float(state.get("batteryCapacity") or 0)
        asset.rated_power_kw = float(template.get("maxPowerKw", 5.0))
    elif asset.type == "inverter":
        production = extra["productionState"]
        asset.lifetime_kwh = float(production.get("totalLifetimeProduction") or 0)
        asset.rated_power_kw = float(template.get("peakPowerKw", 6.0))
    elif asset.type == "meter":
        asset.rated_power_kw = float(template.get("baseLoadKw", 0.4))
    elif asset.type == "hvac":
        asset.location_id = template.get("locationId")
        current = extra["temperatureState"].get("currentTemperature")
        asset.temperature = float(current) if current is not None else 20.0
        reports = extra.get("consumptionRate") is not None
        asset.rated_power_kw = float(template.get("ratedPowerKw", 1.5)) if reports else 0.0
        asset.schedule = copy.deepcopy(dict(template.get("schedule", {})))


def _default_extra(asset_type: str, template: Mapping[str, Any], now: float) -> JSON:
    stamp = iso(now)
    brand = display_name(str(template["vendor"]))
    info = dict(template.get("information", {}))
    location = {"id": None, "longitude": None, "latitude": None, "lastUpdated": None} | dict(
        template.get("location", {})
    )
    site = {
        "id": info.get("id", str(template.get("id", ""))[:8]),
        "brand": info.get("brand", brand),
        "model": info.get("model", f"{brand} {asset_type}"),
        "siteName": info.get("siteName", "Home"),
        "installationDate": info.get("installationDate", "2023-05-01T00:00:00.000Z"),
    }
    if asset_type == "battery":
        return {
            "chargeState": {
                "status": "IDLE",
                "batteryCapacity": 13.5,
                "batteryLevel": 50,
                "chargeRate": 0,
                "dischargeLimit": 10,
                "lastUpdated": stamp,
            }
            | dict(template.get("chargeState", {})),
            "config": {"operationMode": "SELF_RELIANCE", "lastUpdated": stamp}
            | dict(template.get("config", {})),
            "information": site,
            "location": location,
            "hemSystemId": template.get("hemSystemId"),
        }
    if asset_type == "inverter":
        return {
            "productionState": {
                "productionRate": 3.2,
                "isProducing": True,
                "totalLifetimeProduction": 12500.0,
                "lastUpdated": stamp,
            }
            | dict(template.get("productionState", {})),
            "timezone": template.get("timezone", "Europe/Oslo"),
            "information": site | {"sn": info.get("sn")},
            "location": location,
            "hemSystemId": template.get("hemSystemId"),
        }
    if asset_type == "meter":
        site.pop("id")
        return {
            "information": site,
            "energyState": {"power": 1.2, "lastUpdated": stamp}
            | dict(template.get("energyState", {})),
            "location": location,
            "hemSystemId": template.get("hemSystemId"),
        }
    # hvac
    return {
        "consumptionRate": template.get("consumptionRate", 0.8),
        "information": {
            "brand": info.get("brand", brand),
            "model": info.get("model"),
            "displayName": info.get("displayName", "Living room"),
            "groupName": info.get("groupName"),
            "category": info.get("category", "HEATING"),
        },
        "temperatureState": {"currentTemperature": 21.0, "isActive": True, "lastUpdated": stamp}
        | dict(template.get("temperatureState", {})),
        "thermostatState": {
            "mode": "HEAT",
            "heatSetpoint": 21.0,
            "coolSetpoint": None,
            "holdType": "SCHEDULED",
            "lastUpdated": stamp,
        }
        | dict(template.get("thermostatState", {})),
        "capabilities": {
            "capableModes": ["HEAT", "OFF"],
            "coolSetpointRange": {"min": None, "max": None},
            "heatSetpointRange": {"min": 5, "max": 30},
            "setpointDifferenceRange": {"min": None, "max": None},
        }
        | {
            key: copy.deepcopy(value)
            for key, value in dict(template.get("capabilities", {})).items()
            if key in _HVAC_RANGES
        },
    }


# The HVAC capabilities that are not ``{isCapable, interventionIds}`` (verbatim in templates).
_HVAC_RANGES = frozenset(
    {"capableModes", "coolSetpointRange", "heatSetpointRange", "setpointDifferenceRange"}
)


_FLEET_VEHICLE_VENDORS = ("TESLA", "VOLKSWAGEN", "KIA", "BMW", "POLESTAR")
_FLEET_CHARGER_VENDORS = ("ZAPTEC", "EASEE", "WALLBOX")


def generate_fleet(
    vehicles: int = 0,
    chargers: int = 0,
    batteries: int = 0,
    inverters: int = 0,
    meters: int = 0,
    hvacs: int = 0,
    *,
    user_id: str = "fleet-user",
    linked: bool = True,
) -> JSON:
    """A scenario fragment with many devices (for pagination and scale tests).

    Device ids are deterministic (``fleet-vehicle-0001`` ...). One vendor account per asset type
    (username ``fleet-<type>``, password ``fleet``); with ``linked`` the user has them all.
    """
    counts = {
        "vehicle": vehicles,
        "charger": chargers,
        "battery": batteries,
        "inverter": inverters,
        "meter": meters,
        "hvac": hvacs,
    }
    vendors = {
        "vehicle": _FLEET_VEHICLE_VENDORS,
        "charger": _FLEET_CHARGER_VENDORS,
        "battery": ("TESLA",),
        "inverter": ("FRONIUS",),
        "meter": ("SOLAREDGE",),
        "hvac": ("TADO",),
    }
    accounts: dict[str, JSON] = {}
    for asset_type, count in counts.items():
        for index in range(count):
            vendor = vendors[asset_type][index % len(vendors[asset_type])]
            key = f"{vendor}:fleet-{asset_type}"
            account = accounts.setdefault(
                key,
                {
                    "vendor": vendor,
                    "username": f"fleet-{asset_type}",
                    "password": "fleet",
                    "devices": [],
                },
            )
            device: JSON = {
                "id": f"fleet-{asset_type}-{index + 1:04d}",
                "type": asset_type,
                "vendor": vendor,
            }
            if asset_type == "vehicle":
                device |= {
                    "information": {
                        "displayName": f"Fleet car {index + 1}",
                        "model": "Fleet model",
                        "year": 2023,
                        "vin": f"FLEET{index + 1:012d}",
                    },
                    "batteryLevel": 20 + (index * 7) % 70,
                    "batteryCapacity": 64,
                }
            elif asset_type == "charger":
                device["information"] = {"serialNumber": f"FLEET-CH-{index + 1:04d}"}
            account["devices"].append(device)
    return {
        "defaultUser": user_id,
        "vendorAccounts": list(accounts.values()),
        "users": [{"id": user_id, "linkedAccounts": list(accounts) if linked else []}],
        "plugged": [],
        "locations": [],
    }
