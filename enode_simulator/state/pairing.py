"""EV charger pairing (DESIGN.md section 6, seeds 001, 002, 004): a vehicle and its user's chargers.

The pair is *established* when a vehicle and chargers belong to the same user; every linked
charger counts. The chargers unlock the vehicle's ``startCharging`` and ``stopCharging`` (and for a
vehicle that cannot control charging on its own ``smartCharging``: it becomes eligible), and
``location`` when it can be inferred (one of the chargers has a Location). Charger interventions
come first; those of a charger that cannot provide a capability the vehicle has anyway are
returned as optional.

The pair is *active* while the vehicle is plugged into one of them and Enode has detected it:
either device's report counts (a vehicle that reports its plug-in late is seen plugged in as soon
as its charger reports, "faster plug-in detection"). Then the charge rate falls back to the
charger's, the vehicle's location comes from the charger's Location, and charging commands to the
vehicle are executed on the charger (``charge_executor``); unplugged, or on a charger of someone
else, the vehicle is commanded alone.

Ten (``max_unplugged_failures``) consecutive refused commands while unplugged clear the pair (the
vehicle is alone again); it is re-established when the two are plugged together again. Every
pairing rule belongs here; the renderer and the actions ask this module and never decide pairing.
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
    """Established and active pairs, plug-in detection, and what they change on the vehicle."""

    @contextmanager
    def _pairing_memo(self) -> Iterator[None]:
        """While rendering every asset at once: each user's chargers, looked up once."""
        self._user_chargers = {}
        for asset in self.assets.values():
            if asset.type == "charger":
                self._user_chargers.setdefault(asset.user_id, []).append(asset)
        try:
            yield
        finally:
            self._user_chargers = None

    def _chargers_of(self, user_id: str) -> list[Asset]:
        if self._user_chargers is not None:
            return self._user_chargers.get(user_id, [])
        return self.user_assets(user_id, "charger")

    # -- plug-in detection ----------------------------------------------------------------------

    def reported_plugged(self, asset: Asset) -> bool:
        """Whether the device itself has reported being plugged in (after its report delay)."""
        if not asset.plugged:
            return False
        if asset.plugged_at is None:
            return True
        return self.now() >= asset.plugged_at + asset.plug_report_delay

    def _plugged_partner(self, asset: Asset) -> Asset | None:
        """The device of the same user it is physically plugged into, if any."""
        if not asset.plugged or asset.plugged_to is None:
            return None
        partner = self.assets.get(asset.plugged_to)
        if partner is None or partner.user_id != asset.user_id or partner.plugged_to != asset.id:
            return None
        return partner

    def detected_plugged(self, asset: Asset) -> bool:
        """Whether Enode sees the device plugged in: its own report, or its pair partner's."""
        if self.reported_plugged(asset):
            return True
        partner = self._plugged_partner(asset)
        return partner is not None and self.reported_plugged(partner)

    def active_partner(self, asset: Asset) -> Asset | None:
        """The same-user asset it is plugged into, once detected (an *active* pair), if any."""
        partner = self._plugged_partner(asset)
        if partner is None or not self.detected_plugged(asset):
            return None
        return partner

    def _detect_plug_ins(self, since: float, until: float) -> None:
        """Note reports due in ``(since, until]``; re-establish the pairs now detected."""
        for asset in self.assets.values():
            if asset.plugged and asset.plugged_at is not None and asset.plug_report_delay > 0:
                reported = asset.plugged_at + asset.plug_report_delay
                if since < reported <= until:
                    self.mark_dirty()
            if asset.pairing_cleared and self.active_partner(asset) is not None:
                asset.pairing_cleared = False
                asset.failed_unplugged_commands = 0
                self.mark_dirty()

    # -- the established pair -------------------------------------------------------------------

    def pairing_chargers(self, vehicle: Asset) -> list[Asset]:
        """The chargers that unlock the vehicle: every charger of its user (none once cleared)."""
        if vehicle.type != "vehicle" or vehicle.pairing_cleared:
            return []
        return list(self._chargers_of(vehicle.user_id))

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
        own = vehicle.granted_capabilities()
        caps = render_capabilities(own)
        chargers = self.pairing_chargers(vehicle)
        if not chargers:
            return caps
        theirs = [charger.granted_capabilities() for charger in chargers]
        # Without its own control scope the vehicle cannot be commanded, through a charger or not.
        if vehicle.has_scope("vehicle:control:charging"):
            provided = True
            for name in CONTROL:
                providers = [capabilities for capabilities in theirs if capabilities[name].capable]
                blocked = _unique(
                    intervention
                    for capabilities in theirs
                    if not capabilities[name].capable
                    for intervention in capabilities[name].interventions
                )
                if providers or own[name].capable:
                    # Chargers that cannot provide it return their interventions: optional.
                    caps[name] = {"isCapable": True, "interventionIds": blocked}
                else:
                    caps[name] = {
                        "isCapable": False,
                        "interventionIds": _unique([*blocked, *own[name].interventions]),
                    }
                provided = provided and bool(providers)
            # Seed 004: vehicles that could not be controlled become eligible for smart charging.
            alone = all(own[name].capable for name in CONTROL)
            if provided and not alone and not own["smartCharging"].capable:
                caps["smartCharging"] = {"isCapable": True, "interventionIds": []}
        if any(charger.location_id for charger in chargers):
            caps["location"] = {"isCapable": True, "interventionIds": []}
        caps["chargeState"] = {
            "isCapable": own["chargeState"].capable,
            "interventionIds": _unique(
                [
                    *own["chargeState"].interventions,
                    *(i for caps_of in theirs for i in caps_of["chargeState"].interventions),
                ]
            ),
        }
        return caps

    def charge_executor(self, vehicle: Asset, capability: str) -> Asset:
        """The device a vehicle's start/stop runs on: its active pair's charger, else itself."""
        partner = self.active_partner(vehicle)
        if (
            partner is not None
            and not vehicle.pairing_cleared
            and partner.granted(capability).capable
        ):
            return partner
        return vehicle

    # -- clearing ---------------------------------------------------------------------------------

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
