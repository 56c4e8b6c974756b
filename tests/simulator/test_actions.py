"""Action lifecycles: charging, max current, operation mode; reuse, conflicts, failures."""

from __future__ import annotations

from enode_simulator import Simulator

from .conftest import Api

VW = "8d90101b-3f2f-462a-bbb4-1ed320d33bbe"
TESLA = "05ee9df5-d072-4ee8-b773-399dec8f5693"
ZAPTEC = "e7d4db80-4fca-4781-ac70-14108f560706"
POWERWALL = "54d827e1-8355-4fed-97b5-55940d1d09ba"

ACTION_KEYS = {
    "id",
    "userId",
    "createdAt",
    "updatedAt",
    "completedAt",
    "state",
    "targetId",
    "targetType",
    "kind",
    "failureReason",
}


async def test_vehicle_start_confirms_after_delay(simulator: Simulator, api: Api) -> None:
    status, action = await api.post(f"/vehicles/{VW}/charging", {"action": "START"})
    assert status == 200
    assert set(action) == ACTION_KEYS
    assert action["state"] == "PENDING"
    assert action["kind"] == "START"
    assert action["targetType"] == "vehicle"
    assert action["completedAt"] is None
    assert action["failureReason"] is None
    simulator.advance_time(2)
    _, still = await api.get(f"/vehicles/actions/{action['id']}")
    assert still["state"] == "PENDING"
    simulator.advance_time(1.5)
    _, done = await api.get(f"/vehicles/actions/{action['id']}")
    assert done["state"] == "CONFIRMED"
    assert done["completedAt"] is not None
    _, vehicle = await api.get(f"/vehicles/{VW}")
    state = vehicle["chargeState"]
    assert state["isCharging"] is True
    assert state["powerDeliveryState"] == "PLUGGED_IN:CHARGING"
    # The ID.4 does not report a charge rate: it falls back to the paired charger's.
    _, charger = await api.get(f"/chargers/{ZAPTEC}")
    assert charger["chargeState"]["isCharging"] is True
    assert state["chargeRate"] == charger["chargeState"]["chargeRate"] == 11
    assert state["chargeTimeRemaining"] > 0
    events = [e for e in simulator.events if e["event"] == "user:vendor-action:updated"]
    assert events[-1]["vendorAction"]["state"] == "CONFIRMED"
    assert "state" in events[-1]["updatedFields"]


async def test_battery_rises_while_charging_and_stops_at_limit(
    simulator: Simulator, api: Api
) -> None:
    simulator.set_action_delay(0)
    status, _ = await api.post(f"/vehicles/{VW}/charging", {"action": "START"})
    assert status == 200
    simulator.advance_time(0)
    # 11 kW into 77 kWh: one hour adds ~14.3 %.
    simulator.advance_time(3600)
    await api.fetch_token()  # the old one expired with the hour
    _, vehicle = await api.get(f"/vehicles/{VW}")
    assert vehicle["chargeState"]["batteryLevel"] == 59
    assert vehicle["chargeState"]["range"] == round(59 / 100 * 520)
    updated = [e for e in simulator.events if e["event"] == "user:vehicle:updated"]
    assert any("chargeState.batteryLevel" in e["updatedFields"] for e in updated)
    simulator.advance_time(5 * 3600)
    await api.fetch_token()
    _, vehicle = await api.get(f"/vehicles/{VW}")
    assert vehicle["chargeState"]["batteryLevel"] == 80
    assert vehicle["chargeState"]["isCharging"] is False
    assert vehicle["chargeState"]["isFullyCharged"] is True
    assert vehicle["chargeState"]["powerDeliveryState"] == "PLUGGED_IN:COMPLETE"
    status, problem = await api.post(f"/vehicles/{VW}/charging", {"action": "START"})
    assert status == 400
    assert "fully charged" in problem["detail"]


async def test_pending_vehicle_action_is_reused(simulator: Simulator, api: Api) -> None:
    _, first = await api.post(f"/vehicles/{VW}/charging", {"action": "START"})
    _, second = await api.post(f"/vehicles/{VW}/charging", {"action": "START"})
    assert second["id"] == first["id"]
    # A different kind cancels the pending one.
    status, stop = await api.post(f"/vehicles/{VW}/charging", {"action": "STOP"})
    assert status == 200
    assert stop["id"] != first["id"]
    _, old = await api.get(f"/vehicles/actions/{first['id']}")
    assert old["state"] == "CANCELLED"
    assert old["failureReason"]["type"] == "CONFLICT"


async def test_charger_allows_one_active_action(simulator: Simulator, api: Api) -> None:
    _, first = await api.post(f"/chargers/{ZAPTEC}/charging", {"action": "START"})
    assert first["targetType"] == "charger"
    _, second = await api.post(f"/chargers/{ZAPTEC}/charging", {"action": "START"})
    assert second["id"] != first["id"]
    _, old = await api.get(f"/chargers/actions/{first['id']}")
    assert old["state"] == "CANCELLED"
    assert old["failureReason"]["type"] == "CONFLICT"
    status, current = await api.post(f"/chargers/{ZAPTEC}/max-current", {"maxCurrent": 10})
    assert status == 200
    assert current["targetState"] == {"maxCurrent": 10}
    assert "kind" not in current
    _, old = await api.get(f"/chargers/actions/{second['id']}")
    assert old["state"] == "CANCELLED"
    simulator.advance_time(5)
    _, done = await api.get(f"/chargers/actions/{current['id']}")
    assert done["state"] == "CONFIRMED"
    _, charger = await api.get(f"/chargers/{ZAPTEC}")
    assert charger["chargeState"]["maxCurrent"] == 10


async def test_unreachable_device_fails(simulator: Simulator, api: Api) -> None:
    # On a public charger the Tesla is commanded alone (on its paired charger, the charger runs
    # the command: see test_pairing.py).
    simulator.plug_in(TESLA, None)
    simulator.set_reachable(TESLA, False)
    _, action = await api.post(f"/vehicles/{TESLA}/charging", {"action": "START"})
    simulator.advance_time(10)
    _, failed = await api.get(f"/vehicles/actions/{action['id']}")
    assert failed["state"] == "FAILED"
    assert failed["failureReason"] == {
        "type": "NO_RESPONSE",
        "detail": "The device remained unreachable.",
    }
    _, vehicle = await api.get(f"/vehicles/{TESLA}")
    assert vehicle["isReachable"] is False


async def test_unplug_cancels_pending(simulator: Simulator, api: Api) -> None:
    _, action = await api.post(f"/vehicles/{VW}/charging", {"action": "START"})
    simulator.unplug(VW)
    _, cancelled = await api.get(f"/vehicles/actions/{action['id']}")
    assert cancelled["state"] == "CANCELLED"
    assert cancelled["failureReason"]["detail"] == (
        "The asset was unplugged before the action could be completed"
    )


async def test_preconditions(simulator: Simulator, api: Api) -> None:
    status, problem = await api.post(f"/vehicles/{TESLA}/charging", {"action": "START"})
    assert status == 400
    assert set(problem) == {"type", "title", "detail"}
    assert problem["type"].endswith("/bad-request")
    assert "plugged" in problem["detail"]
    status, problem = await api.post(f"/vehicles/{VW}/charging", {"action": "STOP"})
    assert status == 400
    assert "not charging" in problem["detail"]
    status, _ = await api.post(f"/vehicles/{VW}/charging", {"action": "PAUSE"})
    assert status == 400
    status, _ = await api.post(f"/vehicles/{VW}/charging", {"action": "START", "x": 1})
    assert status == 400
    status, _ = await api.post(f"/vehicles/{VW}/charging", [1])
    assert status == 400
    status, problem = await api.post("/vehicles/no-such-vehicle/max-current", {"maxCurrent": 1})
    assert status == 404
    assert problem["title"] == "Not Found"
    status, _ = await api.post(f"/chargers/{ZAPTEC}/max-current", {"maxCurrent": "x"})
    assert status == 400
    status, _ = await api.post(f"/chargers/{ZAPTEC}/max-current", {"maxCurrent": 0})
    assert status == 400
    status, _ = await api.post("/vehicles/nope/charging", {"action": "START"})
    assert status == 404
    simulator.plug_in(TESLA, charging=True)
    status, problem = await api.post(f"/vehicles/{TESLA}/charging", {"action": "START"})
    assert status == 400
    assert "already charging" in problem["detail"]


async def test_schedule_controlled_gives_422(simulator: Simulator, api: Api) -> None:
    simulator.set_schedule_controlled(VW, True)
    status, problem = await api.post(f"/vehicles/{VW}/charging", {"action": "START"})
    assert status == 422
    assert "Smart Charging" in problem["detail"]
    simulator.set_schedule_controlled(ZAPTEC, True)
    status, problem = await api.post(f"/chargers/{ZAPTEC}/charging", {"action": "START"})
    assert status == 422
    assert problem["detail"] == "The charger is controlled by a Schedule."


async def test_cancel_action(simulator: Simulator, api: Api) -> None:
    _, action = await api.post(f"/vehicles/{VW}/charging", {"action": "START"})
    status, cancelled = await api.post(f"/vehicles/actions/{action['id']}/cancel")
    assert status == 200
    assert cancelled["state"] == "CANCELLED"
    status, body = await api.post(f"/vehicles/actions/{action['id']}/cancel")
    assert status == 409
    assert body["id"] == action["id"]
    assert body["state"] == "CANCELLED"
    status, _ = await api.post("/vehicles/actions/unknown/cancel")
    assert status == 404
    # Actions are only found under their target type.
    status, _ = await api.get(f"/chargers/actions/{action['id']}")
    assert status == 404


async def test_battery_operation_mode(simulator: Simulator, api: Api) -> None:
    status, action = await api.post(
        f"/batteries/{POWERWALL}/operation-mode", {"operationMode": "IMPORT_FOCUS"}
    )
    assert status == 200
    assert action["targetType"] == "battery"
    assert action["targetState"] == {"operationMode": "IMPORT_FOCUS"}
    simulator.advance_time(5)
    _, done = await api.get(f"/batteries/actions/{action['id']}")
    assert done["state"] == "CONFIRMED"
    _, battery = await api.get(f"/batteries/{POWERWALL}")
    assert battery["config"]["operationMode"] == "IMPORT_FOCUS"
    status, problem = await api.post(
        f"/batteries/{POWERWALL}/operation-mode", {"operationMode": "IMPORT_FOCUS"}
    )
    assert status == 400
    assert "already" in problem["detail"]
    status, problem = await api.post(
        f"/batteries/{POWERWALL}/operation-mode", {"operationMode": "IDLE"}
    )
    assert status == 400
    assert "not capable" in problem["detail"]
    status, _ = await api.post(f"/batteries/{POWERWALL}/operation-mode", {"operationMode": "X"})
    assert status == 400
    _, pending = await api.post(
        f"/batteries/{POWERWALL}/operation-mode", {"operationMode": "TIME_OF_USE"}
    )
    _, newer = await api.post(
        f"/batteries/{POWERWALL}/operation-mode", {"operationMode": "EXPORT_FOCUS"}
    )
    _, old = await api.get(f"/batteries/actions/{pending['id']}")
    assert old["state"] == "CANCELLED"
    status, cancelled = await api.post(f"/batteries/actions/{newer['id']}/cancel")
    assert cancelled["failureReason"]["type"] == "REQUESTED_CANCELLATION"


async def test_deleted_target_cancels_pending(simulator: Simulator, api: Api) -> None:
    _, action = await api.post(f"/chargers/{ZAPTEC}/max-current", {"maxCurrent": 12})
    simulator.remove_asset(ZAPTEC)
    _, cancelled = await api.get(f"/chargers/actions/{action['id']}")
    assert cancelled["state"] == "CANCELLED"
    assert cancelled["failureReason"]["type"] == "NOT_FOUND"
    deleted = [e for e in simulator.events if e["event"] == "user:charger:deleted"]
    assert deleted[0]["charger"]["id"] == ZAPTEC


async def test_invalid_credentials_fail_actions(simulator: Simulator, api: Api) -> None:
    simulator.plug_in(TESLA)
    simulator.invalidate_credentials("demo-user", "TESLA")
    _, action = await api.post(f"/vehicles/{TESLA}/charging", {"action": "START"})
    simulator.advance_time(5)
    _, failed = await api.get(f"/vehicles/actions/{action['id']}")
    assert failed["state"] == "FAILED"
    _, user = await api.get("/users/demo-user")
    tesla = [v for v in user["linkedVendors"] if v["vendor"] == "TESLA"]
    assert tesla
    assert all(v["isValid"] is False for v in tesla)
    event = next(e for e in simulator.events if e["event"] == "user:credentials:invalidated")
    assert event["vendor"] == "TESLA"
    assert event["user"] == {"id": "demo-user"}
