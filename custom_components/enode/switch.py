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
    AssetType,
    ChargeAction,
    ChargingAction,
    EnodeClient,
    EnodePreconditionError,
    Vehicle,
)
from .const import DOMAIN
from .coordinator import EnodeConfigEntry
from .entity import EnodeEntity, async_add_asset_entities, capability_present
from .helpers import enode_exception_handler, raise_for_action

# Commands to different devices are independent at Enode, and each call waits (bounded) for its
# action's outcome: serializing them would make one call for n entities take up to n waits.
PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class EnodeSwitchEntityDescription(SwitchEntityDescription):
    """Describes an Enode charging switch."""

    asset_type: AssetType
    exists_fn: Callable[[Any], bool]
    set_fn: Callable[[EnodeClient, str, ChargingAction], Awaitable[ChargeAction]] | None = None


def _controllable(asset: Any) -> bool:
    capabilities = asset.capabilities
    return capability_present(capabilities.start_charging) or capability_present(
        capabilities.stop_charging
    )


SWITCHES: dict[AssetType, tuple[EnodeSwitchEntityDescription, ...]] = {
    AssetType.VEHICLE: (
        EnodeSwitchEntityDescription(
            key="charging",
            translation_key="charging",
            asset_type=AssetType.VEHICLE,
            exists_fn=_controllable,
            set_fn=lambda client, asset_id, action: client.set_vehicle_charging(asset_id, action),
        ),
    ),
    AssetType.CHARGER: (
        EnodeSwitchEntityDescription(
            key="charging",
            translation_key="charging",
            asset_type=AssetType.CHARGER,
            exists_fn=_controllable,
            set_fn=lambda client, asset_id, action: client.set_charger_charging(asset_id, action),
        ),
    ),
}


SMART_CHARGING_SWITCHES: dict[AssetType, tuple[EnodeSwitchEntityDescription, ...]] = {
    AssetType.VEHICLE: (
        EnodeSwitchEntityDescription(
            key="smart_charging",
            translation_key="smart_charging",
            entity_category=EntityCategory.CONFIG,
            asset_type=AssetType.VEHICLE,
            exists_fn=lambda v: capability_present(v.capabilities.smart_charging),
        ),
    ),
}


async def async_setup_entry(
    hass: HomeAssistant,
    entry: EnodeConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Set up Enode switches (and add them when their capability appears)."""
    async_add_asset_entities(entry, async_add_entities, SWITCHES, EnodeChargingSwitch)
    async_add_asset_entities(
        entry, async_add_entities, SMART_CHARGING_SWITCHES, EnodeSmartChargingSwitch
    )


class EnodeChargingSwitch(EnodeEntity, SwitchEntity):
    """Start and stop charging."""

    entity_description: EnodeSwitchEntityDescription

    @property
    def is_on(self) -> bool | None:
        """Return whether it charges (the requested state while an action is pending)."""
        action = self.coordinator.pending_action(self.asset_id, ChargeAction)
        if isinstance(action, ChargeAction) and action.kind in (
            ChargingAction.START,
            ChargingAction.STOP,
        ):
            return action.kind is ChargingAction.START
        charging: bool | None = self.asset.charge_state.is_charging  # type: ignore[union-attr]
        return charging

    async def async_turn_on(self, **kwargs: Any) -> None:
        """Start charging."""
        await self._async_set_charging(ChargingAction.START)

    async def async_turn_off(self, **kwargs: Any) -> None:
        """Stop charging."""
        await self._async_set_charging(ChargingAction.STOP)

    @enode_exception_handler
    async def _async_set_charging(self, kind: ChargingAction) -> None:
        """Send the command and follow the action."""
        self.raise_if_unusable(
            "start_charging" if kind is ChargingAction.START else "stop_charging"
        )
        assert self.entity_description.set_fn is not None
        action = await self.entity_description.set_fn(self.coordinator.client, self.asset_id, kind)
        outcome = await self.coordinator.async_run_action(
            action, self.entity_description.asset_type
        )
        raise_for_action(self, outcome)


class EnodeSmartChargingSwitch(EnodeEntity, SwitchEntity):
    """Enable or disable a vehicle's smart charging policy."""

    entity_description: EnodeSwitchEntityDescription

    @property
    def _vehicle(self) -> Vehicle:
        vehicle = self.asset
        assert isinstance(vehicle, Vehicle)
        return vehicle

    @property
    def is_on(self) -> bool | None:
        """Return whether smart charging is enabled."""
        return self._vehicle.smart_charging_policy.is_enabled

    @property
    def extra_state_attributes(self) -> Mapping[str, Any]:
        """Return the rest of the policy: the deadline and the minimum charge limit."""
        policy = self._vehicle.smart_charging_policy
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
            self.raise_if_unusable("smart_charging")
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
                    "error": error.detail or error.title or str(error),
                },
            ) from error
        if isinstance(vehicle := self.coordinator.data.asset(self.asset_id), Vehicle):
            await self.coordinator.async_set_asset(replace(vehicle, smart_charging_policy=policy))
