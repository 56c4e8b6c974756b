"""Vendor actions: commands, their lifecycle, and the settings commands change.

An action is created PENDING by a command (``control_charging``, ``set_max_current``,
``set_operation_mode``), may be superseded or cancelled, and is resolved ``action_delay``
simulated seconds later (``_resolve``): CONFIRMED, with its effect applied, or FAILED/CANCELLED
with a failure reason. Each change is emitted as ``user:vendor-action:updated``. The smart
charging policy is here too: it is a command setting without an action. New commands (HVAC
modes, battery actions, smart charging plans) belong here, with their preconditions.
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
UNPLUGGED_DETAIL = "The asset was unplugged before the action could be completed"
CONFLICT_DETAIL = "A newer action for this device has been created."
NOT_FOUND_DETAIL = "The device was deleted while the action was PENDING."
CANCELLED_DETAIL = "The action was cancelled by request."
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
            else render_capabilities(asset.capabilities)
        )
        if not caps[capability]["isCapable"]:
            raise bad_request(f"The {asset_type} is not capable of {capability}.")
        if not asset.plugged:
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
        if not asset.capabilities["setMaxCurrent"].capable:
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
        if not battery.capabilities[capability].capable:
            raise bad_request(f"The battery is not capable of {mode}.")
        if battery.extra.get("config", {}).get("operationMode") == mode:
            raise bad_request(f"The battery is already in {mode}.")
        self._supersede(battery)
        return self._new_action(battery, "operation_mode", target_state={"operationMode": mode})

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
        else:
            config = asset.extra.setdefault("config", {})
            config["operationMode"] = (action.target_state or {})["operationMode"]
            config["lastUpdated"] = iso(self.now())
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
