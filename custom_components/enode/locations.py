"""Charging locations: assign a charger to an Enode Location (a place with coordinates).

Used by the ``enode.set_charging_location`` action and by the options flow. A place is Home
Assistant's home, another zone, explicit coordinates, or a Location that already exists at Enode.
A Location that already exists at the place is reused (whatever its name), so setting the same
place again does not add Locations; a new one is named after the place's zone, or the name given.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from homeassistant.const import ATTR_LATITUDE, ATTR_LONGITUDE
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers.selector import SelectOptionDict
from homeassistant.util.location import distance

from .api import Location
from .const import DOMAIN
from .models import EnodeConfigEntry
from .texts import async_texts

HOME_ZONE = "zone.home"
LOCATION_PREFIX = "location:"
# A Location closer than this to a place is the place (a charger's spot; Enode's geofence for GPS
# vehicles is 200 m).
SAME_PLACE_METERS = 25.0
ZONE_DOMAIN = "zone"
ATTR_RADIUS = "radius"


class LocationError(ServiceValidationError):
    """The charging location could not be set; ``key`` is the translation (and form error) key."""

    def __init__(self, key: str, placeholders: dict[str, str]) -> None:
        """Initialize the error."""
        super().__init__(
            translation_domain=DOMAIN,
            translation_key=key,
            translation_placeholders=placeholders,
        )
        self.key = key


@dataclass(frozen=True, kw_only=True)
class Place:
    """Where a charging location should be: a name, coordinates and a time zone.

    Without a name, an existing Location at the place can still be reused; a new one cannot be
    created.
    """

    name: str | None
    latitude: float
    longitude: float
    timezone_name: str


def zone_place(hass: HomeAssistant, zone: str) -> Place:
    """Return the place of a zone (``zone.home`` is Home Assistant's home).

    Raises ``LocationError`` when the zone does not exist or has no coordinates.
    """
    if zone == HOME_ZONE:
        return Place(
            name=hass.config.location_name,
            latitude=hass.config.latitude,
            longitude=hass.config.longitude,
            timezone_name=hass.config.time_zone,
        )
    state = hass.states.get(zone)
    if (
        state is None
        or state.attributes.get(ATTR_LATITUDE) is None
        or state.attributes.get(ATTR_LONGITUDE) is None
    ):
        raise LocationError("zone_not_found", {"zone": zone})
    return Place(
        name=state.name,
        latitude=float(state.attributes[ATTR_LATITUDE]),
        longitude=float(state.attributes[ATTR_LONGITUDE]),
        timezone_name=hass.config.time_zone,
    )


def zone_name_at(hass: HomeAssistant, latitude: float, longitude: float) -> str | None:
    """Return the name of the zone a point is in (the smallest one that contains it), if any."""
    found: tuple[float, str] | None = None
    for state in hass.states.async_all(ZONE_DOMAIN):
        lat = state.attributes.get(ATTR_LATITUDE)
        lon = state.attributes.get(ATTR_LONGITUDE)
        radius = state.attributes.get(ATTR_RADIUS)
        if lat is None or lon is None or radius is None:
            continue
        meters = distance(latitude, longitude, float(lat), float(lon))
        inside = meters is not None and meters <= float(radius)
        if inside and (found is None or float(radius) < found[0]):
            found = (float(radius), state.name)
    return found[1] if found else None


def _meters(location: Location, place: Place) -> float | None:
    """Return how far an existing Location is from a place (None without coordinates)."""
    if location.latitude is None or location.longitude is None:
        return None
    return distance(location.latitude, location.longitude, place.latitude, place.longitude)


def location_at(locations: Iterable[Location], place: Place) -> Location | None:
    """Return the existing Location at a place (the closest within SAME_PLACE_METERS), if any."""
    near = [
        (meters, location)
        for location in locations
        if (meters := _meters(location, place)) is not None and meters <= SAME_PLACE_METERS
    ]
    return min(near, key=lambda item: item[0])[1] if near else None


async def async_assign_charging_location(
    hass: HomeAssistant,
    entry: EnodeConfigEntry,
    charger_id: str,
    *,
    choice: str | None = None,
    place: Place | None = None,
) -> Location:
    """Assign a charger to an Enode Location (``PUT /chargers/{id}``) and refresh.

    ``choice`` is ``location:<id>`` (an existing Location) or a zone entity id; ``place`` gives
    explicit coordinates. A Location at the place is reused, otherwise one is created with the
    place's name. Raises ``LocationError`` (``name_required`` when a new Location would have no
    name) and the client's errors.
    """
    client = entry.runtime_data.client
    coordinator = entry.runtime_data.coordinator
    locations = await client.list_locations(coordinator.user_id)
    location: Location | None = None
    if choice is not None and choice.startswith(LOCATION_PREFIX):
        location_id = choice.removeprefix(LOCATION_PREFIX)
        location = next((item for item in locations if item.id == location_id), None)
        if location is None:
            raise LocationError("location_not_found", {"location_id": location_id})
    else:
        if place is None:
            place = zone_place(hass, choice or HOME_ZONE)
        location = location_at(locations, place)
        if location is None:
            if not place.name:
                raise LocationError("name_required", {})
            location = await client.create_location(
                coordinator.user_id,
                name=place.name,
                latitude=place.latitude,
                longitude=place.longitude,
                timezone_name=place.timezone_name,
            )
    await client.update_charger(charger_id, location_id=location.id)
    await coordinator.async_refresh()
    return location


async def async_location_choices(
    hass: HomeAssistant, locations: Iterable[Location]
) -> list[SelectOptionDict]:
    """Return the charging location choices: home, the other zones, existing Locations.

    Each label names the place and says what it is (translated: "Cabin (zone)").
    """
    texts = await async_texts(hass)
    options = [
        SelectOptionDict(
            value=HOME_ZONE,
            label=texts.common("location_home", name=hass.config.location_name),
        )
    ]
    for state in sorted(hass.states.async_all("zone"), key=lambda state: state.name):
        if state.entity_id != HOME_ZONE:
            options.append(
                SelectOptionDict(
                    value=state.entity_id, label=texts.common("location_zone", name=state.name)
                )
            )
    options.extend(
        SelectOptionDict(
            value=f"{LOCATION_PREFIX}{location.id}",
            label=texts.common("location_enode", name=location.name or location.id),
        )
        for location in locations
    )
    return options
