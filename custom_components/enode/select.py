"""Selects of Enode devices: a home battery's operation mode.

Choosing a mode calls ``POST /batteries/{id}/operation-mode`` and follows the action lifecycle
(DESIGN.md section 7): the select shows the requested mode while the action is PENDING, the call
waits a bounded time for the outcome and raises a translated error when it fails or is
cancelled, later outcomes are reconciled and reported as ``enode_action`` events. Choosing the
battery's actual mode again while another change is pending cancels that change at Enode.

The options are the modes whose capability is present (capable, or blocked by an intervention:
choosing a blocked mode raises an error naming it); a mode that becomes capable is added.
"""

from __future__ import annotations

from dataclasses import dataclass

from homeassistant.components.select import SelectEntity, SelectEntityDescription
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .api import (
    ActionState,
    AssetType,
    Battery,
    BatteryOperationMode,
    Capability,
    OperationModeAction,
)
from .entity import EnodeEntity, async_add_asset_entities, capability_present
from .helpers import enode_exception_handler, raise_for_action
from .models import EnodeConfigEntry

# Commands to different devices are independent at Enode, and each call waits (bounded) for its
# action's outcome: serializing them would make one call for n entities take up to n waits.
PARALLEL_UPDATES = 0

# The modes a battery can be set to (Enode cannot be asked for UNKNOWN), in Enode's order.
OPERATION_MODES: tuple[BatteryOperationMode, ...] = (
    BatteryOperationMode.IMPORT_FOCUS,
    BatteryOperationMode.EXPORT_FOCUS,
    BatteryOperationMode.TIME_OF_USE,
    BatteryOperationMode.SELF_RELIANCE,
    BatteryOperationMode.IDLE,
)


def option_of(mode: BatteryOperationMode) -> str:
    """Return the option (translation key) of a mode: ``SELF_RELIANCE`` -> ``self_reliance``."""
    return mode.value.lower()


def _capability(battery: Battery, mode: BatteryOperationMode) -> Capability:
    capability = battery.capabilities.capability_for(mode)
    assert capability is not None  # every mode of OPERATION_MODES has one
    return capability


def available_modes(battery: Battery) -> list[BatteryOperationMode]:
    """Return the modes whose capability is present (capable or blocked), in Enode's order."""
    return [mode for mode in OPERATION_MODES if capability_present(_capability(battery, mode))]


@dataclass(frozen=True, kw_only=True)
class EnodeOperationModeDescription(SelectEntityDescription):
    """Describes a battery's operation mode select."""

    def exists_fn(self, battery: Battery) -> bool:
        """Return whether the select exists: some mode can be chosen (or unblocked)."""
        return bool(available_modes(battery))


OPERATION_MODE = EnodeOperationModeDescription(
    key="operation_mode", translation_key="operation_mode"
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: EnodeConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Set up Enode selects (and add them when a battery or a mode capability appears)."""
    async_add_asset_entities(
        entry, async_add_entities, Battery, (OPERATION_MODE,), EnodeOperationModeSelect
    )


class EnodeOperationModeSelect(EnodeEntity[Battery], SelectEntity):
    """A home battery's operation mode."""

    @property
    def options(self) -> list[str]:
        """Return the modes the battery's capabilities allow (none once it is gone).

        A capability attribute: read even while the entity is unavailable.
        """
        if (battery := self._current) is None:
            return []
        return [option_of(mode) for mode in available_modes(battery)]

    @property
    def current_option(self) -> str | None:
        """Return the mode (the requested one while the action is pending; None if unknown)."""
        if (pending := self._pending_mode) is not None:
            return option_of(pending)
        mode = self.asset.config.operation_mode
        if mode is None or mode is BatteryOperationMode.UNKNOWN:
            return None
        return option_of(mode)

    @property
    def _pending(self) -> OperationModeAction | None:
        return self.data.pending_action(self.asset_id, OperationModeAction)

    @property
    def _pending_mode(self) -> BatteryOperationMode | None:
        action = self._pending
        mode = action.target_state.operation_mode if action is not None else None
        return mode if mode in OPERATION_MODES else None

    @enode_exception_handler
    async def async_select_option(self, option: str) -> None:
        """Set the operation mode (Home Assistant has checked that it is one of the options)."""
        mode = BatteryOperationMode(option.upper())
        battery = self.asset
        self.raise_if_unusable(_capability(battery, mode), option)
        actions = self.coordinator.actions
        pending = self._pending
        if pending is not None and pending.target_state.operation_mode is mode:
            # Asked for again while Enode works on it: wait for the same action.
            raise_for_action(
                self.device_info_name, await actions.async_run(pending, AssetType.BATTERY)
            )
            return
        if pending is not None and mode is battery.config.operation_mode:
            # Back to the mode the battery is in: the pending change is no longer wanted.
            cancelled = await actions.async_cancel(pending, battery.asset_type)
            if cancelled.state is not ActionState.CONFIRMED:
                return
            battery = self.asset  # it had confirmed already: set the mode back
        if mode is battery.config.operation_mode:
            return
        action = await self.coordinator.client.set_battery_operation_mode(self.asset_id, mode)
        outcome = await actions.async_run(action, battery.asset_type)
        raise_for_action(self.device_info_name, outcome)
