"""Constants of the Enode API (version 2024-10-01)."""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from typing import Final

API_VERSION: Final = "2024-10-01"
HEADER_API_VERSION: Final = "Enode-Version"
HEADER_SIGNATURE: Final = "x-enode-signature"
HEADER_DELIVERY: Final = "x-enode-delivery"
DEFAULT_PAGE_SIZE: Final = 50


class Environment(StrEnum):
    """An Enode environment."""

    PRODUCTION = "production"
    SANDBOX = "sandbox"
    CUSTOM = "custom"


API_URLS: Final[dict[Environment, str]] = {
    Environment.PRODUCTION: "https://enode-api.production.enode.io",
    Environment.SANDBOX: "https://enode-api.sandbox.enode.io",
}
TOKEN_URLS: Final[dict[Environment, str]] = {
    Environment.PRODUCTION: "https://oauth.production.enode.io/oauth2/token",
    Environment.SANDBOX: "https://oauth.sandbox.enode.io/oauth2/token",
}


class AssetType(StrEnum):
    """An Enode asset (vendor) type."""

    VEHICLE = "vehicle"
    CHARGER = "charger"
    BATTERY = "battery"
    INVERTER = "inverter"
    METER = "meter"
    HVAC = "hvac"


# The URL path segment of each asset type (``/vehicles``, ``/batteries``, ...).
ASSET_PATHS: Final[dict[AssetType, str]] = {
    AssetType.VEHICLE: "vehicles",
    AssetType.CHARGER: "chargers",
    AssetType.BATTERY: "batteries",
    AssetType.INVERTER: "inverters",
    AssetType.METER: "meters",
    AssetType.HVAC: "hvacs",
}

SCOPES_BY_ASSET_TYPE: Final[dict[AssetType, tuple[str, ...]]] = {
    AssetType.VEHICLE: (
        "vehicle:read:data",
        "vehicle:read:location",
        "vehicle:control:charging",
    ),
    AssetType.CHARGER: ("charger:read:data", "charger:control:charging"),
    AssetType.BATTERY: (
        "battery:read:data",
        "battery:read:location",
        "battery:control:operation_mode",
    ),
    AssetType.INVERTER: ("inverter:read:data", "inverter:read:location"),
    AssetType.METER: ("meter:read:data", "meter:read:location"),
    AssetType.HVAC: ("hvac:read:data", "hvac:control:mode"),
}


def scopes_for(asset_types: Iterable[AssetType]) -> list[str]:
    """Return the link scopes for the asset types (unique, in a stable order)."""
    scopes: list[str] = []
    for asset_type in asset_types:
        for scope in SCOPES_BY_ASSET_TYPE[AssetType(asset_type)]:
            if scope not in scopes:
                scopes.append(scope)
    return scopes


# Languages accepted by the Link UI (``POST /users/{userId}/link``, relink).
LANGUAGES: Final[tuple[str, ...]] = (
    "browser",
    "da-DK",
    "de-DE",
    "en-US",
    "en-GB",
    "es-ES",
    "fi-FI",
    "fr-FR",
    "it-IT",
    "ja-JP",
    "lv-LV",
    "lt-LT",
    "nb-NO",
    "nl-NL",
    "nl-BE",
    "pl-PL",
    "pt-PT",
    "ro-RO",
    "sv-SE",
)

# Languages accepted by the interventions endpoints (no ``browser``, no ``it-IT``).
INTERVENTION_LANGUAGES: Final[tuple[str, ...]] = (
    "en-US",
    "en-GB",
    "de-DE",
    "fr-FR",
    "es-ES",
    "ja-JP",
    "pt-PT",
    "lv-LV",
    "lt-LT",
    "nl-NL",
    "nl-BE",
    "nb-NO",
    "pl-PL",
    "sv-SE",
    "da-DK",
    "fi-FI",
    "ro-RO",
)

COLOR_SCHEMES: Final[tuple[str, ...]] = ("system", "light", "dark")

# Webhook event names of API version 2024-10-01.
WEBHOOK_EVENTS: Final[tuple[str, ...]] = (
    "user:vehicle:discovered",
    "user:vehicle:updated",
    "user:vehicle:deleted",
    "user:vehicle:smart-charging-status-updated",
    "user:vendor-action:updated",
    "user:schedule:execution-updated",
    "user:charger:discovered",
    "user:charger:updated",
    "user:charger:deleted",
    "user:hvac:discovered",
    "user:hvac:updated",
    "user:hvac:deleted",
    "user:inverter:discovered",
    "user:inverter:updated",
    "user:inverter:deleted",
    "user:inverter:statistics-updated",
    "user:credentials:invalidated",
    "user:battery:discovered",
    "user:battery:updated",
    "user:battery:deleted",
    "user:meter:discovered",
    "user:meter:updated",
    "user:meter:deleted",
    "system:heartbeat",
    "enode:webhook:test",
)
