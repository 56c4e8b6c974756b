"""EnodeClient: vehicle smart charging policy and vehicle max current, against the simulator."""

from __future__ import annotations

import pytest

from custom_components.enode.api import (
    ActionState,
    EnodeClient,
    EnodeNotFoundError,
    EnodePreconditionError,
    MaxCurrentAction,
    SmartChargingPolicy,
)
from enode_simulator import Simulator

TESLA = "05ee9df5-d072-4ee8-b773-399dec8f5693"  # smart charging capable; setMaxCurrent blocked
VW = "8d90101b-3f2f-462a-bbb4-1ed320d33bbe"  # neither smart charging (but for its charger) ...
ZAPTEC = "e7d4db80-4fca-4781-ac70-14108f560706"  # ... nor setMaxCurrent
LINK_INTERVENTION = "3b2891a9-5dcf-4691-b850-b5ea36b57c2e"


async def test_smart_charging_policy(client: EnodeClient, sim: Simulator) -> None:
    """Get and partially update a policy; the vehicle reflects it."""
    policy = await client.get_smart_charging_policy(TESLA)
    assert policy == SmartChargingPolicy(is_enabled=False, deadline=None, minimum_charge_limit=0)
    updated = await client.update_smart_charging_policy(TESLA, is_enabled=True, deadline="06:45")
    assert updated == SmartChargingPolicy(is_enabled=True, deadline="06:45", minimum_charge_limit=0)
    # Only the given fields are sent: the others keep their values.
    updated = await client.update_smart_charging_policy(TESLA, minimum_charge_limit=30)
    assert updated == SmartChargingPolicy(
        is_enabled=True, deadline="06:45", minimum_charge_limit=30
    )
    assert (await client.get_vehicle(TESLA)).smart_charging_policy == updated
    off = await client.update_smart_charging_policy(TESLA, is_enabled=False)
    assert off.is_enabled is False
    assert off.deadline == "06:45"
    assert sim.count_requests("PUT", f"/vehicles/{TESLA}/smart-charging-policy") == 3


async def test_smart_charging_not_capable(client: EnodeClient, sim: Simulator) -> None:
    """400 "Cannot activate smart charging" is an EnodePreconditionError with its title."""
    sim.remove_asset(ZAPTEC)  # the pair made the ID.4 eligible
    with pytest.raises(EnodePreconditionError) as err:
        await client.update_smart_charging_policy(VW, is_enabled=True, deadline="07:00")
    assert err.value.status == 400
    assert err.value.title == "Cannot activate smart charging"
    assert (await client.get_smart_charging_policy(VW)).is_enabled is False
    with pytest.raises(EnodeNotFoundError):
        await client.get_smart_charging_policy("no-such-vehicle")


async def test_vehicle_max_current(client: EnodeClient, sim: Simulator) -> None:
    """A MaxCurrentAction targeting the vehicle; confirmed, it sets chargeState.maxCurrent."""
    with pytest.raises(EnodePreconditionError):
        await client.set_vehicle_max_current(TESLA, 10)  # blocked by the phone-key intervention
    sim.remove_intervention(TESLA, LINK_INTERVENTION)
    action = await client.set_vehicle_max_current(TESLA, 10.5)
    assert isinstance(action, MaxCurrentAction)
    assert action.target_type == "vehicle"
    assert action.target_id == TESLA
    assert action.state is ActionState.PENDING
    assert action.target_state.max_current == 10.5
    fetched = await client.get_vehicle_action(action.id)
    assert isinstance(fetched, MaxCurrentAction)
    assert fetched.id == action.id
    sim.advance_time(60)
    confirmed = await client.get_vehicle_action(action.id)
    assert confirmed.state is ActionState.CONFIRMED
    assert (await client.get_vehicle(TESLA)).charge_state.max_current == 10.5
    with pytest.raises(EnodePreconditionError):
        await client.set_vehicle_max_current(VW, 10)
