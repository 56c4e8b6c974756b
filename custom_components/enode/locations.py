"""Charging locations: assign a charger to an Enode Location (a place with coordinates).

Used by the ``enode.set_charging_location`` action and by the options flow. A place is Home
Assistant's home, another zone, explicit coordinates, or a Location that already exists at Enode.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from homeassistant.const import ATTR_LATITUDE, ATTR_LONGITUDE
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers.selector import SelectOptionDict

from .api import Location
from .const import DOMAIN
from .models import EnodeConfigEntry
from .texts import async_texts

HOME_ZONE = "zone.home"
LOCATION_PREFIX = "location:"
# Two Locations closer than this (in degrees, about 10 m) with the same name are the same.
SAME_PLACE_DEGREES = 1e-4


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
    """Where a charging location should be: a name, coordinates and a time zone."""

    name: str
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
    explicit coordinates. A Location with the same name at the same place is reused, otherwise
    one is created. Raises ``LocationError`` and the client's errors.
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
        location = next((item for item in locations if _same_place(item, place)), None)
        if location is None:
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


def _same_place(location: Location, place: Place) -> bool:
    """Return whether an existing Location is the place (same name, about the same spot)."""
    return (
        location.name == place.name
        and location.latitude is not None
        and location.longitude is not None
        and abs(location.latitude - place.latitude) < SAME_PLACE_DEGREES
        and abs(location.longitude - place.longitude) < SAME_PLACE_DEGREES
    )


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
