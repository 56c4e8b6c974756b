"""Fault injection, the /_simulator control API, scenarios, linking helpers and the CLI."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
import time

import aiohttp
import pytest

from enode_simulator import ApiError, Simulator, available_scenarios, generate_fleet, load_scenario
from enode_simulator.__main__ import build_parser, main
from enode_simulator.catalog import ACCOUNT_RELINK, TESLA_PHONE_KEY, display_name
from enode_simulator.clock import SimClock, iso, parse_iso
from enode_simulator.state import Capability, SimState, changed_fields, distance_m
from tests.conftest import SimulatorFactory

from .conftest import Api

VW = "8d90101b-3f2f-462a-bbb4-1ed320d33bbe"
TESLA = "05ee9df5-d072-4ee8-b773-399dec8f5693"
ZAPTEC = "e7d4db80-4fca-4781-ac70-14108f560706"
POWERWALL = "54d827e1-8355-4fed-97b5-55940d1d09ba"


async def test_status_faults(simulator: Simulator, api: Api) -> None:
    await api.fetch_token()
    simulator.inject_fault(status=503, count=2, path_prefix="/users/")
    for _ in range(2):
        status, problem = await api.get("/users/demo-user/vehicles")
        assert status == 503
        assert set(problem) == {"type", "title", "detail"}
    status, _ = await api.get("/users/demo-user/vehicles")
    assert status == 200
    simulator.inject_fault(status=429, retry_after=7)
    async with api.session.get(
        simulator.base_url + "/users/demo-user",
        headers={"Authorization": f"Bearer {api.token}"},
    ) as resp:
        assert resp.status == 429
        assert resp.headers["Retry-After"] == "7"
    simulator.inject_fault(status=500, method="POST")
    status, _ = await api.get("/users/demo-user")
    assert status == 200
    status, _ = await api.post(f"/vehicles/{TESLA}/refresh-hint")
    assert status == 500
    simulator.inject_fault(status=502, path_prefix="/oauth2/token")
    with pytest.raises(AssertionError):
        await api.fetch_token()


async def test_malformed_and_latency(simulator: Simulator, api: Api) -> None:
    await api.fetch_token()
    simulator.inject_fault(malformed=True)
    status, body = await api.get("/users/demo-user/vehicles")
    assert status == 200
    assert isinstance(body, str)
    with pytest.raises(ValueError):
        json.loads(body)
    simulator.inject_fault(latency=0.3)
    started = time.monotonic()
    status, _ = await api.get("/users/demo-user")
    assert status == 200
    assert time.monotonic() - started >= 0.3
    with pytest.raises(ValueError):
        simulator.inject_fault()
    with pytest.raises(ValueError):
        simulator.inject_fault(status=500, count=0)
    simulator.inject_fault(status=500, retry_after="Wed, 21 Oct 2015 07:28:00 GMT")
    assert simulator.snapshot()["faults"][0]["retryAfter"].startswith("Wed")
    simulator.clear_faults()
    status, _ = await api.get("/users/demo-user")
    assert status == 200


async def test_control_api(simulator: Simulator, api: Api) -> None:
    status, body = await api.control("unplug", asset_id=VW)
    assert status == 200
    assert body == {"ok": True, "result": None}
    _, vw = await api.get(f"/vehicles/{VW}")
    assert vw["chargeState"]["isPluggedIn"] is False
    status, _ = await api.control("plug_in", vehicle_id=VW, charger_id=ZAPTEC, charging=True)
    assert status == 200
    _, vw = await api.get(f"/vehicles/{VW}")
    assert vw["chargeState"]["isCharging"] is True
    status, body = await api.control("inject_fault", status=503, count=1, path_prefix="/vehicles")
    assert body["result"]["status"] == 503
    status, _ = await api.get(f"/vehicles/{VW}")
    assert status == 503
    status, body = await api.control(
        "add_asset",
        user_id="demo-user",
        asset_type="charger",
        data={"vendor": "EASEE", "id": "new-charger"},
    )
    assert body["result"] == "new-charger"
    status, _ = await api.control("teleport", asset_id=VW)
    assert status == 404
    status, _ = await api.control("unplug", wrong=1)
    assert status == 400
    status, _ = await api.control("unplug", asset_id="missing")
    assert status == 404
    status, _ = await api.control("set_action_delay", seconds=-1)
    assert status == 400
    async with api.session.post(
        simulator.base_url + "/_simulator/advance_time", data=b"[1]"
    ) as resp:
        assert resp.status == 400
    async with api.session.post(simulator.base_url + "/_simulator/clear_faults") as resp:
        assert resp.status == 200
    async with api.session.get(simulator.base_url + "/_simulator/state") as resp:
        state = await resp.json()
    assert state["defaultUser"] == "demo-user"
    assert {a["id"] for a in state["assets"]} >= {VW, TESLA, ZAPTEC, "new-charger"}
    assert state["vendorAccounts"][0]["vendor"] == "VOLKSWAGEN"
    async with api.session.get(simulator.base_url + "/_simulator/requests") as resp:
        log = await resp.json()
    assert log["count"] == simulator.count_requests() > 0
    assert simulator.count_requests("GET", "/vehicles/") >= 2
    async with api.session.delete(simulator.base_url + "/_simulator/requests") as resp:
        assert resp.status == 204
    assert simulator.requests == []
    async with api.session.get(simulator.base_url + "/_simulator/events") as resp:
        events = await resp.json()
    assert any(e["event"] == "user:charger:discovered" for e in events)
    async with api.session.get(simulator.base_url + f"/_simulator/assets/{VW}") as resp:
        assert (await resp.json())["id"] == VW
    status, _ = await api.control("load_scenario", scenario="demo-empty")
    assert status == 200
    await api.fetch_token()
    _, vehicles = await api.get("/users/demo-user/vehicles")
    assert vehicles["data"] == []


async def test_python_controls(simulator: Simulator) -> None:
    simulator.set_battery_level(VW, 12)
    assert simulator.asset(VW)["chargeState"]["batteryLevel"] == 12
    simulator.set_battery_level(POWERWALL, 33)
    assert simulator.asset(POWERWALL)["chargeState"]["batteryLevel"] == 33
    with pytest.raises(ApiError):
        simulator.set_battery_level(VW, 120)
    with pytest.raises(ApiError):
        simulator.set_battery_level(ZAPTEC, 50)
    simulator.set_charging_state(VW, True)
    assert simulator.asset(ZAPTEC)["chargeState"]["isCharging"] is True
    simulator.set_battery_level(VW, 95)
    assert simulator.asset(VW)["chargeState"]["isCharging"] is False
    simulator.unplug(VW)
    with pytest.raises(ApiError):
        simulator.set_charging_state(VW, True)
    with pytest.raises(ApiError):
        simulator.plug_in(POWERWALL)
    with pytest.raises(ApiError):
        simulator.plug_in(VW, TESLA)
    simulator.add_intervention(ZAPTEC, "startCharging", ACCOUNT_RELINK)
    assert simulator.asset(ZAPTEC)["capabilities"]["startCharging"]["isCapable"] is False
    with pytest.raises(ApiError):
        simulator.add_intervention(ZAPTEC, "startCharging", "unknown")
    with pytest.raises(ApiError):
        simulator.add_intervention(ZAPTEC, "fly", ACCOUNT_RELINK)
    simulator.remove_intervention(ZAPTEC, ACCOUNT_RELINK, "startCharging")
    assert simulator.asset(ZAPTEC)["capabilities"]["startCharging"]["isCapable"] is True
    with pytest.raises(ApiError):
        simulator.invalidate_credentials("demo-user", "EASEE")
    with pytest.raises(ApiError):
        simulator.set_linking_status("EASEE", "BROKEN")
    with pytest.raises(ValueError):
        simulator.advance_time(-1)
    with pytest.raises(ApiError):
        simulator.add_asset("demo-user", "toaster", {"vendor": "TESLA"})
    copy_id = simulator.add_asset("demo-user", "charger", {"vendor": "TESLA", "id": ZAPTEC})
    assert copy_id != ZAPTEC
    with pytest.raises(ApiError):
        simulator.add_asset("demo-user", "charger", {"vendor": "TESLA", "id": ZAPTEC})
    with pytest.raises(ApiError):
        simulator.add_asset("demo-user", "charger", {"vendor": "VOLKSWAGEN"})
    new_id = simulator.add_asset("someone", "vehicle", {"vendor": "KIA", "batteryLevel": 30})
    assert simulator.asset(new_id)["userId"] == "someone"
    assert simulator.now().endswith("Z")
    simulator.load_scenario("demo")
    assert simulator.asset(VW)["chargeState"]["batteryLevel"] == 45


async def test_link_account_for_another_user(simulator: Simulator) -> None:
    state = simulator.state
    account = state.find_vendor_account("TESLA", "anna@example.com", "demo")
    assert account is not None
    assert state.find_vendor_account("TESLA", "anna@example.com", "wrong") is None
    assert state.find_vendor_account("TESLA", "nobody") is None
    assert [a.vendor for a in state.accounts_for_vendor("ZAPTEC")] == ["ZAPTEC"]
    before = len(simulator.events)
    session = state.create_link_session(
        "ha-user",
        scopes=["vehicle:read:data", "battery:read:data"],
        language="en-US",
        redirect_uri="https://ha.local/cb",
        base_url="http://sim",
    )
    assert session.link_url.startswith("http://sim/link/")
    vendors = {v["vendor"] for v in state.session_vendors(session)}
    assert {"TESLA", "VOLKSWAGEN", "ENPHASE"} <= vendors
    linked = state.complete_link_session(session, account)
    assert session.used
    assert {a.type for a in linked} == {"vehicle", "battery"}
    # The demo user already has these devices: the new user's copies get their own ids.
    assert all(a.id not in (TESLA, POWERWALL) for a in linked)
    assert all(a.user_id == "ha-user" for a in linked)
    discovered = [e["event"] for e in simulator.events[before:]]
    assert "user:vehicle:discovered" in discovered
    assert "user:battery:discovered" in discovered
    vehicle = next(a for a in linked if a.type == "vehicle")
    assert vehicle.scopes == ["vehicle:read:data"]
    # Linking again does not duplicate.
    again = state.link_account("ha-user", account, ["vehicle"])
    assert [a.id for a in again] == [vehicle.id]
    assert len(state.user_assets("ha-user")) == 2
    view = state.render_user(state.get_user("ha-user"))
    assert {(v["vendor"], v["vendorType"]) for v in view["linkedVendors"]} == {
        ("TESLA", "vehicle"),
        ("TESLA", "battery"),
    }


async def test_relink_restores_credentials(simulator: Simulator) -> None:
    simulator.invalidate_credentials("demo-user", "TESLA")
    asset = simulator.state.relink_asset(TESLA)
    assert asset.id == TESLA
    user = simulator.state.render_user(simulator.state.get_user("demo-user"))
    assert all(v["isValid"] for v in user["linkedVendors"])
    caps = simulator.asset(TESLA)["capabilities"]
    assert TESLA_PHONE_KEY not in caps["setMaxCurrent"]["interventionIds"]


async def test_scenarios(simulator_factory: SimulatorFactory, tmp_path: Path) -> None:
    assert {"demo", "demo-linked", "demo-empty"} <= set(available_scenarios())
    empty = await simulator_factory("demo-empty")
    assert empty.state.user_assets("demo-user") == []
    assert len(empty.state.vendor_accounts) == 5
    path = tmp_path / "tiny.json"
    path.write_text(
        json.dumps(
            {
                "client": {"id": "tiny", "secret": "tiny-secret"},
                "settings": {"actionDelay": 0, "tokenLifetime": 60},
                "users": [{"id": "solo"}],
            }
        )
    )
    tiny = await simulator_factory(path, action_delay=1, public_url="https://sim.example")
    assert (tiny.client_id, tiny.client_secret, tiny.user_id) == ("tiny", "tiny-secret", "solo")
    assert tiny.state.settings.action_delay == 1
    session = tiny.state.create_link_session(
        "solo", scopes=["charger:read:data"], language="en-US", redirect_uri="x:y", base_url="z"
    )
    assert session.link_url.startswith("https://sim.example/link/")
    with pytest.raises(ValueError, match="Unknown scenario"):
        load_scenario("no-such-scenario")
    with pytest.raises(ValueError, match="unknown vendor account"):
        Simulator({"users": [{"id": "u", "linkedAccounts": ["TESLA:ghost"]}]})
    fleet = generate_fleet(vehicles=2, chargers=1, batteries=1, inverters=1, meters=1, hvacs=1)
    sim = Simulator(fleet)
    assert len(sim.state.user_assets("fleet-user")) == 7
    unlinked = Simulator(generate_fleet(vehicles=1, linked=False))
    assert unlinked.state.user_assets("fleet-user") == []
    extended = load_scenario({"extends": "demo", "generate": {"chargers": 2}})
    assert extended["defaultUser"] == "demo-user"
    with pytest.raises(RuntimeError):
        _ = sim.base_url


async def test_ticker_and_context_manager(socket_enabled: None) -> None:
    async with Simulator("demo", tick_interval=0.05, action_delay=0) as sim:
        with pytest.raises(RuntimeError):
            await sim.start()
        async with aiohttp.ClientSession() as session:
            api = Api(session, sim)
            _, action = await api.post(f"/vehicles/{VW}/charging", {"action": "START"})
        await asyncio.sleep(0.2)
        assert sim.state.actions[action["id"]].state == "CONFIRMED"
        assert await sim.flush_webhooks() == []


def test_helpers() -> None:
    assert iso(0) == "1970-01-01T00:00:00.000Z"
    assert parse_iso("1970-01-01T00:00:01Z") == 1
    assert parse_iso("1970-01-01T00:00:02") == 2
    clock = SimClock()
    before = clock.now()
    clock.advance(100)
    assert clock.now() - before >= 100
    assert clock.now_dt().tzinfo is not None
    assert changed_fields({"a": {"b": 1, "c": 2}}, {"a": {"b": 1, "c": 3}, "d": 1}) == [
        "a.c",
        "d",
    ]
    assert changed_fields({"a": 1}, {}) == ["a"]
    assert 100 < distance_m(59.9139, 10.7522, 59.9149, 10.7522) < 120
    assert Capability.from_spec(False).render() == {"isCapable": False, "interventionIds": []}
    assert display_name("GOE") == "go-e"
    assert display_name("TESLA") == "Tesla"
    state = SimState()
    assert state.credentials_valid is not None
    with pytest.raises(ApiError) as err:
        state.get_user("x")
    assert err.value.problem["type"].endswith("/not-found")
    assert ApiError(418, "Teapot", "short").problem["type"].endswith("/error")


def test_cli(capsys: pytest.CaptureFixture[str]) -> None:
    parser = build_parser()
    args = parser.parse_args(["--port", "9000", "--scenario", "demo-linked"])
    assert (args.host, args.port, args.scenario) == ("127.0.0.1", 9000, "demo-linked")
    with pytest.raises(SystemExit):
        parser.parse_args(["--help"])
    assert "/oauth2/token" in capsys.readouterr().out
    assert main(["--scenario", "no-such-scenario", "--port", "0"]) == 2
    assert "Unknown scenario" in capsys.readouterr().err


async def test_cli_serves_until_stopped(
    socket_enabled: None, capsys: pytest.CaptureFixture[str]
) -> None:
    from enode_simulator.__main__ import serve

    args = build_parser().parse_args(["--port", "0", "--scenario", "demo", "--action-delay", "0"])
    task = asyncio.create_task(serve(args))
    for _ in range(100):
        await asyncio.sleep(0.02)
        if "Enode simulator" in capsys.readouterr().out:
            break
    else:
        pytest.fail("the simulator did not start")
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_events_reach_webhooks_and_reload_drops_them(simulator: Simulator, api: Api) -> None:
    status, _ = await api.post(
        "/webhooks", {"url": "http://127.0.0.1:9/hook", "secret": "s3cret-value", "events": ["*"]}
    )
    assert status == 200
    simulator.unplug(VW)
    assert simulator.webhooks.pending_count > 0
    simulator.load_scenario("demo")
    assert simulator.webhooks.pending_count == 0


async def test_html_control_page(simulator: Simulator, http: aiohttp.ClientSession) -> None:
    async with http.get(simulator.base_url + "/_simulator/") as resp:
        assert resp.status == 200
        page = await resp.text()
    assert "Anna&#x27;s ID.4" in page
    assert "/_simulator/ui/unplug" in page
    async with http.post(
        simulator.base_url + "/_simulator/ui/unplug", data={"asset_id": VW}
    ) as resp:
        assert resp.status == 200  # followed the 303 back to the page
        page = await resp.text()
    assert simulator.asset(VW)["chargeState"]["isPluggedIn"] is False
    assert "Plug into Zaptec" in page
    async with http.post(
        simulator.base_url + "/_simulator/ui/set_battery_level",
        data={"vehicle_id": VW, "level": "20"},
    ) as resp:
        assert resp.status == 200
    assert simulator.asset(VW)["chargeState"]["batteryLevel"] == 20
    async with http.post(
        simulator.base_url + "/_simulator/ui/set_reachable",
        data={"asset_id": VW, "reachable": "false"},
    ) as resp:
        assert resp.status == 200
    assert simulator.asset(VW)["isReachable"] is False
    simulator.load_scenario("demo-empty")
    async with http.get(simulator.base_url + "/_simulator/") as resp:
        assert "No devices linked" in await resp.text()
