"""The Enode integration: EVs, chargers and home energy devices through the Enode API."""

from __future__ import annotations

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryNotReady
from homeassistant.helpers import config_validation as cv, device_registry as dr
from homeassistant.helpers.typing import ConfigType

from .actions import async_remove_stored_actions
from .const import DOMAIN
from .coordinator import EnodeCoordinator
from .entity import pairing_changed
from .hub import async_get_hub
from .link import async_setup_link
from .link_flow import async_follow_entry_title
from .models import EnodeConfigEntry, EnodeRuntimeData
from .pairing import async_get_charger_reliance
from .repairs import async_delete_issues, async_setup_repairs
from .services import async_setup_services
from .statistics import EnodeStatistics
from .webhook import EnodeWebhook, async_prepare_webhook, async_remove_webhook

PLATFORMS: list[Platform] = [
    Platform.BINARY_SENSOR,
    Platform.CLIMATE,
    Platform.DEVICE_TRACKER,
    Platform.NUMBER,
    Platform.SELECT,
    Platform.SENSOR,
    Platform.SWITCH,
    Platform.TIME,
]

CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Set up the Enode integration: the actions and the Link UI callback view."""
    async_setup_link(hass)
    async_setup_services(hass)
    return True


async def async_setup_entry(hass: HomeAssistant, entry: EnodeConfigEntry) -> bool:
    """Set up an Enode user (config entry): first refresh, then the platforms and push."""
    async_prepare_webhook(hass, entry)
    # One client (one access token) per Enode client, shared by its entries and set-up retries.
    client = async_get_hub(hass, entry.data).client
    coordinator = EnodeCoordinator(hass, entry, client)
    entry.runtime_data = EnodeRuntimeData(
        client=client,
        coordinator=coordinator,
        actions=coordinator.actions,
        webhook=EnodeWebhook(hass, entry, client, coordinator),
        statistics=EnodeStatistics(hass, entry, client, coordinator),
    )
    # Listen for deliveries before the first refresh: what Enode pushes meanwhile is kept.
    entry.runtime_data.webhook.async_listen()
    # Commands pending before a restart are followed again; the store is written on unload.
    entry.async_on_unload(coordinator.actions.async_unload)
    await coordinator.actions.async_restore()
    try:
        await coordinator.async_config_entry_first_refresh()
    except ConfigEntryNotReady as err:
        cause = err.__cause__
        raise ConfigEntryNotReady(
            translation_domain=DOMAIN,
            translation_key="setup_not_ready",
            translation_placeholders={"error": str(cause) if cause else "unknown"},
        ) from cause
    # Commands waiting for an outcome a refresh found are released once the snapshot shows it.
    entry.async_on_unload(
        coordinator.async_add_listener(coordinator.actions.async_snapshot_updated)
    )
    coordinator.async_remove_stale_devices()
    entry.async_on_unload(coordinator.async_add_listener(coordinator.async_remove_stale_devices))
    # Whether each vehicle needs its charger, learnt while it has none (pairing.py).
    reliance = await async_get_charger_reliance(hass)
    reliance.async_observe(coordinator.data)
    entry.async_on_unload(
        coordinator.async_add_listener(
            lambda: reliance.async_observe(
                coordinator.data, pairing_changed(coordinator.changed_assets)
            )
        )
    )
    entry.async_on_unload(reliance.async_save)
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    # Repair issues follow the coordinator's data (interventions, credentials, chargers).
    entry.async_on_unload(async_setup_repairs(hass, entry))
    # So does the entry's title, while it is the one the integration made.
    entry.async_on_unload(async_follow_entry_title(hass, entry))
    # Push updates: the Home Assistant webhook and its registration at Enode (in the background).
    entry.runtime_data.webhook.async_start()
    # Enode's energy statistics for the Energy dashboard: now, then hourly.
    entry.runtime_data.statistics.async_start()
    return True


async def async_unload_entry(hass: HomeAssistant, entry: EnodeConfigEntry) -> bool:
    """Unload a config entry."""
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)


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
    """Delete the repair issues, stored actions and what a removed entry learnt, and its
    webhook at Enode (best effort)."""
    async_delete_issues(hass, entry)
    await async_remove_stored_actions(hass, entry.entry_id)
    if not [other for other in hass.config_entries.async_entries(DOMAIN) if other is not entry]:
        await (await async_get_charger_reliance(hass)).async_remove()
    await async_remove_webhook(hass, entry, async_get_hub(hass, entry.data).client)
