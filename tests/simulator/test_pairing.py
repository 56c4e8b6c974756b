"""EV charger pairing (DESIGN.md section 6), locations and the GPS geofence."""

from __future__ import annotations

from typing import Any

from enode_simulator import Simulator
from enode_simulator.catalog import (
    CHARGER_OFFLINE_DATA,
    CHARGER_REMOTE_ACCESS,
    TESLA_PHONE_KEY as PHONE_KEY_ID,
    VEHICLE_NO_CHARGING_CONTROL,
    VEHICLE_NO_GPS,
)
from tests.conftest import SimulatorFactory

from .conftest import Api

VW = "8d90101b-3f2f-462a-bbb4-1ed320d33bbe"
TESLA = "05ee9df5-d072-4ee8-b773-399dec8f5693"
ZAPTEC = "e7d4db80-4fca-4781-ac70-14108f560706"
HOME = "4eaeb363-296d-4ccc-a973-7805e6f40001"


def caps(vehicle: dict[str, Any], name: str) -> dict[str, Any]:
    return vehicle["capabilities"][name]


async def test_established_and_active_pair(simulator: Simulator, api: Api) -> None:
    _, vw = await api.get(f"/vehicles/{VW}")
    for name in ("startCharging", "stopCharging", "location"):
        assert caps(vw, name) == {"isCapable": True, "interventionIds": []}
    assert vw["chargeState"]["pluggedInChargerId"] == ZAPTEC
    assert vw["chargeState"]["isPluggedIn"] is True
    # No GPS: the location id is inferred from the charger's Location.
    assert vw["location"] == {"id": HOME, "latitude": None, "longitude": None, "lastUpdated": None}
    simulator.unplug(VW)
    _, vw = await api.get(f"/vehicles/{VW}")
    assert vw["chargeState"]["pluggedInChargerId"] is None
    assert vw["location"]["id"] is None
    # Established persists while both are linked.
    assert caps(vw, "startCharging")["isCapable"] is True
    _, zaptec = await api.get(f"/chargers/{ZAPTEC}")
    assert zaptec["chargeState"]["pluggedInVehicleId"] is None
    assert zaptec["chargeState"]["powerDeliveryState"] == "UNPLUGGED"
    updated = [e for e in simulator.events if e["event"] == "user:vehicle:updated"]
    assert "chargeState.pluggedInChargerId" in updated[-1]["updatedFields"]
    assert "location.id" in updated[-1]["updatedFields"]


async def test_no_charger_means_blocked(simulator: Simulator, api: Api) -> None:
    simulator.remove_asset(ZAPTEC)
    _, vw = await api.get(f"/vehicles/{VW}")
    assert caps(vw, "startCharging") == {
        "isCapable": False,
        "interventionIds": [VEHICLE_NO_CHARGING_CONTROL],
    }
    assert caps(vw, "location") == {"isCapable": False, "interventionIds": [VEHICLE_NO_GPS]}
    status, problem = await api.post(f"/vehicles/{VW}/charging", {"action": "START"})
    assert status == 400
    assert "not capable" in problem["detail"]


async def test_persistence_cleared_after_ten_failures(simulator: Simulator, api: Api) -> None:
    simulator.unplug(VW)
    for attempt in range(10):
        status, problem = await api.post(f"/vehicles/{VW}/charging", {"action": "START"})
        assert status == 400, attempt
        assert "plugged" in problem["detail"]
    _, vw = await api.get(f"/vehicles/{VW}")
    assert caps(vw, "startCharging")["isCapable"] is False
    assert caps(vw, "startCharging")["interventionIds"] == [VEHICLE_NO_CHARGING_CONTROL]
    assert caps(vw, "location")["isCapable"] is False
    # Plugging the two together re-establishes the pair.
    simulator.plug_in(VW, ZAPTEC)
    _, vw = await api.get(f"/vehicles/{VW}")
    assert caps(vw, "startCharging") == {"isCapable": True, "interventionIds": []}
    assert vw["chargeState"]["pluggedInChargerId"] == ZAPTEC


async def test_nine_failures_and_a_success_keep_the_pair(simulator: Simulator, api: Api) -> None:
    simulator.unplug(VW)
    for _ in range(9):
        await api.post(f"/vehicles/{VW}/charging", {"action": "START"})
    simulator.plug_in(VW)  # into a public charger: not the paired one
    status, _ = await api.post(f"/vehicles/{VW}/charging", {"action": "START"})
    assert status == 200
    simulator.unplug(VW)
    for _ in range(9):
        await api.post(f"/vehicles/{VW}/charging", {"action": "START"})
    _, vw = await api.get(f"/vehicles/{VW}")
    assert caps(vw, "startCharging")["isCapable"] is True


def _scenario(vehicle: dict[str, Any], *chargers: dict[str, Any]) -> dict[str, Any]:
    """User u1 with a vehicle and chargers, one account each."""
    return {
        "client": {"id": "c", "secret": "s"},
        "vendorAccounts": [
            {"vendor": device["vendor"], "username": device["id"], "devices": [device]}
            for device in (vehicle, *chargers)
        ],
        "users": [{"id": "u1", "linkedAccounts": "all"}],
    }


def _pair_scenario(vehicle: dict[str, Any], charger: dict[str, Any]) -> dict[str, Any]:
    """The two plugged into each other."""
    return _scenario(vehicle, charger) | {"plugged": [{"vehicle": "v1", "charger": "c1"}]}


BLOCKED_CHARGER = {
    "id": "c1",
    "type": "charger",
    "vendor": "EASEE",
    "capabilities": {
        "startCharging": {"isCapable": False, "interventionIds": [CHARGER_REMOTE_ACCESS]},
        "stopCharging": {"isCapable": False, "interventionIds": [CHARGER_REMOTE_ACCESS]},
        "chargeState": {"isCapable": True, "interventionIds": [CHARGER_OFFLINE_DATA]},
    },
}


INCAPABLE = {
    "id": "v1",
    "type": "vehicle",
    "vendor": "VOLKSWAGEN",
    "capabilities": {
        "startCharging": {"isCapable": False, "interventionIds": [VEHICLE_NO_CHARGING_CONTROL]},
        "stopCharging": {"isCapable": False, "interventionIds": [VEHICLE_NO_CHARGING_CONTROL]},
        "location": {"isCapable": False, "interventionIds": [VEHICLE_NO_GPS]},
        "smartCharging": False,
    },
}


async def test_optional_interventions(simulator_factory: SimulatorFactory, http: Any) -> None:
    capable = {"id": "v1", "type": "vehicle", "vendor": "TESLA"}
    sim = await simulator_factory(_pair_scenario(capable, BLOCKED_CHARGER))
    api = Api(http, sim)
    _, vehicle = await api.get("/vehicles/v1")
    # The vehicle controls charging alone; the charger's interventions come back as optional.
    assert caps(vehicle, "startCharging") == {
        "isCapable": True,
        "interventionIds": [CHARGER_REMOTE_ACCESS],
    }
    # chargeState interventions from either device are always returned.
    assert caps(vehicle, "chargeState")["interventionIds"] == [CHARGER_OFFLINE_DATA]
    assert caps(vehicle, "chargeState")["isCapable"] is True
    status, _ = await api.post("/vehicles/v1/charging", {"action": "START"})
    assert status == 200


async def test_blocking_interventions_charger_first(
    simulator_factory: SimulatorFactory, http: Any
) -> None:
    sim = await simulator_factory(_pair_scenario(INCAPABLE, BLOCKED_CHARGER))
    api = Api(http, sim)
    _, vehicle = await api.get("/vehicles/v1")
    assert caps(vehicle, "stopCharging") == {
        "isCapable": False,
        "interventionIds": [CHARGER_REMOTE_ACCESS, VEHICLE_NO_CHARGING_CONTROL],
    }
    # Resolving the charger's intervention unlocks the vehicle through the pair.
    sim.remove_intervention("c1", CHARGER_REMOTE_ACCESS)
    _, vehicle = await api.get("/vehicles/v1")
    assert caps(vehicle, "stopCharging") == {"isCapable": True, "interventionIds": []}


async def test_gps_geofence(simulator: Simulator, api: Api) -> None:
    _, tesla = await api.get(f"/vehicles/{TESLA}")
    assert tesla["location"]["id"] == HOME
    assert tesla["location"]["latitude"] is not None
    # ~330 m north: outside the 200 m geofence.
    simulator.set_vehicle_position(TESLA, 59.9169, 10.7522)
    _, tesla = await api.get(f"/vehicles/{TESLA}")
    assert tesla["location"]["id"] is None
    # ~110 m north: inside.
    simulator.set_vehicle_position(TESLA, 59.9149, 10.7522)
    _, tesla = await api.get(f"/vehicles/{TESLA}")
    assert tesla["location"]["id"] == HOME
    # A new location next to the car wins when it is closer.
    status, office = await api.post(
        "/users/demo-user/locations",
        {"name": "Office", "latitude": 59.91491, "longitude": 10.75221, "timezoneName": "UTC"},
    )
    assert status == 200
    _, tesla = await api.get(f"/vehicles/{TESLA}")
    assert tesla["location"]["id"] == office["id"]


async def test_charger_location_and_inference(simulator: Simulator, api: Api) -> None:
    status, charger = await api.put(f"/chargers/{ZAPTEC}", {"locationId": None})
    assert status == 200
    assert charger["location"]["id"] is None
    _, vw = await api.get(f"/vehicles/{VW}")
    assert vw["location"]["id"] is None
    status, charger = await api.put(f"/chargers/{ZAPTEC}", {"locationId": HOME})
    assert charger["location"]["id"] == HOME
    assert charger["location"]["lastUpdated"] is not None
    _, vw = await api.get(f"/vehicles/{VW}")
    assert vw["location"]["id"] == HOME
    status, _ = await api.put(f"/chargers/{ZAPTEC}", {"locationId": "missing"})
    assert status == 400
    status, _ = await api.put(f"/chargers/{ZAPTEC}", {"locationId": 5})
    assert status == 400
    status, _ = await api.put(f"/chargers/{ZAPTEC}", {})
    assert status == 400
    status, _ = await api.put(f"/chargers/{ZAPTEC}", {"locationId": None, "name": "x"})
    assert status == 400
    status, _ = await api.put("/chargers/missing", {"locationId": None})
    assert status == 404
    # Deleting the location clears it from the charger.
    status, deleted = await api.delete(f"/locations/{HOME}")
    assert status == 200
    assert deleted["id"] == HOME
    _, charger = await api.get(f"/chargers/{ZAPTEC}")
    assert charger["location"]["id"] is None


# --- Routing: commands to a vehicle run where Enode sends them (seed 002 "Sending commands") -----


async def _run(sim: Simulator, api: Api, vehicle_id: str, kind: str = "START") -> dict[str, Any]:
    status, action = await api.post(f"/vehicles/{vehicle_id}/charging", {"action": kind})
    assert status == 200, action
    sim.advance_time(5)
    _, done = await api.get(f"/vehicles/actions/{action['id']}")
    return dict(done)


async def test_paired_command_runs_on_the_charger(simulator: Simulator, api: Api) -> None:
    """Plugged into its paired charger, the vehicle's command runs on the charger."""
    # The vehicle offline: the charger still starts charging (the control fallback of seed 004).
    simulator.set_reachable(VW, False)
    done = await _run(simulator, api, VW)
    assert done["state"] == "CONFIRMED"
    _, vw = await api.get(f"/vehicles/{VW}")
    assert vw["chargeState"]["isCharging"] is True
    # The charger unreachable: the vehicle's action fails with the charger's reason.
    simulator.set_reachable(VW, True)
    simulator.set_reachable(ZAPTEC, False)
    done = await _run(simulator, api, VW, "STOP")
    assert done["state"] == "FAILED"
    assert done["failureReason"] == {
        "type": "NO_RESPONSE",
        "detail": "The paired charger remained unreachable.",
    }
    # The charger's credentials invalid: the same.
    simulator.set_reachable(ZAPTEC, True)
    simulator.invalidate_credentials("demo-user", "ZAPTEC")
    done = await _run(simulator, api, VW, "STOP")
    assert done["state"] == "FAILED"
    assert done["failureReason"]["type"] == "NO_RESPONSE"
    assert "charger" in done["failureReason"]["detail"]


async def test_vehicle_alone_on_another_charger(simulator: Simulator, api: Api) -> None:
    """On someone else's charger the vehicle is commanded alone: one that cannot control fails."""
    simulator.plug_in(VW, None)
    _, vw = await api.get(f"/vehicles/{VW}")
    # The pair persists (capable), but Enode cannot route through a charger it does not know.
    assert caps(vw, "startCharging")["isCapable"] is True
    done = await _run(simulator, api, VW)
    assert done["state"] == "FAILED"
    assert done["failureReason"] == {
        "type": "FAILED_PRECONDITION",
        "detail": (
            "The vehicle cannot start or stop charging on its own and is not plugged into its "
            "paired charger."
        ),
    }
    _, vw = await api.get(f"/vehicles/{VW}")
    assert vw["chargeState"]["isCharging"] is False
    # Failures while plugged in elsewhere do not clear the pair (only unplugged ones count).
    assert caps(vw, "startCharging")["isCapable"] is True
    # The Tesla controls charging itself: alone it works; the charger being down does not matter.
    simulator.set_reachable(ZAPTEC, False)
    simulator.plug_in(TESLA, None)
    done = await _run(simulator, api, TESLA)
    assert done["state"] == "CONFIRMED"


# --- Every linked charger counts ------------------------------------------------------------


CAPABLE_CHARGER = {
    "id": "c2",
    "type": "charger",
    "vendor": "ZAPTEC",
    "capabilities": {"chargeState": {"isCapable": True, "interventionIds": [CHARGER_OFFLINE_DATA]}},
}


async def test_every_linked_charger_counts(simulator_factory: SimulatorFactory, http: Any) -> None:
    """The first charger is blocked, the second can control: the vehicle is unlocked by it."""
    blocked = BLOCKED_CHARGER | {
        "capabilities": {
            k: v for k, v in BLOCKED_CHARGER["capabilities"].items() if k != "chargeState"
        }
    }
    sim = await simulator_factory(_scenario(INCAPABLE, blocked, CAPABLE_CHARGER))
    api = Api(http, sim)
    _, vehicle = await api.get("/vehicles/v1")
    # Capable through the second charger; the first one's intervention is optional.
    assert caps(vehicle, "startCharging") == {
        "isCapable": True,
        "interventionIds": [CHARGER_REMOTE_ACCESS],
    }
    # chargeState interventions of every charger are returned.
    assert caps(vehicle, "chargeState")["interventionIds"] == [CHARGER_OFFLINE_DATA]
    # The capable charger goes: blocked again, every charger's interventions first.
    sim.remove_asset("c2")
    _, vehicle = await api.get("/vehicles/v1")
    assert caps(vehicle, "startCharging") == {
        "isCapable": False,
        "interventionIds": [CHARGER_REMOTE_ACCESS, VEHICLE_NO_CHARGING_CONTROL],
    }
    assert caps(vehicle, "chargeState")["interventionIds"] == []


# --- location only when it can be inferred; smart charging unlocked ------------------------------


async def test_location_unlocked_only_when_inferable(simulator: Simulator, api: Api) -> None:
    """The ID.4 has no GPS: location is capable only while its charger has a Location."""
    status, _ = await api.put(f"/chargers/{ZAPTEC}", {"locationId": None})
    assert status == 200
    _, vw = await api.get(f"/vehicles/{VW}")
    assert caps(vw, "location") == {"isCapable": False, "interventionIds": [VEHICLE_NO_GPS]}
    # Control is still unlocked by the pair.
    assert caps(vw, "startCharging")["isCapable"] is True
    await api.put(f"/chargers/{ZAPTEC}", {"locationId": HOME})
    _, vw = await api.get(f"/vehicles/{VW}")
    assert caps(vw, "location") == {"isCapable": True, "interventionIds": []}
    # The Tesla has GPS: capable with or without a charger Location.
    await api.put(f"/chargers/{ZAPTEC}", {"locationId": None})
    _, tesla = await api.get(f"/vehicles/{TESLA}")
    assert caps(tesla, "location") == {"isCapable": True, "interventionIds": []}


async def test_smart_charging_unlocked_by_the_pair(simulator: Simulator, api: Api) -> None:
    """The ID.4 cannot be controlled alone: its charger makes it eligible for smart charging."""
    _, vw = await api.get(f"/vehicles/{VW}")
    assert caps(vw, "smartCharging") == {"isCapable": True, "interventionIds": []}
    status, policy = await api.put(
        f"/vehicles/{VW}/smart-charging-policy", {"isEnabled": True, "deadline": "07:00"}
    )
    assert status == 200
    assert policy["isEnabled"] is True
    simulator.remove_asset(ZAPTEC)
    _, vw = await api.get(f"/vehicles/{VW}")
    assert caps(vw, "smartCharging") == {"isCapable": False, "interventionIds": []}
    status, problem = await api.put(f"/vehicles/{VW}/smart-charging-policy", {"deadline": "07:00"})
    assert status == 400
    assert problem["title"] == "Cannot activate smart charging"


async def test_smart_charging_of_a_capable_vehicle_is_its_own(
    simulator: Simulator, api: Api
) -> None:
    """A vehicle that controls charging itself keeps its own smart charging capability."""
    simulator.add_intervention(TESLA, "smartCharging", PHONE_KEY_ID)
    _, tesla = await api.get(f"/vehicles/{TESLA}")
    assert caps(tesla, "smartCharging") == {"isCapable": False, "interventionIds": [PHONE_KEY_ID]}


# --- Cleared, then re-established -------------------------------------------------------------


async def test_pair_reestablished_when_plugged_together(simulator: Simulator, api: Api) -> None:
    """After the ten failures, plugging the two together re-establishes the pair for good."""
    simulator.unplug(VW)
    for _ in range(10):
        await api.post(f"/vehicles/{VW}/charging", {"action": "START"})
    _, vw = await api.get(f"/vehicles/{VW}")
    assert caps(vw, "startCharging")["isCapable"] is False
    assert caps(vw, "smartCharging")["isCapable"] is False
    # Plugged into someone else's charger: still cleared.
    simulator.plug_in(VW, None)
    simulator.unplug(VW)
    _, vw = await api.get(f"/vehicles/{VW}")
    assert caps(vw, "startCharging")["isCapable"] is False
    # Plugged into its charger, and unplugged again: the pair persists.
    simulator.plug_in(VW, ZAPTEC)
    simulator.unplug(VW)
    _, vw = await api.get(f"/vehicles/{VW}")
    for name in ("startCharging", "stopCharging", "location", "smartCharging"):
        assert caps(vw, name) == {"isCapable": True, "interventionIds": []}, name
    # And the count starts again: nine more failures keep it.
    for _ in range(9):
        await api.post(f"/vehicles/{VW}/charging", {"action": "START"})
    _, vw = await api.get(f"/vehicles/{VW}")
    assert caps(vw, "startCharging")["isCapable"] is True


# --- Granted scopes are enforced ---------------------------------------------------------------


async def test_control_needs_the_control_scope(simulator: Simulator, api: Api) -> None:
    """A vehicle linked without ``vehicle:control:charging`` cannot be controlled, paired or not."""
    template = {"id": "scoped", "vendor": "KIA", "gps": {"latitude": 59.9139, "longitude": 10.7522}}
    simulator.add_asset("demo-user", "vehicle", template, scopes=["vehicle:read:data"])
    simulator.plug_in("scoped", ZAPTEC)
    _, kia = await api.get("/vehicles/scoped")
    assert kia["scopes"] == ["vehicle:read:data"]
    for name in ("startCharging", "stopCharging", "setMaxCurrent", "smartCharging"):
        assert caps(kia, name) == {"isCapable": False, "interventionIds": []}, name
    status, problem = await api.post("/vehicles/scoped/charging", {"action": "START"})
    assert status == 400
    assert "not capable" in problem["detail"]
    # A charger without its control scope cannot control, nor unlock a vehicle.
    simulator.remove_asset("scoped")
    simulator.add_asset(
        "demo-user",
        "charger",
        {"id": "ro-charger", "vendor": "EASEE"},
        scopes=["charger:read:data"],
    )
    simulator.remove_asset(ZAPTEC)
    _, charger = await api.get("/chargers/ro-charger")
    assert caps(charger, "startCharging") == {"isCapable": False, "interventionIds": []}
    _, vw = await api.get(f"/vehicles/{VW}")
    assert caps(vw, "startCharging")["isCapable"] is False


# --- Faster plug-in detection from either device (seed 004) ------------------------------------


async def test_plug_in_detected_from_either_device(
    simulator_factory: SimulatorFactory, http: Any
) -> None:
    """A vehicle that reports its plug-in late is seen plugged in as soon as its charger reports."""
    slow = {"id": "v1", "type": "vehicle", "vendor": "TESLA", "plugReportDelay": 300}
    sim = await simulator_factory(_scenario(slow, CAPABLE_CHARGER))
    api = Api(http, sim)
    sim.plug_in("v1", "c2")
    _, vehicle = await api.get("/vehicles/v1")
    assert vehicle["chargeState"]["isPluggedIn"] is True
    assert vehicle["chargeState"]["pluggedInChargerId"] == "c2"
    status, _ = await api.post("/vehicles/v1/charging", {"action": "START"})
    assert status == 200
    # On a charger Enode does not know, only the vehicle's own (late) report counts.
    sim.unplug("v1")
    sim.plug_in("v1", None)
    _, vehicle = await api.get("/vehicles/v1")
    assert vehicle["chargeState"]["isPluggedIn"] is False
    assert vehicle["chargeState"]["powerDeliveryState"] == "UNPLUGGED"
    status, _ = await api.post("/vehicles/v1/charging", {"action": "START"})
    assert status == 400
    sim.advance_time(300)
    _, vehicle = await api.get("/vehicles/v1")
    assert vehicle["chargeState"]["isPluggedIn"] is True
    assert vehicle["chargeState"]["pluggedInChargerId"] is None
    updated = [e for e in sim.events if e["event"] == "user:vehicle:updated"]
    assert "chargeState.isPluggedIn" in updated[-1]["updatedFields"]


async def test_vehicle_alone_on_another_users_charger(
    simulator_factory: SimulatorFactory, http: Any
) -> None:
    """Plugged into a charger Enode knows, but of another user: not the pair; commanded alone."""
    charger = CAPABLE_CHARGER | {"vendor": "ZAPTEC"}
    neighbour = CAPABLE_CHARGER | {"id": "c9", "vendor": "EASEE"}
    scenario = _scenario(INCAPABLE, charger, neighbour) | {
        "users": [
            {"id": "u1", "linkedAccounts": ["VOLKSWAGEN:v1", "ZAPTEC:c2"]},
            {"id": "u2", "linkedAccounts": ["EASEE:c9"]},
        ],
        "plugged": [{"vehicle": "v1", "charger": "c9"}],
    }
    sim = await simulator_factory(scenario)
    api = Api(http, sim)
    _, vehicle = await api.get("/vehicles/v1")
    # Established with the user's own charger, but the charger it is plugged into is not it.
    assert caps(vehicle, "startCharging")["isCapable"] is True
    assert vehicle["chargeState"]["isPluggedIn"] is True
    assert vehicle["chargeState"]["pluggedInChargerId"] is None
    done = await _run(sim, api, "v1")
    assert done["state"] == "FAILED"
    assert done["failureReason"]["type"] == "FAILED_PRECONDITION"
    _, other = await api.get("/chargers/c9")
    assert other["chargeState"]["pluggedInVehicleId"] is None
    assert other["chargeState"]["isCharging"] is False
