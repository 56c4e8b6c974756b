"""Switches of Enode vehicles and chargers: charging, a vehicle's smart charging, charge now.

Charging follows the action lifecycle (DESIGN.md section 7): the command creates an Enode
action; while it is PENDING the switch shows the requested state; the call waits a bounded time
for the outcome and raises a translated error when it fails or is cancelled; later outcomes are
reconciled by the coordinator (polled or pushed) and reported as an ``enode_action`` event.
Smart charging is a policy, not an action: the update answers with the new policy at once.

"Charge now" is a switch, not a button: Enode's smart override has a state (active until it is
ended, the vehicle stops charging or is full), so the switch shows it, turning it on creates the
override (and follows its START action), and turning it off ends it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from homeassistant.components.switch import SwitchEntity, SwitchEntityDescription
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .api import (
    ActionState,
    AssetType,
    ChargeAction,
    Charger,
    ChargingAction,
    EnodeClient,
    EnodeConflictError,
    EnodeNotFoundError,
    Vehicle,
)
from .const import DOMAIN
from .coordinator import EnodeCoordinator
from .entity import (
    PAIRING_READS,
    EnodeEntity,
    EnodeEntityDescription,
    async_add_asset_entities,
    capability_present,
    state_reads,
)
from .helpers import enode_exception_handler, raise_for_action
from .models import EnodeConfigEntry
from .pairing import waits_for_charger
from .smart_charging import (
    async_read_status,
    async_update_policy,
    merge_override,
    override_active,
    plan_in_control,
    validation_error,
)

# Commands to different devices are independent at Enode, and each call waits (bounded) for its
# action's outcome: serializing them would make one call for n entities take up to n waits.
PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class EnodeChargingSwitchEntityDescription[AssetT: Vehicle | Charger](SwitchEntityDescription):
    """Describes the charging switch of a vehicle or a charger."""

    exists_fn: Callable[[AssetT], bool]
    set_fn: Callable[[EnodeClient, str, ChargingAction], Awaitable[ChargeAction]]
    # What the state reads of the asset (``EnodeEntity``): a vehicle's switch is unavailable
    # while the vehicle waits for a charger (its pairing).
    reads: frozenset[str]


def _controllable(asset: Vehicle | Charger) -> bool:
    capabilities = asset.capabilities
    return capability_present(capabilities.start_charging) or capability_present(
        capabilities.stop_charging
    )


VEHICLE_CHARGING = EnodeChargingSwitchEntityDescription[Vehicle](
    key="charging",
    translation_key="charging",
    exists_fn=_controllable,
    set_fn=lambda client, asset_id, action: client.set_vehicle_charging(asset_id, action),
    reads=PAIRING_READS | {"charge_state.is_charging"},
)
CHARGER_CHARGING = EnodeChargingSwitchEntityDescription[Charger](
    key="charging",
    translation_key="charging",
    exists_fn=_controllable,
    set_fn=lambda client, asset_id, action: client.set_charger_charging(asset_id, action),
    reads=state_reads("charge_state.is_charging"),
)
SMART_CHARGING = EnodeEntityDescription[Vehicle](
    key="smart_charging",
    translation_key="smart_charging",
    entity_category=EntityCategory.CONFIG,
    exists_fn=lambda vehicle: capability_present(vehicle.capabilities.smart_charging),
)
CHARGE_NOW = EnodeEntityDescription[Vehicle](
    key="charge_now",
    translation_key="charge_now",
    exists_fn=lambda vehicle: capability_present(vehicle.capabilities.smart_charging),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: EnodeConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Set up Enode switches (and add them when their capability appears)."""
    async_add_asset_entities(
        entry, async_add_entities, Vehicle, (VEHICLE_CHARGING,), EnodeChargingSwitch
    )
    async_add_asset_entities(
        entry, async_add_entities, Charger, (CHARGER_CHARGING,), EnodeChargingSwitch
    )
    async_add_asset_entities(
        entry, async_add_entities, Vehicle, (SMART_CHARGING,), EnodeSmartChargingSwitch
    )
    async_add_asset_entities(
        entry, async_add_entities, Vehicle, (CHARGE_NOW,), EnodeChargeNowSwitch
    )


class EnodeChargingSwitch[AssetT: Vehicle | Charger](EnodeEntity[AssetT], SwitchEntity):
    """Start and stop charging."""

    entity_description: EnodeChargingSwitchEntityDescription[AssetT]

    def __init__(
        self,
        coordinator: EnodeCoordinator,
        asset: AssetT,
        description: EnodeChargingSwitchEntityDescription[AssetT],
    ) -> None:
        """Initialize the switch."""
        super().__init__(coordinator, asset, description)
        self.entity_description = description

    @property
    def available(self) -> bool:
        """Return False while a vehicle's charging control waits for a charger (seed 004).

        The vehicle's charger pairing sensor says why (charger required, or pair cleared), and
        a repair asks for the charger.
        """
        if not super().available:
            return False
        asset = self.asset
        return not (isinstance(asset, Vehicle) and waits_for_charger(asset, self.data))

    @property
    def is_on(self) -> bool | None:
        """Return whether it charges (the requested state while an action is pending)."""
        action = self.data.pending_action(self.asset_id, ChargeAction)
        if action is not None and action.kind in (ChargingAction.START, ChargingAction.STOP):
            return action.kind is ChargingAction.START
        return self.asset.charge_state.is_charging

    def _state_inputs(self) -> object:
        """Return the state (written when it changes)."""
        return (self.is_on,)

    def _declared_reads(self) -> frozenset[str] | None:
        """Return what the state reads of the asset (the description says)."""
        return self.entity_description.reads

    async def async_turn_on(self, **kwargs: Any) -> None:
        """Start charging."""
        await self._async_set_charging(ChargingAction.START)

    async def async_turn_off(self, **kwargs: Any) -> None:
        """Stop charging."""
        await self._async_set_charging(ChargingAction.STOP)

    @enode_exception_handler
    async def _async_set_charging(self, kind: ChargingAction) -> None:
        """Send the command and follow the action."""
        capabilities = self.asset.capabilities
        if kind is ChargingAction.START:
            self.raise_if_unusable(capabilities.start_charging, "start_charging")
        else:
            self.raise_if_unusable(capabilities.stop_charging, "stop_charging")
        try:
            action = await self.entity_description.set_fn(
                self.coordinator.client, self.asset_id, kind
            )
        except EnodeConflictError as error:
            asset = self.asset
            if (
                error.status == 422
                and isinstance(asset, Vehicle)
                and plan_in_control(self.data, asset)
            ):
                raise HomeAssistantError(
                    translation_domain=DOMAIN,
                    translation_key="smart_charging_in_control",
                    translation_placeholders={"device": self.device_info_name},
                ) from error
            raise
        outcome = await self.coordinator.actions.async_run(action, self._model.asset_type)
        raise_for_action(self.device_info_name, outcome)


class EnodeSmartChargingSwitch(EnodeEntity[Vehicle], SwitchEntity):
    """Enable or disable a vehicle's smart charging policy.

    Smart charging is a policy, not an action: Enode answers the update with the new policy.
    """

    _state_reads = PAIRING_READS | {"smart_charging_policy"}

    @property
    def available(self) -> bool:
        """Return False while the vehicle's charging control waits for a charger (seed 004)."""
        return super().available and not waits_for_charger(self.asset, self.data)

    @property
    def is_on(self) -> bool | None:
        """Return whether smart charging is enabled."""
        return self.asset.smart_charging_policy.is_enabled

    @property
    def extra_state_attributes(self) -> Mapping[str, object]:
        """Return the rest of the policy: the deadline and the minimum charge limit."""
        policy = self.asset.smart_charging_policy
        return {"deadline": policy.deadline, "minimum_charge_limit": policy.minimum_charge_limit}

    def _state_inputs(self) -> object:
        """Return the state and the attributes (written when they change)."""
        return (self.is_on, self.extra_state_attributes)

    async def async_turn_on(self, **kwargs: Any) -> None:
        """Enable smart charging (needs the smartCharging capability)."""
        await self._async_set_enabled(True)

    async def async_turn_off(self, **kwargs: Any) -> None:
        """Disable smart charging (always allowed, even while the capability is blocked)."""
        await self._async_set_enabled(False)

    @enode_exception_handler
    async def _async_set_enabled(self, enabled: bool) -> None:
        """Update the policy (turning it on needs the capability and a deadline)."""
        await async_update_policy(
            self.coordinator, self.asset, self.device_info_name, is_enabled=enabled
        )


class EnodeChargeNowSwitch(EnodeEntity[Vehicle], SwitchEntity):
    """Charge now despite smart charging (an Enode smart override), until turned off.

    On while the override is in force. Enode ends it by itself when the vehicle stops charging
    (or is full, or unplugged); the plan then takes over again.
    """

    # The override is in the vehicle's smart charging status, not in the vehicle.
    _state_reads = state_reads()

    @property
    def is_on(self) -> bool | None:
        """Return whether a smart override is in force."""
        return override_active(self.data, self.asset)

    def _state_inputs(self) -> object:
        """Return the state (written when it changes)."""
        return (self.is_on,)

    async def async_turn_on(self, **kwargs: Any) -> None:
        """Create a smart override and follow the START action Enode sends with it."""
        await self._async_charge_now()

    async def async_turn_off(self, **kwargs: Any) -> None:
        """End the smart override (already ended at Enode: nothing to do)."""
        await self._async_end()

    @enode_exception_handler
    async def _async_charge_now(self) -> None:
        vehicle = self.asset
        self.raise_if_unusable(vehicle.capabilities.smart_charging, "smart_charging")
        if not vehicle.smart_charging_policy.is_enabled:
            raise validation_error("charge_now_needs_smart_charging", device=self.device_info_name)
        coordinator = self.coordinator
        override = await coordinator.client.create_smart_override(self.asset_id)
        if self.asset_id not in coordinator.data.smart_charging:
            await async_read_status(coordinator, self.asset_id)
        coordinator.async_set_updated_data(
            merge_override(coordinator.data, self.asset_id, override)
        )
        if override.vendor_action_id is None:
            return  # it is charging already
        action = ChargeAction(
            id=override.vendor_action_id,
            state=ActionState.PENDING,
            target_id=self.asset_id,
            target_type=str(AssetType.VEHICLE),
            kind=ChargingAction.START,
        )
        outcome = await coordinator.actions.async_run(action, AssetType.VEHICLE)
        raise_for_action(self.device_info_name, outcome)

    @enode_exception_handler
    async def _async_end(self) -> None:
        coordinator = self.coordinator
        try:
            override = await coordinator.client.end_smart_override(self.asset_id)
        except EnodeNotFoundError:
            await async_read_status(coordinator, self.asset_id)
            return
        coordinator.async_set_updated_data(
            merge_override(coordinator.data, self.asset_id, override)
        )
        if not coordinator.push_healthy:
            await async_read_status(coordinator, self.asset_id)
