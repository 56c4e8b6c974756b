"""``SimState``: the whole simulated Enode client, composed of one mixin per concern.

This module keeps what ties the concerns together: the clock (``tick`` resolves due actions in
order and lets the physical world catch up in between), change detection (``sync`` re-renders
the assets once after changes, diffs them and emits ``user:<type>:discovered|updated|deleted``
with ``updatedFields``; ``wire_view`` serves the synced views) and the lifecycle of users and
assets. Everything else is in the concern modules:

- ``auth.py``: tokens; ``render.py``: wire JSON; ``pairing.py``: EV charger pairing;
- ``actions.py``: commands and vendor actions; ``linking.py``: vendor accounts and link sessions;
- ``locations.py``: Locations and the geofence; ``physical.py``: devices over time, control API;
- ``energy.py``: home energy over time (the sun, the household, batteries, meters, HVAC units);
- ``smart.py``: smart charging (plans on the clock, overrides, the status and its webhook);
- ``statistics.py``: HEM systems, the statistics ledger, history seeding, charging statistics;
- ``base.py``: the shared data and primitives; ``model.py``: the dataclasses;
  ``errors.py``: Problem responses.
"""

from __future__ import annotations

from collections.abc import Iterable
import copy
import uuid

from ..catalog import SCOPES_BY_ASSET_TYPE, VENDORS
from ..clock import iso
from .actions import ActionsMixin
from .auth import AuthMixin
from .energy import EnergyMixin
from .errors import bad_request
from .linking import LinkingMixin
from .locations import LocationsMixin
from .model import CAPABILITIES, JSON, Asset
from .pairing import PairingMixin
from .physical import PhysicalMixin
from .render import RenderMixin, changed_fields
from .smart import SmartChargingMixin
from .statistics import HEM_TYPES, HEM_VENDORS, StatisticsMixin, home_key

_ID_NAMESPACE = uuid.UUID("5b1c2e0a-7f4d-4e8b-9a61-3c2d1e0f9a8b")
# Kept in a ``user:<type>:discovered`` event's asset; every other property is null (OpenAPI: the
# ``*Discovered`` schemas). Enode documents no such rule for chargers: theirs are complete.
DISCOVERED_KEYS = frozenset({"id", "information"})


def _discovered_view(asset_type: str, body: JSON) -> JSON:
    """The asset as a ``discovered`` event carries it: only its id and ``information``."""
    if asset_type == "charger":
        return body
    return {key: value if key in DISCOVERED_KEYS else None for key, value in body.items()}


class SimState(
    AuthMixin,
    RenderMixin,
    PairingMixin,
    ActionsMixin,
    LinkingMixin,
    LocationsMixin,
    PhysicalMixin,
    EnergyMixin,
    SmartChargingMixin,
    StatisticsMixin,
):
    """The whole simulated Enode client: credentials, users, assets and everything around them."""

    # -- time ---------------------------------------------------------------------------------

    def tick(self) -> None:
        """Bring the model up to simulated now: resolve due actions, charge batteries."""
        target = self.now()
        while True:
            due = [a for a in self.actions.values() if a.pending and a.due <= target]
            if not due:
                break
            action = min(due, key=lambda a: (a.due, a.created_at))
            self._integrate(max(action.due, self._last_tick))
            self._resolve(action)
        self._integrate(target)
        self.sync()

    def advance_time(self, seconds: float) -> None:
        """Move simulated time forward and apply everything that happens meanwhile."""
        self.tick()
        self.clock.advance(seconds)
        self.tick()

    # -- change detection ---------------------------------------------------------------------

    def wire_view(self, asset: Asset) -> JSON:
        """The asset's current wire object, as last synced (read-only: do not mutate it).

        Brings the views up to date first when something changed, so it equals
        :meth:`render_asset` (with ``lastSeen`` as the events reported it).
        """
        self.sync()
        return self._rendered[asset.id]

    def sync(self) -> None:
        """Emit discovered/updated/deleted events for every asset whose wire view changed.

        A no-op unless something was marked dirty since the last sync, so reads cost nothing.
        """
        if not self._dirty:
            return
        self._smart_reconcile()
        now = self.now()
        current: dict[str, JSON] = {}
        with self._pairing_memo():
            rendered = [(asset, self.render_asset(asset)) for asset in list(self.assets.values())]
        self._dirty = False
        for asset, body in rendered:
            previous = self._rendered.get(asset.id)
            if previous is None:
                current[asset.id] = body
                discovered = _discovered_view(asset.type, body)
                self.emit(self._asset_event(asset, "discovered", discovered))
                if discovered != body:
                    # "Shortly after discovery, you'll receive an :updated event" with the rest.
                    event = self._asset_event(asset, "updated", body)
                    event["updatedFields"] = changed_fields(discovered, body)
                    self.emit(event)
                continue
            fields = [f for f in changed_fields(previous, body) if f != "lastSeen"]
            if not fields:
                current[asset.id] = previous
                continue
            if asset.reachable:
                asset.last_seen = now
                body["lastSeen"] = iso(now)
                if previous.get("lastSeen") != body["lastSeen"]:
                    fields.append("lastSeen")
            current[asset.id] = body
            event = self._asset_event(asset, "updated", body)
            event["updatedFields"] = fields
            self.emit(event)
        for asset_id, body in self._rendered.items():
            if asset_id not in current:
                asset_type = self._rendered_types[asset_id]
                self.emit(
                    {
                        "event": f"user:{asset_type}:deleted",
                        "user": {"id": body["userId"]},
                        asset_type: body,
                    }
                )
        self._rendered = current
        self._rendered_types = {asset_id: self.assets[asset_id].type for asset_id in current}
        self._sync_smart_status()

    def _asset_event(self, asset: Asset, what: str, body: JSON) -> JSON:
        return {
            "event": f"user:{asset.type}:{what}",
            "user": {"id": asset.user_id},
            asset.type: copy.deepcopy(body),
        }

    def mark_rendered(self) -> None:
        """Take the current wire views as the baseline without emitting (scenario load)."""
        self._rendered = {asset.id: self.render_asset(asset) for asset in self.assets.values()}
        self._rendered_types = {asset.id: asset.type for asset in self.assets.values()}
        self._sync_smart_status(emit=False)
        self._dirty = False

    # -- users and assets ---------------------------------------------------------------------

    def delete_user(self, user_id: str) -> None:
        """Delete a user and everything they own."""
        self.get_user(user_id)
        for asset in self.user_assets(user_id):
            self._delete_asset(asset)
        for location_id in [k for k, v in self.locations.items() if v["userId"] == user_id]:
            del self.locations[location_id]
        self.flows.pop(home_key(user_id), None)
        self.history_start.pop(user_id, None)
        self.history_zone.pop(user_id, None)
        for token in [k for k, v in self.link_sessions.items() if v.user_id == user_id]:
            del self.link_sessions[token]
        del self.users[user_id]
        self._changed()

    def new_asset_id(self, user_id: str, template_id: str) -> str:
        """The template's id when free, else a stable id derived from user and template."""
        if template_id not in self.assets:
            return template_id
        return str(uuid.uuid5(_ID_NAMESPACE, f"{user_id}/{template_id}"))

    def add_asset(
        self,
        user_id: str,
        template: JSON,
        *,
        account: str | None = None,
        scopes: Iterable[str] | None = None,
        asset_id: str | None = None,
    ) -> Asset:
        """Create an asset for a user from a device template (see ``scenario.build_asset``)."""
        from ..scenario import build_asset

        asset_type = template.get("type")
        if asset_type not in CAPABILITIES:
            raise bad_request(f"Unknown asset type {asset_type!r}.")
        template_id = str(template.get("id") or uuid.uuid4())
        vendor = str(template.get("vendor", ""))
        if vendor not in VENDORS[asset_type]:
            raise bad_request(f"Vendor {vendor!r} does not make {asset_type} assets.")
        user = self.ensure_user(user_id)
        new_id = asset_id or self.new_asset_id(user_id, template_id)
        if new_id in self.assets:
            raise bad_request(f"Asset {new_id} already exists.")
        granted = [
            s
            for s in (scopes if scopes is not None else SCOPES_BY_ASSET_TYPE[asset_type])
            if s.startswith(f"{asset_type}:")
        ] or list(SCOPES_BY_ASSET_TYPE[asset_type])
        asset = build_asset(
            template,
            asset_id=new_id,
            user_id=user_id,
            template_id=template_id,
            account=account,
            scopes=sorted(granted),
            now=self.now(),
        )
        asset.link_scopes = sorted(set(scopes if scopes is not None else granted) | set(granted))
        if asset.type in HEM_TYPES:
            asset.extra["hemSystemId"] = self._hem_system_id(user_id, asset, template)
        location = self.locations.get(asset.location_id) if asset.location_id else None
        if location is None or location["userId"] != user_id:
            asset.location_id = None
            asset.location_id_updated = None
        self.assets[new_id] = asset
        user.vendors[(asset.vendor, asset.type)] = True
        user.scopes.update(asset.scopes)
        self.mark_dirty()
        self.settle_energy(user_id)
        return asset

    def _hem_system_id(self, user_id: str, asset: Asset, template: JSON) -> str | None:
        """The template's ``hemSystemId`` (made the user's own if another user has it), else
        one per user and vendor account of a vendor Enode groups into HEM systems."""
        given = template.get("hemSystemId")
        if given is not None:
            taken = any(
                other.extra.get("hemSystemId") == given and other.user_id != user_id
                for other in self.assets.values()
            )
            return str(uuid.uuid5(_ID_NAMESPACE, f"{user_id}/{given}")) if taken else str(given)
        if asset.vendor not in HEM_VENDORS:
            return None
        return str(uuid.uuid5(_ID_NAMESPACE, f"hem/{user_id}/{asset.account or asset.vendor}"))

    def remove_asset(self, asset_id: str) -> None:
        """Delete an asset (``user:<type>:deleted``)."""
        self._delete_asset(self.get_asset(asset_id))
        self._changed()

    def _delete_asset(self, asset: Asset) -> None:
        self._asset_deleted(asset)
        self._unplug(asset, cancel=False)
        del self.assets[asset.id]
        # Its statistics go with it.
        self.flows.pop(asset.id, None)
        self.charging_sessions.pop(asset.id, None)
        self.mark_dirty()
