"""Token endpoint, authentication, asset lists and single assets over raw HTTP."""

from __future__ import annotations

import aiohttp

from enode_simulator import Simulator

from .conftest import Api

VW = "8d90101b-3f2f-462a-bbb4-1ed320d33bbe"
TESLA = "05ee9df5-d072-4ee8-b773-399dec8f5693"
ZAPTEC = "e7d4db80-4fca-4781-ac70-14108f560706"


async def test_token_and_lists(simulator: Simulator, api: Api) -> None:
    assert simulator.client_id == "demo-client"
    assert simulator.user_id == "demo-user"
    status, body = await api.get("/users/demo-user/vehicles")
    assert status == 200
    assert {v["id"] for v in body["data"]} == {VW, TESLA}
    assert body["pagination"] == {"before": None, "after": None}
    status, charger = await api.get(f"/chargers/{ZAPTEC}")
    assert status == 200
    assert charger["chargeState"]["pluggedInVehicleId"] == VW
    assert ("GET", "/users/demo-user/vehicles") in simulator.requests


async def test_bad_credentials(simulator: Simulator, http: aiohttp.ClientSession) -> None:
    async with http.post(
        simulator.token_url,
        data={"grant_type": "client_credentials"},
        auth=aiohttp.BasicAuth("demo-client", "wrong"),
    ) as resp:
        assert resp.status == 401
        assert (await resp.json())["error"] == "invalid_client"


async def test_token_expires(simulator: Simulator, api: Api) -> None:
    status, _ = await api.get("/users/demo-user/chargers")
    assert status == 200
    simulator.advance_time(3601)
    status, body = await api.get("/users/demo-user/chargers")
    assert status == 401
    assert body["title"] == "Unauthorized"
