"""EV charger pairing (DESIGN.md section 6), locations and the GPS geofence."""

from __future__ import annotations

from typing import Any

from enode_simulator import Simulator
from enode_simulator.catalog import (
    CHARGER_OFFLINE_DATA,
    CHARGER_REMOTE_ACCESS,
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


def _pair_scenario(vehicle: dict[str, Any], charger: dict[str, Any]) -> dict[str, Any]:
    return {
        "client": {"id": "c", "secret": "s"},
        "vendorAccounts": [
            {"vendor": vehicle["vendor"], "username": "u", "devices": [vehicle]},
            {"vendor": charger["vendor"], "username": "u", "devices": [charger]},
        ],
        "users": [{"id": "u1", "linkedAccounts": "all"}],
        "plugged": [{"vehicle": "v1", "charger": "c1"}],
    }


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
    incapable = {
        "id": "v1",
        "type": "vehicle",
        "vendor": "VOLKSWAGEN",
        "capabilities": {
            "startCharging": {"isCapable": False, "interventionIds": [VEHICLE_NO_CHARGING_CONTROL]},
            "stopCharging": {"isCapable": False, "interventionIds": [VEHICLE_NO_CHARGING_CONTROL]},
        },
    }
    sim = await simulator_factory(_pair_scenario(incapable, BLOCKED_CHARGER))
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
