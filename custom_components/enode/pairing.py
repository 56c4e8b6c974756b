"""EV charger pairing as Home Assistant shows it (DESIGN.md section 6, seed 004).

Enode reports no "pair" object: the pair shows in the vehicle's capabilities (start/stop charging
unlocked by the charger, their interventions suppressed) and, while plugged together, in
``pluggedInChargerId``. From the snapshot:

* ``active``: the vehicle is plugged into one of the user's chargers;
* ``established``: chargers are linked and the vehicle can control charging (or the chargers'
  own interventions block it: the pair holds, the charger must be fixed);
* ``cleared``: chargers are linked, but the vehicle cannot control charging and no charger
  intervention explains it: Enode cleared the pair (ten failed commands while unplugged); it
  comes back when the vehicle is plugged into the charger again;
* ``required``: no charger is linked and the vehicle cannot control charging on its own: linking
  a charger is mandatory (seed 004, scenario A);
* ``none``: no charger is linked; the vehicle controls charging itself (a charger is recommended).

While ``required`` or ``cleared`` the vehicle's charging control (and smart charging) is
unavailable; the pairing sensor and a repair say why. A vehicle that controls charging through its
charger looks like one that controls it alone, so whether a vehicle needs its charger is
remembered from what showed it without one (``ChargerReliance``): the unlink confirmation names
the consequences per vehicle.
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection
from enum import StrEnum

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.storage import Store
from homeassistant.util.hass_dict import HassKey

from .api import Vehicle
from .const import DOMAIN
from .models import EnodeData

STORAGE_VERSION = 1
DATA_RELIANCE: HassKey[ChargerReliance] = HassKey(f"{DOMAIN}_charger_reliance")
# Seconds to wait before writing what was learnt (it rarely changes).
STORAGE_SAVE_DELAY = 10


class ChargerPairing(StrEnum):
    """The states of a vehicle's charger pairing sensor."""

    NONE = "none"
    REQUIRED = "required"
    ESTABLISHED = "established"
    ACTIVE = "active"
    CLEARED = "cleared"


def vehicle_controls_charging(vehicle: Vehicle) -> bool:
    """Return whether a vehicle can start and stop charging (by itself or through its charger)."""
    capabilities = vehicle.capabilities
    return capabilities.start_charging.is_capable and capabilities.stop_charging.is_capable


def charging_intervention_ids(vehicle: Vehicle) -> list[str]:
    """Return the interventions on the vehicle's start/stop charging, in Enode's order."""
    capabilities = vehicle.capabilities
    ids = [
        *capabilities.start_charging.intervention_ids,
        *capabilities.stop_charging.intervention_ids,
    ]
    return list(dict.fromkeys(ids))


def _blocked_by_charger(vehicle: Vehicle, data: EnodeData) -> bool:
    """Return whether a linked charger's intervention is what keeps the vehicle from charging."""
    charger_ids = {
        intervention_id
        for charger in data.chargers.values()
        for capability in (charger.capabilities.start_charging, charger.capabilities.stop_charging)
        for intervention_id in capability.intervention_ids
    }
    return any(iid in charger_ids for iid in charging_intervention_ids(vehicle))


def charger_pairing(vehicle: Vehicle, data: EnodeData) -> ChargerPairing:
    """Return the vehicle's pairing with the user's chargers (see the module docstring)."""
    if vehicle.charge_state.plugged_in_charger_id:
        return ChargerPairing.ACTIVE
    controls = vehicle_controls_charging(vehicle)
    if not data.chargers:
        return ChargerPairing.NONE if controls else ChargerPairing.REQUIRED
    if controls or _blocked_by_charger(vehicle, data):
        return ChargerPairing.ESTABLISHED
    return ChargerPairing.CLEARED


def waits_for_charger(vehicle: Vehicle, data: EnodeData) -> bool:
    """Return whether the vehicle's charging control is off until a charger pairs with it."""
    return charger_pairing(vehicle, data) in (ChargerPairing.REQUIRED, ChargerPairing.CLEARED)


class ChargerReliance:
    """Which vehicles were seen unable (or able) to control charging without a charger.

    Enode's capabilities of a paired vehicle do not say whether the vehicle could do it alone:
    what was seen while it had no charger (a snapshot, or the linking flow right after the
    vehicle was linked) is kept in Home Assistant's storage, by Enode vehicle id (one store for
    every entry: the flow learns before its entry exists).
    """

    def __init__(self, hass: HomeAssistant) -> None:
        """Initialize (``async_get_charger_reliance`` loads it)."""
        self._store: Store[dict[str, list[str]]] = Store(
            hass, STORAGE_VERSION, f"{DOMAIN}.charger_reliance"
        )
        self._needs: set[str] = set()
        self._alone: set[str] = set()
        self._unsaved = False
        self._loaded = asyncio.Lock()
        self._is_loaded = False

    async def async_load(self) -> None:
        """Read what was learnt before (once)."""
        async with self._loaded:
            if self._is_loaded:
                return
            stored = await self._store.async_load() or {}
            self._needs |= set(stored.get("needs_charger", []))
            self._alone |= set(stored.get("controls_alone", []))
            self._is_loaded = True

    def needs_charger(self, vehicle_id: str) -> bool | None:
        """Return True/False when known whether the vehicle needs a charger, else None."""
        if vehicle_id in self._needs:
            return True
        if vehicle_id in self._alone:
            return False
        return None

    @callback
    def async_learn(self, vehicle: Vehicle) -> None:
        """Learn from a vehicle seen without a charger (or with its pair cleared)."""
        learnt, other = (
            (self._alone, self._needs)
            if vehicle_controls_charging(vehicle)
            else (self._needs, self._alone)
        )
        if vehicle.id in learnt:
            return
        learnt.add(vehicle.id)
        other.discard(vehicle.id)
        self._unsaved = True
        self._store.async_delay_save(self._data, STORAGE_SAVE_DELAY)

    @callback
    def async_observe(self, data: EnodeData, only: Collection[str] | None = None) -> None:
        """Learn from a snapshot in which vehicles are not paired (``only``: the assets a merge
        concerns, ``EnodeCoordinator.changed_assets``; None: every vehicle)."""
        vehicles = (
            data.vehicles.values()
            if only is None
            else [data.vehicles[asset_id] for asset_id in only if asset_id in data.vehicles]
        )
        for vehicle in vehicles:
            if charger_pairing(vehicle, data) in (
                ChargerPairing.NONE,
                ChargerPairing.REQUIRED,
                ChargerPairing.CLEARED,
            ):
                self.async_learn(vehicle)

    def _data(self) -> dict[str, list[str]]:
        self._unsaved = False
        return {"needs_charger": sorted(self._needs), "controls_alone": sorted(self._alone)}

    async def async_save(self) -> None:
        """Write what was learnt now, if not written yet (an entry unloads)."""
        if self._unsaved:
            await self._store.async_save(self._data())

    async def async_remove(self) -> None:
        """Delete what was learnt (the last entry is removed)."""
        self._needs.clear()
        self._alone.clear()
        self._unsaved = False
        await self._store.async_remove()


async def async_get_charger_reliance(hass: HomeAssistant) -> ChargerReliance:
    """Return the (loaded) record of which vehicles need a charger."""
    reliance = hass.data.get(DATA_RELIANCE)
    if reliance is None:
        reliance = hass.data[DATA_RELIANCE] = ChargerReliance(hass)
    await reliance.async_load()
    return reliance
