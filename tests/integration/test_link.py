"""The Link UI callback view and link session helpers."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from unittest.mock import patch

from aiohttp.test_utils import make_mocked_request
from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.core_config import async_process_ha_core_config
from homeassistant.helpers.http import current_request
from homeassistant.helpers.network import NoURLAvailableError
from homeassistant.setup import async_setup_component
import pytest

from custom_components.enode.api import LANGUAGES
from custom_components.enode.helpers import enode_language
from custom_components.enode.link import (
    LinkTarget,
    async_get_redirect_uri,
    async_register_state,
    link_error_placeholders,
    link_outcome,
    step_after_link_ui,
)

from .conftest import follow_link_callback


@pytest.fixture(autouse=True)
async def ha_setup(hass: HomeAssistant) -> None:
    """Home Assistant's URL and HTTP server."""
    await async_process_ha_core_config(hass, {"internal_url": "http://ha.example.test:8123"})
    assert await async_setup_component(hass, "http", {})


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        (None, "en-US"),
        ("en", "en-US"),
        ("en-GB", "en-GB"),
        ("en_GB", "en-GB"),
        ("nb", "nb-NO"),
        ("no", "nb-NO"),
        ("de", "de-DE"),
        ("nl-BE", "nl-BE"),
        ("pt-BR", "pt-PT"),
        ("zh-Hans", "en-US"),
    ],
)
def test_link_language(language: str | None, expected: str) -> None:
    """Home Assistant's language maps to a Link UI language (the one mapper, Link UI's list)."""
    assert enode_language(language, LANGUAGES) == expected


def test_link_outcome() -> None:
    """Link UI's error parameters become the flow's input; success is empty."""
    assert link_outcome({"state": "x"}) == {}
    assert link_outcome({"error": "cancelled_by_user"}) == {
        "error": "cancelled_by_user",
        "error_message": "",
    }


IN_LINK_UI = "linking in Enode Link UI"


@pytest.mark.parametrize(
    ("error", "message", "reason"),
    [
        ("cancelled_by_user", "The user cancelled linking.", ""),
        ("vendor_error", "The brand is down.", "The brand is down."),
        ("vendor_error", "The brand is down...", "The brand is down."),
        ("vendor_error", "  The brand is down  ", "The brand is down."),
        ("vendor_error", "Is the brand down?", "Is the brand down?"),
        ("vendor_error", "y" * 10 + "…", "y" * 10 + "…"),
        ("vendor_error", "", "vendor_error."),
        ("vendor_error", None, "vendor_error."),
    ],
)
def test_link_error_reason(error: str, message: str | None, reason: str) -> None:
    """A flow shows one readable sentence (one full stop) for Link UI's error."""
    user_input = {"error": error, "error_message": message}
    assert link_error_placeholders(user_input) == {"error": error, "reason": reason}
    assert link_error_placeholders({}) is None
    assert link_error_placeholders({"error": ""}) is None


def test_link_error_step() -> None:
    """After Link UI a flow goes on with success, its translated cancel step, or the error step."""
    assert step_after_link_ui(None, "linked") == "linked"
    assert step_after_link_ui({}, "done") == "done"
    assert (
        step_after_link_ui(link_error_placeholders({"error": "cancelled_by_user"}), "done")
        == "link_cancelled"
    )
    assert (
        step_after_link_ui(link_error_placeholders({"error": "vendor_error"}), "done")
        == "link_failed"
    )


def test_link_outcome_is_plain_and_short() -> None:
    """Link UI's texts reach a flow description: no links, HTML or line breaks; bounded."""
    outcome = link_outcome(
        {
            "error": "x" * 500,
            "error_message": "See [this](https://evil.example) <b>now</b>\n\n# Title " + "y" * 400,
        }
    )
    assert len(outcome["error"]) == 100
    assert outcome["error"].endswith("…")
    message = outcome["error_message"]
    assert len(message) == 300
    assert message.startswith("See this https://evil.example b now /b # Title yyy")
    assert not set("[]()<>\n") & set(message)


async def test_missing_and_unknown_state(hass: HomeAssistant, hass_client_no_auth: Any) -> None:
    """Without a known state the view refuses (400) and resumes nothing."""
    async_register_state(hass, LinkTarget.CONFIG_FLOW, "some-flow")
    client = await hass_client_no_auth()
    for url in ("/api/enode/link", "/api/enode/link?state=", "/api/enode/link?state=guess"):
        status, text = await follow_link_callback(client, url)
        assert status == 400
        assert "invalid, expired or was already used" in text


async def test_flow_gone(hass: HomeAssistant, hass_client_no_auth: Any) -> None:
    """A state whose flow no longer exists answers 410."""
    client = await hass_client_no_auth()
    for target in (LinkTarget.CONFIG_FLOW, LinkTarget.OPTIONS_FLOW, LinkTarget.CONFIG_ENTRY):
        state = async_register_state(hass, target, "missing")
        status, text = await follow_link_callback(client, f"/api/enode/link?state={state}")
        assert status == 410
        assert "no longer waiting" in text


async def test_repair_flow_without_repairs(hass: HomeAssistant, hass_client_no_auth: Any) -> None:
    """A repair flow state when repairs is not loaded answers 410; with repairs too."""
    client = await hass_client_no_auth()
    state = async_register_state(hass, LinkTarget.REPAIR_FLOW, "missing")
    status, _ = await follow_link_callback(client, f"/api/enode/link?state={state}")
    assert status == 410
    assert await async_setup_component(hass, "repairs", {})
    state = async_register_state(hass, LinkTarget.REPAIR_FLOW, "missing")
    status, _ = await follow_link_callback(client, f"/api/enode/link?state={state}")
    assert status == 410


async def test_expired_state(
    hass: HomeAssistant, hass_client_no_auth: Any, freezer: FrozenDateTimeFactory
) -> None:
    """States expire with the link session (24 hours)."""
    client = await hass_client_no_auth()
    state = async_register_state(hass, LinkTarget.CONFIG_FLOW, "missing")
    freezer.tick(timedelta(hours=24, seconds=1))
    status, _ = await follow_link_callback(client, f"/api/enode/link?state={state}")
    assert status == 400
    assert hass.data["enode_pending_links"] == {}


@pytest.mark.parametrize(
    ("headers", "expected_base"),
    [
        # Config flows: the frontend says where it runs.
        (
            {"Host": "ha.example.com", "HA-Frontend-Base": "https://front.example.com"},
            "https://front.example.com",
        ),
        # Options and repair flows (no header): the configured URL of the host the request
        # came to, with its scheme (a TLS-terminating proxy or Nabu Casa), not the request's.
        ({"Host": "ha.example.com"}, "https://ha.example.com"),
        ({"Host": "ha.example.test:8123"}, "http://ha.example.test:8123"),
        # A host Home Assistant does not know: the request's own origin.
        ({"Host": "192.0.2.7:8123"}, "http://192.0.2.7:8123"),
        # A frontend base that would make the URI longer than Enode's 500 characters is skipped.
        (
            {
                "Host": "ha.example.com",
                "HA-Frontend-Base": f"https://{'a' * 60}.example/{'p' * 450}",
            },
            "https://ha.example.com",
        ),
    ],
)
async def test_redirect_uri_from_request(
    hass: HomeAssistant, headers: dict[str, str], expected_base: str
) -> None:
    """The redirect URI points where the user's browser reaches Home Assistant."""
    await async_process_ha_core_config(hass, {"external_url": "https://ha.example.com"})
    token = current_request.set(make_mocked_request("GET", "/api/x", headers=headers))
    try:
        uri = async_get_redirect_uri(hass, "s" * 43)
    finally:
        current_request.reset(token)
    assert uri == f"{expected_base}/api/enode/link?state={'s' * 43}"
    assert len(uri) <= 500


async def test_redirect_uri_without_request(hass: HomeAssistant) -> None:
    """Outside a request (actions, automations) the configured URL is used; none: error."""
    assert (
        async_get_redirect_uri(hass, "abc")
        == "http://ha.example.test:8123/api/enode/link?state=abc"
    )
    with (
        patch("custom_components.enode.link.REDIRECT_URI_MAX_LENGTH", 20),
        pytest.raises(NoURLAvailableError),
    ):
        async_get_redirect_uri(hass, "abc")
