"""Linking: vendor accounts, link sessions, relinking and a user's linked vendors.

The Link UI's back end: the vendors offered (``GET /integrations`` and their linking status),
single-use link sessions, signing in to a virtual vendor account, linking its devices to a user,
relinking an asset (restoring access: valid credentials, ``action: "Link"`` interventions
cleared), disconnecting a vendor and invalidating its credentials. What a linked vendor account
grants, and what losing it costs, belongs here.
"""

from __future__ import annotations

from collections.abc import Iterable
import secrets

from ..catalog import ASSET_TYPES, SCOPES_BY_ASSET_TYPE, VENDORS, integration
from .base import StateBase
from .errors import bad_request, not_found
from .model import JSON, Asset, LinkSession, VendorAccount


class LinkingMixin(StateBase):
    """Vendor accounts, link sessions and the vendors linked to each user."""

    def integrations(
        self, asset_types: Iterable[str] | None = None, *, supporting_all: bool = True
    ) -> list[JSON]:
        """``GET /integrations?assetTypes=a,b``: the vendors that support *all* the asset types.

        Seed 003: ``/integrations?assetTypes=battery,meter`` lists the vendors "which support
        battery and meter". Without ``assetTypes`` every vendor is listed. ``supporting_all=False``
        lists the vendors supporting any of them (what Link UI's brand selection shows).
        """
        if asset_types is None:
            wanted, supporting_all = set(ASSET_TYPES), False
        else:
            wanted = set(asset_types)
        match = all if supporting_all else any
        vendors = [
            vendor
            for vendor in dict.fromkeys(v for t in ASSET_TYPES for v in VENDORS[t])
            if match(vendor in VENDORS[t] for t in wanted)
        ]
        return [integration(v, self.linking_status.get(v, "READY")) for v in vendors]

    def is_link_intervention(self, intervention_id: str) -> bool:
        """Whether the intervention is resolved by relinking (``action: "Link"``)."""
        entry = self.interventions.get(intervention_id)
        return entry is not None and entry.get("action") == "Link"

    def set_linking_status(self, vendor: str, status: str) -> None:
        """A vendor's ``linkingStatus``: READY, ELEVATED_ERROR_RATE or OUTAGE."""
        if status not in ("READY", "ELEVATED_ERROR_RATE", "OUTAGE"):
            raise bad_request(f"Unknown linking status {status!r}.")
        self.linking_status[vendor] = status

    def create_link_session(
        self,
        user_id: str,
        *,
        scopes: list[str],
        language: str,
        redirect_uri: str,
        base_url: str,
        vendor: str | None = None,
        vendor_type: str | None = None,
        color_scheme: str | None = None,
        relink_asset_id: str | None = None,
    ) -> LinkSession:
        """A single-use session whose ``link_url`` points at this simulator's Link UI."""
        if relink_asset_id is None:
            self.ensure_user(user_id)
        now = self.now()
        token = secrets.token_urlsafe(24)
        session = LinkSession(
            token=token,
            user_id=user_id,
            scopes=list(scopes),
            language=language,
            redirect_uri=redirect_uri,
            created_at=now,
            expires_at=now + self.settings.link_session_lifetime,
            vendor=vendor,
            vendor_type=vendor_type,
            color_scheme=color_scheme,
            relink_asset_id=relink_asset_id,
            link_url=f"{(self.public_url or base_url).rstrip('/')}/link/{token}",
        )
        self.link_sessions[token] = session
        return session

    def get_link_session(self, token: str) -> LinkSession | None:
        """A session by token (check ``is_usable`` before using it)."""
        return self.link_sessions.get(token)

    def session_vendors(self, session: LinkSession) -> list[JSON]:
        """Integrations offered by a session's brand selection.

        Vendors of the session's ``vendorType`` when given, else of any of its asset types
        (seed 003: "Link UI will only show the vendors that support at least one of the
        requested asset types").
        """
        if session.vendor_type:
            return self.integrations([session.vendor_type])
        return self.integrations(session.asset_types, supporting_all=False)

    def find_vendor_account(
        self, vendor: str, username: str, password: str | None = None
    ) -> VendorAccount | None:
        """A vendor account by credentials (``password=None`` skips the password check)."""
        for account in self.vendor_accounts:
            if account.vendor == vendor and account.username == username:
                if password is None or secrets.compare_digest(account.password, password):
                    return account
                return None
        return None

    def accounts_for_vendor(self, vendor: str) -> list[VendorAccount]:
        """The virtual accounts of a vendor."""
        return [account for account in self.vendor_accounts if account.vendor == vendor]

    def link_account(
        self,
        user_id: str,
        account: VendorAccount,
        asset_types: Iterable[str],
        scopes: Iterable[str] | None = None,
    ) -> list[Asset]:
        """Link an account's devices of the given types to a user (creating the user)."""
        types = list(asset_types)
        # The session's scopes (a scenario links with every scope of the types it links).
        scope_list = (
            list(scopes)
            if scopes is not None
            else [s for t in types if t in SCOPES_BY_ASSET_TYPE for s in SCOPES_BY_ASSET_TYPE[t]]
        )
        self.ensure_user(user_id)
        linked: list[Asset] = []
        added = False
        for template in account.devices_of(types):
            existing = next(
                (
                    asset
                    for asset in self.user_assets(user_id)
                    if asset.template_id == template["id"]
                ),
                None,
            )
            if existing is not None:
                # Linked again: access restored, with the scopes granted this time.
                self._restore_access(existing)
                own = sorted(s for s in scope_list if s.startswith(f"{existing.type}:"))
                existing.scopes = own or existing.scopes
                existing.link_scopes = sorted(set(scope_list))
                linked.append(existing)
                continue
            linked.append(self.add_asset(user_id, template, account=account.key, scopes=scope_list))
            added = True
        user = self.users[user_id]
        for asset_type in types:
            if account.vendor in VENDORS.get(asset_type, ()):
                user.vendors[(account.vendor, asset_type)] = True
        if self.settings.history_days > 0 and added:
            # New devices come with their past (the vendor's): the user's statistics history is
            # seeded again with them, keeping what was already served (statistics.py).
            self.seed_history(self.settings.history_days, user_id, keep_past=True)
        self._changed()
        return linked

    def complete_link_session(self, session: LinkSession, account: VendorAccount) -> list[Asset]:
        """Finish a (re)link session with an account: link (or relink) and mark it used."""
        if session.relink_asset_id is not None:
            assets = self.relink_targets(session)
            for asset in assets:
                self._restore_access(asset)
            self._changed()
            session.used = True
            return assets
        assets = self.link_account(session.user_id, account, session.asset_types, session.scopes)
        session.used = True
        return assets

    def relink_targets(self, session: LinkSession) -> list[Asset]:
        """What a relink session restores: the asset, and the other assets of its vendor account
        that the session's scopes (those of the session that linked it) cover."""
        asset = self.assets.get(session.relink_asset_id or "")
        if asset is None:
            return []
        types = set(session.asset_types)
        others = [
            other
            for other in self.user_assets(asset.user_id)
            if other is not asset
            and other.account is not None
            and other.account == asset.account
            and other.type in types
        ]
        return [asset, *others]

    def relink_asset(self, asset_id: str) -> Asset:
        """Restore an asset's access: valid credentials, Link interventions cleared."""
        asset = self.get_asset(asset_id)
        self._restore_access(asset)
        self._changed()
        return asset

    def _restore_access(self, asset: Asset) -> None:
        self.mark_dirty()
        user = self.ensure_user(asset.user_id)
        for key in list(user.vendors):
            if key[0] == asset.vendor:
                user.vendors[key] = True
        user.vendors[(asset.vendor, asset.type)] = True
        for cap in asset.capabilities.values():
            cap.interventions = [i for i in cap.interventions if not self.is_link_intervention(i)]

    def disconnect_vendor(self, user_id: str, vendor: str, vendor_type: str | None) -> None:
        """Remove a vendor (optionally one asset type of it) from a user."""
        user = self.get_user(user_id)
        for asset in self.user_assets(user_id):
            if asset.vendor == vendor and vendor_type in (None, asset.type):
                self._delete_asset(asset)
        for key in list(user.vendors):
            if key[0] == vendor and vendor_type in (None, key[1]):
                del user.vendors[key]
        self._changed()

    def invalidate_credentials(self, user_id: str, vendor: str) -> None:
        """The vendor account's credentials stop working: ``isValid: false`` and an event."""
        user = self.get_user(user_id)
        keys = [key for key in user.vendors if key[0] == vendor]
        if not keys:
            raise not_found(f"User has no linked {vendor} account.")
        for key in keys:
            user.vendors[key] = False
        self.mark_dirty()
        self.emit(
            {
                "event": "user:credentials:invalidated",
                "user": {"id": user_id},
                "vendor": vendor,
            }
        )

    def credentials_valid(self, asset: Asset) -> bool:
        """Whether the asset's vendor credentials are valid."""
        user = self.users.get(asset.user_id)
        return user is None or user.vendors.get((asset.vendor, asset.type), True)
