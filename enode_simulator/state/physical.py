"""The physical world: what devices do by themselves with time, and what a person does to them.

``_integrate`` moves the devices through simulated time (charging vehicles fill their batteries
and stop at the charge limit; the clock stops at each smart charging plan time, so ``smart.py``
starts and stops charging exactly then; the homes' energy devices follow the sun, the household
and their modes: ``energy.py``); the control API's hands-on operations are here too: plugging in
and out, setting battery levels, moving a vehicle, reachability, schedules and interventions.
"""

from __future__ import annotations

from ..clock import iso
from .base import StateBase
from .errors import bad_request
from .model import Asset


class PhysicalMixin(StateBase):
    """Devices over simulated time, and the control API's operations on them."""

    def _integrate(self, until: float) -> None:
        """Move the devices to ``until``, stopping the clock at every smart charging plan time."""
        while (moment := self._next_plan_time(self._last_tick, until)) is not None:
            self._integrate_energy(moment)
            self._charge(moment)
            self._smart_reconcile(moment)
        self._integrate_energy(until)
        self._charge(until)
        self._smart_reconcile(until)

    def _charge(self, until: float) -> None:
        """Charge every charging vehicle from the last tick until ``until``; plug-in reports."""
        dt = until - self._last_tick
        if dt <= 0:
            return
        self._detect_plug_ins(self._last_tick, until)
        charged: set[str] = set()
        for vehicle in self.assets_of_type("vehicle"):
            if not vehicle.charging or vehicle.battery_capacity <= 0:
                continue
            before = vehicle.level
            exact = vehicle.battery_level
            gained = self.session_rate(vehicle) * dt / 3600 / vehicle.battery_capacity * 100
            vehicle.battery_level = min(vehicle.charge_limit, vehicle.battery_level + gained)
            kwh = (vehicle.battery_level - exact) / 100 * vehicle.battery_capacity
            charged.update(self._record_charging(vehicle, self._last_tick, until, kwh))
            if vehicle.battery_level >= vehicle.charge_limit:
                self._set_charging(vehicle, False)
            if vehicle.level != before or not vehicle.charging:
                # The wire view only shows whole percent: below that nothing is visible.
                vehicle.charge_updated = until
                self._dirty = True
        for charger in self.assets_of_type("charger"):
            # A charger charging something Enode does not know (no linked vehicle).
            if charger.charging and charger.id not in charged:
                kwh = self.session_rate(charger) * dt / 3600
                self._record_charging(charger, self._last_tick, until, kwh)
        self._last_tick = until

    def _set_charging(self, asset: Asset, on: bool) -> None:
        self.mark_dirty()
        now = self.now()
        targets = [asset]
        partner = self.assets.get(asset.plugged_to) if asset.plugged_to else None
        if partner is not None and partner.plugged_to == asset.id:
            targets.append(partner)
        for target in targets:
            if target.charging != on:
                target.charging = on
                target.charge_updated = now

    def plug_in(
        self, asset_id: str, partner_id: str | None = None, *, charging: bool = False
    ) -> None:
        """Plug a vehicle or charger in (into ``partner_id`` or an unknown counterpart)."""
        asset = self.get_asset(asset_id)
        if asset.type not in ("vehicle", "charger"):
            raise bad_request("Only vehicles and chargers can be plugged in.")
        partner: Asset | None = None
        if partner_id is not None:
            partner = self.get_asset(partner_id)
            if {asset.type, partner.type} != {"vehicle", "charger"}:
                raise bad_request("Plug a vehicle into a charger.")
        self._unplug(asset, cancel=True)
        if partner is not None:
            self._unplug(partner, cancel=True)
        now = self.now()
        for item, other in ((asset, partner), (partner, asset)):
            if item is None:
                continue
            item.plugged = True
            item.plugged_to = other.id if other is not None else None
            item.plugged_at = now
            item.charge_updated = now
        if charging:
            self._set_charging(asset, True)
        # A pair detected at once (a device without report delay) is re-established now.
        self._detect_plug_ins(now, now)
        self._changed()

    def unplug(self, asset_id: str) -> None:
        """Unplug a vehicle or charger (and whatever it was plugged into)."""
        self._unplug(self.get_asset(asset_id), cancel=True)
        self._changed()

    def _unplug(self, asset: Asset, *, cancel: bool) -> None:
        self.mark_dirty()
        partner = self.assets.get(asset.plugged_to) if asset.plugged_to else None
        now = self.now()
        for item in (asset, partner):
            if item is None or not item.plugged:
                continue
            item.plugged = False
            item.plugged_to = None
            item.plugged_at = None
            item.charging = False
            item.charge_updated = now
            if cancel:
                self._asset_unplugged(item)

    def set_battery_level(self, vehicle_id: str, level: float) -> None:
        """Set a vehicle's (or home battery's) battery level in percent."""
        asset = self.get_asset(vehicle_id)
        if not 0 <= level <= 100:
            raise bad_request("level must be between 0 and 100")
        if asset.type == "battery":
            asset.battery_level = float(level)
            asset.extra["chargeState"]["batteryLevel"] = level
            asset.extra["chargeState"]["lastUpdated"] = iso(self.now())
        elif asset.type == "vehicle":
            asset.battery_level = float(level)
            asset.charge_updated = self.now()
            if asset.charging and asset.battery_level >= asset.charge_limit:
                self._set_charging(asset, False)
        else:
            raise bad_request("Only vehicles and batteries have a battery level.")
        self._changed()

    def set_charging_state(self, asset_id: str, charging: bool) -> None:
        """Start/stop charging physically (e.g. from the car's screen), no action involved."""
        asset = self.get_asset(asset_id)
        if charging and not asset.plugged:
            raise bad_request("The asset is not plugged in.")
        self._set_charging(asset, charging)
        self._changed()

    def set_vehicle_position(self, vehicle_id: str, latitude: float, longitude: float) -> None:
        """Move a GPS vehicle."""
        vehicle = self.get_asset(vehicle_id, "vehicle")
        vehicle.latitude = latitude
        vehicle.longitude = longitude
        vehicle.location_updated = self.now()
        self._changed()

    def set_reachable(self, asset_id: str, reachable: bool) -> None:
        """Make a device (un)reachable: its pending actions then fail with NO_RESPONSE."""
        self.get_asset(asset_id).reachable = reachable
        self._changed()

    def set_schedule_controlled(self, asset_id: str, controlled: bool) -> None:
        """Whether a schedule / smart charging plan controls it (commands get 422)."""
        self.get_asset(asset_id).schedule_controlled = controlled
        self.mark_dirty()

    def add_intervention(self, asset_id: str, capability: str, intervention_id: str) -> None:
        """Block a capability with an intervention from the catalog."""
        asset = self.get_asset(asset_id)
        if intervention_id not in self.interventions:
            raise bad_request(f"Unknown intervention {intervention_id}.")
        cap = asset.capabilities.get(capability)
        if cap is None:
            raise bad_request(f"{asset.type} has no capability {capability!r}.")
        cap.supported = True
        if intervention_id not in cap.interventions:
            cap.interventions.append(intervention_id)
        self._changed()

    def remove_intervention(
        self, asset_id: str, intervention_id: str, capability: str | None = None
    ) -> None:
        """Remove an intervention (from one capability or all of them)."""
        asset = self.get_asset(asset_id)
        for name, cap in asset.capabilities.items():
            if capability in (None, name) and intervention_id in cap.interventions:
                cap.interventions.remove(intervention_id)
        self._changed()
