"""Repairs: intervention, vendor credential and charger onboarding issues, and their fix flows."""

from __future__ import annotations

import re
from typing import Any
from unittest.mock import patch

from homeassistant.components.repairs import repairs_flow_manager
from homeassistant.const import STATE_OFF, STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.core_config import async_process_ha_core_config
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.network import NoURLAvailableError
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.enode.const import CONF_SUGGEST_CHARGER, DOMAIN
from custom_components.enode.repairs import markdown
from enode_simulator import Simulator

from .conftest import (
    CHARGER,
    CHARGER_ID,
    CHARGER_REMOTE_ACCESS,
    GPS_VEHICLE,
    GPS_VEHICLE_ID,
    TEST_USER,
    VEHICLE_ID,
    VEHICLE_NO_CONTROL,
    complete_link_ui,
    follow_link_callback,
    household,
    make_entry,
    setup_entry,
)

# Clients retry without waiting: no test sleeps through a real backoff.
pytestmark = pytest.mark.usefixtures("fast_client")

HA_URL = "http://ha.example.test:8123"
VW_ID = "8d90101b-3f2f-462a-bbb4-1ed320d33bbe"
TESLA_ID = "05ee9df5-d072-4ee8-b773-399dec8f5693"
ZAPTEC_ID = "e7d4db80-4fca-4781-ac70-14108f560706"
PHONE_KEY = "3b2891a9-5dcf-4691-b850-b5ea36b57c2e"
PHONE_KEY_ISSUE = f"intervention_{TESLA_ID}_{PHONE_KEY}"
POWERWALL_ID = "54d827e1-8355-4fed-97b5-55940d1d09ba"
NO_CHARGING_CONTROL = "6f0b2d8e-3c1a-4b7e-9d52-1a8e4c7f2b10"
NO_GPS = "8a4c1e6d-2b9f-4f3a-8e71-5c2d9b0a6e34"
ACCOUNT_RELINK = "f4b8d2c6-1a5e-4d9b-8f3c-7e2a6d1b9c85"


@pytest.fixture(autouse=True)
async def ha_setup(hass: HomeAssistant) -> None:
    """Home Assistant's URL, HTTP server and repairs."""
    await async_process_ha_core_config(hass, {"internal_url": HA_URL})
    assert await async_setup_component(hass, "http", {})
    assert await async_setup_component(hass, "repairs", {})


def our_issues(hass: HomeAssistant) -> dict[str, ir.IssueEntry]:
    """Return Enode's active issues by id."""
    return {
        issue_id: issue
        for (domain, issue_id), issue in ir.async_get(hass).issues.items()
        if domain == DOMAIN and issue.active
    }


async def refresh(entry: MockConfigEntry) -> None:
    """Refresh the entry's coordinator now."""
    await entry.runtime_data.coordinator.async_refresh()


async def fix(hass: HomeAssistant, client: Any, issue_id: str, **link_ui: Any) -> dict[str, Any]:
    """Run a fix flow through Link UI and return its final result."""
    manager = repairs_flow_manager(hass)
    assert manager is not None
    result = await manager.async_init(DOMAIN, data={"issue_id": issue_id})
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "confirm"
    result = await manager.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.EXTERNAL_STEP, result
    redirect = await complete_link_ui(result["url"], **link_ui)
    status, _ = await follow_link_callback(client, redirect)
    assert status == 200
    return await manager.async_configure(result["flow_id"])


def test_markdown() -> None:
    """Intervention descriptions: <br> become line breaks, other tags go."""
    assert markdown("One.<br>Two.<br/><br />Three <b>bold</b>.") == "One.\nTwo.\n\nThree bold."
    assert markdown("a<br><br><br><br>b") == "a\n\nb"
    assert markdown(None) == ""


async def test_link_intervention_fixed_by_relink(
    hass: HomeAssistant, simulator: Simulator, hass_client_no_auth: Any
) -> None:
    """The Tesla's phone key blocks max current (error, fixable); relinking clears it."""
    client = await hass_client_no_auth()
    entry = await setup_entry(hass, make_entry(simulator))
    issues = our_issues(hass)
    assert set(issues) == {PHONE_KEY_ISSUE}
    issue = issues[PHONE_KEY_ISSUE]
    assert issue.severity is ir.IssueSeverity.ERROR
    assert issue.is_fixable
    assert issue.translation_key == "intervention_link"
    placeholders = issue.translation_placeholders or {}
    assert placeholders["device"] == "Batmobile"
    assert placeholders["title"] == "Vehicle is missing a phone key"
    assert "<br>" not in placeholders["description"]
    assert "re-link your vehicle with this app. \n\nTo do so" in placeholders["description"]

    result = await fix(hass, client, PHONE_KEY_ISSUE)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert (
        PHONE_KEY
        not in simulator.asset(TESLA_ID)["capabilities"]["setMaxCurrent"]["interventionIds"]
    )
    await refresh(entry)
    assert our_issues(hass) == {}


async def test_optional_intervention_warning_and_removed(
    hass: HomeAssistant, simulator: Simulator
) -> None:
    """A charger intervention on a vehicle that can charge on its own is an optional warning.

    The charger itself (and the ID.4, which relies on the charger) are blocked: errors.
    """
    entry = await setup_entry(hass, make_entry(simulator))
    simulator.add_intervention(ZAPTEC_ID, "startCharging", CHARGER_REMOTE_ACCESS)
    await refresh(entry)
    issues = our_issues(hass)
    tesla = issues[f"intervention_{TESLA_ID}_{CHARGER_REMOTE_ACCESS}"]
    assert tesla.translation_key == "intervention"
    assert not tesla.is_fixable
    assert tesla.severity is ir.IssueSeverity.WARNING
    charger = issues[f"intervention_{ZAPTEC_ID}_{CHARGER_REMOTE_ACCESS}"]
    assert charger.severity is ir.IssueSeverity.ERROR
    vw = issues[f"intervention_{VW_ID}_{CHARGER_REMOTE_ACCESS}"]
    assert vw.severity is ir.IssueSeverity.ERROR

    simulator.remove_intervention(ZAPTEC_ID, CHARGER_REMOTE_ACCESS)
    await refresh(entry)
    assert not [issue_id for issue_id in our_issues(hass) if CHARGER_REMOTE_ACCESS in issue_id]


async def test_invalid_vendor_credentials(
    hass: HomeAssistant, simulator: Simulator, hass_client_no_auth: Any
) -> None:
    """Invalid Tesla credentials: a fixable "relink Tesla" issue per type; relinking fixes it."""
    client = await hass_client_no_auth()
    entry = await setup_entry(hass, make_entry(simulator))
    simulator.invalidate_credentials(simulator.user_id, "TESLA")
    await refresh(entry)
    issues = our_issues(hass)
    assert {"vendor_credentials_tesla_vehicle", "vendor_credentials_tesla_battery"} <= set(issues)
    issue = issues["vendor_credentials_tesla_vehicle"]
    assert issue.severity is ir.IssueSeverity.ERROR
    assert issue.is_fixable
    # The device type by its name ("your Tesla account (Electric vehicle)", not "(vehicle)").
    assert issue.translation_placeholders == {"vendor": "Tesla", "asset_type": "Electric vehicle"}
    battery = issues["vendor_credentials_tesla_battery"].translation_placeholders
    assert battery["asset_type"] == "Home battery"

    result = await fix(hass, client, "vendor_credentials_tesla_vehicle")
    assert result["type"] is FlowResultType.CREATE_ENTRY
    issues = our_issues(hass)
    assert "vendor_credentials_tesla_vehicle" not in issues
    assert "vendor_credentials_tesla_battery" not in issues


async def test_mandatory_charger_repair(
    hass: HomeAssistant, simulator: Simulator, hass_client_no_auth: Any
) -> None:
    """Without a charger the ID.4 (which cannot control charging alone) gets one error-level,
    fixable repair that cannot be ignored; Enode's own "link your home charger" intervention is
    part of it, not a second repair. Charging control is unavailable and the pairing sensor says
    why. Linking the charger fixes it all."""
    client = await hass_client_no_auth()
    entry = await setup_entry(hass, make_entry(simulator))
    assert hass.states.get("switch.anna_s_id_4_charge").state != STATE_UNAVAILABLE
    simulator.remove_asset(ZAPTEC_ID)
    await refresh(entry)
    await hass.async_block_till_done()
    issues = our_issues(hass)
    required = issues[f"charger_required_{VW_ID}"]
    assert required.severity is ir.IssueSeverity.ERROR
    assert required.is_fixable
    placeholders = required.translation_placeholders or {}
    assert placeholders["vehicle"] == "Anna's ID.4"
    assert placeholders["enode"].startswith(
        "\n\n**Link your home charger to control charging**: This vehicle's manufacturer"
    )
    # One repair for the one problem: no separate issue for Enode's intervention.
    assert f"intervention_{VW_ID}_{NO_CHARGING_CONTROL}" not in issues
    # (the location intervention is another problem, and keeps its issue)
    assert f"intervention_{VW_ID}_{NO_GPS}" in issues
    # Charging control unavailable (its start/stop are blocked by Enode's intervention: the switch
    # stays); smart charging, which only the charger gave it, is gone; the pairing sensor gives
    # the reason.
    assert hass.states.get("switch.anna_s_id_4_charge").state == STATE_UNAVAILABLE
    assert hass.states.get("switch.anna_s_id_4_smart_charging") is None
    assert hass.states.get("sensor.anna_s_id_4_charger_pairing").state == "required"

    # It cannot be ignored: an ignore (the repairs API allows it) is undone at once.
    ir.async_ignore_issue(hass, DOMAIN, f"charger_required_{VW_ID}", True)
    issue = ir.async_get(hass).async_get_issue(DOMAIN, f"charger_required_{VW_ID}")
    assert issue is not None
    assert issue.dismissed_version is None
    # ... and it stays until a charger is linked: refreshes keep it, a fix flow left aborted too.
    await refresh(entry)
    assert f"charger_required_{VW_ID}" in our_issues(hass)

    result = await fix(hass, client, f"charger_required_{VW_ID}", vendor="ZAPTEC")
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert entry.runtime_data.coordinator.data.chargers
    issues = our_issues(hass)
    assert not [issue_id for issue_id in issues if issue_id.startswith("charger_")]
    assert not [issue_id for issue_id in issues if VW_ID in issue_id]
    assert hass.states.get("switch.anna_s_id_4_charge").state == STATE_OFF
    assert hass.states.get("sensor.anna_s_id_4_charger_pairing").state == "established"


async def test_mandatory_repair_ignored_earlier_is_shown_again(
    hass: HomeAssistant, simulator_factory: Any
) -> None:
    """A "link your charger" repair ignored while the entry was not loaded (Home Assistant's
    issue registry keeps it ignored across restarts) is shown again when the entry sets up."""
    sim = await simulator_factory(household(linked=[VEHICLE_NO_CONTROL]))
    entry = make_entry(sim)
    issue_id = f"charger_required_{VEHICLE_ID}"
    ir.async_create_issue(
        hass,
        DOMAIN,
        issue_id,
        is_fixable=True,
        is_persistent=False,
        severity=ir.IssueSeverity.ERROR,
        translation_key="charger_required",
        translation_placeholders={"vehicle": "Family car", "enode": ""},
        data={"entry_id": entry.entry_id, "asset_id": None, "asset_type": "charger"},
    )
    ir.async_ignore_issue(hass, DOMAIN, issue_id, True)
    ignored = ir.async_get(hass).async_get_issue(DOMAIN, issue_id)
    assert ignored is not None
    assert ignored.dismissed_version is not None
    await setup_entry(hass, entry)
    issue = ir.async_get(hass).async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.active
    assert issue.dismissed_version is None


async def test_smart_charging_unavailable_while_the_charger_is_required(
    hass: HomeAssistant, simulator_factory: Any
) -> None:
    """A vehicle with smart charging of its own that cannot start/stop charging alone: without a
    charger its smart charging is unavailable too (seed 004), until the charger is linked."""
    own_smart = VEHICLE_NO_CONTROL | {
        "capabilities": VEHICLE_NO_CONTROL["capabilities"] | {"smartCharging": True},
        "smartChargingPolicy": {"isEnabled": False, "deadline": "07:00"},
    }
    sim = await simulator_factory(household(linked=[own_smart], unlinked=[CHARGER]))
    entry = await setup_entry(hass, make_entry(sim))
    assert hass.states.get("sensor.family_car_charger_pairing").state == "required"
    assert f"charger_required_{VEHICLE_ID}" in our_issues(hass)
    assert hass.states.get("switch.family_car_smart_charging").state == STATE_UNAVAILABLE
    sim.add_asset(TEST_USER, "charger", CHARGER)
    await refresh(entry)
    await hass.async_block_till_done()
    assert hass.states.get("sensor.family_car_charger_pairing").state == "established"
    assert hass.states.get("switch.family_car_smart_charging").state == STATE_OFF


async def test_optional_charger_suggestion_dismissed(
    hass: HomeAssistant, simulator_factory: Any, hass_client_no_auth: Any
) -> None:
    """A capable vehicle without a charger: a warning suggesting one; its fix flow offers to link
    it or to stop suggesting it, and that choice is remembered (seed 004, example B)."""
    sim = await simulator_factory(household(linked=[GPS_VEHICLE], unlinked=[CHARGER]))
    entry = await setup_entry(hass, make_entry(sim))
    issue_id = f"charger_recommended_{GPS_VEHICLE_ID}"
    suggestion = our_issues(hass)[issue_id]
    assert suggestion.severity is ir.IssueSeverity.WARNING
    assert suggestion.is_fixable
    # Charging control stays on without a charger.
    assert hass.states.get("switch.tessie_charge").state == STATE_OFF
    assert hass.states.get("sensor.tessie_charger_pairing").state == "none"

    manager = repairs_flow_manager(hass)
    assert manager is not None
    result = await manager.async_init(DOMAIN, data={"issue_id": issue_id})
    assert result["type"] is FlowResultType.MENU
    assert result["step_id"] == "suggest"
    assert result["menu_options"] == ["link", "dismiss"]
    result = await manager.async_configure(result["flow_id"], {"next_step_id": "dismiss"})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert entry.options[CONF_SUGGEST_CHARGER] is False
    await refresh(entry)
    assert issue_id not in our_issues(hass)
    # After a reload too.
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert issue_id not in our_issues(hass)


async def test_optional_charger_suggestion_links(
    hass: HomeAssistant, simulator_factory: Any, hass_client_no_auth: Any
) -> None:
    """The suggestion's "link my charger" opens Link UI; the linked charger ends the suggestion."""
    client = await hass_client_no_auth()
    sim = await simulator_factory(household(linked=[GPS_VEHICLE], unlinked=[CHARGER]))
    await setup_entry(hass, make_entry(sim))
    issue_id = f"charger_recommended_{GPS_VEHICLE_ID}"
    manager = repairs_flow_manager(hass)
    assert manager is not None
    result = await manager.async_init(DOMAIN, data={"issue_id": issue_id})
    result = await manager.async_configure(result["flow_id"], {"next_step_id": "link"})
    assert result["type"] is FlowResultType.EXTERNAL_STEP
    redirect = await complete_link_ui(
        result["url"], vendor="ZAPTEC", username=f"owner-{CHARGER_ID}", password="pw"
    )
    await follow_link_callback(client, redirect)
    result = await manager.async_configure(result["flow_id"])
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert our_issues(hass) == {}
    assert hass.states.get("sensor.tessie_charger_pairing").state == "established"


async def test_pairing_cleared_and_reestablished(hass: HomeAssistant, simulator: Simulator) -> None:
    """Ten failed commands to the unplugged ID.4 clear its pair: the pairing sensor stops saying
    "established", charging control goes, a repair says to plug it in. Plugged into its charger
    again, the pair comes back, and stays after unplugging."""
    entry = await setup_entry(hass, make_entry(simulator))
    simulator.unplug(VW_ID)
    await refresh(entry)
    await hass.async_block_till_done()
    assert hass.states.get("sensor.anna_s_id_4_charger_pairing").state == "established"
    for _ in range(10):
        with pytest.raises(HomeAssistantError) as err:
            await hass.services.async_call(
                "switch", "turn_on", {"entity_id": "switch.anna_s_id_4_charge"}, blocking=True
            )
        assert err.value.translation_key == "precondition_failed"
    await refresh(entry)
    await hass.async_block_till_done()
    assert hass.states.get("sensor.anna_s_id_4_charger_pairing").state == "cleared"
    assert hass.states.get("switch.anna_s_id_4_charge").state == STATE_UNAVAILABLE
    issues = our_issues(hass)
    cleared = issues[f"charger_pairing_cleared_{VW_ID}"]
    assert cleared.severity is ir.IssueSeverity.ERROR
    # Plugging in fixes it, not Link UI: no fix flow.
    assert not cleared.is_fixable
    assert (cleared.translation_placeholders or {})["chargers"] == "Zaptec Go"
    # Enode's "link your home charger" (a charger is linked) is part of it, not its own issue.
    assert f"intervention_{VW_ID}_{NO_CHARGING_CONTROL}" not in issues
    assert f"charger_required_{VW_ID}" not in issues

    simulator.plug_in(VW_ID, ZAPTEC_ID)
    await refresh(entry)
    await hass.async_block_till_done()
    assert hass.states.get("sensor.anna_s_id_4_charger_pairing").state == "active"
    simulator.unplug(VW_ID)
    await refresh(entry)
    await hass.async_block_till_done()
    assert hass.states.get("sensor.anna_s_id_4_charger_pairing").state == "established"
    assert hass.states.get("switch.anna_s_id_4_charge").state == STATE_OFF
    assert not [issue_id for issue_id in our_issues(hass) if VW_ID in issue_id]


async def test_relink_renews_what_the_session_linked(
    hass: HomeAssistant, simulator: Simulator, hass_client_no_auth: Any
) -> None:
    """The Tesla and its Powerwall were linked in one session: relinking the Tesla (its repair)
    renews the account for both (seed 000: the relink asks for the original session's scopes)."""
    client = await hass_client_no_auth()
    entry = await setup_entry(hass, make_entry(simulator))
    simulator.add_intervention(TESLA_ID, "information", ACCOUNT_RELINK)
    simulator.add_intervention(POWERWALL_ID, "selfReliance", ACCOUNT_RELINK)
    await refresh(entry)
    issues = our_issues(hass)
    assert {
        f"intervention_{TESLA_ID}_{ACCOUNT_RELINK}",
        f"intervention_{POWERWALL_ID}_{ACCOUNT_RELINK}",
    } <= set(issues)
    result = await fix(hass, client, f"intervention_{TESLA_ID}_{ACCOUNT_RELINK}")
    assert result["type"] is FlowResultType.CREATE_ENTRY
    issues = our_issues(hass)
    assert f"intervention_{TESLA_ID}_{ACCOUNT_RELINK}" not in issues
    assert f"intervention_{POWERWALL_ID}_{ACCOUNT_RELINK}" not in issues


def _as_link_ui_error(redirect: str, error: str | None) -> str:
    """Turn Link UI's cancel redirect into one that reports ``error`` (None: keep the cancel)."""
    if error is None:
        return redirect
    redirect = redirect.replace("error=cancelled_by_user", f"error={error}")
    return re.sub(r"error_message=[^&]*", "error_message=Tesla+is+not+answering", redirect)


@pytest.mark.parametrize(
    ("error", "step_id", "placeholders"),
    [
        (None, "link_cancelled", {"error": "cancelled_by_user", "device": "Batmobile"}),
        (
            "vendor_error",
            "link_failed",
            {"error": "vendor_error", "reason": "Tesla is not answering.", "device": "Batmobile"},
        ),
    ],
)
async def test_fix_flow_left_then_retried(
    hass: HomeAssistant,
    simulator: Simulator,
    hass_client_no_auth: Any,
    error: str | None,
    step_id: str,
    placeholders: dict[str, str],
) -> None:
    """Leaving Link UI (a cancel, or Link UI's error) shows why; submitting tries again."""
    client = await hass_client_no_auth()
    await setup_entry(hass, make_entry(simulator))
    manager = repairs_flow_manager(hass)
    assert manager is not None
    result = await manager.async_init(DOMAIN, data={"issue_id": PHONE_KEY_ISSUE})
    result = await manager.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.EXTERNAL_STEP
    redirect = await complete_link_ui(result["url"], cancel=True)
    await follow_link_callback(client, _as_link_ui_error(redirect, error))
    result = await manager.async_configure(result["flow_id"])
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == step_id
    assert placeholders.items() <= result["description_placeholders"].items()
    result = await manager.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.EXTERNAL_STEP
    redirect = await complete_link_ui(result["url"])
    await follow_link_callback(client, redirect)
    result = await manager.async_configure(result["flow_id"])
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_fix_flow_link_session_fails(hass: HomeAssistant, simulator: Simulator) -> None:
    """Enode refusing the relink session, or no Home Assistant URL, aborts the fix."""
    await setup_entry(hass, make_entry(simulator))
    manager = repairs_flow_manager(hass)
    assert manager is not None
    result = await manager.async_init(DOMAIN, data={"issue_id": PHONE_KEY_ISSUE})
    simulator.inject_fault(status=400, count=1, path_prefix="/assets/")
    result = await manager.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "link_session_failed"

    result = await manager.async_init(DOMAIN, data={"issue_id": PHONE_KEY_ISSUE})
    with patch("custom_components.enode.link.get_url", side_effect=NoURLAvailableError):
        result = await manager.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "no_url_available"
    # Aborted fix flows keep the issue.
    assert PHONE_KEY_ISSUE in our_issues(hass)


async def test_fix_flow_entry_not_loaded(hass: HomeAssistant, simulator: Simulator) -> None:
    """A fix flow for an unloaded entry aborts, at the start or after Link UI."""
    entry = await setup_entry(hass, make_entry(simulator))
    manager = repairs_flow_manager(hass)
    assert manager is not None
    result = await manager.async_init(DOMAIN, data={"issue_id": PHONE_KEY_ISSUE})
    result = await manager.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.EXTERNAL_STEP
    flow_id = result["flow_id"]
    await hass.config_entries.async_unload(entry.entry_id)
    result = await manager.async_configure(flow_id, {})
    result = await manager.async_configure(flow_id)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "not_loaded"

    result = await manager.async_init(DOMAIN, data={"issue_id": PHONE_KEY_ISSUE})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "not_loaded"


async def test_issues_removed_with_entry(hass: HomeAssistant, simulator: Simulator) -> None:
    """Removing the entry removes its issues."""
    entry = await setup_entry(hass, make_entry(simulator))
    assert our_issues(hass)
    await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()
    assert our_issues(hass) == {}


async def test_no_issues_while_failing(hass: HomeAssistant, simulator: Simulator) -> None:
    """A failed refresh changes no issue."""
    entry = await setup_entry(hass, make_entry(simulator))
    before = set(our_issues(hass))
    simulator.inject_fault(status=500, count=50)
    await refresh(entry)
    assert not entry.runtime_data.coordinator.last_update_success
    assert set(our_issues(hass)) == before


async def test_fix_flow_unloaded_before_retry(
    hass: HomeAssistant, simulator: Simulator, hass_client_no_auth: Any
) -> None:
    """Retrying after Link UI was left, with the entry unloaded meanwhile, aborts."""
    client = await hass_client_no_auth()
    entry = await setup_entry(hass, make_entry(simulator))
    manager = repairs_flow_manager(hass)
    assert manager is not None
    result = await manager.async_init(DOMAIN, data={"issue_id": PHONE_KEY_ISSUE})
    result = await manager.async_configure(result["flow_id"], {})
    redirect = await complete_link_ui(result["url"], cancel=True)
    await follow_link_callback(client, redirect)
    result = await manager.async_configure(result["flow_id"])
    assert result["step_id"] == "link_cancelled"
    await hass.config_entries.async_unload(entry.entry_id)
    result = await manager.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "not_loaded"


async def test_intervention_without_text_has_no_issue(
    hass: HomeAssistant, simulator: Simulator
) -> None:
    """An intervention Enode has no text for (404) creates no issue."""
    from custom_components.enode.repairs import _issue_specs
    from custom_components.enode.texts import cached_texts

    entry = await setup_entry(hass, make_entry(simulator))
    data = entry.runtime_data.coordinator.data
    from dataclasses import replace

    texts = cached_texts(hass)
    specs = _issue_specs(entry, replace(data, interventions={}), texts)
    assert not [issue_id for issue_id in specs if issue_id.startswith("intervention_")]
    assert list(_issue_specs(entry, data, texts)) == [PHONE_KEY_ISSUE]
