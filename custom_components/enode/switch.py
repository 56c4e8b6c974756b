"""Switches of Enode vehicles and chargers: charging, and a vehicle's smart charging.

Charging follows the action lifecycle (DESIGN.md section 7): the command creates an Enode
action; while it is PENDING the switch shows the requested state; the call waits a bounded time
for the outcome and raises a translated error when it fails or is cancelled; later outcomes are
reconciled by the coordinator (polled or pushed) and reported as an ``enode_action`` event.
Smart charging is a policy, not an action: the update answers with the new policy at once.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from homeassistant.components.switch import SwitchEntity, SwitchEntityDescription
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .api import (
    ChargeAction,
    Charger,
    ChargingAction,
    EnodeClient,
    EnodePreconditionError,
    Vehicle,
)
from .const import DOMAIN
from .coordinator import EnodeCoordinator
from .entity import (
    EnodeEntity,
    EnodeEntityDescription,
    async_add_asset_entities,
    capability_present,
)
from .helpers import enode_exception_handler, problem_text, raise_for_action
from .models import EnodeConfigEntry
from .pairing import waits_for_charger

# Commands to different devices are independent at Enode, and each call waits (bounded) for its
# action's outcome: serializing them would make one call for n entities take up to n waits.
PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class EnodeChargingSwitchEntityDescription[AssetT: Vehicle | Charger](SwitchEntityDescription):
    """Describes the charging switch of a vehicle or a charger."""

    exists_fn: Callable[[AssetT], bool]
    set_fn: Callable[[EnodeClient, str, ChargingAction], Awaitable[ChargeAction]]


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
)
CHARGER_CHARGING = EnodeChargingSwitchEntityDescription[Charger](
    key="charging",
    translation_key="charging",
    exists_fn=_controllable,
    set_fn=lambda client, asset_id, action: client.set_charger_charging(asset_id, action),
)
SMART_CHARGING = EnodeEntityDescription[Vehicle](
    key="smart_charging",
    translation_key="smart_charging",
    entity_category=EntityCategory.CONFIG,
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
        action = await self.entity_description.set_fn(self.coordinator.client, self.asset_id, kind)
        outcome = await self.coordinator.actions.async_run(action, self._model.asset_type)
        raise_for_action(self.device_info_name, outcome)


class EnodeSmartChargingSwitch(EnodeEntity[Vehicle], SwitchEntity):
    """Enable or disable a vehicle's smart charging policy.

    Smart charging is a policy, not an action: Enode answers the update with the new policy.
    """

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

    async def async_turn_on(self, **kwargs: Any) -> None:
        """Enable smart charging (needs the smartCharging capability)."""
        await self._async_set_enabled(True)

    async def async_turn_off(self, **kwargs: Any) -> None:
        """Disable smart charging (always allowed, even while the capability is blocked)."""
        await self._async_set_enabled(False)

    @enode_exception_handler
    async def _async_set_enabled(self, enabled: bool) -> None:
        """Update the policy and merge the answer into the vehicle."""
        if enabled:
            self.raise_if_unusable(self.asset.capabilities.smart_charging, "smart_charging")
        try:
            policy = await self.coordinator.client.update_smart_charging_policy(
                self.asset_id, is_enabled=enabled
            )
        except EnodePreconditionError as error:
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="smart_charging_rejected",
                translation_placeholders={
                    "device": self.device_info_name,
                    "error": problem_text(error),
                },
            ) from error
        if (vehicle := self._current) is not None:
            await self.coordinator.async_set_asset(replace(vehicle, smart_charging_policy=policy))
