"""HEM systems, their statistics and charging statistics: sums, buckets, history, errors."""

from __future__ import annotations

from datetime import datetime, timedelta
import itertools
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
import pytest

from enode_simulator import Simulator
from enode_simulator.state.statistics import SEED_BATTERY_LEVEL

from ..conftest import SimulatorFactory, advance_to_local
from .conftest import Api

pytestmark = pytest.mark.usefixtures("socket_enabled")

USER = "demo-user"
VW = "8d90101b-3f2f-462a-bbb4-1ed320d33bbe"
TESLA = "05ee9df5-d072-4ee8-b773-399dec8f5693"
ZAPTEC = "e7d4db80-4fca-4781-ac70-14108f560706"
BATTERY = "54d827e1-8355-4fed-97b5-55940d1d09ba"
INVERTER = "a6a7b2b4-6f2e-4a1c-9a0c-2f1e7b3c4d01"
OSLO = ZoneInfo("Europe/Oslo")
ENERGY = ("generation", "consumption", "import", "export", "charge", "discharge")


async def _history(factory: SimulatorFactory, http: aiohttp.ClientSession, days: int) -> Api:
    """The demo at noon (Oslo) with ``days`` of history (the same whatever the real time).

    The VW's live plug-in begins at noon too: history stops at a vehicle's live plug-in, and
    the demo plugged it in when it was made (any time of the real day).
    """
    sim = await factory("demo")
    advance_to_local(sim, 12)
    sim.plug_in(VW, ZAPTEC, charging=sim.state.get_asset(VW).charging)
    sim.seed_history(days)
    return Api(http, sim)


async def _system(api: Api) -> str:
    status, systems = await api.get(f"/users/{USER}/hem-systems")
    assert status == 200
    assert len(systems["data"]) == 1
    return str(systems["data"][0]["id"])


async def _day(api: Api, system_id: str, day: datetime) -> dict[str, Any]:
    status, body = await api.get(
        f"/hem-systems/{system_id}/statistics", params={"interval": day.strftime("%Y-%m-%d")}
    )
    assert status == 200, body
    return dict(body["timeseries"])


def _hours_balance(series: dict[str, Any]) -> list[dict[str, float]]:
    """Each bucket's values; asserts import - export = consumption - generation + charge -
    discharge in every one."""
    buckets = []
    for hour in range(len(series["import"]["data"])):
        v = {name: series[name]["data"][hour]["v"] for name in ENERGY}
        balance = v["consumption"] - v["generation"] + v["charge"] - v["discharge"]
        assert v["import"] - v["export"] == pytest.approx(balance, abs=0.005)
        buckets.append(v)
    return buckets


def _values(series: dict[str, Any]) -> list[float]:
    return [point["v"] for point in series["data"] if point["v"] is not None]


async def test_hem_system_groups_the_home(
    simulator_factory: SimulatorFactory, http: aiohttp.ClientSession
) -> None:
    """The Powerwall, inverter and meter share one HEM system, which carries their ids' group."""
    api = await _history(simulator_factory, http, 2)
    system_id = await _system(api)
    for asset, kind in ((BATTERY, "batteries"), (INVERTER, "inverters")):
        _, body = await api.get(f"/{kind}/{asset}")
        assert body["hemSystemId"] == system_id
    _, system = await api.get(f"/hem-systems/{system_id}")
    assert system["userId"] == USER
    assert system["information"]["vendor"] == "TESLA"
    assert system["information"]["timezone"] == "Europe/Oslo"
    installed = datetime.fromisoformat(system["information"]["installationDate"])
    local = installed.astimezone(OSLO)
    assert (local.hour, local.minute) == (0, 0)
    now = api.sim.state.clock.now_dt()
    assert (now.astimezone(OSLO).date() - local.date()).days == 2
    # Today's energy so far equals the sum of today's buckets.
    today = await _day(api, system_id, now.astimezone(OSLO))
    for series in ENERGY:
        expected = sum(_values(today[series]))
        assert system["status"]["energy"]["today"][series] == pytest.approx(expected, abs=0.02)
    _, everything = await api.get("/hem-systems")
    assert [item["id"] for item in everything["data"]] == [system_id]


async def test_day_buckets_are_hourly_contiguous_and_balance(
    simulator_factory: SimulatorFactory, http: aiohttp.ClientSession
) -> None:
    """A past day: 24 hourly kWh buckets from local midnight, and each balances the meter."""
    api = await _history(simulator_factory, http, 3)
    system_id = await _system(api)
    yesterday = api.sim.state.clock.now_dt().astimezone(OSLO) - timedelta(days=1)
    series = await _day(api, system_id, yesterday)
    times = [datetime.fromisoformat(p["t"]) for p in series["generation"]["data"]]
    midnight = yesterday.replace(hour=0, minute=0, second=0, microsecond=0)
    assert times[0] == midnight
    assert all(b - a == timedelta(hours=1) for a, b in itertools.pairwise(times))
    assert times[-1] + timedelta(hours=1) == midnight + timedelta(days=1)
    for name in ENERGY:
        assert series[name]["sampling"] == {"mode": "bucketed", "resolution": "PT1H"}
        assert series[name]["unit"] == "kWh"
        assert len(_values(series[name])) == len(times)  # a past day: no null
    _hours_balance(series)
    assert sum(_values(series["consumption"])) > 5
    levels = _values(series["batteryLevel"])
    assert len(levels) == len(times)
    assert all(0 <= level <= 100 for level in levels)


async def test_history_agrees_with_the_devices(
    simulator_factory: SimulatorFactory, http: aiohttp.ClientSession
) -> None:
    """The seeded generation is what the inverter's lifetime counter grew by; the battery's
    charge minus discharge is its change of level; the month's days sum the hours."""
    sim = await simulator_factory("demo")
    advance_to_local(sim, 12)
    inverter, battery = sim.state.assets[INVERTER], sim.state.assets[BATTERY]
    lifetime = inverter.lifetime_kwh
    sim.seed_history(2)
    api = Api(http, sim)
    system_id = await _system(api)
    now = sim.state.clock.now_dt().astimezone(OSLO)
    days = [await _day(api, system_id, now - timedelta(days=n)) for n in (2, 1, 0)]
    generation = sum(sum(_values(day["generation"])) for day in days)
    assert generation == pytest.approx(inverter.lifetime_kwh - lifetime, abs=0.05)
    assert generation > 0
    stored = sum(sum(_values(d["charge"])) - sum(_values(d["discharge"])) for d in days)
    change = (battery.battery_level - SEED_BATTERY_LEVEL) / 100 * battery.battery_capacity
    assert stored == pytest.approx(change, abs=0.05)
    # The month's daily buckets are the days' sums (when the three days are in one month).
    _, month = await api.get(
        f"/hem-systems/{system_id}/statistics", params={"interval": now.strftime("%Y-%m")}
    )
    month_series = month["timeseries"]
    assert month_series["generation"]["sampling"]["resolution"] == "P1D"
    assert month_series["batteryLevel"]["isAvailable"] is False
    by_day = {p["t"][:10]: p["v"] for p in month_series["consumption"]["data"]}
    for offset, day in zip((2, 1, 0), days, strict=True):
        key = (now - timedelta(days=offset)).strftime("%Y-%m-%d")
        if key in by_day:
            assert by_day[key] == pytest.approx(sum(_values(day["consumption"])), abs=0.03)


async def test_live_time_is_recorded(
    simulator_factory: SimulatorFactory, http: aiohttp.ClientSession
) -> None:
    """After the history, simulated time keeps filling the buckets: the solar hours of the
    afternoon are the inverter's growth, and a charging hour is what the vehicle took in."""
    api = await _history(simulator_factory, http, 1)
    sim = api.sim
    system_id = await _system(api)
    inverter, vw = sim.state.assets[INVERTER], sim.state.assets[VW]
    start = sim.state.clock.now_dt()
    lifetime, level = inverter.lifetime_kwh, 20.0
    sim.set_battery_level(VW, level)
    before = await _day(api, system_id, start.astimezone(OSLO))
    sim.plug_in(VW, ZAPTEC, charging=True)
    sim.advance_time(2 * 3600)
    api.token = None  # expired meanwhile
    today = await _day(api, system_id, start.astimezone(OSLO))
    grown = sum(_values(today["generation"])) - sum(_values(before["generation"]))
    assert grown == pytest.approx(inverter.lifetime_kwh - lifetime, abs=0.02)
    assert grown > 0
    status, buckets = await api.get(
        f"/users/{USER}/statistics/charging",
        params={
            "type": "vehicle",
            "id": VW,
            "resolution": "HOUR",
            "startDate": start.isoformat(),
        },
    )
    assert status == 200, buckets
    charged = sum(bucket["kwhSum"] for bucket in buckets)
    assert charged == pytest.approx(
        (vw.battery_level - level) / 100 * vw.battery_capacity, abs=0.01
    )
    assert charged == pytest.approx(22.0, abs=0.01)  # 11 kW for two hours
    _, charger = await api.get(
        f"/users/{USER}/statistics/charging",
        params={
            "type": "charger",
            "id": ZAPTEC,
            "resolution": "HOUR",
            "startDate": start.isoformat(),
        },
    )
    assert sum(bucket["kwhSum"] for bucket in charger) == pytest.approx(charged, abs=0.01)
    # Day tariff at noon.
    assert sum(bucket["costSum"] for bucket in buckets) == pytest.approx(charged * 0.30, abs=0.01)
    # The home's consumption in those hours includes the charger's 11 kW.
    consumed = sum(_values(today["consumption"])) - sum(_values(before["consumption"]))
    assert consumed > charged


async def test_open_and_future_buckets(
    simulator_factory: SimulatorFactory, http: aiohttp.ClientSession
) -> None:
    """Today: hours that have not begun are null; the current hour has its value so far."""
    api = await _history(simulator_factory, http, 1)
    system_id = await _system(api)
    now = api.sim.state.clock.now_dt()
    today = await _day(api, system_id, now.astimezone(OSLO))
    for point in today["consumption"]["data"]:
        begins = datetime.fromisoformat(point["t"])
        if begins > now:
            assert point["v"] is None
        elif begins + timedelta(hours=1) <= now:
            assert point["v"] is not None
            assert point["v"] > 0
    current = next(
        p
        for p in today["consumption"]["data"]
        if datetime.fromisoformat(p["t"])
        <= now
        < datetime.fromisoformat(p["t"]) + timedelta(hours=1)
    )
    before = current["v"]
    api.sim.advance_time(600)
    later = await _day(api, system_id, now.astimezone(OSLO))
    after = next(p["v"] for p in later["consumption"]["data"] if p["t"] == current["t"])
    assert after > before


async def test_seeded_charging_history(
    simulator_factory: SimulatorFactory, http: aiohttp.ClientSession
) -> None:
    """A session a day; deferred sessions save (0.30 - 0.10) per kWh; buckets sum sessions."""
    api = await _history(simulator_factory, http, 3)
    now = api.sim.state.clock.now_dt()
    start = (now - timedelta(days=4)).isoformat()
    status, sessions = await api.get(
        f"/users/{USER}/statistics/charging/sessions",
        params={"type": "vehicle", "id": VW, "startDate": start},
    )
    assert status == 200
    assert len(sessions) == 3
    smart = [s for s in sessions if s["estimatedSavings"] is not None]
    assert len(smart) == 2
    for session in smart:
        assert session["estimatedSavings"] == pytest.approx(session["kwhSum"] * 0.2, abs=0.001)
        assert session["costSum"] == pytest.approx(session["kwhSum"] * 0.1, abs=0.001)
    _, hourly = await api.get(
        f"/users/{USER}/statistics/charging",
        params={"type": "vehicle", "id": VW, "startDate": start, "resolution": "HOUR"},
    )
    dates = [datetime.fromisoformat(b["date"]) for b in hourly]
    assert all(b - a == timedelta(hours=1) for a, b in itertools.pairwise(dates))
    assert dates[-1] <= now < dates[-1] + timedelta(hours=1)
    total = sum(s["kwhSum"] for s in sessions)
    assert sum(b["kwhSum"] for b in hourly) == pytest.approx(total, abs=0.01)
    assert sum(b["estimatedSavings"] or 0 for b in hourly) == pytest.approx(
        sum(s["estimatedSavings"] or 0 for s in sessions), abs=0.01
    )
    # Without an id: every vehicle of the user (the Tesla charges elsewhere), daily by default.
    _, everyone = await api.get(
        f"/users/{USER}/statistics/charging/sessions",
        params={"type": "vehicle", "startDate": start},
    )
    assert {s["id"] for s in everyone} == {VW, TESLA}
    _, daily = await api.get(
        f"/users/{USER}/statistics/charging",
        params={"type": "vehicle", "startDate": start},
    )
    assert sum(b["kwhSum"] for b in daily) == pytest.approx(
        sum(s["kwhSum"] for s in everyone), abs=0.01
    )
    assert all(datetime.fromisoformat(b["date"]).hour == 0 for b in daily)


async def test_history_is_deterministic(
    simulator_factory: SimulatorFactory, http: aiohttp.ClientSession
) -> None:
    """Seeding again gives the same past."""
    api = await _history(simulator_factory, http, 2)
    system_id = await _system(api)
    yesterday = api.sim.state.clock.now_dt().astimezone(OSLO) - timedelta(days=1)
    first = await _day(api, system_id, yesterday)
    api.sim.seed_history(2)
    assert await _day(api, system_id, yesterday) == first


async def test_history_on_start_and_on_link(
    simulator_factory: SimulatorFactory, http: aiohttp.ClientSession
) -> None:
    """``history_days`` seeds the scenario's users and a user who links devices later."""
    sim = await simulator_factory("demo", history_days=2)
    api = Api(http, sim)
    system_id = await _system(api)
    _, system = await api.get(f"/hem-systems/{system_id}")
    installed = datetime.fromisoformat(system["information"]["installationDate"])
    assert sim.state.clock.now_dt() - installed > timedelta(days=2)
    account = sim.state.find_vendor_account("TESLA", "anna@example.com")
    assert account is not None
    sim.state.link_account("someone-else", account, ["battery", "inverter", "meter"])
    _, theirs = await api.get("/users/someone-else/hem-systems")
    assert len(theirs["data"]) == 1
    assert theirs["data"][0]["id"] != system_id
    other = theirs["data"][0]["information"]["installationDate"]
    assert sim.state.clock.now_dt() - datetime.fromisoformat(other) > timedelta(days=2)


async def test_requests_are_counted(
    simulator_factory: SimulatorFactory, http: aiohttp.ClientSession
) -> None:
    """Statistics requests are in the request log, with their query (per system / asset)."""
    api = await _history(simulator_factory, http, 1)
    system_id = await _system(api)
    sim: Simulator = api.sim
    sim.clear_requests()
    day = sim.state.clock.now_dt().astimezone(OSLO)
    await _day(api, system_id, day)
    await _day(api, system_id, day)
    await api.get(
        f"/users/{USER}/statistics/charging",
        params={"type": "vehicle", "id": VW, "startDate": day.isoformat()},
    )
    assert sim.count_requests("GET", f"/hem-systems/{system_id}/statistics") == 2
    assert sim.count_requests("GET", f"/users/{USER}/statistics/charging") == 1
    logged = [e for e in sim.request_log if e["path"].endswith("/statistics/charging")]
    assert f"id={VW}" in logged[0]["query"]


async def test_errors(simulator_factory: SimulatorFactory, http: aiohttp.ClientSession) -> None:
    """400 for bad parameters, 404 for unknown systems and assets and another user's asset."""
    api = await _history(simulator_factory, http, 1)
    sim = api.sim
    system_id = await _system(api)
    path = f"/hem-systems/{system_id}/statistics"
    now = sim.state.clock.now_dt().astimezone(OSLO)
    for params in (
        {},
        {"interval": "2024-13"},
        {"interval": "2024-02-30"},
        {"interval": "last-week"},
        {"interval": (now - timedelta(days=5)).strftime("%Y-%m-%d")},
        {"interval": (now + timedelta(days=1)).strftime("%Y-%m-%d")},
    ):
        status, body = await api.get(path, params=params)
        assert status == 400, (params, body)
        assert body["title"] == "Bad Request"
    status, body = await api.get(path, params={"interval": "2020-01"})
    assert "before the installation" in body["detail"]
    assert (await api.get("/hem-systems/nope"))[0] == 404
    assert (await api.get("/hem-systems/nope/statistics", params={"interval": "2024-01"}))[0] == 404
    charging = f"/users/{USER}/statistics/charging"
    start = (now - timedelta(days=1)).isoformat()
    for params in (
        {"startDate": start},
        {"type": "vehicle"},
        {"type": "boat", "startDate": start},
        {"type": "vehicle", "startDate": "yesterday"},
        {"type": "vehicle", "startDate": start, "endDate": start},
        {"type": "vehicle", "startDate": start, "resolution": "MINUTE"},
        {"type": "vehicle", "startDate": start, "utcOffset": "east"},
        {"type": "vehicle", "startDate": "2000-01-01T00:00:00Z", "resolution": "QUARTER_HOUR"},
    ):
        status, body = await api.get(charging, params=params)
        assert status == 400, (params, body)
    sim.add_asset("intruder", "vehicle", {"id": "their-car", "vendor": "KIA"})
    for params in (
        {"type": "vehicle", "id": "their-car", "startDate": start},
        {"type": "charger", "id": VW, "startDate": start},
        {"type": "vehicle", "id": "nope", "startDate": start},
    ):
        status, _ = await api.get(charging, params=params)
        assert status == 404, params
        status, _ = await api.get(f"{charging}/sessions", params=params)
        assert status == 404, params
    _, theirs = await api.get("/users/intruder/hem-systems")
    assert theirs["data"] == []
    status, _ = await api.get(
        "/users/nobody/statistics/charging", params={"type": "vehicle", "startDate": start}
    )
    assert status == 404


async def test_export_when_the_sun_outshines_the_home(
    simulator_factory: SimulatorFactory, http: aiohttp.ClientSession
) -> None:
    """A large array at noon exports what the household and the battery do not take."""
    sim = await simulator_factory("demo")
    sim.state.assets[INVERTER].rated_power_kw = 150.0  # enough in any season, even in Oslo
    advance_to_local(sim, 12)
    sim.seed_history(1)
    api = Api(http, sim)
    system_id = await _system(api)
    yesterday = sim.state.clock.now_dt().astimezone(OSLO) - timedelta(days=1)
    series = await _day(api, system_id, yesterday)
    assert sum(_values(series["export"])) > 1
    for v in _hours_balance(series):
        assert min(v["import"], v["export"]) <= 0.3  # an hour mostly imports or exports


async def test_quarter_hours_report_power(
    simulator_factory: SimulatorFactory, http: aiohttp.ClientSession
) -> None:
    """With ``hemResolution`` PT15M a day has 96 buckets of average kW that sum to the hours."""
    api = await _history(simulator_factory, http, 1)
    system_id = await _system(api)
    yesterday = api.sim.state.clock.now_dt().astimezone(OSLO) - timedelta(days=1)
    hourly = await _day(api, system_id, yesterday)
    api.sim.state.settings.hem_resolution = "PT15M"
    quarters = await _day(api, system_id, yesterday)
    for name in ENERGY:
        series = quarters[name]
        assert series["unit"] == "kW"
        assert series["unitType"] == "Power"
        assert series["sampling"]["resolution"] == "PT15M"
        assert len(series["data"]) == 4 * len(hourly[name]["data"])
        kwh = sum(v * 0.25 for v in _values(series))
        assert kwh == pytest.approx(sum(_values(hourly[name])), abs=0.05)
    times = [datetime.fromisoformat(p["t"]) for p in quarters["consumption"]["data"]]
    assert all(b - a == timedelta(minutes=15) for a, b in itertools.pairwise(times))
    assert quarters["batteryLevel"]["unit"] == "%"


async def test_a_deleted_asset_takes_its_statistics(
    simulator_factory: SimulatorFactory, http: aiohttp.ClientSession
) -> None:
    """Removing the inverter leaves a system without generation; an unknown vehicle is a 404."""
    api = await _history(simulator_factory, http, 1)
    system_id = await _system(api)
    api.sim.remove_asset(INVERTER)
    api.sim.remove_asset(VW)
    day = api.sim.state.clock.now_dt().astimezone(OSLO)
    series = await _day(api, system_id, day)
    assert series["generation"]["isAvailable"] is False
    assert series["consumption"]["isAvailable"] is True
    assert INVERTER not in api.sim.state.flows
    status, _ = await api.get(
        f"/users/{USER}/statistics/charging",
        params={"type": "vehicle", "id": VW, "startDate": day.isoformat()},
    )
    assert status == 404


async def test_devices_linked_later_keep_the_past(
    simulator_factory: SimulatorFactory, http: aiohttp.ClientSession
) -> None:
    """Linking a home energy system later leaves what was already served as it was: the car's
    and the charger's past hours do not move (Enode never changes the past), and the household's
    past consumption includes what the charger took then."""
    sim = await simulator_factory("demo", history_days=2)
    api = Api(http, sim)
    user = "later-user"

    def account(vendor: str) -> Any:
        found = sim.state.find_vendor_account(vendor, "anna@example.com")
        assert found is not None
        return found

    (vehicle,) = sim.state.link_account(user, account("VOLKSWAGEN"), ["vehicle"])
    (charger,) = sim.state.link_account(user, account("ZAPTEC"), ["charger"])
    start = (sim.state.clock.now_dt() - timedelta(days=3)).isoformat()

    async def hourly(asset_type: str, asset_id: str) -> list[dict[str, Any]]:
        status, body = await api.get(
            f"/users/{user}/statistics/charging",
            params={"type": asset_type, "id": asset_id, "startDate": start, "resolution": "HOUR"},
        )
        assert status == 200, body
        # What was charged, its cost and savings (an idle hour's price is the tariff's).
        return [
            {key: b[key] for key in ("date", "kwhSum", "costSum", "estimatedSavings")}
            for b in body
            if datetime.fromisoformat(b["date"]) < _this_hour(sim)
        ]

    before = {
        "vehicle": await hourly("vehicle", vehicle.id),
        "charger": await hourly("charger", charger.id),
    }
    assert sum(b["kwhSum"] for b in before["charger"]) > 0
    sim.state.link_account(user, account("TESLA"), ["battery", "inverter", "meter"])
    assert await hourly("vehicle", vehicle.id) == before["vehicle"]
    assert await hourly("charger", charger.id) == before["charger"]

    _, systems = await api.get(f"/users/{user}/hem-systems")
    (system,) = systems["data"]
    consumption: dict[datetime, float] = {}
    now = sim.state.clock.now_dt().astimezone(OSLO)
    for back in (2, 1, 0):
        day = await _day(api, system["id"], now - timedelta(days=back))
        for point in day["consumption"]["data"]:
            if point["v"] is not None:
                consumption[datetime.fromisoformat(point["t"])] = point["v"]
    charged = {
        datetime.fromisoformat(b["date"]): b["kwhSum"]
        for b in before["charger"]
        if b["kwhSum"] > 0.01
    }
    # The household's days cover every hour the charger charged in.
    assert charged.keys() <= consumption.keys()
    for hour, kwh in charged.items():
        assert consumption[hour] >= kwh - 0.01, hour


def _this_hour(sim: Simulator) -> datetime:
    return sim.state.clock.now_dt().replace(minute=0, second=0, microsecond=0)
