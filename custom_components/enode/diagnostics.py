"""Diagnostics for Enode: the config entry and its devices, secrets and personal data redacted."""

from __future__ import annotations

from typing import Any

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.const import CONF_CLIENT_ID, CONF_CLIENT_SECRET, CONF_WEBHOOK_ID
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr

from .api import Asset
from .const import CONF_USER_ID, DOMAIN
from .models import EnodeConfigEntry, EnodeData
from .webhook import (
    CONF_CLOUDHOOK_URL,
    CONF_ENODE_WEBHOOK_ID,
    CONF_WEBHOOK_SECRET,
    webhook_diagnostics,
)

# Entry data: credentials, the Enode user id, the webhook's id, secret and cloudhook URL, and the
# id of the webhook at Enode.
TO_REDACT_ENTRY = {
    CONF_CLIENT_ID,
    CONF_CLIENT_SECRET,
    CONF_USER_ID,
    CONF_WEBHOOK_ID,
    CONF_WEBHOOK_SECRET,
    CONF_CLOUDHOOK_URL,
    CONF_ENODE_WEBHOOK_ID,
    "unique_id",
}
# Enode payloads (wire names): user ids, VINs, serial numbers, coordinates, tokens.
TO_REDACT_PAYLOAD = {
    "userId",
    "user_id",
    "vin",
    "serialNumber",
    "sn",
    "latitude",
    "longitude",
    "linkToken",
    "accessToken",
    "access_token",
    "secret",
}

# An asset's ``information``: the vendor's own device id (battery, inverter: often the serial or
# the vendor's site id) and the site name the owner gave it (often an address) identify the home.
TO_REDACT_INFORMATION = {"id", "siteName"}


def _redact_asset(asset: Asset) -> dict[str, Any]:
    """Return an asset's payload, redacted (including its vendor id and site name)."""
    payload: dict[str, Any] = async_redact_data(asset.to_dict(), TO_REDACT_PAYLOAD)
    if isinstance(information := payload.get("information"), dict):
        payload["information"] = async_redact_data(information, TO_REDACT_INFORMATION)
    return payload


def _asset_dict(data: EnodeData, asset: Asset) -> dict[str, Any]:
    """Return an asset and the texts of its interventions, redacted."""
    result: dict[str, Any] = {
        "asset_type": str(asset.asset_type),
        "asset": _redact_asset(asset),
        "interventions": [
            async_redact_data(intervention.to_dict(), TO_REDACT_PAYLOAD)
            for intervention_id in asset.all_intervention_ids()
            if (intervention := data.interventions.get(intervention_id)) is not None
        ],
    }
    if (status := data.smart_charging.get(asset.id)) is not None:
        result["smart_charging"] = async_redact_data(status.to_dict(), TO_REDACT_PAYLOAD)
    return result


def _entry_dict(entry: EnodeConfigEntry) -> dict[str, Any]:
    """Return the redacted config entry."""
    return {
        "title": entry.title,
        "version": entry.version,
        "minor_version": entry.minor_version,
        "data": async_redact_data(dict(entry.data), TO_REDACT_ENTRY),
        "options": async_redact_data(dict(entry.options), TO_REDACT_ENTRY),
    }


def _coordinator_dict(entry: EnodeConfigEntry) -> dict[str, Any]:
    """Return the coordinator's state."""
    coordinator = entry.runtime_data.coordinator
    interval = coordinator.update_interval
    return {
        "last_update_success": coordinator.last_update_success,
        "update_interval_seconds": interval.total_seconds() if interval else None,
        "pending_actions": len(coordinator.data.pending_actions),
    }


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: EnodeConfigEntry
) -> dict[str, Any]:
    """Return the diagnostics of a config entry."""
    data = entry.runtime_data.coordinator.data
    return {
        "entry": _entry_dict(entry),
        "coordinator": _coordinator_dict(entry),
        "webhook": webhook_diagnostics(entry),
        "user": async_redact_data(data.user.to_dict(), TO_REDACT_PAYLOAD | {"id"})
        if data.user is not None
        else None,
        "assets": {
            asset_id: _asset_dict(data, asset)
            for asset_id, asset in sorted(data.all_assets().items())
        },
        "locations": [
            async_redact_data(location.to_dict(), TO_REDACT_PAYLOAD)
            for _, location in sorted(data.locations.items())
        ],
    }


async def async_get_device_diagnostics(
    hass: HomeAssistant, entry: EnodeConfigEntry, device: dr.DeviceEntry
) -> dict[str, Any]:
    """Return the diagnostics of one device (one Enode asset)."""
    data = entry.runtime_data.coordinator.data
    asset_ids = [identifier for domain, identifier in device.identifiers if domain == DOMAIN]
    assets = [asset for asset_id in asset_ids if (asset := data.asset(asset_id)) is not None]
    return {
        "entry": _entry_dict(entry),
        "device": _asset_dict(data, assets[0]) if assets else None,
    }
