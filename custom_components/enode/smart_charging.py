"""Smart charging: the vehicles' statuses in the snapshot, read sparingly, merged from push.

Enode keeps one smart charging status per vehicle (``GET /vehicles/{id}/smart-charging-status``;
there is no list of them). It carries the active plan and the smart override, so the plan needs
no request of its own (``GET .../smart-charging-plans/latest`` would repeat it). A status is read
only for a vehicle whose policy is enabled, at most once per refresh, and only when it may have
changed since the last read or push:

- nothing is known yet for the vehicle (set-up, or smart charging was just enabled);
- what smart charging depends on changed: the policy, plugged in, charging, charge limit,
  Location, the paired charger, the smartCharging capability;
- a time of the known plan (stop, resume, finish) has passed;
- it is older than ``STATUS_MAX_AGE`` (``STATUS_MAX_AGE_PUSH`` while webhook deliveries arrive:
  every change of a status is pushed as ``user:vehicle:smart-charging-status-updated``).

So a quiet household costs no status request per refresh, and never one per vehicle per minute.
Policy changes from Home Assistant go through :func:`async_update_policy` (one translated error
for Enode's 400, the answer merged at once, the status read after it unless push brings it).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.util import dt as dt_util

from .api import (
    EnodeAuthenticationError,
    EnodeClient,
    EnodeError,
    EnodeNotFoundError,
    EnodePreconditionError,
    EnodeRateLimitError,
    SmartChargeState,
    SmartChargingPlan,
    SmartChargingPolicy,
    SmartChargingStatus,
    SmartOverride,
    Vehicle,
)
from .const import DOMAIN, LOGGER
from .helpers import problem_text, raise_if_unusable
from .models import EnodeData

if TYPE_CHECKING:
    from .coordinator import EnodeCoordinator

STATUS_MAX_AGE = timedelta(minutes=15)
STATUS_MAX_AGE_PUSH = timedelta(hours=6)

# The enum sensor's states: Enode's states in snake case (UNKNOWN is Home Assistant's unknown).
SMART_CHARGING_STATES = [
    state.value.lower().replace(":", "_")
    for state in SmartChargeState
    if state is not SmartChargeState.UNKNOWN
]


def status_fingerprint(vehicle: Vehicle) -> tuple[object, ...]:
    """Return what a vehicle's smart charging status depends on (a change means: read it)."""
    policy = vehicle.smart_charging_policy
    charge = vehicle.charge_state
    return (
        policy.is_enabled,
        policy.deadline,
        policy.minimum_charge_limit,
        charge.is_plugged_in,
        charge.is_charging,
        charge.charge_limit,
        charge.plugged_in_charger_id,
        vehicle.location.id,
        vehicle.capabilities.smart_charging.is_capable,
    )


def plan_times(plan: SmartChargingPlan) -> Iterable[datetime]:
    """Return the times at which a plan changes what the vehicle does."""
    return (
        moment
        for moment in (plan.stop_at, plan.start_at, plan.estimated_finish_at)
        if moment is not None
    )


# ------------------------------------------------------------------- what entities read


def smart_status(data: EnodeData, vehicle: Vehicle) -> SmartChargingStatus | None:
    """Return the vehicle's smart charging status (None while its policy is disabled)."""
    if not vehicle.smart_charging_policy.is_enabled:
        return None
    return data.smart_charging.get(vehicle.id)


def smart_state(vehicle: Vehicle, data: EnodeData) -> str | None:
    """Return the smart charging state sensor's value (``disabled`` without a request)."""
    if not vehicle.smart_charging_policy.is_enabled:
        return "disabled"
    status = data.smart_charging.get(vehicle.id)
    if status is None or status.state is SmartChargeState.UNKNOWN:
        return None
    return status.state.value.lower().replace(":", "_")


def current_plan(data: EnodeData, vehicle: Vehicle) -> SmartChargingPlan | None:
    """Return the plan in the status (executing, or the one that just ended)."""
    status = smart_status(data, vehicle)
    return status.plan if status is not None else None


def executing_plan(data: EnodeData, vehicle: Vehicle) -> SmartChargingPlan | None:
    """Return the plan that is executing (not ended)."""
    plan = current_plan(data, vehicle)
    return plan if plan is not None and plan.ended_at is None else None


def override_active(data: EnodeData, vehicle: Vehicle) -> bool:
    """Return whether a smart override ("charge now") is in force."""
    status = data.smart_charging.get(vehicle.id)
    override = status.smart_override if status is not None else None
    return override is not None and override.is_active


def plan_in_control(data: EnodeData, vehicle: Vehicle) -> bool:
    """Return whether an executing plan (not overridden) controls the vehicle's charging."""
    return executing_plan(data, vehicle) is not None and not override_active(data, vehicle)


def enrolled(vehicle: Vehicle, _data: EnodeData) -> bool:
    """Return whether smart charging is on and usable for the vehicle (seed 004: also while
    it is unplugged or away; capabilities a paired charger unlocked persist while both stay
    linked)."""
    return bool(
        vehicle.smart_charging_policy.is_enabled and vehicle.capabilities.smart_charging.is_capable
    )


def plan_start(plan: SmartChargingPlan) -> datetime | None:
    """Return when a plan (re)starts charging: its resume time, or (charging straight through,
    no pause) when it started."""
    return plan.start_at or plan.start_confirmed_at


def estimated_savings(plan: SmartChargingPlan | None) -> float | None:
    """Return what the plan saves against charging at once (Enode's estimates)."""
    if plan is None or plan.smart_cost is None or plan.non_smart_cost is None:
        return None
    return round(plan.non_smart_cost - plan.smart_cost, 2)


# ------------------------------------------------------------------ reading and merging


@dataclass(frozen=True, kw_only=True)
class _Seen:
    """When a vehicle's status was last read or pushed, and what it depended on then."""

    at: datetime
    fingerprint: tuple[object, ...]


class SmartChargingReader:
    """Reads the smart charging statuses a refresh needs; merges pushed ones."""

    def __init__(self, client: EnodeClient) -> None:
        """Initialize the reader."""
        self._client = client
        self._seen: dict[str, _Seen] = {}

    def _wants(
        self, vehicle: Vehicle, known: SmartChargingStatus | None, now: datetime, push: bool
    ) -> bool:
        seen = self._seen.get(vehicle.id)
        if known is None or seen is None:
            return True
        if seen.fingerprint != status_fingerprint(vehicle):
            return True
        if now - seen.at > (STATUS_MAX_AGE_PUSH if push else STATUS_MAX_AGE):
            return True
        plan = known.plan
        if plan is None or plan.ended_at is not None:
            return False
        return any(seen.at < moment <= now for moment in plan_times(plan))

    def _record(self, vehicle: Vehicle | None, vehicle_id: str) -> None:
        if vehicle is not None:
            self._seen[vehicle_id] = _Seen(
                at=dt_util.utcnow(), fingerprint=status_fingerprint(vehicle)
            )

    async def async_statuses(
        self, data: EnodeData, previous: EnodeData, *, push_healthy: bool
    ) -> dict[str, SmartChargingStatus]:
        """Return the statuses for a new snapshot: read what may have changed, keep the rest.

        Raises the client's authentication and rate limit errors (the refresh fails); any other
        error keeps the last known status, and the next refresh asks again.
        """
        now = dt_util.utcnow()
        statuses: dict[str, SmartChargingStatus] = {}
        for vehicle in data.vehicles.values():
            if not vehicle.smart_charging_policy.is_enabled:
                self._seen.pop(vehicle.id, None)
                continue
            known = previous.smart_charging.get(vehicle.id)
            if self._wants(vehicle, known, now, push_healthy):
                try:
                    known = await self._client.get_smart_charging_status(vehicle.id)
                except (EnodeAuthenticationError, EnodeRateLimitError):
                    raise
                except EnodeNotFoundError:
                    continue
                except EnodeError as err:
                    LOGGER.debug("Could not read a smart charging status: %s", err)
                    self._seen.pop(vehicle.id, None)
                else:
                    self._record(vehicle, vehicle.id)
            if known is not None:
                statuses[vehicle.id] = known
        for vehicle_id in [key for key in self._seen if key not in data.vehicles]:
            del self._seen[vehicle_id]
        return statuses

    def merge(self, data: EnodeData, status: SmartChargingStatus) -> EnodeData | None:
        """Return the snapshot with a pushed status (None: of an unknown vehicle, or older
        than the one known)."""
        if status.vehicle_id not in data.vehicles:
            return None
        known = data.smart_charging.get(status.vehicle_id)
        if (
            known is not None
            and known.updated_at is not None
            and status.updated_at is not None
            and status.updated_at < known.updated_at
        ):
            return None
        self._record(data.vehicles.get(status.vehicle_id), status.vehicle_id)
        return replace(data, smart_charging={**data.smart_charging, status.vehicle_id: status})

    def forget(self, vehicle_id: str) -> None:
        """Read the vehicle's status at the next refresh."""
        self._seen.pop(vehicle_id, None)


async def async_read_status(coordinator: EnodeCoordinator, vehicle_id: str) -> None:
    """Read one vehicle's status now and merge it (after a command); errors wait for a refresh."""
    reader = coordinator.smart_charging
    try:
        status = await coordinator.client.get_smart_charging_status(vehicle_id)
    except EnodeError as err:
        LOGGER.debug("Could not read a smart charging status after a change: %s", err)
        reader.forget(vehicle_id)
        return
    if (data := reader.merge(coordinator.data, status)) is not None:
        coordinator.async_set_updated_data(data)


async def async_update_policy(
    coordinator: EnodeCoordinator,
    vehicle: Vehicle,
    device: str,
    *,
    is_enabled: bool | None = None,
    deadline: str | None = None,
    minimum_charge_limit: float | None = None,
    read_status: bool = False,
) -> SmartChargingPolicy:
    """Update a vehicle's policy at Enode and merge the answer into the snapshot.

    A policy that is or stays enabled needs the smartCharging capability, and turning it on
    needs a deadline: a translated ``ServiceValidationError`` says so before anything is sent
    (turning it off always works). Enode's 400 ("Cannot activate smart charging", with why)
    becomes the translated ``smart_charging_rejected``; other client errors are raised for the
    caller's translation. The status follows: pushed when push is healthy, else (or with
    ``read_status``) read once.
    """
    current_policy = vehicle.smart_charging_policy
    if is_enabled if is_enabled is not None else current_policy.is_enabled:
        capability = vehicle.capabilities.smart_charging
        raise_if_unusable(coordinator.hass, coordinator.data, capability, "smart_charging", device)
        if is_enabled and not (deadline or current_policy.deadline):
            raise validation_error("smart_charging_needs_deadline", device=device)
    try:
        policy = await coordinator.client.update_smart_charging_policy(
            vehicle.id,
            is_enabled=is_enabled,
            deadline=deadline,
            minimum_charge_limit=minimum_charge_limit,
        )
    except EnodePreconditionError as error:
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="smart_charging_rejected",
            translation_placeholders={"device": device, "error": problem_text(error)},
        ) from error
    current = coordinator.data.vehicles.get(vehicle.id, vehicle)
    await coordinator.async_set_asset(replace(current, smart_charging_policy=policy))
    if policy.is_enabled and (read_status or not coordinator.push_healthy):
        await async_read_status(coordinator, vehicle.id)
    return policy


def merge_override(data: EnodeData, vehicle_id: str, override: SmartOverride | None) -> EnodeData:
    """Return the snapshot with a vehicle's override as Enode just answered it."""
    status = data.smart_charging.get(vehicle_id)
    if status is None:
        return data
    return replace(
        data,
        smart_charging={
            **data.smart_charging,
            vehicle_id: replace(status, smart_override=override),
        },
    )


def validation_error(key: str, **placeholders: str) -> ServiceValidationError:
    """Return a translated validation error about smart charging."""
    return ServiceValidationError(
        translation_domain=DOMAIN,
        translation_key=key,
        translation_placeholders=placeholders or None,
    )
