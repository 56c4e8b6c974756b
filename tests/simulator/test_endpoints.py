"""Pagination, users, link sessions, interventions, integrations, locations and health."""

from __future__ import annotations

from typing import Any

import aiohttp

from enode_simulator import Simulator
from enode_simulator.catalog import ACCOUNT_RELINK, SCOPES_BY_ASSET_TYPE, TESLA_PHONE_KEY
from tests.conftest import SimulatorFactory

from .conftest import Api

TESLA = "05ee9df5-d072-4ee8-b773-399dec8f5693"
ZAPTEC = "e7d4db80-4fca-4781-ac70-14108f560706"
POWERWALL = "54d827e1-8355-4fed-97b5-55940d1d09ba"
VEHICLE_KEYS = {
    "id",
    "userId",
    "vendor",
    "lastSeen",
    "isReachable",
    "information",
    "chargeState",
    "smartChargingPolicy",
    "odometer",
    "capabilities",
    "scopes",
    "location",
}


async def test_pagination(simulator_factory: SimulatorFactory, http: Any) -> None:
    sim = await simulator_factory({"generate": {"vehicles": 60, "chargers": 3}})
    assert sim.user_id == "fleet-user"
    api = Api(http, sim)
    _, everything = await api.get("/users/fleet-user/vehicles", params={"pageSize": 100})
    every_id = [v["id"] for v in everything["data"]]
    assert len(every_id) == 60
    status, first = await api.get("/users/fleet-user/vehicles")
    assert status == 200
    assert len(first["data"]) == 50
    assert first["pagination"]["before"] is None
    assert first["pagination"]["after"]
    assert [v["id"] for v in first["data"]] == every_id[:50]
    assert set(first["data"][0]) == VEHICLE_KEYS
    _, second = await api.get(
        "/users/fleet-user/vehicles", params={"after": first["pagination"]["after"]}
    )
    assert len(second["data"]) == 10
    assert second["pagination"]["after"] is None
    assert [v["id"] for v in second["data"]] == every_id[50:]
    _, back = await api.get(
        "/users/fleet-user/vehicles",
        params={"before": second["pagination"]["before"], "pageSize": 5},
    )
    assert [v["id"] for v in back["data"]] == every_id[45:50]
    assert back["pagination"]["after"] is not None
    ids: list[str] = []
    cursor: str | None = None
    while True:
        params = {"pageSize": "7"} | ({"after": cursor} if cursor else {})
        _, page = await api.get("/vehicles", params=params)
        ids += [v["id"] for v in page["data"]]
        cursor = page["pagination"]["after"]
        if cursor is None:
            break
    assert len(ids) == len(set(ids)) == 60
    for params in (
        {"pageSize": "0"},
        {"pageSize": "x"},
        {"after": "!!"},
        {"after": "aWR4Oi0x"},
        {"after": "Zm9vOjE"},
        {"after": "a", "before": "b"},
    ):
        status, problem = await api.get("/users/fleet-user/vehicles", params=params)
        assert status == 400, params
        assert problem["type"].endswith("/bad-request")
    status, chargers = await api.get("/chargers")
    assert len(chargers["data"]) == 3
    status, users = await api.get("/users")
    assert users["data"][0]["id"] == "fleet-user"
    assert "vehicle:read:data" in users["data"][0]["scopes"]


async def test_every_asset_type(simulator_factory: SimulatorFactory, http: Any) -> None:
    sim = await simulator_factory("demo-linked")
    api = Api(http, sim)
    required = {
        "batteries": {"chargeState", "config", "information", "capabilities", "location"},
        "inverters": {"productionState", "timezone", "information", "location"},
        "meters": {"energyState", "information", "location", "capabilities"},
        "hvacs": {"consumptionRate", "temperatureState", "thermostatState", "capabilities"},
        "chargers": {"chargeState", "information", "location", "capabilities"},
    }
    for plural, keys in required.items():
        status, page = await api.get(f"/users/demo-user/{plural}")
        assert status == 200
        assert page["data"], plural
        item = page["data"][0]
        assert keys <= set(item), plural
        assert {"id", "userId", "vendor", "lastSeen", "isReachable", "scopes"} <= set(item)
        status, single = await api.get(f"/{plural}/{item['id']}")
        assert single == item
        status, _ = await api.post(f"/{plural}/{item['id']}/refresh-hint")
        assert status == 204
        status, _ = await api.post(f"/{plural}/missing/refresh-hint")
        assert status == 404
    _, hvacs = await api.get("/users/demo-user/hvacs")
    hvac_id = hvacs["data"][0]["id"]
    status, hvac = await api.put(f"/hvacs/{hvac_id}", {"locationId": None})
    assert status == 200
    assert hvac["location"] == {"id": None}
    assert hvac["capabilities"]["setPermanentHold"]["isCapable"] is True
    # Two chargers: the vehicles stay paired with the first one linked.
    _, chargers = await api.get("/users/demo-user/chargers")
    assert len(chargers["data"]) == 2


async def test_wrong_type_and_unknown_routes(simulator: Simulator, api: Api) -> None:
    status, problem = await api.get(f"/vehicles/{ZAPTEC}")
    assert status == 404
    assert problem == {
        "type": "https://developers.enode.com/api/problems/not-found",
        "title": "Not Found",
        "detail": "Vehicle not found.",
    }
    status, problem = await api.get("/nothing/here")
    assert status == 404
    assert problem["detail"] == "Route not found"
    status, problem = await api.request("PATCH", f"/chargers/{ZAPTEC}")
    assert status == 405
    status, _ = await api.get("/users/demo-user/vehicles", auth=False)
    assert status == 401
    status, _ = await api.get("/health/ready", auth=False)
    assert status == 204
    status, vendors = await api.get("/health/chargers")
    assert {"vendor", "displayName", "status", "portalName", "linkingStatus"} == set(vendors[0])


async def test_token_endpoint_variants(simulator: Simulator, http: aiohttp.ClientSession) -> None:
    async with http.post(simulator.token_url, data={"grant_type": "password"}) as resp:
        assert resp.status == 400
        assert (await resp.json())["error"] == "unsupported_grant_type"
    async with http.post(
        simulator.token_url,
        data={
            "grant_type": "client_credentials",
            "client_id": "demo-client",
            "client_secret": "demo-secret",
        },
    ) as resp:
        assert resp.status == 200
        body = await resp.json()
        assert body["token_type"] == "bearer"
        assert body["expires_in"] == 3600
    async with http.post(
        simulator.token_url,
        data={"grant_type": "client_credentials"},
        headers={"Authorization": "Basic ***notbase64"},
    ) as resp:
        assert resp.status == 401
    api = Api(http, simulator)
    await api.fetch_token()
    simulator.revoke_tokens()
    status, _ = await api.get("/users/demo-user")
    assert status == 401
    async with http.get(
        simulator.base_url + "/users/demo-user", headers={"Authorization": "Token abc"}
    ) as resp:
        assert resp.status == 401


async def test_users(simulator: Simulator, api: Api) -> None:
    status, user = await api.get("/users/demo-user")
    assert status == 200
    assert user["id"] == "demo-user"
    vendors = {(v["vendor"], v["vendorType"]): v["isValid"] for v in user["linkedVendors"]}
    assert vendors[("TESLA", "vehicle")] is True
    assert vendors[("TESLA", "battery")] is True
    assert vendors[("ZAPTEC", "charger")] is True
    status, _ = await api.get("/users/nobody")
    assert status == 404
    status, _ = await api.delete("/users/demo-user/vendors/TESLA/battery")
    assert status == 204
    _, batteries = await api.get("/users/demo-user/batteries")
    assert batteries["data"] == []
    _, vehicles = await api.get("/users/demo-user/vehicles")
    assert len(vehicles["data"]) == 2
    status, _ = await api.delete("/users/demo-user/vendors/TESLA/spaceship")
    assert status == 400
    status, _ = await api.delete("/users/demo-user/vendors/TESLA")
    assert status == 204
    _, vehicles = await api.get("/users/demo-user/vehicles")
    assert [v["vendor"] for v in vehicles["data"]] == ["VOLKSWAGEN"]
    deleted = [e for e in simulator.events if e["event"] == "user:vehicle:deleted"]
    assert deleted[0]["vehicle"]["id"] == TESLA
    status, _ = await api.delete("/users/demo-user/authorization")
    assert status == 204
    _, user = await api.get("/users/demo-user")
    assert all(v["isValid"] is False for v in user["linkedVendors"])
    status, _ = await api.delete("/users/demo-user")
    assert status == 204
    status, _ = await api.get("/users/demo-user")
    assert status == 404
    _, vehicles = await api.get("/users/demo-user/vehicles")
    assert vehicles["data"] == []
    _, locations = await api.get("/users/demo-user/locations")
    assert locations["data"] == []
    status, _ = await api.delete("/users/demo-user")
    assert status == 404


LINK_BODY = {
    "scopes": ["vehicle:read:data", "vehicle:control:charging", "charger:read:data"],
    "language": "en-US",
    "redirectUri": "https://example.com/callback",
}


async def test_link_session(simulator: Simulator, api: Api) -> None:
    status, body = await api.post("/users/new-user/link", LINK_BODY | {"vendorType": "vehicle"})
    assert status == 200
    assert set(body) == {"linkUrl", "linkToken"}
    assert body["linkUrl"] == f"{simulator.base_url}/link/{body['linkToken']}"
    session = simulator.state.get_link_session(body["linkToken"])
    assert session is not None
    assert session.user_id == "new-user"
    assert session.asset_types == ["vehicle", "charger"]
    vendors = {v["vendor"] for v in simulator.state.session_vendors(session)}
    assert "TESLA" in vendors
    assert "ZAPTEC" not in vendors
    assert session.is_usable(simulator.state.now())
    simulator.advance_time(24 * 3600)
    assert session.is_expired(simulator.state.now())
    await api.fetch_token()
    # The user exists from the first link session on.
    status, user = await api.get("/users/new-user")
    assert status == 200
    assert user["linkedVendors"] == []


async def test_link_validation(simulator: Simulator, api: Api) -> None:
    invalid: list[Any] = [
        {k: v for k, v in LINK_BODY.items() if k != "scopes"},
        LINK_BODY | {"scopes": []},
        LINK_BODY | {"scopes": ["vehicle:fly"]},
        LINK_BODY | {"scopes": ["vehicle:control:charging"]},
        {k: v for k, v in LINK_BODY.items() if k != "language"},
        LINK_BODY | {"language": "xx-XX"},
        {k: v for k, v in LINK_BODY.items() if k != "redirectUri"},
        LINK_BODY | {"redirectUri": "https://example.com/" + "a" * 490},
        LINK_BODY | {"redirectUri": "about:blank"},
        LINK_BODY | {"redirectUri": "no-scheme"},
        LINK_BODY | {"vendor": "ACME"},
        LINK_BODY | {"vendorType": "rocket"},
        LINK_BODY | {"colorScheme": "purple"},
        LINK_BODY | {"unexpected": True},
        ["not", "an", "object"],
    ]
    for body in invalid:
        status, problem = await api.post("/users/u/link", body)
        assert status == 400, body
        assert set(problem) == {"type", "title", "detail"}
    status, problem = await api.request("POST", "/users/u/link", json=None, params=None)
    assert status == 400
    status, _ = await api.post(
        "/users/u/link",
        LINK_BODY | {"vendor": "TESLA", "colorScheme": "dark", "language": "browser"},
    )
    assert status == 200


async def test_relink(simulator: Simulator, api: Api) -> None:
    body = {"language": "en-US", "redirectUri": "myapp://done"}
    status, link = await api.post(f"/assets/{TESLA}/relink", body)
    assert status == 200
    session = simulator.state.get_link_session(link["linkToken"])
    assert session is not None
    assert session.relink_asset_id == TESLA
    assert session.vendor == "TESLA"
    # Seed 000: the scopes of the session that linked the Tesla (the account's vehicle and home
    # energy system).
    assert session.asset_types == ["vehicle", "inverter", "battery", "meter"]
    assert session.scopes == sorted(
        scope for asset_type in session.asset_types for scope in SCOPES_BY_ASSET_TYPE[asset_type]
    )
    assert "battery:control:operation_mode" in session.scopes
    status, problem = await api.post("/assets/missing/relink", body)
    assert status == 400
    assert problem["detail"] == "Asset not found or already linked"
    status, _ = await api.post(f"/assets/{TESLA}/relink", body | {"scopes": []})
    assert status == 400
    # Completing the relink clears the Link intervention (the Tesla phone key).
    _, tesla = await api.get(f"/vehicles/{TESLA}")
    assert tesla["capabilities"]["setMaxCurrent"]["interventionIds"] == [TESLA_PHONE_KEY]
    account = simulator.state.find_vendor_account("TESLA", "anna@example.com", "demo")
    assert account is not None
    simulator.state.complete_link_session(session, account)
    assert session.used
    _, tesla = await api.get(f"/vehicles/{TESLA}")
    assert tesla["capabilities"]["setMaxCurrent"] == {"isCapable": True, "interventionIds": []}


async def test_relink_restores_what_the_session_linked(simulator: Simulator, api: Api) -> None:
    """Relinking the Tesla renews the account for its vehicle and its Powerwall (one session)."""
    for asset_id, capability in ((TESLA, "information"), (POWERWALL, "selfReliance")):
        simulator.add_intervention(asset_id, capability, ACCOUNT_RELINK)
    body = {"language": "en-US", "redirectUri": "myapp://done"}
    _, link = await api.post(f"/assets/{TESLA}/relink", body)
    session = simulator.state.get_link_session(link["linkToken"])
    assert session is not None
    targets = [a.id for a in simulator.state.relink_targets(session)]
    assert targets[0] == TESLA
    assert POWERWALL in targets
    assert {simulator.state.assets[a].account for a in targets} == {"TESLA:anna@example.com"}
    account = simulator.state.find_vendor_account("TESLA", "anna@example.com", "demo")
    assert account is not None
    simulator.state.complete_link_session(session, account)
    _, tesla = await api.get(f"/vehicles/{TESLA}")
    _, powerwall = await api.get(f"/batteries/{POWERWALL}")
    assert ACCOUNT_RELINK not in tesla["capabilities"]["information"]["interventionIds"]
    assert powerwall["capabilities"]["selfReliance"] == {"isCapable": True, "interventionIds": []}
    # A session that linked the vehicle alone relinks it alone.
    simulator.add_intervention(POWERWALL, "selfReliance", ACCOUNT_RELINK)
    simulator.state.assets[TESLA].link_scopes = ["vehicle:read:data"]
    _, link = await api.post(f"/assets/{TESLA}/relink", body)
    session = simulator.state.get_link_session(link["linkToken"])
    assert session is not None
    assert session.scopes == ["vehicle:read:data"]
    simulator.state.complete_link_session(session, account)
    _, powerwall = await api.get(f"/batteries/{POWERWALL}")
    assert powerwall["capabilities"]["selfReliance"]["interventionIds"] == [ACCOUNT_RELINK]


async def test_interventions(simulator: Simulator, api: Api) -> None:
    status, items = await api.get("/interventions")
    assert status == 200
    phone = next(i for i in items if i["id"] == TESLA_PHONE_KEY)
    assert phone["resolution"]["action"] == "Link"
    assert phone["resolution"]["access"] == "Physical"
    assert phone["resolution"]["title"] == "Vehicle is missing a phone key"
    assert set(phone) == {
        "id",
        "vendor",
        "vendorType",
        "brand",
        "introducedAt",
        "domain",
        "resolution",
    }
    _, german = await api.get(f"/interventions/{TESLA_PHONE_KEY}", params={"language": "de-DE"})
    assert german["resolution"]["title"].startswith("Dem Fahrzeug")
    _, fallback = await api.get(f"/interventions/{TESLA_PHONE_KEY}", params={"language": "fr-FR"})
    assert fallback["resolution"]["title"] == "Vehicle is missing a phone key"
    status, browser = await api.request(
        "GET", f"/interventions/{TESLA_PHONE_KEY}", params={"language": "browser"}
    )
    assert browser["resolution"]["title"] == "Vehicle is missing a phone key"
    status, _ = await api.get("/interventions", params={"language": "klingon"})
    assert status == 400
    _, chargers = await api.get("/interventions", params={"vendorType": "charger"})
    assert chargers
    assert all(i["vendorType"] == "charger" for i in chargers)
    _, tesla = await api.get("/interventions", params={"vendor": "TESLA"})
    assert [i["id"] for i in tesla] == [TESLA_PHONE_KEY]
    status, _ = await api.get("/interventions", params={"vendorType": "boat"})
    assert status == 400
    status, _ = await api.get("/interventions/00000000-0000-0000-0000-000000000000")
    assert status == 404


async def test_browser_language(simulator: Simulator, http: aiohttp.ClientSession) -> None:
    api = Api(http, simulator)
    token = await api.fetch_token()
    async with http.get(
        f"{simulator.base_url}/interventions/{TESLA_PHONE_KEY}?language=browser",
        headers={"Authorization": f"Bearer {token}", "Accept-Language": "nb-NO,en;q=0.5"},
    ) as resp:
        body = await resp.json()
    assert body["resolution"]["title"] == "Bilen mangler en telefonnøkkel"


async def test_integrations(simulator: Simulator, api: Api) -> None:
    status, items = await api.get("/integrations", params={"assetTypes": "charger"})
    assert status == 200
    vendors = {i["vendor"]: i for i in items}
    assert "ZAPTEC" in vendors
    assert "VOLKSWAGEN" not in vendors
    easee = vendors["EASEE"]
    assert set(easee) == {
        "vendor",
        "displayName",
        "assetTypes",
        "scopes",
        "status",
        "portalName",
        "linkingStatus",
    }
    assert easee["linkingStatus"] == "ELEVATED_ERROR_RATE"
    assert easee["displayName"] == "Easee"
    _, both = await api.get("/integrations", params={"assetTypes": "vehicle,charger"})
    tesla = next(i for i in both if i["vendor"] == "TESLA")
    assert set(tesla["assetTypes"]) >= {"vehicle", "charger", "battery"}
    # Seed 003: the vendors that support *all* the given types (only Tesla makes both).
    assert [i["vendor"] for i in both] == ["TESLA"]
    _, home = await api.get("/integrations", params={"assetTypes": "battery,meter"})
    assert {i["vendor"] for i in home} == {
        "TESLA", "ENPHASE", "GIVENERGY", "HUAWEI", "SOLAREDGE", "SMA", "FOXESS", "SOLAX", "SOLIS"
    }  # fmt: skip
    assert all({"battery", "meter"} <= set(i["assetTypes"]) for i in home)
    simulator.set_linking_status("ZAPTEC", "OUTAGE")
    _, items = await api.get("/integrations", params={"assetTypes": "charger"})
    assert next(i for i in items if i["vendor"] == "ZAPTEC")["linkingStatus"] == "OUTAGE"
    status, _ = await api.get("/integrations", params={"assetTypes": "vehicle,spaceship"})
    assert status == 400
    status, everything = await api.get("/integrations")
    assert len(everything) > len(items)


async def test_locations(simulator: Simulator, api: Api) -> None:
    body = {"name": "Cabin", "latitude": 61.1, "longitude": 8.5, "timezoneName": "Europe/Oslo"}
    status, created = await api.post("/users/demo-user/locations", body)
    assert status == 200
    assert set(created) == {
        "id",
        "userId",
        "name",
        "latitude",
        "longitude",
        "timezoneName",
        "createdAt",
    }
    assert created["userId"] == "demo-user"
    _, mine = await api.get("/users/demo-user/locations")
    assert mine["data"][0]["id"] == created["id"]
    _, everyone = await api.get("/locations")
    assert len(everyone["data"]) == 2
    status, fetched = await api.get(f"/locations/{created['id']}")
    assert fetched == created
    status, updated = await api.put(f"/locations/{created['id']}", {"name": "Hut"})
    assert status == 200
    assert updated["name"] == "Hut"
    assert updated["latitude"] == 61.1
    for bad in (
        {"name": "x"},
        body | {"latitude": 91},
        body | {"longitude": "east"},
        body | {"timezoneName": "Mars/Olympus"},
        body | {"name": ""},
        body | {"extra": 1},
        {k: v for k, v in body.items() if k != "timezoneName"},
    ):
        status, _ = await api.post("/users/demo-user/locations", bad)
        assert status == 400, bad
    status, _ = await api.put(f"/locations/{created['id']}", {"latitude": True})
    assert status == 400
    status, deleted = await api.delete(f"/locations/{created['id']}")
    assert status == 200
    assert deleted["name"] == "Hut"
    status, _ = await api.get(f"/locations/{created['id']}")
    assert status == 404
    status, _ = await api.put(f"/locations/{created['id']}", {"name": "x"})
    assert status == 404
    status, _ = await api.delete(f"/locations/{created['id']}")
    assert status == 404
    status, _ = await api.request("POST", "/users/demo-user/locations", json=None)
    assert status == 400
