"""The Enode integration: EVs, chargers and home energy devices through the Enode API."""

from __future__ import annotations

from homeassistant.const import CONF_CLIENT_ID, CONF_CLIENT_SECRET, Platform
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryNotReady
from homeassistant.helpers import config_validation as cv, device_registry as dr
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.typing import ConfigType

from .api import EnodeClient, Environment
from .const import CONF_API_URL, CONF_ENVIRONMENT, CONF_TOKEN_URL, DOMAIN
from .coordinator import EnodeConfigEntry, EnodeCoordinator, EnodeRuntimeData
from .link import async_setup_link
from .repairs import async_delete_issues, async_setup_repairs
from .services import async_setup_services
from .webhook import async_remove_webhook, async_setup_webhook

PLATFORMS: list[Platform] = [
    Platform.BINARY_SENSOR,
    Platform.DEVICE_TRACKER,
    Platform.NUMBER,
    Platform.SENSOR,
    Platform.SWITCH,
]

CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Set up the Enode integration: the actions and the Link UI callback view."""
    async_setup_link(hass)
    async_setup_services(hass)
    return True


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
    coordinator.async_remove_stale_devices()
    entry.async_on_unload(coordinator.async_add_listener(coordinator.async_remove_stale_devices))
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    # Repair issues follow the coordinator's data (interventions, credentials, chargers).
    entry.async_on_unload(async_setup_repairs(hass, entry))
    # Push updates: the Home Assistant webhook and its registration at Enode (in the background).
    entry.runtime_data.webhook = await async_setup_webhook(hass, entry)
    return True


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


async def async_remove_entry(hass: HomeAssistant, entry: EnodeConfigEntry) -> None:
    """Delete the repair issues of a removed entry, and its webhook at Enode (best effort)."""
    async_delete_issues(hass, entry)
    client = create_client(hass, entry)
    try:
        await async_remove_webhook(hass, entry, client)
    finally:
        await client.close()
