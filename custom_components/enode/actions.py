"""The command lifecycle (DESIGN.md section 7): pending actions, outcomes, ``enode_action`` events.

A command (start charging, set the max current, ...) creates an Enode action. While Enode works on
it the action is PENDING and part of the coordinator's snapshot (``EnodeData.pending_actions``), so
an entity shows the requested state from the same place as everything else. Its outcome —
CONFIRMED, FAILED or CANCELLED — arrives pushed (``user:vendor-action:updated``), polled while a
command waits for it, or polled by a refresh. Each outcome is reported once (``enode_action``);
late or repeated deliveries of a known outcome change nothing. A finished action leaves the
snapshot only together with the device state that follows from it, so a confirmed command moves
its entity once.

What a command costs (README "Performance"): its POST, plus what its outcome needs. With healthy
push nothing is polled: the outcome is pushed, and so is the device's new state (if that does not
follow within ``STATE_PUSH_GRACE``, one ``GET`` of the target asset reads it). Without push the
action is polled while the command waits, then the target asset is read once. A FAILED or
CANCELLED action changed nothing on the device: it leaves at once, without a request.

The pending actions and the outcomes already reported are stored per entry (``Store``), so a
restart loses neither: the first refresh after set-up reads each stored pending action again
(``GET .../actions/{id}``) and reports the outcomes that arrived while Home Assistant was stopped;
an outcome reported before the restart is not reported again.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import replace
from datetime import datetime
from enum import StrEnum
from functools import partial
from typing import TYPE_CHECKING, Any, TypedDict

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.event import async_call_later
from homeassistant.helpers.storage import Store

from .api import (
    ActionState,
    Asset,
    AssetType,
    ChargeAction,
    Charger,
    EnodeClient,
    EnodeConflictError,
    EnodeError,
    EnodeNotFoundError,
    HvacAction,
    MaxCurrentAction,
    OperationModeAction,
    Vehicle,
    VendorAction,
    action_from_dict,
)
from .const import DOMAIN, EVENT_ACTION, LOGGER
from .models import PendingAction

if TYPE_CHECKING:
    from .coordinator import EnodeCoordinator

# While a command waits for its action's outcome: poll the action this often (only without push:
# with healthy push the outcome is pushed, and polled once at the end of the wait), this long.
ACTION_POLL_INTERVAL = 2.0
ACTION_WAIT_TIMEOUT = 20.0
# After a CONFIRMED outcome, how long the device's new state is awaited by push before it is read.
STATE_PUSH_GRACE = 5.0
# With healthy push, actions still pending after their command's wait are read this often (a lost
# delivery must not leave an outcome unknown until the safety-net refresh hours later).
ACTION_RECHECK_INTERVAL = 300.0
# Final outcomes remembered to report each action once (late webhook deliveries are ignored).
MAX_REMEMBERED_ACTIONS = 200
# The entry's store of pending actions and reported outcomes; writes are batched this long.
STORAGE_VERSION = 1
STORAGE_SAVE_DELAY = 1.0


class _StoredAction(TypedDict):
    """A pending action as stored: its wire payload and the type of its target."""

    asset_type: str
    action: dict[str, Any]


class _StoredActions(TypedDict):
    """What the store keeps: the pending actions and the outcomes already reported."""

    pending: list[_StoredAction]
    finished: list[dict[str, Any]]


def _store(hass: HomeAssistant, entry_id: str) -> Store[_StoredActions]:
    """Return the store of an entry's actions."""
    return Store(hass, STORAGE_VERSION, f"{DOMAIN}.{entry_id}.actions")


async def async_remove_stored_actions(hass: HomeAssistant, entry_id: str) -> None:
    """Delete the store of a removed entry's actions."""
    await _store(hass, entry_id).async_remove()


type ActionCall = Callable[[EnodeClient, str], Awaitable[VendorAction]]

# How to read an action of each asset type (``GET /<type>/actions/{id}``).
ACTION_READERS: dict[AssetType, ActionCall] = {
    AssetType.VEHICLE: lambda client, action_id: client.get_vehicle_action(action_id),
    AssetType.CHARGER: lambda client, action_id: client.get_charger_action(action_id),
    AssetType.BATTERY: lambda client, action_id: client.get_battery_action(action_id),
    AssetType.HVAC: lambda client, action_id: client.get_hvac_action(action_id),
}
# How to cancel one (``POST /<type>/actions/{id}/cancel``).
ACTION_CANCELLERS: dict[AssetType, ActionCall] = {
    AssetType.VEHICLE: lambda client, action_id: client.cancel_vehicle_action(action_id),
    AssetType.CHARGER: lambda client, action_id: client.cancel_charger_action(action_id),
    AssetType.BATTERY: lambda client, action_id: client.cancel_battery_action(action_id),
    AssetType.HVAC: lambda client, action_id: client.cancel_hvac_action(action_id),
}


def action_kind(action: VendorAction) -> str:
    """Return what an action does, as the ``enode_action`` event's ``kind``."""
    match action:
        case ChargeAction():
            return str(action.kind).lower()
        case MaxCurrentAction():
            return "set_max_current"
        case OperationModeAction():
            return "set_operation_mode"
        case HvacAction():
            return "follow_schedule" if action.follows_schedule else "permanent_hold"
        case _:
            return "unknown"


def _lower(value: StrEnum | None) -> str | None:
    """Return an Enode enum value as the event shows it (``SELF_RELIANCE`` -> ``self_reliance``)."""
    return str(value).lower() if value is not None else None


def action_target(action: VendorAction) -> dict[str, object]:
    """Return what an action asked for, as the ``enode_action`` event's target keys.

    Every event has every key (None when the action's kind does not set it), so automations
    can read them without checking the kind first.
    """
    hvac = action.target if isinstance(action, HvacAction) else None
    return {
        "max_current": action.target_state.max_current
        if isinstance(action, MaxCurrentAction)
        else None,
        "operation_mode": _lower(action.target_state.operation_mode)
        if isinstance(action, OperationModeAction)
        else None,
        "hvac_mode": _lower(hvac.mode) if hvac is not None else None,
        "heat_setpoint": hvac.heat_setpoint if hvac is not None else None,
        "cool_setpoint": hvac.cool_setpoint if hvac is not None else None,
    }


class EnodeActions:
    """The commands of one config entry: wait for outcomes, report each once."""

    def __init__(self, hass: HomeAssistant, coordinator: EnodeCoordinator) -> None:
        """Initialize the tracker."""
        self.hass = hass
        self.coordinator = coordinator
        self._waiters: dict[str, asyncio.Event] = {}
        # Final outcomes already reported (oldest first, at most MAX_REMEMBERED_ACTIONS).
        self._finished: dict[str, VendorAction] = {}
        # Pending actions Enode answered 404 for (dropped by the next snapshot).
        self._gone: set[str] = set()
        # CONFIRMED actions still in the snapshot until the device state that followed is in it:
        # action id -> target asset id; the timers that stop waiting for that state by push.
        self._awaiting: dict[str, str] = {}
        self._grace: dict[str, CALLBACK_TYPE] = {}
        # With healthy push: the timer that reads the actions still pending after their wait.
        self._recheck: CALLBACK_TYPE | None = None
        self._store = _store(hass, coordinator.config_entry.entry_id)
        # Set when the entry unloads: waiting commands return, nothing is polled any more.
        self._closed = False
        # The snapshot's pending actions when a write was last scheduled (a snapshot keeps the
        # same mapping while they do not change: a pushed update of a device writes nothing).
        self._stored_pending: Mapping[str, PendingAction] | None = None

    @property
    def finished(self) -> Mapping[str, VendorAction]:
        """Return the remembered final outcomes by action id (oldest first)."""
        return self._finished

    # ------------------------------------------------------------------ commands

    async def async_run(self, action: VendorAction, asset_type: AssetType) -> VendorAction:
        """Track an action a command just created and wait a bounded time for its outcome.

        Returns the action as last seen: final (the snapshot then shows the state that followed)
        or still PENDING, in which case the outcome is reconciled later (polled or pushed) and
        reported as an event.
        """
        if action.is_resolved or action.id in self._finished:
            await self.async_handle_update(action)
            return self._latest(action)
        self._async_add_pending(action, asset_type)
        # Enode reuses a PENDING vehicle action for the same command: share its waiter.
        waiter = self._waiters.setdefault(action.id, asyncio.Event())
        loop = asyncio.get_running_loop()
        deadline = loop.time() + ACTION_WAIT_TIMEOUT
        while not waiter.is_set() and not self._closed:
            remaining = deadline - loop.time()
            if remaining <= 0:
                break
            # With healthy push the outcome is pushed: read the action only when the wait ends.
            step = remaining if self.coordinator.push_healthy else ACTION_POLL_INTERVAL
            try:
                async with asyncio.timeout(min(step, remaining)):
                    await waiter.wait()
            except TimeoutError:
                if action.id not in self._finished:
                    await self._async_poll(action.id, asset_type)
        self._waiters.pop(action.id, None)
        self._async_schedule_recheck()
        return self._latest(action)

    async def async_cancel(self, action: VendorAction, asset_type: AssetType) -> VendorAction:
        """Cancel a pending action at Enode; merge its outcome (one transition, one event).

        Enode resolves the action CANCELLED (``REQUESTED_CANCELLATION``); an action that
        resolved meanwhile answers 409, and that outcome is merged instead. Raises the client's
        other errors.
        """
        try:
            latest = await ACTION_CANCELLERS[asset_type](self.coordinator.client, action.id)
        except EnodeConflictError:
            latest = await ACTION_READERS[asset_type](self.coordinator.client, action.id)
        await self.async_handle_update(latest)
        return self._latest(latest)

    @callback
    def _async_add_pending(self, action: VendorAction, asset_type: AssetType) -> None:
        """Put a PENDING action into the snapshot (its entity shows the requested state)."""
        data = self.coordinator.data
        pending = {
            **data.pending_actions,
            action.id: PendingAction(action=action, asset_type=asset_type),
        }
        self.coordinator.async_set_updated_data(replace(data, pending_actions=pending))
        self._async_schedule_save()

    def _latest(self, action: VendorAction) -> VendorAction:
        """Return the latest known version of an action."""
        if (finished := self._finished.get(action.id)) is not None:
            return finished
        if (pending := self.coordinator.data.pending_actions.get(action.id)) is not None:
            return pending.action
        return action

    # ------------------------------------------------------------------ outcomes

    async def async_handle_update(self, action: VendorAction) -> None:
        """Merge an action seen outside a refresh (pushed, or polled while a command waits).

        A new final outcome is reported; the pending action then leaves the snapshot with the
        device state that followed, and only then are the commands waiting for it released.
        """
        if not self._async_record(action):
            return
        await self._async_settle(action)

    @callback
    def _async_record(self, action: VendorAction) -> bool:
        """Remember and report a final outcome once; return whether it was new.

        Non-final updates change nothing: the pending action in the snapshot already shows what
        was requested. A late or repeated delivery of an outcome already known changes nothing.
        """
        if action.id in self._finished or not action.is_resolved:
            return False
        self._finished[action.id] = action
        while len(self._finished) > MAX_REMEMBERED_ACTIONS:
            self._finished.pop(next(iter(self._finished)))
        if action.state is ActionState.CONFIRMED and action.target_id is not None:
            self._awaiting[action.id] = action.target_id
        self._fire_event(action)
        self._async_schedule_save()
        return True

    async def _async_settle(self, action: VendorAction) -> None:
        """Take a finished action out of the snapshot with the device state that followed.

        FAILED or CANCELLED: the device did not change, the snapshot's state is what follows.
        CONFIRMED: the device's new state, pushed within ``STATE_PUSH_GRACE`` when push is
        healthy, else read with one ``GET``.
        """
        if action.id not in self._awaiting:
            data = self.coordinator.data
            self.coordinator.async_set_updated_data(
                replace(data, pending_actions=self.still_pending(data.pending_actions))
            )
            return
        if self.coordinator.push_healthy:
            self._grace[action.id] = async_call_later(
                self.hass, STATE_PUSH_GRACE, partial(self._async_grace_over, action.id)
            )
            return
        await self._async_read_target(action.id)

    @callback
    def _async_grace_over(self, action_id: str, _now: datetime) -> None:
        """The device's new state was not pushed in time: read it."""
        self._grace.pop(action_id, None)
        if action_id in self._awaiting:
            self.coordinator.config_entry.async_create_background_task(
                self.hass, self._async_read_target(action_id), f"{DOMAIN} read after command"
            )

    async def _async_read_target(self, action_id: str) -> None:
        """Read the devices a confirmed action changed and merge them.

        One ``GET`` of the target asset, and one of the vehicle or charger plugged into it
        (charging through a paired charger changes both), and the smart charging status of a
        vehicle whose change may have changed it.
        """
        if (target_id := self._awaiting.get(action_id)) is None:
            return
        data = self.coordinator.data
        if (target := data.asset(target_id)) is None:
            self._awaiting.pop(action_id)  # not an asset of this entry: nothing to show
            self.coordinator.async_set_updated_data(
                replace(data, pending_actions=self.still_pending(data.pending_actions))
            )
            return
        changed: list[Asset] = [target]
        partner_id = None
        if isinstance(target, Vehicle):
            partner_id = target.charge_state.plugged_in_charger_id
        elif isinstance(target, Charger):
            partner_id = target.charge_state.plugged_in_vehicle_id
        if partner_id and (partner := data.asset(partner_id)) is not None:
            changed.append(partner)
        client = self.coordinator.client
        try:
            latest = [await client.get_asset(type(asset), asset.id) for asset in changed]
        except EnodeError as err:
            # The action stays (showing what was confirmed) until a refresh or a push.
            LOGGER.debug("Could not read the device after its command: %s", err)
            return
        await self.coordinator.async_set_assets(latest, read_statuses=True)

    @callback
    def async_snapshot_updated(self) -> None:
        """Wake the commands whose action has left the snapshot (with the state that followed).

        A coordinator listener, called after every published snapshot.
        """
        pending = self.coordinator.data.pending_actions
        released = [key for key in self._awaiting if key not in pending]
        for action_id in released:
            del self._awaiting[action_id]
            if (cancel := self._grace.pop(action_id, None)) is not None:
                cancel()
        if self._waiters:
            known = self._finished.keys() | self._gone
            for action_id, waiter in self._waiters.items():
                if action_id not in pending and action_id in known:
                    waiter.set()
        if released or pending is not self._stored_pending:
            self._async_schedule_save()

    @callback
    def _async_release(self, action_id: str) -> None:
        """Wake the commands waiting for an action."""
        if (waiter := self._waiters.get(action_id)) is not None:
            waiter.set()

    @callback
    def _async_schedule_recheck(self) -> None:
        """With healthy push, read the actions still pending after their wait in a while."""
        if self._recheck is None and not self._closed and self.coordinator.data.pending_actions:
            self._recheck = async_call_later(
                self.hass, ACTION_RECHECK_INTERVAL, self._async_recheck
            )

    @callback
    def _async_recheck(self, _now: datetime) -> None:
        """Read the pending actions nobody waits for (without push the refreshes poll them)."""
        self._recheck = None
        if not self.coordinator.push_healthy:
            self._async_schedule_recheck()
            return
        self.coordinator.config_entry.async_create_background_task(
            self.hass, self._async_poll_unwaited(), f"{DOMAIN} pending actions"
        )

    async def _async_poll_unwaited(self) -> None:
        for action_id, pending in list(self.coordinator.data.pending_actions.items()):
            if action_id not in self._finished and action_id not in self._waiters:
                await self._async_poll(action_id, pending.asset_type)
        self._async_schedule_recheck()

    @callback
    def async_shutdown(self) -> None:
        """Cancel the timers."""
        for cancel in [*self._grace.values(), self._recheck]:
            if cancel is not None:
                cancel()
        self._grace.clear()
        self._recheck = None

    async def async_poll_pending(self) -> None:
        """Poll every pending action once (the first step of a refresh).

        Raises the client's errors (the refresh fails), except 404: an action Enode no longer
        knows is forgotten. The outcomes found are reported; the refresh then builds a snapshot
        without them (``still_pending``) that shows the state that followed.
        """
        for action_id, pending in list(self.coordinator.data.pending_actions.items()):
            if action_id in self._finished:
                continue
            try:
                latest = await ACTION_READERS[pending.asset_type](
                    self.coordinator.client, action_id
                )
            except EnodeNotFoundError:
                LOGGER.debug("Action %s is gone; no longer tracking it", action_id)
                self._gone.add(action_id)
                continue
            self._async_record(latest)

    def awaiting_state(self, asset_id: str | None = None) -> frozenset[str]:
        """Return the CONFIRMED actions (on an asset) whose device state that followed is due."""
        return frozenset(
            action_id
            for action_id, target_id in self._awaiting.items()
            if asset_id in (None, target_id)
        )

    def still_pending(
        self, pending: Mapping[str, PendingAction], settled: Iterable[str] = ()
    ) -> Mapping[str, PendingAction]:
        """Return the actions that stay in the snapshot.

        Those whose outcome is not known yet (and Enode still knows), and CONFIRMED ones whose
        device state that followed is still due (not among ``settled``: the actions whose
        target the new snapshot shows as read after their outcome).
        """
        settled = set(settled)
        kept = {
            key: value
            for key, value in pending.items()
            if key not in self._gone
            and (key not in self._finished or (key in self._awaiting and key not in settled))
        }
        # All of them: the same mapping (a snapshot compares it by identity first).
        return pending if len(kept) == len(pending) else kept

    async def _async_poll(self, action_id: str, asset_type: AssetType) -> None:
        """Read one action while a command waits for it (errors: try again at the next poll)."""
        if self._closed:
            return
        try:
            latest = await ACTION_READERS[asset_type](self.coordinator.client, action_id)
        except EnodeNotFoundError:
            LOGGER.debug("Action %s is gone; no longer waiting for it", action_id)
            self._gone.add(action_id)
            self._async_release(action_id)
            return
        except EnodeError as err:
            LOGGER.debug("Could not read action %s: %s", action_id, err)
            return
        await self.async_handle_update(latest)

    # ------------------------------------------------------------------ storage

    async def async_restore(self) -> None:
        """Read what the entry stored before it stopped (call before the first refresh).

        The pending actions go back into the snapshot (the first refresh polls each of them,
        so an outcome that arrived while Home Assistant was stopped is reported); the outcomes
        reported before are remembered (not reported again).
        """
        stored = await self._store.async_load()
        if not stored:
            return
        for payload in stored.get("finished", []):
            try:
                action = action_from_dict(payload)
            except (ValueError, TypeError, LookupError):
                continue
            self._finished[action.id] = action
        pending: dict[str, PendingAction] = {}
        for item in stored.get("pending", []):
            try:
                action = action_from_dict(item["action"])
                asset_type = AssetType(item["asset_type"])
            except (ValueError, TypeError, LookupError):
                LOGGER.debug("Ignoring a stored pending action that cannot be read")
                continue
            if asset_type in ACTION_READERS and action.id not in self._finished:
                pending[action.id] = PendingAction(action=action, asset_type=asset_type)
        if pending:
            LOGGER.debug("Following %d commands still pending before the restart", len(pending))
            data = self.coordinator.data
            self.coordinator.async_set_updated_data(
                replace(data, pending_actions={**pending, **data.pending_actions})
            )

    def _stored(self) -> _StoredActions:
        """Return what to store: the actions still pending and the outcomes reported."""
        pending = self.still_pending(self.coordinator.data.pending_actions)
        return {
            "pending": [
                {"asset_type": str(item.asset_type), "action": item.action.to_dict()}
                for item in pending.values()
            ],
            "finished": [action.to_dict() for action in self._finished.values()],
        }

    @callback
    def _async_schedule_save(self) -> None:
        """Store the pending actions and outcomes soon (writes are batched)."""
        if not self._closed:
            # The write stores the snapshot's pending actions of then: a later change of them
            # is a new mapping, which schedules again.
            self._stored_pending = self.coordinator.data.pending_actions
            self._store.async_delay_save(self._stored, STORAGE_SAVE_DELAY)

    async def async_unload(self) -> None:
        """The entry unloads: commands still waiting return now; the store is written."""
        self._closed = True
        for waiter in self._waiters.values():
            waiter.set()
        await self._store.async_save(self._stored())

    def _fire_event(self, action: VendorAction) -> None:
        """Fire ``enode_action`` for a final outcome."""
        registry = dr.async_get(self.hass)
        device = registry.async_get_device(identifiers={(DOMAIN, action.target_id or "")})
        failure = action.failure_reason
        self.hass.bus.async_fire(
            EVENT_ACTION,
            {
                "config_entry_id": self.coordinator.config_entry.entry_id,
                "device_id": device.id if device else None,
                "action_id": action.id,
                "asset_id": action.target_id,
                "asset_type": action.target_type,
                "kind": action_kind(action),
                **action_target(action),
                "state": str(action.state).lower(),
                "failure_reason": str(failure.type).lower() if failure else None,
                "failure_detail": failure.detail if failure else None,
            },
        )
