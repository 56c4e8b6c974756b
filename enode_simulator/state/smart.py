"""Smart charging: a vehicle's policy turned into plans, executed on the clock, and overrides.

With the policy enabled (and a deadline) a vehicle plugged in at one of the user's Locations
gets a plan: charge at once up to the policy's minimum charge limit, then pause, and charge the
rest in the cheapest window of the day/night tariff (``Settings.tariff``, in the Location's time
zone) that ends by the deadline; without enough time it charges straight through. The plan
starts and stops charging by itself at its times (``_integrate`` stops the clock at each of
them, see ``physical.py``), through the paired charger when the two are plugged together
(``_set_charging`` switches both). Manual charging commands get 422 while a plan is in control.

A smart override (``POST /vehicles/{id}/smart-override``) charges now, with a START action,
until it is ended (``DELETE``), the vehicle stops charging, or it is full; the plan then takes
over again. The status (``GET .../smart-charging-status``) and the plans follow Enode's shapes;
every change of the status is pushed as ``user:vehicle:smart-charging-status-updated``.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta, tzinfo
import uuid
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..clock import iso, parse_iso
from .actions import CANCELLED_DETAIL
from .base import StateBase
from .errors import bad_request, not_found
from .model import JSON, Asset, Tariff

# Candidate start times of the deferred charge are this far apart (plus the tariff's edges).
PLAN_STEP_S = 900.0
DISABLED = "DISABLED"
CONSIDERING = "CONSIDERING"
UNKNOWN = "UNKNOWN"
FULLY_CHARGED = "FULLY_CHARGED"
STARTED = "PLAN:EXECUTING:STARTED"
STOPPED = "PLAN:EXECUTING:STOPPED"
AWAITING_PRICES = "PLAN:EXECUTING:STOPPED:AWAITING_PRICES"
START_FAILED = "PLAN:EXECUTING:START_FAILED"
STOP_FAILED = "PLAN:EXECUTING:STOP_FAILED"
OVERRIDDEN = "PLAN:EXECUTING:OVERRIDDEN"
ENDED_FINISHED = "PLAN:ENDED:FINISHED"
ENDED_UNPLUGGED = "PLAN:ENDED:UNPLUGGED"
ENDED_FAILED = "PLAN:ENDED:FAILED"
ENDED_DISABLED = "PLAN:ENDED:DISABLED"
ENDED_DEADLINE_CHANGED = "PLAN:ENDED:DEADLINE_CHANGED"
NO_OVERRIDE_DETAIL = "No Smart Override Exists for this vehicle."
NO_PLAN_DETAIL = "No Smart Charging Plan found."


def _hours_minutes(value: str) -> tuple[int, int]:
    hours, minutes = value.split(":")
    return int(hours), int(minutes)


def _zone(name: str | None) -> tzinfo:
    if not name:
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def _at(day: datetime, hours: int, minutes: int, zone: tzinfo) -> float:
    """The timestamp of ``hours:minutes`` (24:00 = the next midnight) on a local day."""
    base = datetime.combine(day.date(), time(0, 0), zone)
    if hours == 24:
        return datetime.combine((base + timedelta(days=1)).date(), time(0, 0), zone).timestamp()
    return datetime.combine(base.date(), time(hours, minutes), zone).timestamp()


def next_time_of_day(after: float, value: str, zone: tzinfo) -> float:
    """The first ``HH:MM`` (local, ``24:00`` allowed) strictly after ``after``."""
    hours, minutes = _hours_minutes(value)
    local = datetime.fromtimestamp(after, zone)
    for days in (0, 1, 2):
        moment = _at(local + timedelta(days=days), hours, minutes, zone)
        if moment > after:
            return moment
    raise AssertionError("a time of day recurs within two days")  # pragma: no cover


def tariff_price(tariff: Tariff, moment: float, zone: tzinfo) -> float:
    """The price per kWh at a moment (night from ``night_start`` to ``night_end``, local)."""
    local = datetime.fromtimestamp(moment, zone)
    minute = local.hour * 60 + local.minute
    start_h, start_m = _hours_minutes(tariff.night_start)
    end_h, end_m = _hours_minutes(tariff.night_end)
    start, end = start_h * 60 + start_m, end_h * 60 + end_m
    night = start <= minute < end if start <= end else minute >= start or minute < end
    return tariff.night_price if night else tariff.day_price


def price_hours(tariff: Tariff, begin: float, end: float, zone: tzinfo) -> float:
    """The integral of the price over ``[begin, end)`` (currency per kW of constant power)."""
    total = 0.0
    moment = begin
    while moment < end:
        edge = min(
            next_time_of_day(moment, tariff.night_start, zone),
            next_time_of_day(moment, tariff.night_end, zone),
            end,
        )
        total += tariff_price(tariff, moment, zone) * (edge - moment) / 3600
        moment = edge
    return total


class SmartChargingMixin(StateBase):
    """Plans, their execution, overrides, and the status Enode reports."""

    # -- reading ------------------------------------------------------------------------------

    def smart_charging_status(self, vehicle_id: str) -> JSON:
        """``GET /vehicles/{id}/smart-charging-status``."""
        vehicle = self.get_asset(vehicle_id, "vehicle")
        return {"updatedAt": iso(self.now()), **self._status_body(vehicle)}

    def smart_charging_plan(self, vehicle_id: str, plan_id: str) -> JSON:
        """``GET /vehicles/{id}/smart-charging-plans/{planId|latest}``."""
        smart = self.get_asset(vehicle_id, "vehicle").smart
        plan = smart.plan if plan_id == "latest" else smart.plans.get(plan_id)
        if plan is None:
            raise not_found(NO_PLAN_DETAIL)
        return dict(plan)

    def plan_in_control(self, vehicle: Asset) -> bool:
        """Whether an executing plan (not overridden) controls the vehicle's charging."""
        smart = vehicle.smart
        return smart.active_plan is not None and not smart.override_active

    def _status_body(self, vehicle: Asset) -> JSON:
        """The status without ``updatedAt`` (what a change is detected on)."""
        smart = vehicle.smart
        plan = smart.plan if smart.state.startswith("PLAN:") else None
        return {
            "vehicleId": vehicle.id,
            "userId": vehicle.user_id,
            "vendor": vehicle.vendor,
            "state": smart.state,
            "stateChangedAt": iso(smart.state_changed_at or vehicle.created_at),
            "consideration": self._consideration(vehicle) if smart.state == CONSIDERING else None,
            "plan": dict(plan) if plan is not None else None,
            "smartOverride": dict(smart.override) if smart.override is not None else None,
        }

    def _consideration(self, vehicle: Asset) -> dict[str, bool]:
        return {
            "isPluggedIn": vehicle.plugged,
            "isCharging": vehicle.charging,
            "atChargingLocation": self.vehicle_location_id(vehicle) is not None,
            "hasTimeEstimate": vehicle.battery_capacity > 0 and self.session_rate(vehicle) > 0,
        }

    def _in_scope(self, vehicle: Asset) -> bool:
        """Whether smart charging has anything to do or say for the vehicle."""
        smart = vehicle.smart
        return bool(
            vehicle.smart_charging_policy.get("isEnabled")
            or smart.state != DISABLED
            or smart.override_active
        )

    # -- overrides ----------------------------------------------------------------------------

    def create_smart_override(self, vehicle_id: str) -> JSON:
        """``POST /vehicles/{id}/smart-override``: charge now (an active one is returned)."""
        vehicle = self.get_asset(vehicle_id, "vehicle")
        smart = vehicle.smart
        if not smart.override_active:
            if not vehicle.plugged:
                raise bad_request("The vehicle is not plugged in.")
            if vehicle.battery_level >= vehicle.charge_limit:
                raise bad_request("The vehicle is fully charged.")
            if not self._can(vehicle, "startCharging"):
                raise bad_request("The vehicle is not capable of startCharging.")
            action_id: str | None = None
            if not vehicle.charging:
                self._supersede(vehicle)
                action_id = self._new_action(vehicle, "charge", kind="START").id
            smart.override = {
                "createdAt": iso(self.now()),
                "endedAt": None,
                "targetType": "vehicle",
                "targetId": vehicle.id,
                "vendorActionId": action_id,
            }
            smart.override_action_id = action_id
            self._changed()
        return self._override_response(vehicle)

    def end_smart_override(self, vehicle_id: str) -> JSON:
        """``DELETE /vehicles/{id}/smart-override``: the plan (if any) takes over again."""
        vehicle = self.get_asset(vehicle_id, "vehicle")
        if not vehicle.smart.override_active:
            raise not_found(NO_OVERRIDE_DETAIL)
        self._end_override(vehicle, self.now())
        self._changed()
        return self._override_response(vehicle)

    def _override_response(self, vehicle: Asset) -> JSON:
        return {
            **dict(vehicle.smart.override or {}),
            "userId": vehicle.user_id,
            "vendor": vehicle.vendor,
        }

    def _end_override(self, vehicle: Asset, at: float) -> None:
        smart = vehicle.smart
        if smart.override is None:
            return
        smart.override = {**smart.override, "endedAt": iso(at)}
        action = self.actions.get(smart.override_action_id or "")
        if action is not None and action.pending:
            self._finish(action, "CANCELLED", "REQUESTED_CANCELLATION", CANCELLED_DETAIL)
        smart.override_action_id = None
        self.mark_dirty()

    def _override_starting(self, vehicle: Asset) -> bool:
        """Whether the override's START action is still pending."""
        action = self.actions.get(vehicle.smart.override_action_id or "")
        return action is not None and action.pending

    # -- the state machine --------------------------------------------------------------------

    def _smart_reconcile(self, at: float | None = None) -> None:
        """Bring every vehicle's smart charging up to date at ``at`` (default: now).

        Called when something changed (``sync``) and at every plan time on the clock
        (``_integrate``); idempotent.
        """
        moment = self.now() if at is None else at
        for vehicle in self.assets_of_type("vehicle"):
            if self._in_scope(vehicle):
                self._reconcile_vehicle(vehicle, moment)

    def _reconcile_vehicle(self, vehicle: Asset, at: float) -> None:
        smart = vehicle.smart
        policy = vehicle.smart_charging_policy
        enabled = bool(policy.get("isEnabled"))
        capable = self._can(vehicle, "smartCharging")
        if smart.override_active and not vehicle.charging and not self._override_starting(vehicle):
            # The override lasts until the vehicle stops charging (or is full, or unplugged).
            self._end_override(vehicle, at)
        plan = smart.active_plan
        if plan is not None:
            reason = self._end_reason(vehicle, enabled=enabled, capable=capable)
            if reason is not None:
                self._end_plan(vehicle, reason, at)
                plan = None
        if not enabled:
            self._set_state(vehicle, DISABLED, at)
            return
        if not capable:
            self._set_state(vehicle, UNKNOWN, at)
            return
        if plan is None:
            ready = all(
                value for key, value in self._consideration(vehicle).items() if key != "isCharging"
            )
            if ready and policy.get("deadline"):
                if vehicle.battery_level < vehicle.charge_limit:
                    plan = self._make_plan(vehicle, at)
                elif smart.state != ENDED_FINISHED:
                    self._set_state(vehicle, FULLY_CHARGED, at)
            elif not (smart.state == ENDED_UNPLUGGED and not vehicle.plugged):
                self._set_state(vehicle, CONSIDERING, at)
        if plan is not None:
            self._execute(vehicle, plan, at)

    def _end_reason(self, vehicle: Asset, *, enabled: bool, capable: bool) -> str | None:
        smart = vehicle.smart
        policy = vehicle.smart_charging_policy
        planned_for = smart.plan_policy or {}
        if not enabled:
            return ENDED_DISABLED
        if not vehicle.plugged:
            return ENDED_UNPLUGGED
        if not capable:
            return ENDED_FAILED
        if any(policy.get(key) != planned_for.get(key) for key in planned_for):
            return ENDED_DEADLINE_CHANGED
        if vehicle.battery_level >= vehicle.charge_limit:
            return ENDED_FINISHED
        return None

    def _end_plan(self, vehicle: Asset, reason: str, at: float) -> None:
        smart = vehicle.smart
        plan = smart.active_plan
        if plan is None:
            return
        plan["endedAt"] = iso(at)
        plan["finalState"] = reason
        if reason == ENDED_FAILED:
            plan["failureCondition"] = "UNKNOWN"
        elif reason == ENDED_FINISHED and at > parse_iso(plan["estimatedFinishAt"]) + 3600:
            plan["failureCondition"] = "FINISHED_LATE"
        self._set_state(vehicle, reason, at)
        if (
            reason == ENDED_DISABLED
            and vehicle.plugged
            and not vehicle.charging
            and vehicle.battery_level < vehicle.charge_limit
            and self._can(vehicle, "startCharging")
        ):
            # Without smart charging the vehicle charges as soon as it is plugged in.
            self._set_charging(vehicle, True)

    def _set_state(self, vehicle: Asset, state: str, at: float) -> None:
        smart = vehicle.smart
        if smart.state != state:
            smart.state = state
            smart.state_changed_at = at
            self.mark_dirty()

    def _can(self, vehicle: Asset, capability: str) -> bool:
        """Whether the vehicle (with its paired charger) is capable of a capability now."""
        return bool(self.vehicle_capabilities(vehicle)[capability]["isCapable"])

    # -- plans --------------------------------------------------------------------------------

    def _make_plan(self, vehicle: Asset, at: float) -> JSON:
        """Plan the charge to the charge limit by the deadline (minimum first, then cheapest)."""
        policy = vehicle.smart_charging_policy
        location_id = self.vehicle_location_id(vehicle)
        location = self.locations.get(location_id or "")
        zone = _zone(location.get("timezoneName") if location else None)
        tariff = self.settings.tariff
        rate = self.session_rate(vehicle)
        to_hours = vehicle.battery_capacity / 100 / rate
        level, limit = vehicle.battery_level, vehicle.charge_limit
        minimum = min(float(policy.get("minimumChargeLimit") or 0), limit)
        deadline = next_time_of_day(at, str(policy["deadline"]), zone)
        stop_at = at + max(0.0, minimum - level) * to_hours * 3600
        rest = (limit - max(level, minimum)) * to_hours * 3600
        start_at: float | None = None
        latest = deadline - rest
        if latest > stop_at:
            candidates = {stop_at, latest}
            moment = stop_at
            while moment < latest:
                candidates.add(moment)
                moment += PLAN_STEP_S
            for edge in (tariff.night_start, tariff.night_end):
                moment = next_time_of_day(stop_at, edge, zone)
                while moment < latest:
                    candidates.add(moment)
                    moment = next_time_of_day(moment, edge, zone)
            best = min(
                candidates,
                key=lambda start: (round(price_hours(tariff, start, start + rest, zone), 9), start),
            )
            if best > stop_at:
                start_at = best
        finish = (start_at if start_at is not None else stop_at) + rest
        if start_at is None:
            stop_at = finish  # no pause: it charges straight through
        charged = price_hours(tariff, at, stop_at if start_at is not None else finish, zone)
        if start_at is not None:
            charged += price_hours(tariff, start_at, finish, zone)
        total = (max(0.0, minimum - level) * to_hours * 3600) + rest
        plan: JSON = {
            "id": str(uuid.uuid4()),
            "vehicleId": vehicle.id,
            "userId": vehicle.user_id,
            "locationId": location_id,
            "vendor": vehicle.vendor,
            "currency": tariff.currency,
            "nonSmartCost": round(rate * price_hours(tariff, at, at + total, zone), 2),
            "smartCost": round(rate * charged, 2),
            "stopAt": iso(stop_at),
            "startAt": iso(start_at) if start_at is not None else None,
            "estimatedFinishAt": iso(finish),
            "stopConfirmedAt": None,
            "startConfirmedAt": None,
            "endedAt": None,
            "finalState": None,
            "failureCondition": None,
        }
        smart = vehicle.smart
        smart.plans[plan["id"]] = plan
        smart.plan_id = plan["id"]
        smart.plan_policy = {
            key: policy.get(key) for key in ("isEnabled", "deadline", "minimumChargeLimit")
        }
        self.mark_dirty()
        return plan

    def _plan_wants_charging(self, plan: JSON, at: float) -> bool:
        """Charge before ``stopAt`` (the minimum) and from ``startAt`` on (no ``startAt``: on)."""
        if plan["startAt"] is None:
            return True
        return at < parse_iso(plan["stopAt"]) or at >= parse_iso(plan["startAt"])

    def _execute(self, vehicle: Asset, plan: JSON, at: float) -> None:
        """Start or stop charging as the plan says (an override lets the vehicle charge)."""
        if vehicle.smart.override_active:
            self._set_state(vehicle, OVERRIDDEN, at)
            return
        want = self._plan_wants_charging(plan, at)
        if want != vehicle.charging:
            capability = "startCharging" if want else "stopCharging"
            if not self._can(vehicle, capability):
                self._set_state(vehicle, START_FAILED if want else STOP_FAILED, at)
                return
            self._set_charging(vehicle, want)
        if want:
            plan["startConfirmedAt"] = plan["startConfirmedAt"] or iso(at)
            self._set_state(vehicle, STARTED, at)
            return
        plan["stopConfirmedAt"] = plan["stopConfirmedAt"] or iso(at)
        resume = plan["startAt"]
        waiting = resume is not None and parse_iso(resume) > at
        self._set_state(vehicle, AWAITING_PRICES if waiting else STOPPED, at)

    def _next_plan_time(self, after: float, until: float) -> float | None:
        """The first plan time (stop, resume, finish) in ``(after, until]``, if any."""
        found: float | None = None
        for vehicle in self.assets_of_type("vehicle"):
            plan = vehicle.smart.active_plan
            if plan is None or vehicle.smart.override_active:
                continue
            for key in ("stopAt", "startAt", "estimatedFinishAt"):
                if plan[key] is None:
                    continue
                moment = parse_iso(plan[key])
                if after < moment <= until and (found is None or moment < found):
                    found = moment
        return found

    # -- webhooks -----------------------------------------------------------------------------

    def _sync_smart_status(self, *, emit: bool = True) -> None:
        """Emit ``user:vehicle:smart-charging-status-updated`` for every status that changed."""
        seen: set[str] = set()
        for vehicle in self.assets_of_type("vehicle"):
            previous = self._smart_rendered.get(vehicle.id)
            if previous is None and not self._in_scope(vehicle):
                continue
            body = self._status_body(vehicle)
            seen.add(vehicle.id)
            if previous is None:
                previous = {**body, "state": DISABLED, "plan": None, "smartOverride": None}
            fields = [key for key, value in body.items() if previous.get(key) != value]
            self._smart_rendered[vehicle.id] = body
            if fields and emit:
                self.emit(
                    {
                        "event": "user:vehicle:smart-charging-status-updated",
                        "user": {"id": vehicle.user_id},
                        "smartChargingStatus": {"updatedAt": iso(self.now()), **body},
                        "updatedFields": fields,
                    }
                )
        for vehicle_id in [key for key in self._smart_rendered if key not in seen]:
            del self._smart_rendered[vehicle_id]
