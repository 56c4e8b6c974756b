"""The simulator records request headers (secrets redacted) and checks ``Enode-Version``."""

from __future__ import annotations

import aiohttp
import pytest

from enode_simulator import Simulator
from enode_simulator.app import REDACTED

from .conftest import Api

BAD_REQUEST = "https://developers.enode.com/api/problems/bad-request"


async def _get(
    http: aiohttp.ClientSession, sim: Simulator, token: str, headers: dict[str, str]
) -> tuple[int, dict[str, object]]:
    async with http.get(
        f"{sim.base_url}/users/{sim.user_id}/vehicles",
        headers={"Authorization": f"Bearer {token}"} | headers,
    ) as resp:
        return resp.status, await resp.json()


async def test_missing_version_defaults_to_2024_10_01(
    simulator: Simulator, api: Api, http: aiohttp.ClientSession
) -> None:
    """Without ``Enode-Version`` the request is served as 2024-10-01 (the client's default)."""
    token = await api.fetch_token()
    status, body = await _get(http, simulator, token, {})
    assert status == 200
    assert len(body["data"]) == 2  # type: ignore[arg-type]
    assert "Enode-Version" not in simulator.request_log[-1]["headers"]


@pytest.mark.parametrize("version", ["2024-01-01", "2023-08-01", "latest", ""])
async def test_unsupported_version_is_a_400_problem(
    simulator: Simulator, api: Api, http: aiohttp.ClientSession, version: str
) -> None:
    """Any other version gets a clear bad-request Problem naming the value and 2024-10-01."""
    token = await api.fetch_token()
    status, body = await _get(http, simulator, token, {"Enode-Version": version})
    assert status == 400
    assert body == {
        "type": BAD_REQUEST,
        "title": "Bad request",
        "detail": (f"Unsupported Enode-Version {version!r}: this simulator implements 2024-10-01."),
    }


async def test_version_is_not_required_by_public_and_control_paths(
    simulator: Simulator, http: aiohttp.ClientSession
) -> None:
    """The token endpoint, the control API and the Link UI do not look at the header."""
    headers = {"Enode-Version": "1999-01-01"}
    async with http.post(
        simulator.token_url,
        data={"grant_type": "client_credentials"},
        auth=aiohttp.BasicAuth(simulator.client_id, simulator.client_secret),
        headers=headers,
    ) as resp:
        assert resp.status == 200
    async with http.get(f"{simulator.base_url}/_simulator/state", headers=headers) as resp:
        assert resp.status == 200


async def test_request_log_records_headers_with_secrets_redacted(
    simulator: Simulator, api: Api, http: aiohttp.ClientSession
) -> None:
    """Headers are logged as sent, except Authorization (and cookies), which are redacted."""
    token = await api.fetch_token()
    status, _ = await _get(
        http, simulator, token, {"Enode-Version": "2024-10-01", "Cookie": "session=abc"}
    )
    assert status == 200
    entry = simulator.request_log[-1]
    assert entry["headers"]["Enode-Version"] == "2024-10-01"
    assert entry["headers"]["Authorization"] == f"Bearer {REDACTED}"
    assert entry["headers"]["Cookie"] == REDACTED
    token_entry = next(e for e in simulator.request_log if e["path"] == "/oauth2/token")
    assert token_entry["headers"]["Authorization"] == f"Basic {REDACTED}"
    async with http.get(f"{simulator.base_url}/_simulator/requests") as resp:
        log = await resp.text()
    assert token not in log
    assert "abc" not in log
    assert "demo-secret" not in log
