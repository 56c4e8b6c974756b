"""EV charger pairing (DESIGN.md section 6): what a vehicle and a charger of one user do together.

The pair is *established* when both belong to the same user: the charger then unlocks the
vehicle's ``startCharging``, ``stopCharging`` and ``location`` (and ``smartCharging`` when the
charger can control charging: seed 004). It is *active* while the two
are plugged into each other: the charge rate falls back to the charger's and the vehicle's
location comes from the charger's Location. Ten (``max_unplugged_failures``) consecutive refused
commands while unplugged clear the pairing; plugging the two together restores it. Every pairing
rule belongs here; the renderer and the actions ask this module and never decide pairing.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from .base import StateBase
from .model import JSON, Asset, render_capabilities

# The charger capabilities that give a paired vehicle charging control.
CONTROL = ("startCharging", "stopCharging")


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))


class PairingMixin(StateBase):
    """Active and established pairs, and what they change on the vehicle."""

    @contextmanager
    def _pairing_memo(self) -> Iterator[None]:
        """While rendering every asset at once: each user's first charger, looked up once."""
        self._first_charger = {}
        for asset in self.assets.values():
            if asset.type == "charger":
                self._first_charger.setdefault(asset.user_id, asset)
        try:
            yield
        finally:
            self._first_charger = None

    def active_partner(self, asset: Asset) -> Asset | None:
        """The same-user asset it is plugged into (an *active* pair), if any."""
        if not asset.plugged or asset.plugged_to is None:
            return None
        partner = self.assets.get(asset.plugged_to)
        if partner is None or partner.user_id != asset.user_id:
            return None
        return partner

    def paired_charger(self, vehicle: Asset) -> Asset | None:
        """The charger an *established* pair unlocks the vehicle with, if any."""
        active = self.active_partner(vehicle)
        if active is not None:
            return active
        if vehicle.pairing_cleared:
            return None
        if self._first_charger is not None:
            return self._first_charger.get(vehicle.user_id)
        chargers = self.user_assets(vehicle.user_id, "charger")
        return chargers[0] if chargers else None

    def session_rate(self, asset: Asset) -> float:
        """kW flowing in the asset's charging session."""
        partner = self.assets.get(asset.plugged_to) if asset.plugged_to else None
        if partner is None:
            return asset.charge_rate_kw
        return min(asset.charge_rate_kw, partner.charge_rate_kw)

    def vehicle_location_id(self, vehicle: Asset) -> str | None:
        """Inferred from an active pair's charger, else the GPS geofence."""
        active = self.active_partner(vehicle)
        if active is not None and active.location_id:
            return active.location_id
        if not (vehicle.gps and vehicle.latitude is not None and vehicle.longitude is not None):
            return None
        return self.nearest_location_id(vehicle.user_id, vehicle.latitude, vehicle.longitude)

    def vehicle_capabilities(self, vehicle: Asset) -> JSON:
        """Vehicle capabilities with EV charger pairing applied (DESIGN.md section 6)."""
        caps = render_capabilities(vehicle.capabilities)
        charger = self.paired_charger(vehicle)
        if charger is None:
            return caps
        for name in CONTROL:
            own = vehicle.capabilities[name]
            theirs = charger.capabilities[name]
            if theirs.capable:
                caps[name] = {"isCapable": True, "interventionIds": []}
            elif own.capable:
                # Optional: the vehicle can do it alone; the charger's interventions are returned.
                caps[name] = {"isCapable": True, "interventionIds": list(theirs.interventions)}
            else:
                caps[name] = {
                    "isCapable": False,
                    "interventionIds": _unique(theirs.interventions + own.interventions),
                }
        theirs_control = all(charger.capabilities[name].capable for name in CONTROL)
        if theirs_control and not caps["smartCharging"]["isCapable"]:
            # Seed 004: a vehicle that could not be controlled becomes eligible for smart
            # charging through its charger (its own smartCharging interventions suppressed).
            caps["smartCharging"] = {"isCapable": True, "interventionIds": []}
        caps["location"] = {"isCapable": True, "interventionIds": []}
        own_state = vehicle.capabilities["chargeState"]
        caps["chargeState"] = {
            "isCapable": own_state.capable,
            "interventionIds": _unique(
                own_state.interventions + charger.capabilities["chargeState"].interventions
            ),
        }
        return caps

    def _count_unplugged_failure(self, asset: Asset) -> None:
        """A vehicle's command refused as unplugged: ``max_unplugged_failures`` clear pairing."""
        if asset.type != "vehicle" or asset.pairing_cleared:
            return
        asset.failed_unplugged_commands += 1
        if asset.failed_unplugged_commands >= self.settings.max_unplugged_failures:
            asset.pairing_cleared = True

    def _reset_unplugged_failures(self, asset: Asset) -> None:
        """A charge command accepted while plugged in: the count starts again."""
        asset.failed_unplugged_commands = 0

    def _restore_pairing(self, asset: Asset, plugged_into: Asset | None) -> None:
        """Plugging a vehicle into a charger of the same user restores a cleared pairing."""
        if (
            asset.type == "vehicle"
            and plugged_into is not None
            and plugged_into.user_id == asset.user_id
        ):
            asset.pairing_cleared = False
            asset.failed_unplugged_commands = 0
