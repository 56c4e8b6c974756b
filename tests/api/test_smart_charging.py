"""EnodeClient: smart charging status, plans and overrides (against the simulator), and the
``user:vehicle:smart-charging-status-updated`` webhook event."""

from __future__ import annotations

from datetime import UTC, datetime
import json

import pytest

from custom_components.enode.api import (
    ChargingAction,
    EnodeClient,
    EnodeNotFoundError,
    EnodePreconditionError,
    SmartChargeState,
    SmartChargingFailureCondition,
    SmartChargingStatus,
    SmartChargingStatusEvent,
    UnknownEvent,
    parse_events,
)
from enode_simulator import Simulator

VW = "8d90101b-3f2f-462a-bbb4-1ed320d33bbe"  # plugged into the Zaptec at Home (demo)
TESLA = "05ee9df5-d072-4ee8-b773-399dec8f5693"


async def test_status_plan_and_override(client: EnodeClient, sim: Simulator) -> None:
    """Disabled, then a plan (read in the status and as ``latest``), then charge now and end it."""
    status = await client.get_smart_charging_status(VW)
    assert status.state is SmartChargeState.DISABLED
    assert status.plan is None
    assert status.smart_override is None
    with pytest.raises(EnodeNotFoundError):
        await client.get_smart_charging_plan(VW)

    await client.update_smart_charging_policy(VW, is_enabled=True, deadline="06:00")
    status = await client.get_smart_charging_status(VW)
    assert status.vehicle_id == VW
    assert str(status.state).startswith("PLAN:EXECUTING")
    plan = status.plan
    assert plan is not None
    assert plan.currency == "EUR"
    assert plan.smart_cost is not None
    assert plan.non_smart_cost is not None
    assert plan.smart_cost <= plan.non_smart_cost
    assert plan.estimated_finish_at is not None
    assert plan.estimated_finish_at.tzinfo is not None
    assert plan.final_state is None
    assert await client.get_smart_charging_plan(VW) == plan
    assert await client.get_smart_charging_plan(VW, plan.id) == plan

    override = await client.create_smart_override(VW)
    assert override.is_active
    assert override.target_id == VW
    if override.vendor_action_id is not None:  # not charging yet: Enode starts it
        action = await client.get_vehicle_action(override.vendor_action_id)
        assert getattr(action, "kind", None) is ChargingAction.START
    status = await client.get_smart_charging_status(VW)
    assert status.state is SmartChargeState.PLAN_EXECUTING_OVERRIDDEN
    assert status.smart_override == override
    ended = await client.end_smart_override(VW)
    assert not ended.is_active
    with pytest.raises(EnodeNotFoundError):
        await client.end_smart_override(VW)
    # POST is not retried; a vehicle that is not plugged in is refused.
    with pytest.raises(EnodePreconditionError):
        await client.create_smart_override(TESLA)
    assert sim.count_requests("POST", f"/vehicles/{TESLA}/smart-override") == 1

    await client.update_smart_charging_policy(VW, is_enabled=False)
    latest = await client.get_smart_charging_plan(VW)
    assert latest.id == plan.id
    assert latest.final_state is SmartChargeState.PLAN_ENDED_DISABLED
    assert latest.ended_at is not None


def test_status_model_is_tolerant() -> None:
    """Unknown states and conditions become UNKNOWN; missing keys default to None."""
    status = SmartChargingStatus.from_dict(
        {
            "vehicleId": "v",
            "state": "PLAN:EXECUTING:SOMETHING_NEW",
            "plan": {"id": "p", "finalState": "PLAN:ENDED:NEW", "failureCondition": "NEW"},
            "extra": 1,
        }
    )
    assert status.state is SmartChargeState.UNKNOWN
    assert status.plan is not None
    assert status.plan.final_state is SmartChargeState.UNKNOWN
    assert status.plan.failure_condition is SmartChargingFailureCondition.UNKNOWN
    assert status.plan.start_at is None
    assert status.smart_override is None
    assert status.consideration is None


def test_status_event() -> None:
    """The pushed status parses into a typed event; a malformed one is kept as unknown."""
    body = [
        {
            "event": "user:vehicle:smart-charging-status-updated",
            "createdAt": "2024-10-01T12:00:00Z",
            "version": "2024-10-01",
            "user": {"id": "user-1"},
            "smartChargingStatus": {
                "updatedAt": "2024-10-01T12:00:00Z",
                "vehicleId": "v-1",
                "userId": "user-1",
                "vendor": "TESLA",
                "state": "CONSIDERING",
                "stateChangedAt": "2024-10-01T11:00:00Z",
                "consideration": {
                    "isPluggedIn": True,
                    "isCharging": False,
                    "atChargingLocation": False,
                    "hasTimeEstimate": True,
                },
                "plan": None,
                "smartOverride": None,
            },
            "updatedFields": ["state", "consideration"],
        },
        {"event": "user:vehicle:smart-charging-status-updated", "user": {"id": "user-1"}},
    ]
    first, second = parse_events(json.dumps(body).encode())
    assert isinstance(first, SmartChargingStatusEvent)
    assert first.user_id == "user-1"
    assert first.updated_fields == ["state", "consideration"]
    assert first.status.state is SmartChargeState.CONSIDERING
    assert first.status.updated_at == datetime(2024, 10, 1, 12, tzinfo=UTC)
    assert first.status.consideration is not None
    assert first.status.consideration.at_charging_location is False
    assert isinstance(second, UnknownEvent)
    assert second.error
