"""Climate entities of Enode HVAC units (heat pumps, thermostats, air conditioners).

The modes are Enode's ``capableModes`` (``AUTO`` is Home Assistant's heat/cool, with both
setpoints), the setpoints stay within Enode's ranges (in heat/cool also within the setpoint
difference range). Setting a mode or a temperature puts the unit in a permanent hold
(``POST /hvacs/{id}/permanent-hold``); the "Follow schedule" preset hands it back to the schedule
set on the device (``POST /hvacs/{id}/follow-schedule``), "Permanent hold" holds what it does
now. Both follow the action lifecycle (DESIGN.md section 7): the requested state shows while the
action is PENDING, failures raise a translated error, outcomes are ``enode_action`` events.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from homeassistant.components.climate import ClimateEntity
from homeassistant.components.climate.const import (
    ATTR_HVAC_MODE,
    ATTR_TARGET_TEMP_HIGH,
    ATTR_TARGET_TEMP_LOW,
    DEFAULT_MAX_TEMP,
    DEFAULT_MIN_TEMP,
    ClimateEntityFeature,
    HVACAction,
    HVACMode,
)
from homeassistant.const import ATTR_TEMPERATURE, UnitOfTemperature
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .api import (
    AssetType,
    Hvac,
    HvacAction,
    HvacHoldType,
    HvacMode,
    HvacThermostatState,
    TemperatureRange,
    VendorAction,
)
from .const import DOMAIN
from .entity import (
    EnodeEntity,
    EnodeEntityDescription,
    async_add_asset_entities,
    capability_present,
)
from .helpers import enode_exception_handler, raise_for_action
from .models import EnodeConfigEntry

# Commands to different devices are independent at Enode, and each call waits (bounded) for its
# action's outcome: serializing them would make one call for n entities take up to n waits.
PARALLEL_UPDATES = 0

HVAC_MODES: dict[HvacMode, HVACMode] = {
    HvacMode.OFF: HVACMode.OFF,
    HvacMode.HEAT: HVACMode.HEAT,
    HvacMode.COOL: HVACMode.COOL,
    HvacMode.AUTO: HVACMode.HEAT_COOL,
}
ENODE_MODES: dict[HVACMode, HvacMode] = {ha: enode for enode, ha in HVAC_MODES.items()}
PRESET_SCHEDULE = "follow_schedule"
PRESET_HOLD = "permanent_hold"
PRESETS: dict[HvacHoldType, str] = {
    HvacHoldType.SCHEDULED: PRESET_SCHEDULE,
    HvacHoldType.PERMANENT: PRESET_HOLD,
}
# Setpoints used when a unit is switched to a mode it reports no setpoint for (°C).
DEFAULT_HEAT_SETPOINT = 20.0
DEFAULT_COOL_SETPOINT = 24.0

THERMOSTAT = EnodeEntityDescription[Hvac](key="thermostat", translation_key="thermostat", name=None)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: EnodeConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Set up a climate entity per HVAC unit (and for HVAC units linked later)."""
    async_add_asset_entities(entry, async_add_entities, Hvac, (THERMOSTAT,), EnodeClimate)


def _clamp(value: float, span: TemperatureRange | None) -> float:
    """Return ``value`` within a range (either end may be unknown)."""
    if span is not None and span.min is not None:
        value = max(value, span.min)
    if span is not None and span.max is not None:
        value = min(value, span.max)
    return value


class EnodeClimate(EnodeEntity[Hvac], ClimateEntity):
    """An HVAC unit: its mode, setpoints and hold (schedule or permanent)."""

    _attr_temperature_unit = UnitOfTemperature.CELSIUS
    _attr_target_temperature_step = 0.5

    # ------------------------------------------------------------------ state

    @property
    def _pending(self) -> HvacAction | None:
        return self.data.pending_action(self.asset_id, HvacAction)

    @property
    def _thermostat(self) -> HvacThermostatState:
        """Return the thermostat state (what a pending action asked for, while it is pending)."""
        state = self.asset.thermostat_state
        if (action := self._pending) is None:
            return state
        target = action.target
        if action.follows_schedule:
            return replace(state, hold_type=HvacHoldType.SCHEDULED)
        return replace(
            state,
            mode=target.mode or state.mode,
            heat_setpoint=target.heat_setpoint
            if target.heat_setpoint is not None
            else state.heat_setpoint,
            cool_setpoint=target.cool_setpoint
            if target.cool_setpoint is not None
            else state.cool_setpoint,
            hold_type=HvacHoldType.PERMANENT,
        )

    # The capability attributes (modes, range, presets) and the supported features are read even
    # while the entity is unavailable: with the unit gone from the snapshot, they are empty.

    @property
    def _can_hold(self) -> bool:
        hvac = self._current
        return hvac is not None and capability_present(hvac.capabilities.set_permanent_hold)

    @property
    def hvac_modes(self) -> list[HVACMode]:
        """Return the unit's modes (only the current one when it cannot be set)."""
        if (hvac := self._current) is None:
            return []
        capable = hvac.capabilities.capable_modes or []
        if not self._can_hold:
            capable = [self._thermostat.mode]
        return [HVAC_MODES[mode] for mode in capable if mode in HVAC_MODES]

    @property
    def hvac_mode(self) -> HVACMode | None:
        """Return the mode (None while Enode does not know it)."""
        return HVAC_MODES.get(self._thermostat.mode)

    @property
    def hvac_action(self) -> HVACAction | None:
        """Return what the unit does now: heating, cooling, idle or off."""
        thermostat = self._thermostat
        if thermostat.mode is HvacMode.OFF:
            return HVACAction.OFF
        active = self.asset.temperature_state.is_active
        if active is None:
            return None
        if not active:
            return HVACAction.IDLE
        if thermostat.mode is HvacMode.COOL:
            return HVACAction.COOLING
        if thermostat.mode is HvacMode.AUTO:
            current = self.asset.temperature_state.current_temperature
            cool = thermostat.cool_setpoint
            if current is not None and cool is not None and current > cool:
                return HVACAction.COOLING
        return HVACAction.HEATING

    @property
    def current_temperature(self) -> float | None:
        """Return the room temperature."""
        return self.asset.temperature_state.current_temperature

    @property
    def supported_features(self) -> ClimateEntityFeature:
        """Return what can be set now: the setpoints of the mode, presets, on/off."""
        features = ClimateEntityFeature(0)
        if (hvac := self._current) is None:
            return features
        capabilities = hvac.capabilities
        if self._can_hold:
            mode = self._thermostat.mode
            modes = self.hvac_modes
            if mode in (HvacMode.HEAT, HvacMode.COOL):
                features |= ClimateEntityFeature.TARGET_TEMPERATURE
            elif mode is HvacMode.AUTO:
                features |= ClimateEntityFeature.TARGET_TEMPERATURE_RANGE
            else:
                # Off (or unknown): a setpoint can still be set together with a mode.
                if HVACMode.HEAT in modes or HVACMode.COOL in modes:
                    features |= ClimateEntityFeature.TARGET_TEMPERATURE
                if HVACMode.HEAT_COOL in modes:
                    features |= ClimateEntityFeature.TARGET_TEMPERATURE_RANGE
            if HVACMode.OFF in modes:
                features |= ClimateEntityFeature.TURN_OFF
                if len(modes) > 1:
                    features |= ClimateEntityFeature.TURN_ON
        if self._can_hold or capability_present(capabilities.set_follow_schedule):
            features |= ClimateEntityFeature.PRESET_MODE
        return features

    @property
    def target_temperature(self) -> float | None:
        """Return the setpoint of the mode (heat or cool)."""
        thermostat = self._thermostat
        if thermostat.mode is HvacMode.HEAT:
            return thermostat.heat_setpoint
        if thermostat.mode is HvacMode.COOL:
            return thermostat.cool_setpoint
        return None

    @property
    def target_temperature_low(self) -> float | None:
        """Return the heat setpoint (heat/cool mode)."""
        thermostat = self._thermostat
        return thermostat.heat_setpoint if thermostat.mode is HvacMode.AUTO else None

    @property
    def target_temperature_high(self) -> float | None:
        """Return the cool setpoint (heat/cool mode)."""
        thermostat = self._thermostat
        return thermostat.cool_setpoint if thermostat.mode is HvacMode.AUTO else None

    def _range(self) -> tuple[float | None, float | None]:
        """Return Enode's setpoint range of the current mode."""
        if (hvac := self._current) is None:
            return (None, None)
        capabilities = hvac.capabilities
        heat, cool = capabilities.heat_setpoint_range, capabilities.cool_setpoint_range
        mode = self._thermostat.mode
        if mode is HvacMode.COOL:
            return (cool.min, cool.max) if cool else (None, None)
        if mode is HvacMode.AUTO:
            return (heat.min if heat else None, cool.max if cool else None)
        return (heat.min, heat.max) if heat else (None, None)

    @property
    def min_temp(self) -> float:
        """Return the lowest setpoint Enode accepts in the current mode."""
        low = self._range()[0]
        return low if low is not None else DEFAULT_MIN_TEMP

    @property
    def max_temp(self) -> float:
        """Return the highest setpoint Enode accepts in the current mode."""
        high = self._range()[1]
        return high if high is not None else DEFAULT_MAX_TEMP

    @property
    def preset_modes(self) -> list[str]:
        """Return the presets: follow the device's schedule, hold what it does now."""
        if (hvac := self._current) is None:
            return []
        capabilities = hvac.capabilities
        presets = []
        if capability_present(capabilities.set_follow_schedule):
            presets.append(PRESET_SCHEDULE)
        if self._can_hold:
            presets.append(PRESET_HOLD)
        return presets

    @property
    def preset_mode(self) -> str | None:
        """Return the hold: following the schedule or permanent (None when unknown)."""
        hold = self._thermostat.hold_type
        return PRESETS.get(hold) if hold is not None else None

    # --------------------------------------------------------------- commands

    async def async_set_hvac_mode(self, hvac_mode: HVACMode) -> None:
        """Hold the unit in a mode, with its current setpoints (or defaults) for that mode."""
        await self._async_hold(ENODE_MODES[hvac_mode], None, None)

    async def async_set_temperature(self, **kwargs: Any) -> None:
        """Hold a setpoint (heat or cool mode) or both (heat/cool), optionally in a new mode."""
        mode = self._thermostat.mode
        if (ha_mode := kwargs.get(ATTR_HVAC_MODE)) is not None:
            mode = ENODE_MODES[HVACMode(ha_mode)]
        temperature = kwargs.get(ATTR_TEMPERATURE)
        low, high = kwargs.get(ATTR_TARGET_TEMP_LOW), kwargs.get(ATTR_TARGET_TEMP_HIGH)
        if mode is HvacMode.AUTO:
            heat, cool = low, high
        elif mode is HvacMode.HEAT:
            heat, cool = temperature if temperature is not None else low, None
        elif mode is HvacMode.COOL:
            heat, cool = None, temperature if temperature is not None else high
        else:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="hvac_mode_without_setpoint",
                translation_placeholders={"device": self.device_info_name},
            )
        await self._async_hold(mode, heat, cool)

    async def async_set_preset_mode(self, preset_mode: str) -> None:
        """Follow the device's schedule, or hold what the unit does now."""
        if preset_mode == PRESET_SCHEDULE:
            await self._async_follow_schedule()
        else:
            await self._async_hold(self._thermostat.mode, None, None)

    @enode_exception_handler
    async def _async_follow_schedule(self) -> None:
        """Hand the unit back to its schedule."""
        self.raise_if_unusable(self.asset.capabilities.set_follow_schedule, "set_follow_schedule")
        action = await self.coordinator.client.set_hvac_follow_schedule(self.asset_id)
        await self._async_follow(action)

    @enode_exception_handler
    async def _async_hold(self, mode: HvacMode, heat: float | None, cool: float | None) -> None:
        """Send a permanent hold of ``mode``; missing setpoints the mode needs are filled in."""
        capabilities = self.asset.capabilities
        self.raise_if_unusable(capabilities.set_permanent_hold, "set_permanent_hold")
        thermostat = self._thermostat
        asked_cool = cool is not None
        if mode in (HvacMode.HEAT, HvacMode.AUTO) and heat is None:
            heat = _clamp(
                thermostat.heat_setpoint or DEFAULT_HEAT_SETPOINT, capabilities.heat_setpoint_range
            )
        if mode in (HvacMode.COOL, HvacMode.AUTO) and cool is None:
            cool = _clamp(
                thermostat.cool_setpoint or DEFAULT_COOL_SETPOINT, capabilities.cool_setpoint_range
            )
        if mode is HvacMode.AUTO and heat is not None and cool is not None:
            cool = self._check_difference(heat, cool, fill=not asked_cool)
        action = await self.coordinator.client.set_hvac_permanent_hold(
            self.asset_id,
            mode,
            heat_setpoint=heat if mode in (HvacMode.HEAT, HvacMode.AUTO) else None,
            cool_setpoint=cool if mode in (HvacMode.COOL, HvacMode.AUTO) else None,
        )
        await self._async_follow(action)

    def _check_difference(self, heat: float, cool: float, *, fill: bool) -> float:
        """Return the cool setpoint; raise when heat/cool are not as far apart as Enode allows.

        ``fill``: the cool setpoint was not asked for, so it is moved up to the minimum distance
        instead of refusing.
        """
        span = self.asset.capabilities.setpoint_difference_range
        low = span.min if span is not None and span.min is not None else 0.0
        high = span.max if span is not None else None
        difference = cool - heat
        if fill and difference < low:
            return heat + low
        if difference < low or (high is not None and difference > high):
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="setpoint_difference",
                translation_placeholders={
                    "device": self.device_info_name,
                    "min": f"{low:g}",
                    "max": f"{high:g}" if high is not None else "-",
                },
            )
        return cool

    async def _async_follow(self, action: VendorAction) -> None:
        """Follow an action to its outcome (bounded); raise when it failed."""
        outcome = await self.coordinator.actions.async_run(action, AssetType.HVAC)
        raise_for_action(self.device_info_name, outcome)
