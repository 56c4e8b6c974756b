"""Vehicle smart charging policy and (experimental) vehicle max current over raw HTTP."""

from __future__ import annotations

from enode_simulator import Simulator

from .conftest import Api

VW = "8d90101b-3f2f-462a-bbb4-1ed320d33bbe"
TESLA = "05ee9df5-d072-4ee8-b773-399dec8f5693"
ZAPTEC = "e7d4db80-4fca-4781-ac70-14108f560706"
PHONE_KEY = "3b2891a9-5dcf-4691-b850-b5ea36b57c2e"
POLICY = f"/vehicles/{TESLA}/smart-charging-policy"


async def test_policy_is_stored_and_reflected(simulator: Simulator, api: Api) -> None:
    status, policy = await api.get(POLICY)
    assert status == 200
    assert policy == {"isEnabled": False, "deadline": None, "minimumChargeLimit": 0}
    simulator.events.clear()
    status, policy = await api.put(POLICY, {"isEnabled": True, "deadline": "07:30"})
    assert status == 200
    assert policy == {"isEnabled": True, "deadline": "07:30", "minimumChargeLimit": 0}
    # Partial: only the given keys change.
    status, policy = await api.put(POLICY, {"minimumChargeLimit": 40})
    assert status == 200
    assert policy == {"isEnabled": True, "deadline": "07:30", "minimumChargeLimit": 40}
    _, again = await api.get(POLICY)
    assert again == policy
    _, vehicle = await api.get(f"/vehicles/{TESLA}")
    assert vehicle["smartChargingPolicy"] == policy
    updates = [
        e
        for e in simulator.events
        if e["event"] == "user:vehicle:updated" and e["vehicle"]["id"] == TESLA
    ]
    assert "smartChargingPolicy.isEnabled" in updates[0]["updatedFields"]
    assert "smartChargingPolicy.deadline" in updates[0]["updatedFields"]
    assert updates[1]["updatedFields"][0] == "smartChargingPolicy.minimumChargeLimit"
    status, policy = await api.put(POLICY, {"isEnabled": False})
    assert status == 200
    assert policy["isEnabled"] is False
    assert policy["deadline"] == "07:30"


async def test_policy_validation(simulator: Simulator, api: Api) -> None:
    for body in (
        {"isEnabled": "yes"},
        {"deadline": "25:00"},
        {"deadline": "7:00"},
        {"deadline": None},
        {"minimumChargeLimit": "20"},
        {"minimumChargeLimit": True},
        {"minimumChargeLimit": -1},
        {"minimumChargeLimit": 101},
        {"maximumChargeLimit": 80},
        [],
    ):
        status, problem = await api.put(POLICY, body)
        assert status == 400, body
        assert problem["title"] == "Bad request"
    status, policy = await api.put(POLICY, {"deadline": "24:00"})
    assert status == 200
    assert policy["deadline"] == "24:00"
    _, policy = await api.get(POLICY)
    assert policy == {"isEnabled": False, "deadline": "24:00", "minimumChargeLimit": 0}
    status, _ = await api.get("/vehicles/no-such-vehicle/smart-charging-policy")
    assert status == 404
    status, _ = await api.put(f"/vehicles/{ZAPTEC}/smart-charging-policy", {"isEnabled": True})
    assert status == 404


async def test_policy_needs_smart_charging_capability(simulator: Simulator, api: Api) -> None:
    # The ID.4 is not capable of smart charging by itself (the Zaptec it pairs with makes it so:
    # see test_smart_charging.py); without the charger it is not.
    simulator.remove_asset(ZAPTEC)
    status, problem = await api.put(
        f"/vehicles/{VW}/smart-charging-policy", {"isEnabled": True, "deadline": "07:00"}
    )
    assert status == 400
    assert problem["title"] == "Cannot activate smart charging"
    assert problem["type"].endswith("/bad-request")
    _, policy = await api.get(f"/vehicles/{VW}/smart-charging-policy")
    assert policy["isEnabled"] is False
    assert policy["deadline"] is None
    # Turning it off, or editing a disabled policy, is allowed.
    status, policy = await api.put(
        f"/vehicles/{VW}/smart-charging-policy", {"isEnabled": False, "deadline": "06:00"}
    )
    assert status == 200
    assert policy["deadline"] == "06:00"
    # A blocking intervention makes an enabled policy uneditable until it is resolved.
    status, _ = await api.put(POLICY, {"isEnabled": True, "deadline": "07:00"})
    assert status == 200
    simulator.add_intervention(TESLA, "smartCharging", PHONE_KEY)
    status, problem = await api.put(POLICY, {"deadline": "08:00"})
    assert status == 400
    assert problem["title"] == "Cannot activate smart charging"
    status, policy = await api.put(POLICY, {"isEnabled": False})
    assert status == 200
    assert policy["isEnabled"] is False


async def test_vehicle_max_current_action(simulator: Simulator, api: Api) -> None:
    # The Tesla's setMaxCurrent is blocked by the phone-key intervention.
    status, problem = await api.post(f"/vehicles/{TESLA}/max-current", {"maxCurrent": 10})
    assert status == 400
    assert "setMaxCurrent" in problem["detail"]
    # The ID.4 does not support it at all.
    status, _ = await api.post(f"/vehicles/{VW}/max-current", {"maxCurrent": 10})
    assert status == 400
    simulator.remove_intervention(TESLA, PHONE_KEY)
    for body in ({"maxCurrent": "10"}, {"maxCurrent": 0}, {"maxCurrent": 10, "x": 1}):
        status, _ = await api.post(f"/vehicles/{TESLA}/max-current", body)
        assert status == 400, body
    simulator.events.clear()
    status, action = await api.post(f"/vehicles/{TESLA}/max-current", {"maxCurrent": 10})
    assert status == 200
    assert action["state"] == "PENDING"
    assert action["targetType"] == "vehicle"
    assert action["targetId"] == TESLA
    assert action["targetState"] == {"maxCurrent": 10}
    assert "kind" not in action
    _, vehicle = await api.get(f"/vehicles/{TESLA}")
    before = vehicle["chargeState"]["maxCurrent"]
    assert before != 10
    # Only one active action per vehicle: a newer one cancels it.
    status, newer = await api.post(f"/vehicles/{TESLA}/max-current", {"maxCurrent": 12})
    assert status == 200
    _, first = await api.get(f"/vehicles/actions/{action['id']}")
    assert first["state"] == "CANCELLED"
    assert first["failureReason"]["type"] == "CONFLICT"
    simulator.advance_time(3.5)
    _, done = await api.get(f"/vehicles/actions/{newer['id']}")
    assert done["state"] == "CONFIRMED"
    _, vehicle = await api.get(f"/vehicles/{TESLA}")
    assert vehicle["chargeState"]["maxCurrent"] == 12
    # The action is a vehicle action only.
    status, _ = await api.get(f"/chargers/actions/{newer['id']}")
    assert status == 404
    vendor = [e for e in simulator.events if e["event"] == "user:vendor-action:updated"]
    assert [e["vendorAction"]["state"] for e in vendor] == ["CANCELLED", "CONFIRMED"]
    updated = [
        e
        for e in simulator.events
        if e["event"] == "user:vehicle:updated" and e["vehicle"]["id"] == TESLA
    ]
    assert any("chargeState.maxCurrent" in e["updatedFields"] for e in updated)
    assert updated[-1]["vehicle"]["chargeState"]["maxCurrent"] == 12


async def test_vehicle_max_current_cancels_charge_action(simulator: Simulator, api: Api) -> None:
    simulator.remove_intervention(TESLA, PHONE_KEY)
    simulator.plug_in(TESLA)
    _, start = await api.post(f"/vehicles/{TESLA}/charging", {"action": "START"})
    assert start["state"] == "PENDING"
    status, _ = await api.post(f"/vehicles/{TESLA}/max-current", {"maxCurrent": 8})
    assert status == 200
    _, start = await api.get(f"/vehicles/actions/{start['id']}")
    assert start["state"] == "CANCELLED"


async def test_vehicle_max_current_fails_when_unreachable(simulator: Simulator, api: Api) -> None:
    simulator.remove_intervention(TESLA, PHONE_KEY)
    _, action = await api.post(f"/vehicles/{TESLA}/max-current", {"maxCurrent": 10})
    simulator.set_reachable(TESLA, False)
    simulator.advance_time(5)
    _, failed = await api.get(f"/vehicles/actions/{action['id']}")
    assert failed["state"] == "FAILED"
    assert failed["failureReason"]["type"] == "NO_RESPONSE"
    _, vehicle = await api.get(f"/vehicles/{TESLA}")
    assert vehicle["chargeState"]["maxCurrent"] != 10
