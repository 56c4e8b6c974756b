"""Smart charging in the simulator: plans on the clock, overrides, status, webhooks, pairing."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from enode_simulator import Simulator
from enode_simulator.clock import parse_iso
from enode_simulator.state.model import Tariff
from enode_simulator.state.smart import next_time_of_day, price_hours, tariff_price

from ..conftest import SimulatorFactory, advance_to_local
from .conftest import Api

VW = "8d90101b-3f2f-462a-bbb4-1ed320d33bbe"  # controls charging only through the Zaptec
TESLA = "05ee9df5-d072-4ee8-b773-399dec8f5693"
ZAPTEC = "e7d4db80-4fca-4781-ac70-14108f560706"
HOME = "4eaeb363-296d-4ccc-a973-7805e6f40001"
OSLO = ZoneInfo("Europe/Oslo")
STATUS = f"/vehicles/{VW}/smart-charging-status"
POLICY = f"/vehicles/{VW}/smart-charging-policy"
OVERRIDE = f"/vehicles/{VW}/smart-override"


@pytest.fixture
async def simulator(simulator_factory: SimulatorFactory) -> Simulator:
    """The demo household with tokens that outlive the simulated days these tests span."""
    return await simulator_factory(
        {"extends": "demo", "settings": {"actionDelay": 3, "tokenLifetime": 7 * 86400}}
    )


def local(value: str) -> str:
    """An ISO timestamp as Oslo wall-clock time ``HH:MM``."""
    return datetime.fromtimestamp(parse_iso(value), OSLO).strftime("%H:%M")


def status_events(sim: Simulator) -> list[dict[str, Any]]:
    return [e for e in sim.events if e["event"] == "user:vehicle:smart-charging-status-updated"]


async def _plugged_noon(sim: Simulator, api: Api) -> None:
    """The demo's ID.4 plugged into the Zaptec at Home (as the demo has it) at 12:00, at 45 %
    (limit 80 %)."""
    sim.plug_in(VW, ZAPTEC)
    advance_to_local(sim, 12)
    await api.fetch_token()


def test_tariff_helpers() -> None:
    tariff = Tariff()
    noon = datetime(2025, 1, 15, 12, 0, tzinfo=OSLO).timestamp()
    assert tariff_price(tariff, noon, OSLO) == 0.30
    assert tariff_price(tariff, noon + 11 * 3600, OSLO) == 0.10  # 23:00
    # 20:00-24:00: two hours of day, two of night.
    begin = noon + 8 * 3600
    assert price_hours(tariff, begin, begin + 4 * 3600, OSLO) == pytest.approx(0.8)
    seven = next_time_of_day(noon, "07:00", OSLO)
    assert datetime.fromtimestamp(seven, OSLO) == datetime(2025, 1, 16, 7, 0, tzinfo=OSLO)
    midnight = next_time_of_day(noon, "24:00", OSLO)
    assert datetime.fromtimestamp(midnight, OSLO) == datetime(2025, 1, 16, 0, 0, tzinfo=OSLO)
    assert next_time_of_day(noon, "12:00", UTC) > noon


async def test_pairing_makes_the_vehicle_eligible(simulator: Simulator, api: Api) -> None:
    """The ID.4 cannot control charging by itself; the Zaptec unlocks smart charging (seed 004),
    also while unplugged; removing the charger takes it away again."""
    simulator.unplug(VW)
    _, vehicle = await api.get(f"/vehicles/{VW}")
    assert vehicle["capabilities"]["smartCharging"] == {"isCapable": True, "interventionIds": []}
    assert vehicle["chargeState"]["isPluggedIn"] is False
    simulator.remove_asset(ZAPTEC)
    _, vehicle = await api.get(f"/vehicles/{VW}")
    assert vehicle["capabilities"]["smartCharging"] == {"isCapable": False, "interventionIds": []}
    status, problem = await api.put(POLICY, {"isEnabled": True, "deadline": "07:00"})
    assert status == 400
    assert problem["detail"] == "The vehicle is not capable of smart charging."


async def test_plan_minimum_first_then_the_cheap_night(simulator: Simulator, api: Api) -> None:
    """Minimum charge at once, pause, then the night tariff; charging starts and stops by itself
    through the paired charger; each status change is pushed."""
    await _plugged_noon(simulator, api)
    simulator.events.clear()
    status, _ = await api.put(
        POLICY, {"isEnabled": True, "deadline": "07:00", "minimumChargeLimit": 50}
    )
    assert status == 200
    _, body = await api.get(STATUS)
    assert body["state"] == "PLAN:EXECUTING:STARTED"
    plan = body["plan"]
    # 5 % of 77 kWh at 11 kW = 21 min; 30 % at 11 kW = 2 h 6 min from 22:00 (night).
    assert (local(plan["stopAt"]), local(plan["startAt"]), local(plan["estimatedFinishAt"])) == (
        "12:21",
        "22:00",
        "00:06",
    )
    assert plan["currency"] == "EUR"
    assert plan["smartCost"] == pytest.approx(3.85 * 0.3 + 23.1 * 0.1, abs=0.01)
    assert plan["nonSmartCost"] == pytest.approx(26.95 * 0.3, abs=0.01)
    assert plan["locationId"] == HOME
    assert simulator.asset(ZAPTEC)["chargeState"]["isCharging"] is True
    # The policy PUT, then the plan: each change of the status is one event.
    events = status_events(simulator)
    assert [e["smartChargingStatus"]["state"] for e in events] == ["PLAN:EXECUTING:STARTED"]
    assert "plan" in events[0]["updatedFields"]
    assert "state" in events[0]["updatedFields"]

    simulator.advance_time(21 * 60)  # the minimum is reached
    _, body = await api.get(STATUS)
    assert body["state"] == "PLAN:EXECUTING:STOPPED:AWAITING_PRICES"
    assert simulator.asset(VW)["chargeState"]["batteryLevel"] == 50
    assert simulator.asset(ZAPTEC)["chargeState"]["isCharging"] is False
    assert body["plan"]["stopConfirmedAt"] is not None

    advance_to_local(simulator, 21, 59)
    assert simulator.asset(VW)["chargeState"]["isCharging"] is False
    simulator.advance_time(60)  # 22:00
    vehicle = simulator.asset(VW)
    assert vehicle["chargeState"]["isCharging"] is True
    assert vehicle["chargeState"]["batteryLevel"] == 50
    _, body = await api.get(STATUS)
    assert body["state"] == "PLAN:EXECUTING:STARTED"
    # Manual commands are refused while the plan is in control.
    status, problem = await api.post(f"/vehicles/{VW}/charging", {"action": "STOP"})
    assert status == 422
    assert "Smart Charging Plan" in problem["detail"]

    simulator.advance_time(3 * 3600)
    assert simulator.asset(VW)["chargeState"]["batteryLevel"] == 80
    _, body = await api.get(STATUS)
    assert body["state"] == "PLAN:ENDED:FINISHED"
    assert body["plan"]["finalState"] == "PLAN:ENDED:FINISHED"
    assert body["plan"]["failureCondition"] is None
    _, latest = await api.get(f"/vehicles/{VW}/smart-charging-plans/latest")
    assert latest == body["plan"]
    _, same = await api.get(f"/vehicles/{VW}/smart-charging-plans/{latest['id']}")
    assert same == latest
    status, _ = await api.get(f"/vehicles/{VW}/smart-charging-plans/no-such-plan")
    assert status == 404
    states = [e["smartChargingStatus"]["state"] for e in status_events(simulator)]
    assert states == [
        "PLAN:EXECUTING:STARTED",
        "PLAN:EXECUTING:STOPPED:AWAITING_PRICES",
        "PLAN:EXECUTING:STARTED",
        "PLAN:ENDED:FINISHED",
    ]


async def test_not_enough_time_charges_straight_through(simulator: Simulator, api: Api) -> None:
    await _plugged_noon(simulator, api)
    await api.put(POLICY, {"isEnabled": True, "deadline": "13:00"})
    _, body = await api.get(STATUS)
    assert body["state"] == "PLAN:EXECUTING:STARTED"
    assert body["plan"]["startAt"] is None
    assert local(body["plan"]["estimatedFinishAt"]) == "14:27"
    assert body["plan"]["smartCost"] == body["plan"]["nonSmartCost"]


async def test_considering_until_plugged_in_at_a_location(simulator: Simulator, api: Api) -> None:
    """No plan while unplugged, or plugged in away from every Location."""
    simulator.unplug(VW)
    status, _ = await api.put(POLICY, {"isEnabled": True, "deadline": "07:00"})
    assert status == 200
    _, body = await api.get(STATUS)
    assert body["state"] == "CONSIDERING"
    assert body["plan"] is None
    assert body["consideration"] == {
        "isPluggedIn": False,
        "isCharging": False,
        "atChargingLocation": False,
        "hasTimeEstimate": True,
    }
    simulator.plug_in(VW)  # an unknown charger: no Location for a car without GPS
    _, body = await api.get(STATUS)
    assert body["state"] == "CONSIDERING"
    assert body["consideration"]["isPluggedIn"] is True
    simulator.plug_in(VW, ZAPTEC)
    _, body = await api.get(STATUS)
    assert body["state"].startswith("PLAN:EXECUTING")
    assert body["consideration"] is None


async def test_plan_ends_and_replans(simulator: Simulator, api: Api) -> None:
    """Unplugging, a new deadline and disabling each end the plan with their final state."""
    await _plugged_noon(simulator, api)
    await api.put(POLICY, {"isEnabled": True, "deadline": "07:00"})
    _, body = await api.get(STATUS)
    first = body["plan"]["id"]
    assert body["state"] == "PLAN:EXECUTING:STOPPED:AWAITING_PRICES"

    await api.put(POLICY, {"deadline": "23:00"})
    _, body = await api.get(STATUS)
    assert body["plan"]["id"] != first
    assert local(body["plan"]["estimatedFinishAt"]) == "23:00"
    _, old = await api.get(f"/vehicles/{VW}/smart-charging-plans/{first}")
    assert old["finalState"] == "PLAN:ENDED:DEADLINE_CHANGED"
    assert old["endedAt"] is not None

    simulator.unplug(VW)
    _, body = await api.get(STATUS)
    assert body["state"] == "PLAN:ENDED:UNPLUGGED"
    assert body["plan"]["finalState"] == "PLAN:ENDED:UNPLUGGED"
    simulator.plug_in(VW, ZAPTEC)
    _, body = await api.get(STATUS)
    assert body["state"] == "PLAN:EXECUTING:STOPPED:AWAITING_PRICES"
    third = body["plan"]["id"]

    await api.put(POLICY, {"isEnabled": False})
    _, body = await api.get(STATUS)
    assert body["state"] == "DISABLED"
    assert body["plan"] is None
    _, latest = await api.get(f"/vehicles/{VW}/smart-charging-plans/latest")
    assert (latest["id"], latest["finalState"]) == (third, "PLAN:ENDED:DISABLED")
    # Without smart charging the car charges as plugged-in cars do.
    assert simulator.asset(VW)["chargeState"]["isCharging"] is True
    status, _ = await api.post(f"/vehicles/{VW}/charging", {"action": "STOP"})
    assert status == 200


async def test_override_charges_now_until_ended(simulator: Simulator, api: Api) -> None:
    await _plugged_noon(simulator, api)
    simulator.set_action_delay(5)
    await api.put(POLICY, {"isEnabled": True, "deadline": "07:00"})
    status, override = await api.post(OVERRIDE)
    assert status == 200
    assert override["endedAt"] is None
    assert (override["targetType"], override["targetId"]) == ("vehicle", VW)
    assert override["userId"] == "demo-user"
    action_id = override["vendorActionId"]
    _, action = await api.get(f"/vehicles/actions/{action_id}")
    assert (action["kind"], action["state"]) == ("START", "PENDING")
    _, again = await api.post(OVERRIDE)
    assert again == override
    _, body = await api.get(STATUS)
    assert body["state"] == "PLAN:EXECUTING:OVERRIDDEN"
    simulator.advance_time(5)
    assert simulator.asset(VW)["chargeState"]["isCharging"] is True
    simulator.advance_time(600)  # the plan does not stop it meanwhile
    assert simulator.asset(VW)["chargeState"]["isCharging"] is True
    # While overridden the plan is not in control: a manual command is accepted (here
    # cancelled again before it would stop the charge and so end the override).
    status, stop = await api.post(f"/vehicles/{VW}/charging", {"action": "STOP"})
    assert status == 200
    status, _ = await api.post(f"/vehicles/actions/{stop['id']}/cancel")
    assert status == 200

    status, ended = await api.delete(OVERRIDE)
    assert status == 200
    assert ended["endedAt"] is not None
    _, body = await api.get(STATUS)
    assert body["state"] == "PLAN:EXECUTING:STOPPED:AWAITING_PRICES"
    assert body["smartOverride"]["endedAt"] == ended["endedAt"]
    assert simulator.asset(VW)["chargeState"]["isCharging"] is False
    status, problem = await api.delete(OVERRIDE)
    assert status == 404
    assert problem["title"] == "Not Found"


async def test_override_ends_when_full_or_cancelled(simulator: Simulator, api: Api) -> None:
    await _plugged_noon(simulator, api)
    await api.put(POLICY, {"isEnabled": True, "deadline": "07:00"})
    _, override = await api.post(OVERRIDE)
    simulator.advance_time(4 * 3600)  # full
    _, body = await api.get(STATUS)
    assert body["smartOverride"]["endedAt"] is not None
    assert body["state"] == "PLAN:ENDED:FINISHED"
    status, problem = await api.post(OVERRIDE)
    assert (status, problem["detail"]) == (400, "The vehicle is fully charged.")
    simulator.unplug(VW)
    status, problem = await api.post(OVERRIDE)
    assert (status, problem["detail"]) == (400, "The vehicle is not plugged in.")

    # Ended before its START confirmed: the action is cancelled, nothing starts.
    simulator.set_battery_level(VW, 40)
    simulator.set_action_delay(60)
    simulator.plug_in(VW, ZAPTEC)
    _, override = await api.post(OVERRIDE)
    await api.delete(OVERRIDE)
    _, action = await api.get(f"/vehicles/actions/{override['vendorActionId']}")
    assert (action["state"], action["failureReason"]["type"]) == (
        "CANCELLED",
        "REQUESTED_CANCELLATION",
    )
    simulator.advance_time(120)
    assert simulator.asset(VW)["chargeState"]["isCharging"] is False


async def test_enabling_needs_a_deadline(simulator: Simulator, api: Api) -> None:
    status, problem = await api.put(POLICY, {"isEnabled": True})
    assert status == 400
    assert problem == {
        "type": "https://developers.enode.com/api/problems/bad-request",
        "title": "Cannot activate smart charging",
        "detail": "Smart charging needs a deadline.",
    }
    status, _ = await api.get(f"/vehicles/{VW}/smart-charging-plans/latest")
    assert status == 404
    _, body = await api.get(f"/vehicles/{TESLA}/smart-charging-status")
    assert body["state"] == "DISABLED"
    assert body["smartOverride"] is None


async def test_plan_times_hold_within_one_long_step(simulator: Simulator, api: Api) -> None:
    """The clock stops at each plan time: one jump from 12:00 to 23:00 charges the minimum
    (to 50 %), pauses, and charges one hour from 22:00 (11 kW of 77 kWh: +14 %)."""
    await _plugged_noon(simulator, api)
    await api.put(POLICY, {"isEnabled": True, "deadline": "07:00", "minimumChargeLimit": 50})
    simulator.advance_time(11 * 3600)
    assert simulator.asset(VW)["chargeState"]["batteryLevel"] == 64
    _, body = await api.get(STATUS)
    assert body["state"] == "PLAN:EXECUTING:STARTED"
    assert local(body["plan"]["stopConfirmedAt"]) == "12:21"
    assert local(body["plan"]["startConfirmedAt"]) == "12:00"


def test_time_zone_fallback() -> None:
    """A Location without a (known) time zone plans in UTC, as Enode says."""
    from enode_simulator.state.smart import _zone

    assert _zone(None) is UTC
    assert _zone("Nowhere/Atlantis") is UTC
    assert _zone("Europe/Oslo") == OSLO


async def test_capability_lost_and_full_and_start_failed(simulator: Simulator, api: Api) -> None:
    """Losing the pair fails the plan (UNKNOWN after); plugged in full is FULLY_CHARGED; a car
    that cannot start when its plan says so is START_FAILED."""
    await _plugged_noon(simulator, api)
    await api.put(POLICY, {"isEnabled": True, "deadline": "07:00"})
    # The charger can no longer control charging: neither can the ID.4, nor smart charge.
    simulator.add_intervention(ZAPTEC, "startCharging", "3b2891a9-5dcf-4691-b850-b5ea36b57c2e")
    _, body = await api.get(STATUS)
    assert body["state"] == "UNKNOWN"
    _, latest = await api.get(f"/vehicles/{VW}/smart-charging-plans/latest")
    assert (latest["finalState"], latest["failureCondition"]) == ("PLAN:ENDED:FAILED", "UNKNOWN")

    # The Tesla, at Home (GPS), plugged into a charger the user did not link.
    tesla_policy = f"/vehicles/{TESLA}/smart-charging-policy"
    tesla_status = f"/vehicles/{TESLA}/smart-charging-status"
    simulator.set_battery_level(TESLA, 90)  # its charge limit
    simulator.plug_in(TESLA)
    await api.put(tesla_policy, {"isEnabled": True, "deadline": "07:00"})
    _, body = await api.get(tesla_status)
    assert body["state"] == "FULLY_CHARGED"
    simulator.set_battery_level(TESLA, 60)
    simulator.unplug(TESLA)
    simulator.plug_in(TESLA)
    _, body = await api.get(tesla_status)
    assert body["state"] == "PLAN:EXECUTING:STOPPED:AWAITING_PRICES"
    simulator.add_intervention(TESLA, "startCharging", "3b2891a9-5dcf-4691-b850-b5ea36b57c2e")
    advance_to_local(simulator, 22)
    _, body = await api.get(tesla_status)
    assert body["state"] == "PLAN:EXECUTING:START_FAILED"
    assert simulator.asset(TESLA)["chargeState"]["isCharging"] is False
    simulator.remove_asset(TESLA)
    assert simulator.state._smart_rendered.keys() <= {VW}
