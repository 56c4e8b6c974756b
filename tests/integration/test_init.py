"""Set-up, unload and set-up errors of the Enode integration."""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er

from .conftest import make_entry, setup_entry


async def test_load_unload(
    hass: HomeAssistant,
    simulator: Any,
    device_registry: dr.DeviceRegistry,
    entity_registry: er.EntityRegistry,
) -> None:
    """The demo user's vehicles and chargers become devices; unloading releases the entry."""
    entry = await setup_entry(hass, make_entry(simulator))
    assert entry.state is ConfigEntryState.LOADED
    devices = dr.async_entries_for_config_entry(device_registry, entry.entry_id)
    names = sorted(device.name for device in devices)
    print(names)
    for state in hass.states.async_all():
        print(state.entity_id, state.state, state.attributes)
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.NOT_LOADED
