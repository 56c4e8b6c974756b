"""Diagnostics: config entry and device, with secrets and personal data redacted."""

from __future__ import annotations

import json
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
    get_diagnostics_for_device,
)
from syrupy.assertion import SnapshotAssertion
from syrupy.filters import props

from custom_components.enode.const import DOMAIN
from enode_simulator import Simulator

from .conftest import (
    BATTERY,
    BATTERY_ID,
    HEAT_PUMP,
    HVAC_ID,
    INVERTER,
    INVERTER_ID,
    METER,
    METER_ID,
    household,
    make_entry,
    setup_entry,
)

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
    "TSLA-SI-0001",  # inverter vendor id
    "1538000-25-F",  # inverter serial
    "SE-BAT-1",  # the test battery's vendor id
    "SE-INV-1",  # the test inverter's vendor id
    "7E123456",  # the test inverter's serial
    "Sunny side",  # the test site's name
    "59.91394",
    "10.75225",
    "59.9139",
    "10.7522",
)
FROZEN = "2025-06-01T12:00:00+00:00"
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


@pytest.mark.freeze_time(FROZEN)  # the home's energy follows the clock
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


@pytest.mark.freeze_time(FROZEN)
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


async def test_home_energy_device_diagnostics(
    hass: HomeAssistant, simulator_factory: Any, hass_client: Any
) -> None:
    """A battery's, inverter's, meter's and HVAC unit's diagnostics: site names, vendor ids,
    serial numbers and coordinates redacted; the rest kept."""
    assert await async_setup_component(hass, "diagnostics", {})
    sim = await simulator_factory(household(linked=[BATTERY, INVERTER, METER, HEAT_PUMP]))
    entry = await setup_entry(hass, make_entry(sim))
    registry = dr.async_get(hass)
    found: dict[str, Any] = {}
    for asset_id in (BATTERY_ID, INVERTER_ID, METER_ID, HVAC_ID):
        device = registry.async_get_device(identifiers={(DOMAIN, asset_id)})
        assert device is not None
        diagnostics = await get_diagnostics_for_device(hass, hass_client, entry, device)
        assert_no_secrets(diagnostics)
        found[asset_id] = diagnostics["device"]["asset"]
    assert found[BATTERY_ID]["information"]["siteName"] == "**REDACTED**"
    assert found[BATTERY_ID]["information"]["id"] == "**REDACTED**"
    assert found[BATTERY_ID]["location"]["latitude"] == "**REDACTED**"
    assert found[BATTERY_ID]["chargeState"]["batteryCapacity"] == 10
    assert found[INVERTER_ID]["information"]["sn"] == "**REDACTED**"
    assert found[INVERTER_ID]["information"]["model"] == "SE5000H"
    assert found[METER_ID]["location"]["longitude"] == "**REDACTED**"
    assert found[HVAC_ID]["information"]["displayName"] == "Bedroom"
    assert found[HVAC_ID]["capabilities"]["capableModes"] == ["OFF", "HEAT", "COOL", "AUTO"]
