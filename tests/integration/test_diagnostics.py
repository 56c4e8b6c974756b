"""Diagnostics: config entry and device, with secrets and personal data redacted."""

from __future__ import annotations

import json
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
    get_diagnostics_for_device,
)
from syrupy.assertion import SnapshotAssertion
from syrupy.filters import props

from custom_components.enode.const import DOMAIN
from enode_simulator import Simulator

from .conftest import make_entry, setup_entry

TESLA_ID = "05ee9df5-d072-4ee8-b773-399dec8f5693"
ZAPTEC_ID = "e7d4db80-4fca-4781-ac70-14108f560706"
POWERWALL_ID = "54d827e1-8355-4fed-97b5-55940d1d09ba"
# Values that must never appear in diagnostics.
SECRETS = (
    "demo-secret",
    "demo-user",
    "5YJ3E7EB0KF000002",  # Tesla VIN
    "WVGZZZE2ZNP000001",  # ID.4 VIN
    "ZAP123456",  # charger serial
    "TSLA-PW-0001",  # battery vendor id
    "FRO-SYMO-0001",  # inverter vendor id
    "59.91394",
    "10.75225",
    "59.9139",
    "10.7522",
)
# Timestamps move with the simulator's clock; the simulator's port changes.
VOLATILE = props(
    "lastSeen",
    "lastUpdated",
    "createdAt",
    "introducedAt",
    "update_interval_seconds",
    "api_url",
    "token_url",
)


def assert_no_secrets(diagnostics: Any) -> None:
    """Fail when a secret, user id, VIN, serial or coordinate is in the diagnostics."""
    text = json.dumps(diagnostics)
    for secret in SECRETS:
        assert secret not in text, secret


async def test_entry_diagnostics(
    hass: HomeAssistant,
    simulator: Simulator,
    hass_client: Any,
    snapshot: SnapshotAssertion,
) -> None:
    """The entry's diagnostics: redacted entry, coordinator state, assets, Locations."""
    assert await async_setup_component(hass, "diagnostics", {})
    entry = await setup_entry(hass, make_entry(simulator))
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)
    assert_no_secrets(diagnostics)
    assert diagnostics["entry"]["data"]["client_secret"] == "**REDACTED**"
    assert diagnostics["entry"]["data"]["user_id"] == "**REDACTED**"
    assert TESLA_ID in diagnostics["assets"]
    battery = diagnostics["assets"][POWERWALL_ID]["asset"]["information"]
    assert battery["id"] == "**REDACTED**"
    assert battery["siteName"] == "**REDACTED**"
    assert battery["model"] == "Powerwall 2"
    assert diagnostics == snapshot(exclude=VOLATILE)


async def test_device_diagnostics(
    hass: HomeAssistant,
    simulator: Simulator,
    hass_client: Any,
    snapshot: SnapshotAssertion,
) -> None:
    """A device's diagnostics: its asset and intervention texts, redacted."""
    assert await async_setup_component(hass, "diagnostics", {})
    entry = await setup_entry(hass, make_entry(simulator))
    registry = dr.async_get(hass)
    device = registry.async_get_device(identifiers={(DOMAIN, TESLA_ID)})
    assert device is not None
    diagnostics = await get_diagnostics_for_device(hass, hass_client, entry, device)
    assert_no_secrets(diagnostics)
    assert diagnostics["device"]["asset"]["information"]["vin"] == "**REDACTED**"
    assert [item["id"] for item in diagnostics["device"]["interventions"]] == [
        "3b2891a9-5dcf-4691-b850-b5ea36b57c2e"
    ]
    assert diagnostics == snapshot(exclude=VOLATILE)

    charger = registry.async_get_device(identifiers={(DOMAIN, ZAPTEC_ID)})
    assert charger is not None
    diagnostics = await get_diagnostics_for_device(hass, hass_client, entry, charger)
    assert_no_secrets(diagnostics)

    gone = registry.async_get_or_create(
        config_entry_id=entry.entry_id, identifiers={(DOMAIN, "gone")}
    )
    diagnostics = await get_diagnostics_for_device(hass, hass_client, entry, gone)
    assert diagnostics["device"] is None
