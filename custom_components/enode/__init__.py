"""The Enode integration: EVs, chargers and home energy devices through the Enode API."""

from __future__ import annotations

from homeassistant.const import CONF_CLIENT_ID, CONF_CLIENT_SECRET, Platform
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryNotReady
from homeassistant.helpers import (
    config_validation as cv,
    device_registry as dr,
    entity_registry as er,
)
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.typing import ConfigType

from .api import EnodeClient, Environment
from .const import CONF_API_URL, CONF_ENVIRONMENT, CONF_TOKEN_URL, DOMAIN
from .coordinator import EnodeConfigEntry, EnodeCoordinator, EnodeRuntimeData

PLATFORMS: list[Platform] = [
    Platform.BINARY_SENSOR,
    Platform.DEVICE_TRACKER,
    Platform.NUMBER,
    Platform.SENSOR,
    Platform.SWITCH,
]

CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)

# Entities that became controls: (platform, unique id suffix) of the read-only versions that
# earlier releases created (the smart charging binary sensor is now a switch, the disabled
# diagnostic vehicle max current sensor a number).
REPLACED_ENTITIES: tuple[tuple[Platform, str], ...] = (
    (Platform.BINARY_SENSOR, "_smart_charging"),
    (Platform.SENSOR, "_max_current"),
)


# --- async_setup: owned by the config-flow engineer (issue 4): actions (services) and the Link
# --- UI callback view are registered here.
async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Set up the Enode integration (actions and views, not config entries)."""
    from .link import async_setup_link
    from .services import async_setup_services

    async_setup_link(hass)
    async_setup_services(hass)
    return True


# --- end of async_setup


def create_client(hass: HomeAssistant, entry: EnodeConfigEntry) -> EnodeClient:
    """Return an Enode client for a config entry, on Home Assistant's shared aiohttp session."""
    data = entry.data
    environment = Environment(data.get(CONF_ENVIRONMENT, Environment.PRODUCTION))
    return EnodeClient(
        data[CONF_CLIENT_ID],
        data[CONF_CLIENT_SECRET],
        environment=environment,
        api_url=data.get(CONF_API_URL) if environment is Environment.CUSTOM else None,
        token_url=data.get(CONF_TOKEN_URL) if environment is Environment.CUSTOM else None,
        session=async_get_clientsession(hass),
    )


async def async_setup_entry(hass: HomeAssistant, entry: EnodeConfigEntry) -> bool:
    """Set up an Enode user (config entry): first refresh, then the platforms."""
    client = create_client(hass, entry)
    coordinator = EnodeCoordinator(hass, entry, client)
    try:
        await coordinator.async_config_entry_first_refresh()
    except ConfigEntryNotReady as err:
        cause = err.__cause__
        raise ConfigEntryNotReady(
            translation_domain=DOMAIN,
            translation_key="setup_not_ready",
            translation_placeholders={"error": str(cause) if cause else "unknown"},
        ) from cause
    entry.runtime_data = EnodeRuntimeData(client=client, coordinator=coordinator)
    async_remove_replaced_entities(hass, entry)
    coordinator.async_remove_stale_devices()
    entry.async_on_unload(coordinator.async_add_listener(coordinator.async_remove_stale_devices))
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    # --- repairs (config-flow engineer, issue 4): keep the entry's issues in sync.
    from .repairs import async_setup_repairs

    entry.async_on_unload(async_setup_repairs(hass, entry))
    # --- end of repairs
    # --- push updates (webhook.py): the Home Assistant webhook and its Enode registration.
    from .webhook import async_setup_webhook

    entry.runtime_data.webhook = await async_setup_webhook(hass, entry)
    # --- end of push updates
    return True


@callback
def async_remove_replaced_entities(hass: HomeAssistant, entry: EnodeConfigEntry) -> None:
    """Remove the registry entries of read-only entities that controls replaced."""
    registry = er.async_get(hass)
    for entity in er.async_entries_for_config_entry(registry, entry.entry_id):
        if any(
            entity.domain == platform and entity.unique_id.endswith(suffix)
            for platform, suffix in REPLACED_ENTITIES
        ):
            registry.async_remove(entity.entity_id)


async def async_unload_entry(hass: HomeAssistant, entry: EnodeConfigEntry) -> bool:
    """Unload a config entry."""
    unloaded = await hass.config_entries.async_unload_platforms(entry, PLATFORMS)
    if unloaded:
        await entry.runtime_data.client.close()
    return unloaded


async def async_remove_config_entry_device(
    hass: HomeAssistant, entry: EnodeConfigEntry, device: dr.DeviceEntry
) -> bool:
    """Allow removing a device only when its asset is no longer linked."""
    data = entry.runtime_data.coordinator.data
    return not any(
        domain == DOMAIN and data.asset(identifier) is not None
        for domain, identifier in device.identifiers
    )


# --- async_remove_entry: config-flow engineer (issue 4): the entry's repair issues go with it.
async def async_remove_entry(hass: HomeAssistant, entry: EnodeConfigEntry) -> None:
    """Delete the repair issues of a removed entry."""
    from .repairs import async_delete_issues

    async_delete_issues(hass, entry)
    # --- push updates (webhook.py): the Enode webhook and cloudhook go with the entry.
    from .webhook import async_remove_webhook

    client = create_client(hass, entry)
    try:
        await async_remove_webhook(hass, entry, client)
    finally:
        await client.close()


# --- end of async_remove_entry
