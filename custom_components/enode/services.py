"""Enode actions (services): link, relink, set charging location, refresh, set smart charging.

Registered once in ``async_setup``. Each validates its config entry or device and raises a
translated ``ServiceValidationError`` for bad input; Enode's failures go through the one error
translator (``helpers.translate_error``), as the entities' commands do: rejected credentials start
reauthentication, a 429 says when to try again, a 5xx says that Enode is unavailable.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, time, timedelta

from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import ATTR_DEVICE_ID, ATTR_LATITUDE, ATTR_LONGITUDE, ATTR_NAME
from homeassistant.core import (
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
    callback,
)
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import config_validation as cv, device_registry as dr
from homeassistant.helpers.network import NoURLAvailableError
from homeassistant.util import dt as dt_util
from homeassistant.util.hass_dict import HassKey
import voluptuous as vol

from .api import Asset, AssetType, Charger, EnodeError, LinkingStatus, Vehicle
from .const import DOMAIN
from .entity import device_name
from .helpers import translate_error
from .link import LinkRequest, LinkSessionRequest, LinkTarget, RelinkRequest, async_start_link
from .link_flow import vendors_supporting
from .locations import (
    HOME_ZONE,
    LOCATION_PREFIX,
    Place,
    async_assign_charging_location,
    zone_name_at,
    zone_place,
)
from .models import EnodeConfigEntry, EnodeData
from .smart_charging import (
    async_update_policy,
    current_plan,
    estimated_savings,
    plan_start,
    smart_state,
)
from .texts import async_texts

SERVICE_LINK = "link"
SERVICE_RELINK = "relink"
SERVICE_SET_CHARGING_LOCATION = "set_charging_location"
SERVICE_REFRESH = "refresh"
SERVICE_SET_SMART_CHARGING = "set_smart_charging"

ATTR_CONFIG_ENTRY_ID = "config_entry_id"
ATTR_ASSET_TYPES = "asset_types"
ATTR_VENDOR = "vendor"
ATTR_ZONE = "zone"
ATTR_LOCATION_ID = "location_id"
ATTR_ENABLED = "enabled"
ATTR_DEADLINE = "deadline"
ATTR_MINIMUM_CHARGE_LIMIT = "minimum_charge_limit"

# A refresh hint asks Enode to poll the vendor: at most one per device per this many seconds.
REFRESH_MIN_INTERVAL = timedelta(seconds=60)

# When each device was last asked to refresh, by asset id.
DATA_REFRESH_HINTS: HassKey[dict[str, datetime]] = HassKey(f"{DOMAIN}_refresh_hints")

LINK_SCHEMA = vol.Schema(
    {
        vol.Required(ATTR_CONFIG_ENTRY_ID): cv.string,
        vol.Required(ATTR_ASSET_TYPES): vol.All(
            cv.ensure_list, vol.Length(min=1), [vol.Coerce(AssetType)]
        ),
        vol.Optional(ATTR_VENDOR): cv.string,
    }
)
DEVICE_SCHEMA = vol.Schema({vol.Required(ATTR_DEVICE_ID): cv.string})
SET_CHARGING_LOCATION_SCHEMA = vol.Schema(
    {
        vol.Required(ATTR_DEVICE_ID): cv.string,
        # One of: a zone, an existing Location, or coordinates (checked by the action, so that
        # the error is translated); none means Home Assistant's home.
        vol.Optional(ATTR_ZONE): cv.entity_domain("zone"),
        vol.Optional(ATTR_LOCATION_ID): cv.string,
        vol.Inclusive(ATTR_LATITUDE, "coordinates"): cv.latitude,
        vol.Inclusive(ATTR_LONGITUDE, "coordinates"): cv.longitude,
        vol.Optional(ATTR_NAME): cv.string,
    }
)


SET_SMART_CHARGING_SCHEMA = vol.Schema(
    {
        vol.Required(ATTR_DEVICE_ID): cv.string,
        vol.Optional(ATTR_ENABLED): cv.boolean,
        vol.Optional(ATTR_DEADLINE): cv.time,
        vol.Optional(ATTR_MINIMUM_CHARGE_LIMIT): vol.All(
            vol.Coerce(float), vol.Range(min=0, max=100)
        ),
    }
)


def _validation_error(key: str, **placeholders: str) -> ServiceValidationError:
    """Return a translated validation error."""
    return ServiceValidationError(
        translation_domain=DOMAIN,
        translation_key=key,
        translation_placeholders=placeholders or None,
    )


def _loaded_entry(hass: HomeAssistant, entry_id: str) -> EnodeConfigEntry:
    """Return a loaded Enode config entry, or raise a validation error."""
    entry = hass.config_entries.async_get_entry(entry_id)
    if entry is None or entry.domain != DOMAIN:
        raise _validation_error("entry_not_found", entry_id=entry_id)
    if entry.state is not ConfigEntryState.LOADED:
        raise _validation_error("entry_not_loaded", title=entry.title)
    loaded: EnodeConfigEntry = entry
    return loaded


def _device_asset(hass: HomeAssistant, device_id: str) -> tuple[EnodeConfigEntry, Asset]:
    """Return the loaded entry and the asset of an Enode device, or raise a validation error."""
    device = dr.async_get(hass).async_get(device_id)
    asset_ids = (
        [identifier for domain, identifier in device.identifiers if domain == DOMAIN]
        if device is not None
        else []
    )
    if device is None or not asset_ids:
        raise _validation_error("device_not_enode", device_id=device_id)
    entries = [
        entry
        for entry_id in device.config_entries
        if (entry := hass.config_entries.async_get_entry(entry_id)) is not None
        and entry.domain == DOMAIN
    ]
    for entry in entries:
        loaded = _loaded_entry(hass, entry.entry_id)
        asset = loaded.runtime_data.coordinator.data.asset(asset_ids[0])
        if asset is not None:
            return loaded, asset
    raise _validation_error("device_not_linked", device=device.name_by_user or device.name or "")


async def _async_start_link(
    hass: HomeAssistant, entry: EnodeConfigEntry, request: LinkSessionRequest
) -> ServiceResponse:
    """Start a link or relink session for an entry; return the response of those actions.

    The session comes back to the entry (Link UI's callback refreshes it).
    """
    try:
        started = await async_start_link(
            hass,
            entry.runtime_data.client,
            request,
            target=LinkTarget.CONFIG_ENTRY,
            target_id=entry.entry_id,
        )
    except NoURLAvailableError as err:
        raise _validation_error("no_url_available") from err
    except EnodeError as err:
        # A session is about the account, not about one device (a relink's 400 is "already
        # linked"): the device-less texts.
        raise translate_error(hass, err, entry=entry) from err
    return {"link_url": started.link_url, "expires_at": started.expires_at.isoformat()}


async def _async_vendor(
    hass: HomeAssistant, entry: EnodeConfigEntry, given: str, asset_types: list[AssetType]
) -> str:
    """Return Enode's vendor for a brand given to ``enode.link``, as the config flow checks it.

    Case does not matter ("zaptec", "Zaptec", "ZAPTEC"); the brand must support every chosen
    device type and not be in an outage.
    """
    try:
        integrations = await entry.runtime_data.client.list_integrations()
    except EnodeError as err:
        raise translate_error(hass, err, entry=entry) from err
    wanted = given.strip().casefold()
    known = [
        integration
        for integration in integrations
        if wanted in (integration.vendor.casefold(), (integration.display_name or "").casefold())
    ]
    if not known:
        raise _validation_error("vendor_unknown", vendor=given)
    supporting = vendors_supporting(known, asset_types)
    if not supporting:
        texts = await async_texts(hass)
        raise _validation_error(
            "vendor_unsupported",
            vendor=known[0].display_name or known[0].vendor,
            asset_types=", ".join(texts.asset_type(str(asset_type)) for asset_type in asset_types),
        )
    integration = next(iter(supporting.values()))
    if integration.linking_status is LinkingStatus.OUTAGE:
        raise _validation_error("vendor_outage", vendor=integration.display_name or given)
    return integration.vendor


async def _async_link(call: ServiceCall) -> ServiceResponse:
    """Start a link session for a config entry (``enode.link``)."""
    entry = _loaded_entry(call.hass, call.data[ATTR_CONFIG_ENTRY_ID])
    chosen: list[AssetType] = call.data[ATTR_ASSET_TYPES]
    asset_types = [asset_type for asset_type in AssetType if asset_type in chosen]
    vendor: str | None = call.data.get(ATTR_VENDOR)
    if vendor:
        vendor = await _async_vendor(call.hass, entry, vendor, asset_types)
    request = LinkRequest(
        user_id=entry.runtime_data.coordinator.user_id,
        asset_types=asset_types,
        vendor=vendor or None,
    )
    return await _async_start_link(call.hass, entry, request)


async def _async_relink(call: ServiceCall) -> ServiceResponse:
    """Start a relink session for a device (``enode.relink``)."""
    entry, asset = _device_asset(call.hass, call.data[ATTR_DEVICE_ID])
    return await _async_start_link(call.hass, entry, RelinkRequest(asset_id=asset.id))


async def _async_set_charging_location(call: ServiceCall) -> ServiceResponse:
    """Assign a charger to a Location (``enode.set_charging_location``)."""
    entry, asset = _device_asset(call.hass, call.data[ATTR_DEVICE_ID])
    if not isinstance(asset, Charger):
        raise _validation_error("not_a_charger", device=device_name(asset))
    given = [key for key in (ATTR_ZONE, ATTR_LOCATION_ID, ATTR_LATITUDE) if key in call.data]
    if len(given) > 1 or (ATTR_LOCATION_ID in given and ATTR_NAME in call.data):
        raise _validation_error("conflicting_places")
    choice: str | None = None
    place: Place | None = None
    name: str | None = call.data.get(ATTR_NAME)
    try:
        if ATTR_LOCATION_ID in call.data:
            choice = f"{LOCATION_PREFIX}{call.data[ATTR_LOCATION_ID]}"
        elif ATTR_LATITUDE in call.data:
            latitude, longitude = call.data[ATTR_LATITUDE], call.data[ATTR_LONGITUDE]
            place = Place(
                # (a new Location is named after the zone it is in; elsewhere it needs a name)
                name=name or zone_name_at(call.hass, latitude, longitude),
                latitude=latitude,
                longitude=longitude,
                timezone_name=call.hass.config.time_zone,
            )
        else:
            place = zone_place(call.hass, call.data.get(ATTR_ZONE, HOME_ZONE))
            if name:
                place = replace(place, name=name)
        location = await async_assign_charging_location(
            call.hass, entry, asset.id, choice=choice, place=place
        )
    except EnodeError as err:
        raise translate_error(call.hass, err, entry=entry, device=device_name(asset)) from err
    return {"location_id": location.id, "name": location.name}


async def _async_refresh(call: ServiceCall) -> None:
    """Ask Enode to refresh a device from its vendor (``enode.refresh``), rate-guarded."""
    entry, asset = _device_asset(call.hass, call.data[ATTR_DEVICE_ID])
    hints = call.hass.data.setdefault(DATA_REFRESH_HINTS, {})
    now = dt_util.utcnow()
    if (last := hints.get(asset.id)) is not None and now - last < REFRESH_MIN_INTERVAL:
        wait = REFRESH_MIN_INTERVAL - (now - last)
        raise _validation_error(
            "refresh_too_soon",
            device=device_name(asset),
            seconds=f"{wait.total_seconds():.0f}",
        )
    try:
        await entry.runtime_data.client.refresh_hint(asset.asset_type, asset.id)
    except EnodeError as err:
        raise translate_error(call.hass, err, entry=entry, device=device_name(asset)) from err
    hints[asset.id] = now
    await entry.runtime_data.coordinator.async_request_refresh()


async def _async_set_smart_charging(call: ServiceCall) -> ServiceResponse:
    """Set a vehicle's smart charging policy (``enode.set_smart_charging``); return it and the
    plan Enode made."""
    entry, asset = _device_asset(call.hass, call.data[ATTR_DEVICE_ID])
    device = device_name(asset)
    if not isinstance(asset, Vehicle):
        raise _validation_error("not_a_vehicle", device=device)
    enabled: bool | None = call.data.get(ATTR_ENABLED)
    deadline: time | None = call.data.get(ATTR_DEADLINE)
    minimum: float | None = call.data.get(ATTR_MINIMUM_CHARGE_LIMIT)
    if enabled is None and deadline is None and minimum is None:
        raise _validation_error("smart_charging_nothing_to_set")
    coordinator = entry.runtime_data.coordinator
    limit = asset.charge_state.charge_limit
    if minimum is not None and limit is not None and minimum > limit:
        raise _validation_error(
            "minimum_charge_limit_too_high",
            device=device,
            minimum=f"{minimum:g}",
            limit=f"{limit:g}",
        )
    try:
        await async_update_policy(
            coordinator,
            asset,
            device,
            is_enabled=enabled,
            deadline=deadline.strftime("%H:%M") if deadline is not None else None,
            minimum_charge_limit=minimum,
            read_status=True,
        )
    except EnodeError as err:
        raise translate_error(call.hass, err, entry=entry, device=device) from err
    return _smart_charging_response(coordinator.data, asset.id)


def _smart_charging_response(data: EnodeData, vehicle_id: str) -> ServiceResponse:
    """Return a vehicle's policy, smart charging state and plan (JSON-safe)."""
    vehicle = data.vehicles[vehicle_id]
    policy = vehicle.smart_charging_policy
    plan = current_plan(data, vehicle)
    start = plan_start(plan) if plan is not None else None
    return {
        ATTR_ENABLED: bool(policy.is_enabled),
        ATTR_DEADLINE: policy.deadline,
        ATTR_MINIMUM_CHARGE_LIMIT: policy.minimum_charge_limit,
        "state": smart_state(vehicle, data),
        "plan": None
        if plan is None
        else {
            "start": start.isoformat() if start is not None else None,
            "end": end.isoformat() if (end := plan.estimated_finish_at) is not None else None,
            "estimated_cost": plan.smart_cost,
            "estimated_savings": estimated_savings(plan),
            "currency": plan.currency,
            "ended": plan.ended_at is not None,
        },
    }


@callback
def async_setup_services(hass: HomeAssistant) -> None:
    """Register the Enode actions."""
    hass.services.async_register(
        DOMAIN,
        SERVICE_LINK,
        _async_link,
        schema=LINK_SCHEMA,
        supports_response=SupportsResponse.ONLY,
    )
    hass.services.async_register(
        DOMAIN,
        SERVICE_RELINK,
        _async_relink,
        schema=DEVICE_SCHEMA,
        supports_response=SupportsResponse.ONLY,
    )
    hass.services.async_register(
        DOMAIN,
        SERVICE_SET_CHARGING_LOCATION,
        _async_set_charging_location,
        schema=SET_CHARGING_LOCATION_SCHEMA,
        supports_response=SupportsResponse.OPTIONAL,
    )
    hass.services.async_register(DOMAIN, SERVICE_REFRESH, _async_refresh, schema=DEVICE_SCHEMA)
    hass.services.async_register(
        DOMAIN,
        SERVICE_SET_SMART_CHARGING,
        _async_set_smart_charging,
        schema=SET_SMART_CHARGING_SCHEMA,
        supports_response=SupportsResponse.OPTIONAL,
    )
