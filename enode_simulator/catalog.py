"""Static Enode reference data: vendors, scopes, languages and the intervention catalog."""

from __future__ import annotations

from typing import Any

API_VERSION = "2024-10-01"

ASSET_TYPES: tuple[str, ...] = ("vehicle", "charger", "hvac", "inverter", "battery", "meter")

# Plural path segment of each asset type (``/vehicles``, ``/batteries`` ...).
PLURALS: dict[str, str] = {
    "vehicle": "vehicles",
    "charger": "chargers",
    "hvac": "hvacs",
    "inverter": "inverters",
    "battery": "batteries",
    "meter": "meters",
}
SINGULARS: dict[str, str] = {plural: singular for singular, plural in PLURALS.items()}

SCOPES_BY_ASSET_TYPE: dict[str, tuple[str, ...]] = {
    "vehicle": ("vehicle:read:data", "vehicle:read:location", "vehicle:control:charging"),
    "charger": ("charger:read:data", "charger:control:charging"),
    "hvac": ("hvac:read:data", "hvac:control:mode"),
    "inverter": ("inverter:read:data", "inverter:read:location"),
    "battery": ("battery:read:data", "battery:read:location", "battery:control:operation_mode"),
    "meter": ("meter:read:data", "meter:read:location"),
}
ALL_SCOPES: frozenset[str] = frozenset(
    scope for scopes in SCOPES_BY_ASSET_TYPE.values() for scope in scopes
)

LANGUAGES: tuple[str, ...] = (
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
COLOR_SCHEMES: tuple[str, ...] = ("system", "light", "dark")

VENDORS: dict[str, tuple[str, ...]] = {
    "vehicle": (
        "ACURA", "AUDI", "BMW", "HONDA", "HYUNDAI", "JAGUAR", "LANDROVER", "KIA", "MERCEDES",
        "MINI", "NISSAN", "PEUGEOT", "PORSCHE", "RENAULT", "SEAT", "SKODA", "TESLA", "VOLKSWAGEN",
        "VOLVO", "FORD", "OPEL", "DS", "TOYOTA", "LEXUS", "CITROEN", "CUPRA", "VAUXHALL", "FIAT",
        "RIVIAN", "NIO", "CHEVROLET", "GMC", "CADILLAC", "XPENG", "POLESTAR", "SUBARU", "JEEP",
        "MAZDA", "MG", "CHRYSLER", "DODGE", "RAM", "ALFAROMEO", "LANCIA", "LUCID", "BYD", "DACIA",
        "ALPINE",
    ),
    "charger": (
        "ZAPTEC", "EASEE", "WALLBOX", "EO", "CHARGEAMPS", "EVBOX", "GOE", "CHARGEPOINT", "ENELX",
        "TESLA", "OHME", "GARO", "SCHNEIDER", "PODPOINT", "KEBA", "HYPERVOLT", "MYENERGI",
        "HEIDELBERG", "ALFEN",
    ),
    "hvac": (
        "TADO", "MILL", "ADAX", "ECOBEE", "SENSIBO", "HONEYWELL", "RESIDEO", "MITSUBISHI",
        "MICROMATIC", "NIBE", "PANASONIC", "TOSHIBA", "DAIKIN", "NEST", "FUJITSU", "BOSCH",
        "NETATMO",
    ),
    "inverter": (
        "AFORE", "APSYSTEMS", "CSISolar", "Deye", "ENPHASE", "FOXESS", "FRONIUS", "GIVENERGY",
        "GOODWE", "GROWATT", "Hoymiles", "HUAWEI", "INVT", "SMA", "SOFAR", "SOLAREDGE", "SOLARK",
        "SOLAX", "SOLIS", "SOLPLANET", "SUNGROW", "SUNSYNK", "TESLA", "TSUN",
    ),
    "battery": (
        "TESLA", "ENPHASE", "GIVENERGY", "HUAWEI", "SOLAREDGE", "SMA", "FOXESS", "SOLAX", "SOLIS",
    ),
    "meter": (
        "ENPHASE", "GIVENERGY", "HUAWEI", "TESLA", "SMA", "SOLAREDGE", "FOXESS", "SOLAX", "SOLIS",
    ),
}  # fmt: skip
ALL_VENDORS: tuple[str, ...] = tuple(
    dict.fromkeys(vendor for vendors in VENDORS.values() for vendor in vendors)
)

_DISPLAY_NAMES: dict[str, str] = {
    "BMW": "BMW",
    "DS": "DS",
    "MG": "MG",
    "GMC": "GMC",
    "NIO": "NIO",
    "RAM": "RAM",
    "BYD": "BYD",
    "SMA": "SMA",
    "EO": "EO Charging",
    "GOE": "go-e",
    "ENELX": "Enel X",
    "EVBOX": "EVBox",
    "CHARGEAMPS": "Charge Amps",
    "CHARGEPOINT": "ChargePoint",
    "PODPOINT": "Pod Point",
    "MYENERGI": "myenergi",
    "LANDROVER": "Land Rover",
    "ALFAROMEO": "Alfa Romeo",
    "MERCEDES": "Mercedes-Benz",
    "XPENG": "XPeng",
    "APSYSTEMS": "APsystems",
    "CSISolar": "CSI Solar",
    "FOXESS": "FoxESS",
    "GIVENERGY": "GivEnergy",
    "GOODWE": "GoodWe",
    "SOLAREDGE": "SolarEdge",
    "SOLARK": "Sol-Ark",
    "SOLAX": "SolaX",
    "SOLPLANET": "Solplanet",
    "SUNGROW": "Sungrow",
    "SUNSYNK": "Sunsynk",
    "INVT": "INVT",
    "TSUN": "TSUN",
    "NIBE": "NIBE",
}


def display_name(vendor: str) -> str:
    """Human brand name for a vendor enum value."""
    if vendor in _DISPLAY_NAMES:
        return _DISPLAY_NAMES[vendor]
    return vendor[:1].upper() + vendor[1:].lower()


def vendor_asset_types(vendor: str) -> list[str]:
    """Asset types a vendor supports, in Enode's order."""
    return [asset_type for asset_type in ASSET_TYPES if vendor in VENDORS[asset_type]]


def integration(vendor: str, linking_status: str = "READY") -> dict[str, Any]:
    """The ``Integration`` object of ``GET /integrations`` for a vendor."""
    asset_types = vendor_asset_types(vendor)
    return {
        "vendor": vendor,
        "displayName": display_name(vendor),
        "assetTypes": asset_types,
        "scopes": sorted(s for t in asset_types for s in SCOPES_BY_ASSET_TYPE[t]),
        "status": "READY",
        "portalName": f"{display_name(vendor)} app",
        "linkingStatus": linking_status,
    }


# --- Interventions --------------------------------------------------------------------------
# Each entry: the language-neutral fields plus ``texts`` keyed by language (``en-US`` required).

TESLA_PHONE_KEY = "3b2891a9-5dcf-4691-b850-b5ea36b57c2e"
VEHICLE_NO_CHARGING_CONTROL = "6f0b2d8e-3c1a-4b7e-9d52-1a8e4c7f2b10"
VEHICLE_NO_GPS = "8a4c1e6d-2b9f-4f3a-8e71-5c2d9b0a6e34"
VW_TERMS = "c2e5a9f1-7d3b-4c6e-a8f0-3b1d5e9c7a42"
CHARGER_REMOTE_ACCESS = "d7f3b1a5-9e2c-4a8d-b6f4-2c9e1a7d5b63"
CHARGER_OFFLINE_DATA = "e1a9c5d3-4f7b-4e2a-9c8d-6b3f1e5a7c94"
ACCOUNT_RELINK = "f4b8d2c6-1a5e-4d9b-8f3c-7e2a6d1b9c85"
AUDI_TERMS = "4eaeb363-296d-4ccc-a973-7805e6f400bd"
BATTERY_GRID_EXPORT = "0c7d3e9a-5b2f-4e6a-9d18-4f3a7c2e1b56"
HVAC_REMOTE_CONTROL = "1d8e4f0b-6c3a-4f7b-8e29-5a4b8d3f2c67"

INTERVENTIONS: list[dict[str, Any]] = [
    {
        "id": TESLA_PHONE_KEY,
        "vendor": "TESLA",
        "vendorType": "vehicle",
        "brand": "Tesla",
        "introducedAt": "2023-12-15T00:00:00.000Z",
        "domain": "Device",
        "access": "Physical",
        "agent": "User",
        "action": "Link",
        "texts": {
            "en-US": (
                "Vehicle is missing a phone key",
                "To control your vehicle's charging, you must re-link your vehicle with this "
                "app. <br><br>To do so, revisit the initial linking process in this app. Be sure "
                "to be in your vehicle so that you can complete the Bluetooth pairing step "
                "towards the end of the linking flow. <br><br>If you have difficulties with "
                "relinking your vehicle or with Bluetooth pairing, reach out to customer support.",
            ),
            "de-DE": (
                "Dem Fahrzeug fehlt ein Telefonschlüssel",
                "Um das Laden Ihres Fahrzeugs zu steuern, müssen Sie Ihr Fahrzeug erneut mit "
                "dieser App verknüpfen. <br><br>Setzen Sie sich dazu in Ihr Fahrzeug, damit Sie "
                "die Bluetooth-Kopplung am Ende des Vorgangs abschließen können.",
            ),
            "nb-NO": (
                "Bilen mangler en telefonnøkkel",
                "For å styre ladingen må du koble bilen til denne appen på nytt. <br><br>Sitt i "
                "bilen slik at du kan fullføre Bluetooth-paringen mot slutten av prosessen.",
            ),
        },
    },
    {
        "id": VEHICLE_NO_CHARGING_CONTROL,
        "vendor": None,
        "vendorType": "vehicle",
        "brand": None,
        "introducedAt": "2024-03-01T00:00:00.000Z",
        "domain": "Device",
        "access": "Remote",
        "agent": "User",
        "action": None,
        "texts": {
            "en-US": (
                "Link your home charger to control charging",
                "This vehicle's manufacturer does not allow charging to be started or stopped "
                "remotely. <br><br>Link the charger you use at home to the same account: charging "
                "will then be controlled through the charger.",
            ),
        },
    },
    {
        "id": VEHICLE_NO_GPS,
        "vendor": None,
        "vendorType": "vehicle",
        "brand": None,
        "introducedAt": "2024-03-01T00:00:00.000Z",
        "domain": "Device",
        "access": "Remote",
        "agent": "User",
        "action": None,
        "texts": {
            "en-US": (
                "Vehicle location is unavailable",
                "This vehicle does not share its GPS position. Link your home charger and set "
                "its charging location so the vehicle's location can be inferred while it is "
                "plugged in.",
            ),
        },
    },
    {
        "id": VW_TERMS,
        "vendor": "VOLKSWAGEN",
        "vendorType": "vehicle",
        "brand": "Volkswagen",
        "introducedAt": "2023-06-01T00:00:00.000Z",
        "domain": "Account",
        "access": "Remote",
        "agent": "User",
        "action": None,
        "texts": {
            "en-US": (
                "Accept the Volkswagen terms and conditions",
                "Open the We Connect app and accept the latest terms and conditions to share "
                "vehicle data.",
            ),
        },
    },
    {
        "id": AUDI_TERMS,
        "vendor": "AUDI",
        "vendorType": "vehicle",
        "brand": "Audi",
        "introducedAt": "2023-06-01T00:00:00.000Z",
        "domain": "Account",
        "access": "Remote",
        "agent": "User",
        "action": None,
        "texts": {
            "en-US": (
                "Accept the Audi terms and conditions",
                "Open the myAudi app and accept the latest terms and conditions.",
            ),
        },
    },
    {
        "id": CHARGER_REMOTE_ACCESS,
        "vendor": None,
        "vendorType": "charger",
        "brand": None,
        "introducedAt": "2024-01-10T00:00:00.000Z",
        "domain": "Device",
        "access": "Remote",
        "agent": "ThirdParty",
        "action": None,
        "texts": {
            "en-US": (
                "Enable remote control of the charger",
                "Ask your installer to enable remote start and stop for this charger in the "
                "operator portal.",
            ),
        },
    },
    {
        "id": CHARGER_OFFLINE_DATA,
        "vendor": None,
        "vendorType": "charger",
        "brand": None,
        "introducedAt": "2024-01-10T00:00:00.000Z",
        "domain": "Device",
        "access": "Physical",
        "agent": "User",
        "action": None,
        "texts": {
            "en-US": (
                "Reconnect the charger to the internet",
                "The charger has not reported its charge state recently. Check its Wi-Fi or "
                "network cable.",
            ),
        },
    },
    {
        "id": BATTERY_GRID_EXPORT,
        "vendor": None,
        "vendorType": "battery",
        "brand": None,
        "introducedAt": "2024-06-01T00:00:00.000Z",
        "domain": "Device",
        "access": "Remote",
        "agent": "ThirdParty",
        "action": None,
        "texts": {
            "en-US": (
                "Allow the battery to export to the grid",
                "Exporting from the battery to the grid is not enabled for this site. Ask your "
                "installer or grid operator to allow battery export.",
            ),
        },
    },
    {
        "id": HVAC_REMOTE_CONTROL,
        "vendor": None,
        "vendorType": "hvac",
        "brand": None,
        "introducedAt": "2024-06-01T00:00:00.000Z",
        "domain": "Device",
        "access": "Remote",
        "agent": "User",
        "action": None,
        "texts": {
            "en-US": (
                "Allow remote control of the thermostat",
                "Turn on remote control for this device in its manufacturer's app.",
            ),
        },
    },
    {
        "id": ACCOUNT_RELINK,
        "vendor": None,
        "vendorType": None,
        "brand": None,
        "introducedAt": "2023-01-01T00:00:00.000Z",
        "domain": "Account",
        "access": "Remote",
        "agent": "User",
        "action": "Link",
        "texts": {
            "en-US": (
                "Sign in to your account again",
                "Access to your account has expired. Link your account again to restore access.",
            ),
        },
    },
]


def render_intervention(entry: dict[str, Any], language: str | None) -> dict[str, Any]:
    """The wire ``Intervention`` object in a language (falls back to en-US)."""
    texts: dict[str, tuple[str, str]] = entry["texts"]
    title, description = texts.get(language or "en-US") or texts["en-US"]
    return {
        "id": entry["id"],
        "vendor": entry.get("vendor"),
        "vendorType": entry.get("vendorType"),
        "brand": entry.get("brand"),
        "introducedAt": entry["introducedAt"],
        "domain": entry["domain"],
        "resolution": {
            "title": title,
            "description": description,
            "access": entry["access"],
            "agent": entry["agent"],
            "action": entry.get("action"),
        },
    }
