"""Config flow tests: credentials, Link UI (external step) against the simulator, onboarding."""

from __future__ import annotations

from contextlib import nullcontext
import re
from typing import Any
from unittest.mock import patch

from homeassistant.config_entries import SOURCE_USER
from homeassistant.const import CONF_CLIENT_ID, CONF_CLIENT_SECRET
from homeassistant.core import HomeAssistant
from homeassistant.core_config import async_process_ha_core_config
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import instance_id, issue_registry as ir
from homeassistant.helpers.translation import async_get_translations
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from yarl import URL

from custom_components.enode.api import (
    AssetType,
    EnodeClient,
    EnodeConnectionError,
    Environment,
)
from custom_components.enode.const import (
    CONF_API_URL,
    CONF_AUTO_TITLE,
    CONF_ENVIRONMENT,
    CONF_TOKEN_URL,
    CONF_USER_ID,
    DOMAIN,
)
from custom_components.enode.link_flow import entry_title
from custom_components.enode.pairing import async_get_charger_reliance
from enode_simulator import Simulator

from .conftest import complete_link_ui, entry_data, follow_link_callback, make_entry

# Clients retry without waiting: no test sleeps through a real backoff.
pytestmark = pytest.mark.usefixtures("fast_client")

HA_URL = "http://ha.example.test:8123"
VW_ID = "8d90101b-3f2f-462a-bbb4-1ed320d33bbe"
TESLA_ID = "05ee9df5-d072-4ee8-b773-399dec8f5693"
ZAPTEC_ID = "e7d4db80-4fca-4781-ac70-14108f560706"


@pytest.fixture(autouse=True)
async def ha_url(hass: HomeAssistant) -> None:
    """Give Home Assistant a URL to build the Link UI redirect URI from (and its HTTP server)."""
    await async_process_ha_core_config(hass, {"internal_url": HA_URL})
    assert await async_setup_component(hass, "http", {})


@pytest.fixture(autouse=True)
async def no_setup_entry(hass: HomeAssistant) -> Any:
    """Do not set up entries created by the flow (the flow is under test, not the setup)."""
    with (
        patch("custom_components.enode.async_setup_entry", return_value=True) as mock,
        patch("custom_components.enode.async_unload_entry", return_value=True),
    ):
        yield mock
        for entry in hass.config_entries.async_entries(DOMAIN):
            await hass.config_entries.async_unload(entry.entry_id)


def credentials(sim: Simulator, **changes: Any) -> dict[str, Any]:
    """Return the user step input for the simulator (custom environment)."""
    data = {
        CONF_ENVIRONMENT: Environment.CUSTOM.value,
        CONF_CLIENT_ID: sim.client_id,
        CONF_CLIENT_SECRET: sim.client_secret,
        CONF_API_URL: sim.base_url,
        CONF_TOKEN_URL: sim.token_url,
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


async def start_flow(hass: HomeAssistant, *, advanced: bool = True) -> dict[str, Any]:
    """Start a user flow (advanced mode shows the custom environment)."""
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER, "show_advanced_options": advanced}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"
    return result


async def to_link(
    hass: HomeAssistant,
    sim: Simulator,
    asset_types: list[str],
    vendor: str = "link_ui",
    **user: Any,
) -> dict[str, Any]:
    """Run the flow from the start to the Link UI external step."""
    result = await start_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], credentials(sim, **user)
    )
    assert result["type"] is FlowResultType.FORM, result
    assert result["step_id"] == "asset_types"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"asset_types": asset_types}
    )
    assert result["step_id"] == "vendor"
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {"vendor": vendor})
    assert result["type"] is FlowResultType.EXTERNAL_STEP, result
    assert result["step_id"] == "link"
    return result


async def link_and_return(
    hass: HomeAssistant, client: Any, result: dict[str, Any], **link_ui: Any
) -> dict[str, Any]:
    """Complete Link UI, open the callback and continue the flow."""
    redirect = await complete_link_ui(result["url"], **link_ui)
    assert redirect.startswith(f"{HA_URL}/api/enode/link?state=")
    status, text = await follow_link_callback(client, redirect)
    assert status == 200
    assert "close this window" in text
    await hass.async_block_till_done()
    return await hass.config_entries.flow.async_configure(result["flow_id"])


async def test_single_type_with_vendor(
    hass: HomeAssistant, simulator: Simulator, hass_client_no_auth: Any
) -> None:
    """Vehicle with the brand chosen up front; capable, so the charger is only recommended."""
    client = await hass_client_no_auth()
    result = await to_link(hass, simulator, ["vehicle"], vendor="TESLA")
    link_url = URL(result["url"])
    assert str(link_url.origin()) == simulator.base_url

    result = await link_and_return(hass, client, result)
    assert result["type"] is FlowResultType.MENU
    assert result["step_id"] == "charger_recommended"
    assert result["description_placeholders"] == {"vehicle": "Batmobile"}

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "charger_skip"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Batmobile"
    user_id = result["data"][CONF_USER_ID]
    assert user_id == f"home-assistant-{await instance_id.async_get(hass)}"
    # (the title it made is recorded: it follows the devices until the user renames the entry)
    assert result["data"] == entry_data(simulator, user_id) | {CONF_AUTO_TITLE: "Batmobile"}
    assert result["result"].unique_id == f"custom_{simulator.client_id}_{user_id}"
    # The session was created for the vehicle scopes and the chosen vendor.
    sim_user = simulator.snapshot()["users"]
    assert user_id in str(sim_user)


async def test_multi_type_then_charger_onboarding(
    hass: HomeAssistant, simulator: Simulator, hass_client_no_auth: Any
) -> None:
    """Vehicle + battery in one session, then the recommended charger is linked too."""
    client = await hass_client_no_auth()
    result = await to_link(hass, simulator, ["battery", "vehicle"], vendor="TESLA")
    result = await link_and_return(hass, client, result)
    assert result["step_id"] == "charger_recommended"

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "charger_link"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "vendor"
    # Readable, translated device type names; no outage sentence when no brand is in an outage.
    assert result["description_placeholders"] == {
        "asset_types": "EV charger",
        "outages": "",
        "charger_note": "",
    }
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {"vendor": "ZAPTEC"})
    assert result["type"] is FlowResultType.EXTERNAL_STEP
    result = await link_and_return(hass, client, result)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Batmobile, Zaptec Go, Tesla Powerwall 2"


async def test_incapable_vehicle_charger_required(
    hass: HomeAssistant, simulator: Simulator, hass_client_no_auth: Any
) -> None:
    """A vehicle that cannot control charging gets the charger presented as required."""
    client = await hass_client_no_auth()
    result = await to_link(hass, simulator, ["vehicle"])
    result = await link_and_return(hass, client, result, vendor="VOLKSWAGEN")
    assert result["type"] is FlowResultType.MENU
    assert result["step_id"] == "charger_required"
    assert result["description_placeholders"] == {"vehicle": "Anna's ID.4"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "charger_skip"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Anna's ID.4"


async def test_flow_remembers_the_vehicle_needs_its_charger(
    hass: HomeAssistant, simulator: Simulator, hass_client_no_auth: Any
) -> None:
    """The ID.4 was seen without a charger in the flow, before the entry existed: that is
    remembered (unlinking the charger later says that the ID.4 loses charging control)."""
    client = await hass_client_no_auth()
    result = await to_link(hass, simulator, ["vehicle"])
    result = await link_and_return(hass, client, result, vendor="VOLKSWAGEN")
    assert result["step_id"] == "charger_required"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "charger_link"}
    )
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {"vendor": "ZAPTEC"})
    result = await link_and_return(hass, client, result)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    (vehicle,) = simulator.state.user_assets(result["data"]["user_id"], "vehicle")
    reliance = await async_get_charger_reliance(hass)
    assert reliance.needs_charger(vehicle.id) is True
    # (a vehicle never seen without a charger is unknown)
    assert reliance.needs_charger("05ee9df5-d072-4ee8-b773-399dec8f5693") is None


async def test_vendor_outage_and_link_ui_brand_choice(
    hass: HomeAssistant, simulator: Simulator, hass_client_no_auth: Any
) -> None:
    """A vendor in an outage is shown but cannot be chosen; Link UI can choose the brand."""
    simulator.set_linking_status("ZAPTEC", "OUTAGE")
    simulator.set_linking_status("EASEE", "ELEVATED_ERROR_RATE")
    client = await hass_client_no_auth()
    result = await start_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], credentials(simulator)
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"asset_types": ["charger"]}
    )
    assert result["step_id"] == "vendor"
    assert result["description_placeholders"] == {
        "asset_types": "EV charger",
        "outages": " Brands in an outage cannot be linked right now: Zaptec.",
        "charger_note": "",
    }
    options = result["data_schema"].schema["vendor"].config["options"]
    labels = {option["value"]: option["label"] for option in options}
    assert labels["ZAPTEC"] == "Zaptec (outage: cannot be linked now)"
    assert labels["EASEE"] == "Easee (elevated error rate)"

    result = await hass.config_entries.flow.async_configure(result["flow_id"], {"vendor": "ZAPTEC"})
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"vendor": "vendor_outage"}

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"vendor": "link_ui"}
    )
    assert result["type"] is FlowResultType.EXTERNAL_STEP
    result = await link_and_return(hass, client, result, vendor="EASEE")
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Easee One"


async def test_vendor_not_supporting_all_types(hass: HomeAssistant, simulator: Simulator) -> None:
    """Only vendors that support every chosen type are offered (Enode's ``/integrations`` lists
    them, seed 003); others are rejected. A vehicle without a charger gets the upfront note."""
    result = await start_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], credentials(simulator)
    )
    simulator.clear_requests()
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"asset_types": ["vehicle", "battery"]}
    )
    query = [r["query"] for r in simulator.request_log if r["path"] == "/integrations"]
    assert query == ["assetTypes=vehicle,battery"]
    placeholders = result["description_placeholders"]
    assert placeholders["asset_types"] == "Electric vehicle, Home battery"
    assert placeholders["outages"] == ""
    # Seed 004: mandatory charger linking is said before the vehicle linking starts.
    assert placeholders["charger_note"].startswith("\n\n**Before you link your vehicle:**")
    assert "also need to link your home charger" in placeholders["charger_note"]
    options = result["data_schema"].schema["vendor"].config["options"]
    assert [option["value"] for option in options] == ["link_ui", "TESLA"]


async def test_no_charger_note_when_the_charger_is_linked_too(
    hass: HomeAssistant, simulator: Simulator
) -> None:
    """The upfront charger note is for a vehicle linked without its charger: chosen together,
    the brand step does not ask for a charger it is about to link."""
    result = await start_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], credentials(simulator)
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"asset_types": ["vehicle", "charger"]}
    )
    assert result["step_id"] == "vendor"
    assert result["description_placeholders"]["charger_note"] == ""


async def test_brand_listed_for_fewer_types_is_not_offered(
    hass: HomeAssistant, simulator: Simulator
) -> None:
    """Should Enode list a brand that lacks one of the chosen types, the flow does not offer it
    (the simulator lists only brands supporting all of them: this patches in a charger brand,
    which supports none of them, and a vehicle brand, which supports one)."""
    real = EnodeClient.list_integrations

    async def with_a_charger_brand(self: EnodeClient, asset_types: Any = None) -> Any:
        chargers = await real(self, [AssetType.CHARGER])
        vehicles = await real(self, [AssetType.VEHICLE])
        return [
            *await real(self, asset_types),
            *(i for i in chargers if i.vendor == "ZAPTEC"),
            *(i for i in vehicles if i.vendor == "VOLKSWAGEN"),
        ]

    result = await start_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], credentials(simulator)
    )
    with patch.object(EnodeClient, "list_integrations", with_a_charger_brand):
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {"asset_types": ["vehicle", "battery"]}
        )
    options = result["data_schema"].schema["vendor"].config["options"]
    assert [option["value"] for option in options] == ["link_ui", "TESLA"]


async def test_integrations_unavailable(
    hass: HomeAssistant, simulator: Simulator, hass_client_no_auth: Any
) -> None:
    """When /integrations fails, only Link UI's brand selection is offered."""
    result = await start_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], credentials(simulator)
    )
    simulator.inject_fault(status=500, count=10, path_prefix="/integrations")
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"asset_types": ["vehicle"]}
    )
    assert result["errors"] == {"base": "integrations_unavailable"}
    options = result["data_schema"].schema["vendor"].config["options"]
    assert [option["value"] for option in options] == ["link_ui"]
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"vendor": "link_ui"}
    )
    assert result["type"] is FlowResultType.EXTERNAL_STEP


async def test_no_asset_types(hass: HomeAssistant, simulator: Simulator) -> None:
    """At least one asset type must be chosen."""
    result = await start_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], credentials(simulator)
    )
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {"asset_types": []})
    assert result["step_id"] == "asset_types"
    assert result["errors"] == {"asset_types": "no_asset_types"}


async def test_cancelled_then_retry(
    hass: HomeAssistant, simulator: Simulator, hass_client_no_auth: Any
) -> None:
    """Cancelling in Link UI explains it; retrying opens a new session and succeeds."""
    client = await hass_client_no_auth()
    result = await to_link(hass, simulator, ["vehicle"], vendor="TESLA")
    redirect = await complete_link_ui(result["url"], cancel=True)
    assert "error=cancelled_by_user" in redirect
    status, text = await follow_link_callback(client, redirect)
    assert status == 200
    assert "Linking cancelled" in text
    result = await hass.config_entries.flow.async_configure(result["flow_id"])
    assert result["type"] is FlowResultType.MENU
    # The user's own cancel gets its own translated step, not Link UI's (English) error text.
    assert result["step_id"] == "link_cancelled"
    assert result["menu_options"] == ["link", "link_abort"]

    # The callback's state is single-use.
    status, _ = await follow_link_callback(client, redirect)
    assert status == 400

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "link"}
    )
    assert result["type"] is FlowResultType.EXTERNAL_STEP
    result = await link_and_return(hass, client, result)
    assert result["step_id"] == "charger_recommended"


@pytest.mark.parametrize(
    ("error", "step_id", "placeholders"),
    [
        (None, "link_cancelled", None),
        (
            "vendor_error",
            "link_failed",
            {"error": "vendor_error", "reason": "Tesla is not answering."},
        ),
    ],
)
async def test_left_link_ui_then_stop(
    hass: HomeAssistant,
    simulator: Simulator,
    hass_client_no_auth: Any,
    error: str | None,
    step_id: str,
    placeholders: dict[str, str] | None,
) -> None:
    """After a cancel (translated step) or Link UI's error (its message) the user can stop."""
    client = await hass_client_no_auth()
    result = await to_link(hass, simulator, ["vehicle"], vendor="TESLA")
    redirect = await complete_link_ui(result["url"], cancel=True)
    if error is not None:
        redirect = redirect.replace("error=cancelled_by_user", f"error={error}")
        redirect = re.sub(r"error_message=[^&]*", "error_message=Tesla+is+not+answering", redirect)
    status, _ = await follow_link_callback(client, redirect)
    assert status == 200
    result = await hass.config_entries.flow.async_configure(result["flow_id"])
    assert result["type"] is FlowResultType.MENU
    assert result["step_id"] == step_id
    assert result["description_placeholders"] == placeholders
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "link_abort"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "link_cancelled"


async def test_nothing_linked(
    hass: HomeAssistant, simulator: Simulator, hass_client_no_auth: Any
) -> None:
    """Coming back from Link UI without new devices offers to choose again or stop."""
    client = await hass_client_no_auth()
    result = await to_link(hass, simulator, ["vehicle"])
    pending = hass.data["enode_pending_links"]
    state = next(iter(pending))
    status, _ = await follow_link_callback(client, f"{HA_URL}/api/enode/link?state={state}")
    assert status == 200
    result = await hass.config_entries.flow.async_configure(result["flow_id"])
    assert result["type"] is FlowResultType.MENU
    assert result["step_id"] == "no_devices"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "asset_types"}
    )
    assert result["step_id"] == "asset_types"


async def test_existing_user_keeps_devices(hass: HomeAssistant, simulator: Simulator) -> None:
    """An existing Enode user (advanced mode) can keep the devices it already has."""
    result = await start_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], credentials(simulator, **{CONF_USER_ID: simulator.user_id})
    )
    assert result["type"] is FlowResultType.MENU
    assert result["step_id"] == "existing"
    assert "Batmobile" in result["description_placeholders"]["devices"]
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "keep_existing"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"][CONF_USER_ID] == simulator.user_id
    assert result["title"] == "Batmobile, Anna's ID.4, Zaptec Go +3"


async def test_existing_user_links_more(
    hass: HomeAssistant, simulator: Simulator, hass_client_no_auth: Any
) -> None:
    """An existing user can link more devices; the charger is already there (no onboarding)."""
    client = await hass_client_no_auth()
    result = await start_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], credentials(simulator, **{CONF_USER_ID: simulator.user_id})
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "asset_types"}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"asset_types": ["hvac"]}
    )
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {"vendor": "TADO"})
    result = await link_and_return(hass, client, result)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert "Living room" in result["title"] or result["title"].endswith("+4")


async def test_duplicate_account(hass: HomeAssistant, simulator: Simulator) -> None:
    """The same environment + client + user cannot be added twice."""
    user_id = f"home-assistant-{await instance_id.async_get(hass)}"
    make_entry(simulator, user_id).add_to_hass(hass)
    result = await start_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], credentials(simulator)
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


async def test_same_user_already_in_progress(hass: HomeAssistant, simulator: Simulator) -> None:
    """A second flow for the same Enode user aborts with a translated already_in_progress."""
    first = await start_flow(hass)
    first = await hass.config_entries.flow.async_configure(first["flow_id"], credentials(simulator))
    assert first["step_id"] == "asset_types"
    second = await start_flow(hass)
    second = await hass.config_entries.flow.async_configure(
        second["flow_id"], credentials(simulator)
    )
    assert second["type"] is FlowResultType.ABORT
    assert second["reason"] == "already_in_progress"
    translations = await async_get_translations(hass, "en", "config", [DOMAIN])
    text = translations[f"component.{DOMAIN}.config.abort.already_in_progress"]
    assert "already in progress" in text


DEAD_URL = "http://127.0.0.1:9"

# Each error of the credential check: how to cause it, and the form error it shows.
CREDENTIAL_ERRORS = [
    pytest.param({CONF_CLIENT_SECRET: "wrong"}, None, None, "invalid_auth", id="invalid_auth"),
    pytest.param(
        {CONF_API_URL: DEAD_URL, CONF_TOKEN_URL: f"{DEAD_URL}/oauth2/token"},
        None,
        None,
        "cannot_connect",
        id="connection_error",
    ),
    pytest.param({}, {"status": 429, "retry_after": 120}, None, "rate_limited", id="rate_limited"),
    pytest.param({}, {"status": 503, "count": 20}, None, "cannot_connect", id="server_error"),
    pytest.param({}, None, RuntimeError("boom"), "unknown", id="unexpected_error"),
]
# Reauthentication keeps the entry's URLs, so a connection error there must pass: patched in.
REAUTH_ERRORS = [
    pytest.param(
        {}, None, EnodeConnectionError("unreachable"), "cannot_connect", id="connection_error"
    )
    if param.id == "connection_error"
    else param
    for param in CREDENTIAL_ERRORS
]


async def _submit_failing(
    hass: HomeAssistant,
    sim: Simulator,
    flow_id: str,
    user_input: dict[str, Any],
    fault: dict[str, Any] | None,
    side_effect: Exception | None,
) -> dict[str, Any]:
    """Submit credentials while the token request fails as a case of CREDENTIAL_ERRORS says.

    Faults are injected at the simulator's token endpoint; an unexpected error (which the
    simulator cannot produce) is patched in.
    """
    if fault is not None:
        sim.inject_fault(path_prefix="/oauth2/token", **fault)
    with (
        patch.object(EnodeClient, "verify_credentials", side_effect=side_effect)
        if (side_effect is not None)
        else nullcontext()
    ):
        result = await hass.config_entries.flow.async_configure(flow_id, user_input)
    sim.clear_faults()
    return result


@pytest.mark.parametrize(("changes", "fault", "side_effect", "error"), CREDENTIAL_ERRORS)
async def test_user_step_errors_then_recover(
    hass: HomeAssistant,
    simulator: Simulator,
    changes: dict[str, Any],
    fault: dict[str, Any] | None,
    side_effect: Exception | None,
    error: str,
) -> None:
    """Each failed credential check shows its error; submitting again creates the entry."""
    existing_user = {CONF_USER_ID: simulator.user_id}
    result = await start_flow(hass)
    result = await _submit_failing(
        hass,
        simulator,
        result["flow_id"],
        credentials(simulator, **existing_user, **changes),
        fault,
        side_effect,
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"
    assert result["errors"] == {"base": error}

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], credentials(simulator, **existing_user)
    )
    assert result["step_id"] == "existing"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "keep_existing"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"] == entry_data(simulator) | {CONF_AUTO_TITLE: result["title"]}


async def test_custom_urls_required(hass: HomeAssistant, simulator: Simulator) -> None:
    """The custom environment needs both URLs."""
    result = await start_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        credentials(simulator, **{CONF_API_URL: "not a url", CONF_TOKEN_URL: None}),
    )
    assert result["errors"] == {CONF_API_URL: "invalid_url", CONF_TOKEN_URL: "invalid_url"}


@pytest.mark.parametrize(
    ("port", "shown"),
    [("8300", "8300"), (None, "8234"), ("not-a-port", "8234"), ("70000", "8234")],
)
async def test_url_hints_name_the_simulator_port(
    hass: HomeAssistant,
    simulator: Simulator,
    monkeypatch: pytest.MonkeyPatch,
    port: str | None,
    shown: str,
) -> None:
    """The API and token URL hints name SIMULATOR_PORT's simulator (scripts/develop sets it)."""
    if port is None:
        monkeypatch.delenv("SIMULATOR_PORT", raising=False)
    else:
        monkeypatch.setenv("SIMULATOR_PORT", port)
    translations = await async_get_translations(hass, "en", "config", [DOMAIN])
    user = await start_flow(hass)
    entry = make_entry(simulator)
    entry.add_to_hass(hass)
    reconfigure = await entry.start_reconfigure_flow(hass)
    for result in (user, reconfigure):
        # What the frontend shows: the step's hints with its placeholders filled in.
        prefix = f"component.{DOMAIN}.config.step.{result['step_id']}.data_description"
        placeholders = result["description_placeholders"]
        api = translations[f"{prefix}.{CONF_API_URL}"].format(**placeholders)
        token = translations[f"{prefix}.{CONF_TOKEN_URL}"].format(**placeholders)
        assert f"(for the simulator: http://127.0.0.1:{shown})" in api
        assert f"(for the simulator: http://127.0.0.1:{shown}/oauth2/token)" in token


async def test_basic_mode_schema(hass: HomeAssistant) -> None:
    """Without advanced mode: production or sandbox only, no URLs, no user id."""
    result = await start_flow(hass, advanced=False)
    schema = result["data_schema"].schema
    assert set(map(str, schema)) == {CONF_ENVIRONMENT, CONF_CLIENT_ID, CONF_CLIENT_SECRET}
    assert schema[CONF_ENVIRONMENT].config["options"] == ["production", "sandbox"]


async def test_link_session_failure(hass: HomeAssistant, simulator: Simulator) -> None:
    """Enode refusing the link session aborts with its reason."""
    result = await start_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], credentials(simulator)
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"asset_types": ["vehicle"]}
    )
    simulator.inject_fault(status=403, count=1, path_prefix="/users/", method="POST")
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"vendor": "link_ui"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "link_session_failed"
    assert hass.data.get("enode_pending_links") == {}


async def test_no_url_available(hass: HomeAssistant, simulator: Simulator) -> None:
    """Without any Home Assistant URL, Link UI cannot come back: abort."""
    result = await start_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], credentials(simulator)
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"asset_types": ["vehicle"]}
    )
    with patch("custom_components.enode.link.get_url", side_effect=_no_url):
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {"vendor": "link_ui"}
        )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "no_url_available"


def _no_url(*args: Any, **kwargs: Any) -> str:
    from homeassistant.helpers.network import NoURLAvailableError

    raise NoURLAvailableError


async def test_reading_devices_fails(
    hass: HomeAssistant, simulator: Simulator, hass_client_no_auth: Any
) -> None:
    """If the linked devices cannot be read after Link UI, the flow aborts."""
    client = await hass_client_no_auth()
    result = await to_link(hass, simulator, ["vehicle"], vendor="TESLA")
    redirect = await complete_link_ui(result["url"])
    await follow_link_callback(client, redirect)
    simulator.inject_fault(status=500, count=20, path_prefix="/users/")
    result = await hass.config_entries.flow.async_configure(result["flow_id"])
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "cannot_connect"


async def test_flow_through_http_uses_frontend_base(
    hass: HomeAssistant, simulator: Simulator, hass_client: Any
) -> None:
    """Through the frontend's API, the redirect URI is built from the frontend's base URL."""
    assert await async_setup_component(hass, "config", {})
    client = await hass_client()
    headers = {"HA-Frontend-Base": "https://my-home.example.test"}
    resp = await client.post(
        "/api/config/config_entries/flow",
        json={"handler": DOMAIN, "show_advanced_options": True},
        headers=headers,
    )
    flow = await resp.json()
    flow_id = flow["flow_id"]
    path = f"/api/config/config_entries/flow/{flow_id}"
    resp = await client.post(path, json=credentials(simulator), headers=headers)
    assert (await resp.json())["step_id"] == "asset_types"
    resp = await client.post(path, json={"asset_types": ["vehicle"]}, headers=headers)
    resp = await client.post(path, json={"vendor": "TESLA"}, headers=headers)
    result = await resp.json()
    assert result["type"] == "external"
    redirect = await complete_link_ui(result["url"])
    assert redirect.startswith("https://my-home.example.test/api/enode/link?state=")
    status, _ = await follow_link_callback(client, redirect)
    assert status == 200
    resp = await client.post(path, headers=headers)
    assert (await resp.json())["step_id"] == "charger_recommended"


async def test_removed_flow_forgets_state(hass: HomeAssistant, simulator: Simulator) -> None:
    """Aborting a flow that waits for Link UI forgets its state."""
    result = await to_link(hass, simulator, ["vehicle"])
    assert len(hass.data["enode_pending_links"]) == 1
    hass.config_entries.flow.async_abort(result["flow_id"])
    assert hass.data["enode_pending_links"] == {}


def test_entry_title_without_devices() -> None:
    """An entry without devices is called Enode."""
    assert entry_title([]) == "Enode"


# ------------------------------------------------------------------ reauth


def _entry_with_old_secret(hass: HomeAssistant, simulator: Simulator) -> MockConfigEntry:
    """Add an entry for the simulator's user whose client secret Enode no longer accepts."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="Enode",
        unique_id=f"custom_{simulator.client_id}_{simulator.user_id}",
        data={**entry_data(simulator), CONF_CLIENT_SECRET: "old-secret"},
    )
    entry.add_to_hass(hass)
    return entry


@pytest.mark.parametrize(("changes", "fault", "side_effect", "error"), REAUTH_ERRORS)
async def test_reauth_errors_then_recover(
    hass: HomeAssistant,
    simulator: Simulator,
    changes: dict[str, Any],
    fault: dict[str, Any] | None,
    side_effect: Exception | None,
    error: str,
) -> None:
    """Each failed check of a new secret shows its error; the right secret updates the entry."""
    entry = _entry_with_old_secret(hass, simulator)
    result = await entry.start_reauth_flow(hass)
    assert result["step_id"] == "reauth_confirm"
    secret = changes.get(CONF_CLIENT_SECRET, simulator.client_secret)
    result = await _submit_failing(
        hass,
        simulator,
        result["flow_id"],
        {CONF_CLIENT_ID: simulator.client_id, CONF_CLIENT_SECRET: secret},
        fault,
        side_effect,
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": error}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {CONF_CLIENT_ID: simulator.client_id, CONF_CLIENT_SECRET: simulator.client_secret},
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert entry.data[CONF_CLIENT_SECRET] == simulator.client_secret


async def test_reauth_other_client_shows_error_and_retries(
    hass: HomeAssistant, simulator: Simulator
) -> None:
    """Another client id is refused on the form; the reauth (and its repair) stay until fixed."""
    entry = _entry_with_old_secret(hass, simulator)
    # (as a rejected secret does: the reauth flow and its repair "Authentication expired")
    entry.async_start_reauth(hass)
    await hass.async_block_till_done()
    [flow] = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    issue_id = f"config_entry_reauth_{DOMAIN}_{entry.entry_id}"
    assert ir.async_get(hass).async_get_issue("homeassistant", issue_id) is not None
    result = await hass.config_entries.flow.async_configure(
        flow["flow_id"],
        {CONF_CLIENT_ID: "other-client", CONF_CLIENT_SECRET: simulator.client_secret},
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reauth_confirm"
    assert result["errors"] == {CONF_CLIENT_ID: "account_mismatch"}
    # Nothing was stored, the flow and its repair are still there to try again.
    assert entry.data[CONF_CLIENT_SECRET] == "old-secret"
    assert hass.config_entries.flow.async_get(result["flow_id"])["step_id"] == "reauth_confirm"
    assert ir.async_get(hass).async_get_issue("homeassistant", issue_id) is not None
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {CONF_CLIENT_ID: simulator.client_id, CONF_CLIENT_SECRET: simulator.client_secret},
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert entry.data[CONF_CLIENT_SECRET] == simulator.client_secret


# ------------------------------------------------------------- reconfigure


async def test_reconfigure(
    hass: HomeAssistant, simulator: Simulator, simulator_factory: Any
) -> None:
    """Move to another API URL; the user id stays."""
    entry = make_entry(simulator)
    entry.add_to_hass(hass)
    other = await simulator_factory("demo")
    result = await entry.start_reconfigure_flow(hass)
    assert result["step_id"] == "reconfigure"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], credentials(other, **{CONF_CLIENT_SECRET: "wrong"})
    )
    assert result["errors"] == {"base": "invalid_auth"}
    result = await hass.config_entries.flow.async_configure(result["flow_id"], credentials(other))
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert entry.data[CONF_API_URL] == other.base_url
    assert entry.data[CONF_USER_ID] == simulator.user_id


@pytest.mark.parametrize(("changes", "fault", "side_effect", "error"), CREDENTIAL_ERRORS)
async def test_reconfigure_errors_then_recover(
    hass: HomeAssistant,
    simulator: Simulator,
    changes: dict[str, Any],
    fault: dict[str, Any] | None,
    side_effect: Exception | None,
    error: str,
) -> None:
    """Each failed check of the new credentials shows its error; the right ones are stored."""
    entry = make_entry(simulator)
    entry.add_to_hass(hass)
    result = await entry.start_reconfigure_flow(hass)
    result = await _submit_failing(
        hass, simulator, result["flow_id"], credentials(simulator, **changes), fault, side_effect
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reconfigure"
    assert result["errors"] == {"base": error}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], credentials(simulator)
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert entry.data == entry_data(simulator)


async def test_reconfigure_to_production_drops_urls(
    hass: HomeAssistant, simulator: Simulator
) -> None:
    """Leaving the custom environment removes the custom URLs (verification patched: no net)."""
    entry = make_entry(simulator)
    entry.add_to_hass(hass)
    result = await entry.start_reconfigure_flow(hass)
    with patch("custom_components.enode.config_flow.EnodeClient.verify_credentials"):
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"],
            {
                CONF_ENVIRONMENT: "production",
                CONF_CLIENT_ID: "prod-client",
                CONF_CLIENT_SECRET: "prod-secret",
            },
        )
    assert result["reason"] == "reconfigure_successful"
    assert CONF_API_URL not in entry.data
    assert entry.data[CONF_ENVIRONMENT] == "production"
    assert entry.unique_id == f"production_prod-client_{simulator.user_id}"


async def test_reconfigure_to_existing_account(
    hass: HomeAssistant, simulator: Simulator, simulator_factory: Any
) -> None:
    """Reconfiguring into another entry's account aborts."""
    entry = make_entry(simulator)
    entry.add_to_hass(hass)
    MockConfigEntry(
        domain=DOMAIN,
        unique_id=f"production_prod-client_{simulator.user_id}",
        data={},
    ).add_to_hass(hass)
    result = await entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {CONF_ENVIRONMENT: "production", CONF_CLIENT_ID: "prod-client", CONF_CLIENT_SECRET: "s"},
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


async def test_vendor_gone_on_submit(hass: HomeAssistant, simulator: Simulator) -> None:
    """A brand that is no longer offered when the form is submitted is refused."""
    result = await start_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], credentials(simulator)
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"asset_types": ["vehicle"]}
    )
    simulator.inject_fault(status=500, count=10, path_prefix="/integrations")
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {"vendor": "TESLA"})
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "integrations_unavailable", "vendor": "vendor_unavailable"}


async def test_existing_devices_unreadable(hass: HomeAssistant, simulator: Simulator) -> None:
    """If the user's devices cannot be read after the credentials, the flow aborts."""
    result = await start_flow(hass)
    simulator.inject_fault(status=500, count=20, path_prefix="/users/")
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], credentials(simulator)
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "cannot_connect"


async def test_charger_skip_reuses_the_read(
    hass: HomeAssistant, simulator: Simulator, hass_client_no_auth: Any
) -> None:
    """Skipping the charger creates the entry from the devices read after Link UI: they are not
    read again (set-up reads each thing once), so a failing read cannot get in the way."""
    client = await hass_client_no_auth()
    result = await to_link(hass, simulator, ["vehicle"], vendor="TESLA")
    result = await link_and_return(hass, client, result)
    assert result["step_id"] == "charger_recommended"
    simulator.inject_fault(status=500, count=20, path_prefix="/users/")
    before = simulator.count_requests("GET", "/users/")
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "charger_skip"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Batmobile"
    assert simulator.count_requests("GET", "/users/") == before
    simulator.clear_faults()
    await hass.async_block_till_done()


async def test_fetch_assets_ignores_unknown_vendor_types() -> None:
    """A linked vendor of a type this version does not know is skipped (stub client)."""
    from custom_components.enode.api import LinkedVendor, User
    from custom_components.enode.link_flow import async_fetch_assets

    class StubClient:
        requested: list[str] = []

        async def get_user(self, user_id: str) -> User:
            return User(
                id=user_id,
                linked_vendors=[
                    LinkedVendor(vendor="X", vendor_type="spaceship", is_valid=True),
                    LinkedVendor(vendor="TESLA", vendor_type="vehicle", is_valid=True),
                    LinkedVendor(vendor="TESLA", vendor_type="vehicle", is_valid=True),
                ],
            )

        async def list_assets(self, user_id: str, model: Any) -> list[Any]:
            self.requested.append(str(model.asset_type))
            return []

    stub = StubClient()
    assert await async_fetch_assets(stub, "u") == []  # type: ignore[arg-type]
    assert stub.requested == ["vehicle"]


async def test_devices_unreadable_before_link_ui(
    hass: HomeAssistant, simulator: Simulator, hass_client_no_auth: Any
) -> None:
    """If the devices already linked cannot be read, Link UI is not opened: the flow aborts.

    They are read again before each visit to Link UI after the first (the first reuses the
    read after the credentials): here after the user cancelled Link UI and tries again.
    """
    client = await hass_client_no_auth()
    result = await to_link(hass, simulator, ["vehicle"])
    redirect = await complete_link_ui(result["url"], cancel=True)
    status, _ = await follow_link_callback(client, redirect)
    assert status == 200
    result = await hass.config_entries.flow.async_configure(result["flow_id"])
    assert result["step_id"] == "link_cancelled"
    before = simulator.count_requests("POST", "/users/")
    simulator.inject_fault(status=500, count=20, path_prefix="/users/", method="GET")
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "link"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "cannot_connect"
    # No link session was created, and no state waits for a callback.
    assert simulator.count_requests("POST", "/users/") == before
    assert hass.data.get("enode_pending_links", {}) == {}
