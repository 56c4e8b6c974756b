"""A user's Locations (``/locations``) and where assets are: charging locations and the geofence.

Creating, changing and deleting Locations, assigning one to a charger (or HVAC), and finding the
Location a position lies in belong here. Where a *vehicle* is inferred to be is pairing's
question (an active pair's charger wins), answered with :meth:`LocationsMixin.nearest_location_id`.
"""

from __future__ import annotations

import math
import uuid

from .base import StateBase
from .errors import bad_request, not_found
from .model import JSON, Asset

EARTH_RADIUS_M = 6_371_000.0


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi = phi2 - phi1
    dlambda = math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(a))


class LocationsMixin(StateBase):
    """Locations and the assets placed at them."""

    def nearest_location_id(self, user_id: str, latitude: float, longitude: float) -> str | None:
        """The user's nearest Location within the geofence radius of a position, if any."""
        best: tuple[float, str] | None = None
        for location in self.locations.values():
            if location["userId"] != user_id:
                continue
            meters = distance_m(latitude, longitude, location["latitude"], location["longitude"])
            if meters <= self.settings.geofence_radius_m and (best is None or meters < best[0]):
                best = (meters, location["id"])
        return best[1] if best else None

    def get_location(self, location_id: str) -> JSON:
        """A location or a 404."""
        location = self.locations.get(location_id)
        if location is None:
            raise not_found("Location not found.")
        return location

    def create_location(self, user_id: str, fields: JSON, location_id: str | None = None) -> JSON:
        """Create a location (fields already validated)."""
        self.ensure_user(user_id)
        location: JSON = {
            "id": location_id or str(uuid.uuid4()),
            "userId": user_id,
            "timezoneName": "UTC",
            "createdAt": self.now(),
        } | fields
        self.locations[location["id"]] = location
        self._changed()
        return location

    def update_location(self, location_id: str, fields: JSON) -> JSON:
        """Update a location (fields already validated)."""
        location = self.get_location(location_id)
        location.update(fields)
        self._changed()
        return location

    def delete_location(self, location_id: str) -> JSON:
        """Delete a location; chargers that used it lose their location."""
        location = self.get_location(location_id)
        del self.locations[location_id]
        for asset in self.assets.values():
            if asset.location_id == location_id:
                asset.location_id = None
                asset.location_id_updated = self.now()
        self._changed()
        return location

    def set_asset_location(self, asset_id: str, asset_type: str, location_id: str | None) -> Asset:
        """``PUT /chargers/{id}`` (and HVACs) with ``locationId``."""
        asset = self.get_asset(asset_id, asset_type)
        if location_id is not None:
            location = self.locations.get(location_id)
            if location is None or location["userId"] != asset.user_id:
                raise bad_request("Location not found.")
        asset.location_id = location_id
        asset.location_id_updated = self.now()
        self._changed()
        return asset
