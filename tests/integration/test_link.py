"""The Link UI callback view and link session helpers."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.core_config import async_process_ha_core_config
from homeassistant.setup import async_setup_component
import pytest

from custom_components.enode.link import (
    LinkTarget,
    async_register_state,
    link_language,
    link_outcome,
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
    """Home Assistant's language maps to a Link UI language."""
    assert link_language(language) == expected


def test_link_outcome() -> None:
    """Link UI's error parameters become the flow's input; success is empty."""
    assert link_outcome({"state": "x"}) == {}
    assert link_outcome({"error": "cancelled_by_user"}) == {
        "error": "cancelled_by_user",
        "error_message": "",
    }


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
