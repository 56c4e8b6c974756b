"""Reauthentication end to end: a rejected secret at setup starts the reauth flow."""

from __future__ import annotations

from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.const import CONF_CLIENT_ID, CONF_CLIENT_SECRET
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.enode.const import DOMAIN
from enode_simulator import Simulator

from .conftest import entry_data, setup_entry


async def test_rejected_secret_starts_reauth(hass: HomeAssistant, simulator: Simulator) -> None:
    """Setup fails with the old secret; the reauth flow takes a new one and reloads."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="Enode",
        unique_id=f"custom_{simulator.client_id}_{simulator.user_id}",
        data={**entry_data(simulator), CONF_CLIENT_SECRET: "revoked-secret"},
    )
    await setup_entry(hass, entry)
    assert entry.state is ConfigEntryState.SETUP_ERROR
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert len(flows) == 1
    assert flows[0]["context"]["source"] == SOURCE_REAUTH
    assert flows[0]["step_id"] == "reauth_confirm"

    result = await hass.config_entries.flow.async_configure(
        flows[0]["flow_id"],
        {CONF_CLIENT_ID: simulator.client_id, CONF_CLIENT_SECRET: simulator.client_secret},
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert entry.runtime_data.coordinator.data.vehicles
