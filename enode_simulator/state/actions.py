"""Vendor actions: commands, their lifecycle, and the settings commands change.

An action is created PENDING by a command (``control_charging``, ``set_max_current``,
``set_operation_mode``, ``set_permanent_hold``, ``follow_schedule``), may be superseded or
cancelled, and is resolved ``action_delay`` simulated seconds later (``_resolve``): CONFIRMED,
with its effect applied, or FAILED/CANCELLED with a failure reason. Each change is emitted as
``user:vendor-action:updated``. The smart charging policy is here too: it is a command setting
without an action. New commands (smart charging plans, ...) belong here, with their
preconditions.
"""

from __future__ import annotations

import re
from typing import Any
import uuid

from ..clock import iso
from .base import StateBase
from .errors import ApiError, bad_request, not_found
from .model import JSON, Action, Asset, render_capabilities

OPERATION_MODE_CAPABILITY: dict[str, str] = {
    "IMPORT_FOCUS": "importFocus",
    "EXPORT_FOCUS": "exportFocus",
    "TIME_OF_USE": "timeOfUse",
    "SELF_RELIANCE": "selfReliance",
    "IDLE": "idle",
}
UNREACHABLE_DETAIL = "The device remained unreachable."
CHARGER_UNREACHABLE_DETAIL = "The paired charger remained unreachable."
VEHICLE_ALONE_DETAIL = (
    "The vehicle cannot start or stop charging on its own and is not plugged into its paired "
    "charger."
)
UNPLUGGED_DETAIL = "The asset was unplugged before the action could be completed"
CONFLICT_DETAIL = "A newer action for this device has been created."
NOT_FOUND_DETAIL = "The device was deleted while the action was PENDING."
CANCELLED_DETAIL = "The action was cancelled by request."
# HVACSetPermanentHoldPayload: the setpoints each mode takes.
HOLD_SETPOINTS: dict[str, tuple[str, ...]] = {
    "HEAT": ("heatSetpoint",),
    "COOL": ("coolSetpoint",),
    "AUTO": ("coolSetpoint", "heatSetpoint"),
    "OFF": (),
}
# PartialVehicleSmartChargingPolicy.deadline
DEADLINE_PATTERN = re.compile(r"(?:[01]\d|2[0-3]):[0-5]\d|24:00")


class ActionsMixin(StateBase):
    """Commands and the actions they create."""

    def _new_action(self, asset: Asset, category: str, **fields: Any) -> Action:
        now = self.now()
        action = Action(
            id=str(uuid.uuid4()),
            user_id=asset.user_id,
            target_id=asset.id,
            target_type=asset.type,
            category=category,
            created_at=now,
            updated_at=now,
            due=now + self.settings.action_delay,
            **fields,
        )
        self.actions[action.id] = action
        return action

    def _finish(
        self, action: Action, state: str, reason: str | None = None, detail: str | None = None
    ) -> None:
        self.mark_dirty()
        now = self.now()
        action.state = state
        action.updated_at = now
        action.completed_at = now
        fields = ["state", "updatedAt", "completedAt"]
        if reason is not None:
            action.failure_reason = {"type": reason, "detail": detail or ""}
            fields.append("failureReason")
        self.emit_action(action, fields)

    def _pending_for(self, asset: Asset) -> list[Action]:
        return [a for a in self.actions.values() if a.pending and a.target_id == asset.id]

    def _supersede(self, asset: Asset) -> None:
        """A newer action for the asset cancels its pending ones (CONFLICT)."""
        for pending in self._pending_for(asset):
            self._finish(pending, "CANCELLED", "CONFLICT", CONFLICT_DETAIL)

    def _asset_unplugged(self, asset: Asset) -> None:
        """Unplugging cancels the asset's pending charge actions (FAILED_PRECONDITION)."""
        for pending in self._pending_for(asset):
            if pending.kind:
                self._finish(pending, "CANCELLED", "FAILED_PRECONDITION", UNPLUGGED_DETAIL)

    def _asset_deleted(self, asset: Asset) -> None:
        """Deleting the asset cancels its pending actions (NOT_FOUND)."""
        for pending in self._pending_for(asset):
            self._finish(pending, "CANCELLED", "NOT_FOUND", NOT_FOUND_DETAIL)

    def control_charging(self, asset_id: str, asset_type: str, kind: Any) -> Action:
        """``POST /vehicles|chargers/{id}/charging``."""
        asset = self.get_asset(asset_id, asset_type)
        if kind not in ("START", "STOP"):
            raise bad_request("action must be START or STOP.")
        if asset.schedule_controlled or (asset.type == "vehicle" and self.plan_in_control(asset)):
            what = (
                "a Schedule or has an active Smart Charging Plan"
                if asset_type == "vehicle"
                else "a Schedule"
            )
            detail = f"The {asset_type} is controlled by {what}."
            raise ApiError(422, "Unprocessable Entity", detail)
        capability = "startCharging" if kind == "START" else "stopCharging"
        caps = (
            self.vehicle_capabilities(asset)
            if asset.type == "vehicle"
            else render_capabilities(asset.granted_capabilities())
        )
        if not caps[capability]["isCapable"]:
            raise bad_request(f"The {asset_type} is not capable of {capability}.")
        if not self.detected_plugged(asset):
            self._count_unplugged_failure(asset)
            self._changed()
            raise bad_request(f"The {asset_type} is not plugged in.")
        pending_kinds = {a.kind for a in self._pending_for(asset) if a.category == "charge"}
        if kind == "START" and asset.charging and "STOP" not in pending_kinds:
            raise bad_request(f"The {asset_type} is already charging.")
        if kind == "STOP" and not asset.charging and "START" not in pending_kinds:
            raise bad_request(f"The {asset_type} is not charging.")
        if kind == "START" and asset.type == "vehicle" and asset.level >= asset.charge_limit:
            raise bad_request("The vehicle is fully charged.")
        self._reset_unplugged_failures(asset)
        self.mark_dirty()
        for pending in self._pending_for(asset):
            if asset.type == "vehicle" and pending.category == "charge" and pending.kind == kind:
                return pending
            self._finish(pending, "CANCELLED", "CONFLICT", CONFLICT_DETAIL)
        return self._new_action(asset, "charge", kind=kind)

    def set_max_current(
        self, asset_id: str, max_current: Any, asset_type: str = "charger"
    ) -> Action:
        """``POST /chargers|vehicles/{id}/max-current``.

        One active action per device: a pending one (of any kind) is cancelled. The new action
        confirms after the action delay and then sets ``chargeState.maxCurrent``.
        """
        asset = self.get_asset(asset_id, asset_type)
        if isinstance(max_current, bool) or not isinstance(max_current, int | float):
            raise bad_request("maxCurrent must be a number.")
        if max_current <= 0:
            raise bad_request("maxCurrent must be positive.")
        if not asset.granted("setMaxCurrent").capable:
            raise bad_request(f"The {asset_type} is not capable of setMaxCurrent.")
        self.mark_dirty()
        self._supersede(asset)
        return self._new_action(asset, "max_current", target_state={"maxCurrent": max_current})

    def smart_charging_policy(self, vehicle_id: str) -> JSON:
        """``GET /vehicles/{id}/smart-charging-policy``: the stored policy (a copy)."""
        return dict(self.get_asset(vehicle_id, "vehicle").smart_charging_policy)

    def update_smart_charging_policy(self, vehicle_id: str, changes: JSON) -> JSON:
        """``PUT /vehicles/{id}/smart-charging-policy`` with a partial, validated policy.

        Enabling (or changing a policy that stays enabled) needs the ``smartCharging``
        capability: otherwise 400 "Cannot activate smart charging". Turning it off always works.
        """
        vehicle = self.get_asset(vehicle_id, "vehicle")
        policy = vehicle.smart_charging_policy
        if "isEnabled" in changes and not isinstance(changes["isEnabled"], bool):
            raise bad_request("isEnabled must be a boolean.")
        if "deadline" in changes:
            deadline = changes["deadline"]
            if not isinstance(deadline, str) or not DEADLINE_PATTERN.fullmatch(deadline):
                raise bad_request("deadline must be a time of day HH:MM (00:00-24:00).")
        if "minimumChargeLimit" in changes:
            limit = changes["minimumChargeLimit"]
            if isinstance(limit, bool) or not isinstance(limit, int | float):
                raise bad_request("minimumChargeLimit must be a number.")
            if not 0 <= limit <= vehicle.charge_limit:
                raise bad_request(
                    "minimumChargeLimit must be between 0 and the vehicle's charge limit."
                )
        enabled = changes.get("isEnabled", policy.get("isEnabled", False))
        # A paired charger makes a vehicle that cannot be controlled alone eligible (pairing.py).
        if enabled and not self.vehicle_capabilities(vehicle)["smartCharging"]["isCapable"]:
            raise ApiError(
                400,
                "Cannot activate smart charging",
                "The vehicle is not capable of smart charging.",
            )
        if enabled and changes.get("deadline", policy.get("deadline")) is None:
            raise ApiError(
                400,
                "Cannot activate smart charging",
                "Smart charging needs a deadline.",
            )
        self.mark_dirty()
        policy.update(changes)
        return dict(policy)

    def set_operation_mode(self, battery_id: str, mode: Any) -> Action:
        """``POST /batteries/{id}/operation-mode``."""
        battery = self.get_asset(battery_id, "battery")
        capability = OPERATION_MODE_CAPABILITY.get(mode) if isinstance(mode, str) else None
        if capability is None:
            raise bad_request(
                "operationMode must be one of " + ", ".join(OPERATION_MODE_CAPABILITY) + "."
            )
        if not battery.granted(capability).capable:
            raise bad_request(f"The battery is not capable of {mode}.")
        if battery.extra.get("config", {}).get("operationMode") == mode:
            raise bad_request(f"The battery is already in {mode}.")
        self._supersede(battery)
        return self._new_action(battery, "operation_mode", target_state={"operationMode": mode})

    def _hvac_for_command(self, hvac_id: str, capability: str) -> Asset:
        """The HVAC unit, if a command may be sent to it now (422, 400 otherwise)."""
        hvac = self.get_asset(hvac_id, "hvac")
        if hvac.schedule_controlled:
            detail = "The HVAC unit is controlled by a Schedule."
            raise ApiError(422, "Unprocessable Entity", detail)
        if not hvac.capabilities[capability].capable:
            raise bad_request(f"The HVAC unit is not capable of {capability}.")
        return hvac

    def set_permanent_hold(self, hvac_id: str, body: JSON) -> Action:
        """``POST /hvacs/{id}/permanent-hold``: a mode and its setpoints, held until changed.

        The mode must be one of the unit's ``capableModes`` and each setpoint within its range
        (in AUTO the cool setpoint above the heat setpoint, by the setpoint difference range).
        """
        mode = body.get("mode")
        keys = HOLD_SETPOINTS.get(mode) if isinstance(mode, str) else None
        if keys is None:
            raise bad_request("mode must be one of " + ", ".join(HOLD_SETPOINTS) + ".")
        extra = sorted(set(body) - {"mode", *keys})
        if extra:
            raise bad_request(f"Mode {mode} does not take {', '.join(extra)}.")
        hvac = self._hvac_for_command(hvac_id, "setPermanentHold")
        capabilities = hvac.extra.get("capabilities", {})
        if mode not in (capabilities.get("capableModes") or []):
            raise bad_request(f"The HVAC unit does not support mode {mode}.")
        target: JSON = {"mode": mode}
        for key in keys:
            value = body.get(key)
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise bad_request(f"{key} is required and must be a number.")
            span = capabilities.get(f"{key.removesuffix('point')}pointRange") or {}
            low, high = span.get("min"), span.get("max")
            if (low is not None and value < low) or (high is not None and value > high):
                raise bad_request(f"{key} must be between {low} and {high}.")
            target[key] = value
        if mode == "AUTO":
            difference = target["coolSetpoint"] - target["heatSetpoint"]
            span = capabilities.get("setpointDifferenceRange") or {}
            low = span.get("min") if span.get("min") is not None else 0
            high = span.get("max")
            if difference < low or (high is not None and difference > high):
                raise bad_request(
                    "coolSetpoint - heatSetpoint must be between "
                    f"{low} and {high if high is not None else 'any'}."
                )
        self.mark_dirty()
        self._supersede(hvac)
        return self._new_action(
            hvac, "permanent_hold", target_state=target | {"holdType": "PERMANENT"}
        )

    def follow_schedule(self, hvac_id: str) -> Action:
        """``POST /hvacs/{id}/follow-schedule``: back to the schedule set on the device."""
        hvac = self._hvac_for_command(hvac_id, "setFollowSchedule")
        self.mark_dirty()
        self._supersede(hvac)
        return self._new_action(hvac, "follow_schedule", target_state={"holdType": "SCHEDULED"})

    def get_action(self, action_id: str, target_type: str) -> Action:
        """An action of a target type or a 404."""
        action = self.actions.get(action_id)
        if action is None or action.target_type != target_type:
            raise not_found("Action not found.")
        return action

    def cancel_action(self, action_id: str, target_type: str) -> Action:
        """``POST /<type>/actions/{id}/cancel`` (409 with the action when already resolved)."""
        action = self.get_action(action_id, target_type)
        if not action.pending:
            raise ApiError(
                409, "Conflict", "Action already in a resolved state.", body=action.render()
            )
        self._finish(action, "CANCELLED", "REQUESTED_CANCELLATION", CANCELLED_DETAIL)
        return action

    def _resolve(self, action: Action) -> None:
        """A due PENDING action: confirm it or fail it."""
        self.mark_dirty()
        asset = self.assets.get(action.target_id)
        if asset is None:
            self._finish(action, "CANCELLED", "NOT_FOUND", NOT_FOUND_DETAIL)
            return
        if action.category == "charge" and asset.type == "vehicle":
            self._resolve_vehicle_charge(action, asset)
            return
        if not asset.reachable or not self.credentials_valid(asset):
            self._finish(action, "FAILED", "NO_RESPONSE", UNREACHABLE_DETAIL)
            return
        if action.category == "charge":
            if not asset.plugged:
                self._finish(action, "CANCELLED", "FAILED_PRECONDITION", UNPLUGGED_DETAIL)
                return
            self._set_charging(asset, action.kind == "START")
        elif action.category == "max_current":
            asset.max_current = float((action.target_state or {})["maxCurrent"])
            asset.charge_updated = self.now()
        elif action.category == "operation_mode":
            config = asset.extra.setdefault("config", {})
            config["operationMode"] = (action.target_state or {})["operationMode"]
            config["lastUpdated"] = iso(self.now())
        else:
            thermostat = asset.extra.setdefault("thermostatState", {})
            if action.category == "permanent_hold":
                thermostat |= dict(action.target_state or {})
            else:
                thermostat |= self.scheduled_thermostat(asset)
            thermostat["lastUpdated"] = iso(self.now())
        self._finish(action, "CONFIRMED")

    def _resolve_vehicle_charge(self, action: Action, vehicle: Asset) -> None:
        """A vehicle's start/stop, routed as Enode does (pairing.py ``charge_executor``).

        Plugged into its paired charger, the command runs on the charger: it fails when the
        charger does (with the charger's reason) and works while the vehicle is offline. Unplugged
        or on someone else's charger, the vehicle is commanded alone: one that cannot start or stop
        charging on its own then fails.
        """
        if not vehicle.plugged:
            self._finish(action, "CANCELLED", "FAILED_PRECONDITION", UNPLUGGED_DETAIL)
            return
        capability = "startCharging" if action.kind == "START" else "stopCharging"
        executor = self.charge_executor(vehicle, capability)
        if executor is not vehicle:
            if not executor.reachable or not self.credentials_valid(executor):
                self._finish(action, "FAILED", "NO_RESPONSE", CHARGER_UNREACHABLE_DETAIL)
                return
        else:
            if not vehicle.reachable or not self.credentials_valid(vehicle):
                self._finish(action, "FAILED", "NO_RESPONSE", UNREACHABLE_DETAIL)
                return
            if not vehicle.granted(capability).capable:
                self._finish(action, "FAILED", "FAILED_PRECONDITION", VEHICLE_ALONE_DETAIL)
                return
        self._set_charging(vehicle, action.kind == "START")
        self._finish(action, "CONFIRMED")

    def emit_action(self, action: Action, fields: list[str]) -> None:
        """``user:vendor-action:updated``."""
        self.emit(
            {
                "event": "user:vendor-action:updated",
                "user": {"id": action.user_id},
                "vendorAction": action.render(),
                "updatedFields": fields,
            }
        )
