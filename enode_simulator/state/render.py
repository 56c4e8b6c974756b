"""The wire view: assets, users and locations as the API returns them.

``render_*`` compute the JSON Enode would return from the model, every time, so derived values
(EV charger pairing, location inference, charge-rate fallback) are always consistent; they do
not change the state. :func:`changed_fields` diffs two wire objects for ``updatedFields``. How a
new asset type, or a new field of one, looks on the wire belongs here; what it *means* (pairing,
actions) belongs to its concern, which the renderer asks.
"""

from __future__ import annotations

import copy
from typing import Any

from ..clock import iso
from .base import StateBase
from .model import JSON, Asset, User, render_capabilities


def changed_fields(old: Any, new: Any, prefix: str = "") -> list[str]:
    """Dotted paths of the leaves that differ (``chargeState.batteryLevel``)."""
    if old == new:
        return []
    if isinstance(old, dict) and isinstance(new, dict):
        fields: list[str] = []
        for key in list(old) + [k for k in new if k not in old]:
            path = f"{prefix}.{key}" if prefix else key
            if key not in old or key not in new:
                fields.append(path)
            else:
                fields.extend(changed_fields(old[key], new[key], path))
        return fields
    return [prefix]


def _power_delivery_state(asset: Asset, *, plugged: bool, complete: bool = False) -> str:
    """``powerDeliveryState`` of a vehicle or charger (``plugged``: as Enode has detected it;
    ``complete``: a vehicle at its limit)."""
    if not plugged:
        return "UNPLUGGED"
    if asset.charging:
        return "PLUGGED_IN:CHARGING"
    return "PLUGGED_IN:COMPLETE" if complete else "PLUGGED_IN:STOPPED"


class RenderMixin(StateBase):
    """Wire objects of assets, users and locations."""

    def render_asset(self, asset: Asset) -> JSON:
        """The wire object of an asset, with pairing applied."""
        base: JSON = {
            "id": asset.id,
            "userId": asset.user_id,
            "vendor": asset.vendor,
            "lastSeen": iso(asset.last_seen),
            "isReachable": asset.reachable,
        }
        if asset.type == "vehicle":
            return base | self._render_vehicle(asset)
        if asset.type == "charger":
            return base | self._render_charger(asset)
        body = base | copy.deepcopy(asset.extra)
        caps = render_capabilities(asset.granted_capabilities())
        if asset.type == "hvac":
            caps = copy.deepcopy(asset.extra.get("capabilities", {})) | caps
            body["location"] = {"id": asset.location_id}
        body["information"] = copy.deepcopy(asset.information)
        body["capabilities"] = caps
        body["scopes"] = list(asset.scopes)
        return body

    def _render_vehicle(self, vehicle: Asset) -> JSON:
        active = self.active_partner(vehicle)
        plugged = self.detected_plugged(vehicle)
        charging = plugged and vehicle.charging
        level = vehicle.level
        rate: float | None = None
        if charging:
            session = self.session_rate(vehicle)
            if vehicle.reports_charge_rate or active is not None:
                rate = round(session, 2)
        remaining: int | None = None
        if charging and rate:
            to_go = max(0.0, vehicle.charge_limit - level) / 100 * vehicle.battery_capacity
            remaining = round(to_go / rate * 60)
        fully = level >= vehicle.charge_limit
        gps_ok = vehicle.gps and vehicle.capabilities["location"].capable
        return {
            "information": dict(vehicle.information),
            "chargeState": {
                "batteryLevel": level,
                "range": round(level / 100 * vehicle.full_range_km),
                "isPluggedIn": plugged,
                "isCharging": charging,
                "isFullyCharged": fully,
                "batteryCapacity": vehicle.battery_capacity,
                "chargeLimit": vehicle.charge_limit,
                "chargeRate": rate,
                "chargeTimeRemaining": remaining,
                "lastUpdated": iso(vehicle.charge_updated) if vehicle.charge_updated else None,
                "maxCurrent": vehicle.max_current,
                "powerDeliveryState": _power_delivery_state(
                    vehicle, plugged=plugged, complete=fully
                ),
                "pluggedInChargerId": active.id if active is not None else None,
            },
            "smartChargingPolicy": dict(vehicle.smart_charging_policy),
            "odometer": {
                "distance": vehicle.odometer_km,
                "lastUpdated": iso(vehicle.created_at) if vehicle.odometer_km is not None else None,
            },
            "capabilities": self.vehicle_capabilities(vehicle),
            "scopes": list(vehicle.scopes),
            "location": {
                "id": self.vehicle_location_id(vehicle),
                "latitude": vehicle.latitude if gps_ok else None,
                "longitude": vehicle.longitude if gps_ok else None,
                "lastUpdated": (
                    iso(vehicle.location_updated)
                    if gps_ok and vehicle.location_updated is not None
                    else None
                ),
            },
        }

    def _render_charger(self, charger: Asset) -> JSON:
        active = self.active_partner(charger)
        plugged = self.detected_plugged(charger)
        charging = plugged and charger.charging
        return {
            "chargeState": {
                "isPluggedIn": plugged,
                "isCharging": charging,
                "chargeRate": round(self.session_rate(charger), 2) if charging else None,
                "lastUpdated": iso(charger.charge_updated) if charger.charge_updated else None,
                "maxCurrent": charger.max_current,
                "powerDeliveryState": _power_delivery_state(charger, plugged=plugged),
                "pluggedInVehicleId": active.id if active is not None else None,
            },
            "capabilities": render_capabilities(charger.granted_capabilities()),
            "scopes": list(charger.scopes),
            "information": dict(charger.information),
            "location": {
                "id": charger.location_id,
                "lastUpdated": (
                    iso(charger.location_id_updated) if charger.location_id_updated else None
                ),
            },
        }

    def render_user(self, user: User) -> JSON:
        """``GET /users/{userId}``."""
        return {
            "id": user.id,
            "linkedVendors": [
                {"vendor": vendor, "vendorType": vendor_type, "isValid": valid}
                for (vendor, vendor_type), valid in user.vendors.items()
            ],
        }

    def render_location(self, location: JSON) -> JSON:
        """The wire LocationResponse."""
        return {
            "id": location["id"],
            "userId": location["userId"],
            "name": location["name"],
            "latitude": location["latitude"],
            "longitude": location["longitude"],
            "timezoneName": location["timezoneName"],
            "createdAt": iso(location["createdAt"]),
        }
