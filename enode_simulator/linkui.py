"""The simulator's Link UI: plain HTML forms that work without JavaScript.

A link session's ``linkUrl`` is ``<base_url>/link/<token>``. The pages are:

1. brand selection (``GET /link/{token}``): vendors that support the session's asset types; skipped
   when the session names a vendor and for relink sessions; vendors in ``OUTAGE`` cannot be chosen;
2. sign-in (``GET|POST /link/{token}/signin?vendor=...``): the vendor's virtual account from the
   scenario (a wrong username or password shows an error);
3. devices found (``GET /link/{token}/devices``) with Connect (``POST /link/{token}/connect``): the
   devices are linked to the user and the browser is redirected (302) to ``redirectUri``.

Cancel (``POST /link/{token}/cancel``) on any page redirects to ``redirectUri`` with
``error=cancelled_by_user`` and ``error_message``. A used or expired session shows an error page
(410 Gone; 404 for a token that never existed).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
import functools
from html import escape
from typing import Any

from aiohttp import web
from yarl import URL

from .app import STATE_KEY
from .catalog import integration
from .state import Asset, LinkSession, SimState, VendorAccount

CANCEL_ERROR = "cancelled_by_user"
CANCEL_MESSAGE = "The user cancelled linking."
OUTAGE = "OUTAGE"
ELEVATED_ERROR_RATE = "ELEVATED_ERROR_RATE"

ASSET_TYPE_LABELS: dict[str, str] = {
    "vehicle": "Vehicle",
    "charger": "EV charger",
    "hvac": "Heating / cooling",
    "inverter": "Solar inverter",
    "battery": "Home battery",
    "meter": "Energy meter",
}

_STYLE = """
body { font-family: system-ui, sans-serif; background: #f4f5f7; color: #1d1f24; margin: 0; }
main { max-width: 28rem; margin: 2rem auto; background: #fff; border-radius: 12px;
       padding: 1.5rem 2rem; box-shadow: 0 2px 8px rgba(0, 0, 0, .08); }
h1 { font-size: 1.4rem; margin-top: 0; }
.brand { font-size: .8rem; letter-spacing: .08em; text-transform: uppercase; color: #6b7280; }
ul.choices { list-style: none; padding: 0; }
ul.choices li { margin: .4rem 0; }
button, input[type=submit] { font-size: 1rem; padding: .55rem 1rem; border-radius: 8px;
       border: 1px solid #c7ccd6; background: #fff; cursor: pointer; }
button.primary { background: #1d4ed8; color: #fff; border-color: #1d4ed8; }
button.vendor { width: 100%; text-align: left; }
button[disabled] { color: #9ca3af; cursor: not-allowed; }
label { display: block; margin: .8rem 0 .2rem; }
input[type=text], input[type=password] { width: 100%; padding: .5rem; font-size: 1rem;
       box-sizing: border-box; border: 1px solid #c7ccd6; border-radius: 8px; }
.error { background: #fee2e2; color: #991b1b; padding: .6rem .8rem; border-radius: 8px; }
.warning { color: #92400e; font-size: .85rem; }
.muted { color: #6b7280; font-size: .85rem; }
.actions { display: flex; gap: .6rem; margin-top: 1.2rem; }
"""


@dataclass(kw_only=True, frozen=True)
class VendorOption:
    """A brand on the selection page."""

    vendor: str
    display_name: str
    asset_types: tuple[str, ...]
    linking_status: str = "READY"
    has_account: bool = False

    @property
    def selectable(self) -> bool:
        """Vendors in an outage cannot be linked."""
        return self.linking_status != OUTAGE


@dataclass(kw_only=True, frozen=True)
class DeviceView:
    """A device found in the vendor account."""

    asset_type: str
    name: str
    detail: str = ""


@dataclass(kw_only=True)
class Page:
    """A rendered page: HTML plus the status to send."""

    html: str
    status: int = 200

    def response(self) -> web.Response:
        """The aiohttp response."""
        return web.Response(text=self.html, status=self.status, content_type="text/html")


def _layout(title: str, body: str, *, brand: str = "Enode Link (simulator)") -> str:
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head>"
        f'<body><main><p class="brand">{escape(brand)}</p><h1>{escape(title)}</h1>'
        f"{body}</main></body></html>\n"
    )


def _cancel_form(token: str) -> str:
    return (
        f'<form method="post" action="/link/{escape(token)}/cancel">'
        '<button type="submit" name="cancel" value="1">Cancel</button></form>'
    )


# The asset types inside a sentence ("your vehicle or EV charger"); EV stays upper case.
ASSET_TYPE_NOUNS: dict[str, str] = {
    "vehicle": "vehicle",
    "charger": "EV charger",
    "hvac": "heating / cooling",
    "inverter": "solar inverter",
    "battery": "home battery",
    "meter": "energy meter",
}


def _asset_list(asset_types: Iterable[str], conjunction: str = "") -> str:
    """The asset types as words ("vehicle, EV charger"; with "or": "vehicle or EV charger")."""
    nouns = [ASSET_TYPE_NOUNS.get(kind, kind) for kind in asset_types]
    if conjunction and len(nouns) > 1:
        return f"{', '.join(nouns[:-1])} {conjunction} {nouns[-1]}"
    return ", ".join(nouns)


def render_brand_selection(
    token: str, vendors: Sequence[VendorOption], asset_types: Sequence[str]
) -> Page:
    """The brand selection page."""
    items: list[str] = []
    grouped = any(option.has_account for option in vendors)
    heading_done: set[bool] = set()
    for option in vendors:
        if grouped and option.has_account not in heading_done:
            heading_done.add(option.has_account)
            heading = "Brands with simulator accounts" if option.has_account else "Other brands"
            items.append(f'<li class="muted"><strong>{heading}</strong></li>')
        label = escape(option.display_name)
        kinds = escape(_asset_list(option.asset_types))
        if not option.selectable:
            items.append(
                f'<li><button class="vendor" type="button" disabled>{label}</button>'
                f'<span class="warning">{label} is temporarily unavailable.</span></li>'
            )
            continue
        warning = ""
        if option.linking_status == ELEVATED_ERROR_RATE:
            warning = f'<span class="warning">{label} is having problems; linking may fail.</span>'
        items.append(
            f'<li><button class="vendor" type="submit" name="vendor" '
            f'value="{escape(option.vendor)}">{label} <span class="muted">({kinds})</span>'
            f"</button>{warning}</li>"
        )
    if items:
        choices = (
            f'<form method="post" action="/link/{escape(token)}/brand">'
            f'<ul class="choices">{"".join(items)}</ul></form>'
        )
    else:
        choices = '<p class="error">No brand supports the requested devices.</p>'
    body = (
        f"<p>Choose the brand of your {escape(_asset_list(asset_types, 'or'))}.</p>"
        f'{choices}<div class="actions">{_cancel_form(token)}</div>'
    )
    return Page(html=_layout("Select your brand", body))


def render_sign_in(
    token: str,
    vendor: VendorOption,
    *,
    username: str = "",
    error: str | None = None,
    relink: bool = False,
) -> Page:
    """The sign-in page for a vendor's (virtual) account."""
    name = escape(vendor.display_name)
    intro = (
        f"Sign in to your {name} account again to restore access."
        if relink
        else f"Sign in with your {name} account to find your devices."
    )
    error_html = f'<p class="error" role="alert">{escape(error)}</p>' if error else ""
    body = (
        f"<p>{intro}</p>{error_html}"
        f'<form method="post" action="/link/{escape(token)}/signin">'
        f'<input type="hidden" name="vendor" value="{escape(vendor.vendor)}">'
        '<label for="username">Username</label>'
        f'<input type="text" id="username" name="username" value="{escape(username)}" '
        'autocomplete="username" required>'
        '<label for="password">Password</label>'
        '<input type="password" id="password" name="password" '
        'autocomplete="current-password" required>'
        '<div class="actions"><button class="primary" type="submit">Sign in</button></div>'
        f'</form><div class="actions">{_cancel_form(token)}</div>'
    )
    return Page(
        html=_layout(f"Sign in to {vendor.display_name}", body), status=401 if error else 200
    )


def _device_kind(device: DeviceView) -> str:
    kind = ASSET_TYPE_LABELS.get(device.asset_type, device.asset_type)
    return f"{kind} · {device.detail}" if device.detail else kind


SCOPE_LABELS: dict[str, str] = {
    "read:data": "read its data",
    "read:location": "read its location",
    "control:charging": "start and stop charging",
    "control:operation_mode": "change its operation mode",
    "control:mode": "change its mode and temperature",
}


def _access_list(scopes: Sequence[str]) -> str:
    by_type: dict[str, list[str]] = {}
    for scope in scopes:
        asset_type, _, permission = scope.partition(":")
        by_type.setdefault(asset_type, []).append(SCOPE_LABELS.get(permission, permission))
    items = "".join(
        f"<li>{escape(ASSET_TYPE_LABELS.get(kind, kind))}: {escape(', '.join(labels))}</li>"
        for kind, labels in by_type.items()
    )
    return f'<p class="muted">The app asks for access to:</p><ul class="muted">{items}</ul>'


def render_devices(
    token: str,
    vendor: VendorOption,
    devices: Sequence[DeviceView],
    *,
    relink: bool = False,
    scopes: Sequence[str] = (),
) -> Page:
    """The devices found in the account, with Connect."""
    if devices:
        rows = "".join(
            f"<li><strong>{escape(device.name)}</strong> "
            f'<span class="muted">{escape(_device_kind(device))}</span></li>'
            for device in devices
        )
        found = f'<p>We found these devices:</p><ul class="choices">{rows}</ul>'
        if scopes:
            found += _access_list(scopes)
        verb = "Reconnect" if relink else "Connect"
        connect = (
            f'<form method="post" action="/link/{escape(token)}/connect">'
            f'<button class="primary" type="submit">{verb}</button></form>'
        )
    else:
        found = (
            '<p class="error">No devices of the requested types were found in this '
            f"{escape(vendor.display_name)} account.</p>"
        )
        connect = ""
    body = f'{found}<div class="actions">{connect}{_cancel_form(token)}</div>'
    return Page(html=_layout("Devices found", body))


def render_error(title: str, message: str, *, status: int) -> Page:
    """An error page (unknown, used or expired session, bad request)."""
    return Page(html=_layout(title, f'<p class="error">{escape(message)}</p>'), status=status)


def redirect_url(redirect_uri: str, params: dict[str, str] | None = None) -> str:
    """``redirectUri`` with extra query parameters (kept as given when there are none)."""
    if not params:
        return redirect_uri
    url = URL(redirect_uri)
    return str(url.update_query(params))


# -- the flow ----------------------------------------------------------------------------------


@dataclass(kw_only=True)
class FlowState:
    """What the user did so far in one session (kept by the Link UI, keyed by token)."""

    vendor: str | None = None
    account: str | None = None


type _SessionPage = Callable[[LinkUI, web.Request, str, LinkSession], Awaitable[web.StreamResponse]]


def _session_page(
    handler: _SessionPage,
) -> Callable[[LinkUI, web.Request], Awaitable[web.StreamResponse]]:
    """A page of a usable session: ``handler(ui, request, token, session)``, else its error page."""

    @functools.wraps(handler)
    async def page(ui: LinkUI, request: web.Request) -> web.StreamResponse:
        token = request.match_info["token"]
        session = ui._session(token)
        if isinstance(session, Page):
            return session.response()
        return await handler(ui, request, token, session)

    return page


class LinkUI:
    """The Link UI pages over the simulator state."""

    def __init__(self, state: SimState) -> None:
        """Serve sessions stored in ``state``."""
        self.state = state
        self.flows: dict[str, FlowState] = {}

    # -- helpers -------------------------------------------------------------------------------

    def _session(self, token: str) -> LinkSession | Page:
        session = self.state.get_link_session(token)
        if session is None:
            return render_error(
                "Link session not found",
                "This link is not valid. Start linking again from your app.",
                status=404,
            )
        if session.used:
            self.flows.pop(token, None)
            return render_error(
                "Link session already used",
                "This link has already been used. Start linking again from your app.",
                status=410,
            )
        if session.is_expired(self.state.now()):
            self.flows.pop(token, None)
            return render_error(
                "Link session expired",
                "This link has expired. Start linking again from your app.",
                status=410,
            )
        return session

    def _relink_asset(self, session: LinkSession) -> Asset | None:
        if session.relink_asset_id is None:
            return None
        return self.state.assets.get(session.relink_asset_id)

    def _options(self, session: LinkSession) -> list[VendorOption]:
        with_accounts = {account.vendor for account in self.state.vendor_accounts}
        options = [
            VendorOption(
                vendor=entry["vendor"],
                display_name=entry["displayName"],
                asset_types=tuple(t for t in entry["assetTypes"] if t in session.asset_types),
                linking_status=entry["linkingStatus"],
                has_account=entry["vendor"] in with_accounts,
            )
            for entry in self.state.session_vendors(session)
        ]
        options.sort(key=lambda o: (not o.has_account, o.display_name.lower()))
        return options

    def _option(self, vendor: str) -> VendorOption:
        entry = integration(vendor, self.state.linking_status.get(vendor, "READY"))
        return VendorOption(
            vendor=vendor,
            display_name=entry["displayName"],
            asset_types=tuple(entry["assetTypes"]),
            linking_status=entry["linkingStatus"],
        )

    def _fixed_vendor(self, session: LinkSession) -> str | None:
        """The vendor the session is bound to (relink: the asset's; else ``vendor``)."""
        asset = self._relink_asset(session)
        if asset is not None:
            return asset.vendor
        return session.vendor

    def _vendor_allowed(self, session: LinkSession, vendor: str) -> bool:
        fixed = self._fixed_vendor(session)
        if fixed is not None:
            return vendor == fixed
        return any(option.vendor == vendor for option in self._options(session))

    def _vendor_refusal(self, token: str, session: LinkSession, vendor: str) -> Page | None:
        """The error page when the session may not link ``vendor`` now, else ``None``."""
        if not self._vendor_allowed(session, vendor):
            return render_error("Unknown brand", "Choose one of the brands offered.", status=400)
        option = self._option(vendor)
        if not option.selectable:
            return self._unavailable(token, option)
        return None

    def _relink_gone(self, session: LinkSession) -> Page | None:
        """The error page when the session relinks an asset that no longer exists."""
        if session.relink_asset_id is not None and self._relink_asset(session) is None:
            return render_error(
                "Device not found", "The device to relink no longer exists.", status=404
            )
        return None

    def _unavailable(self, token: str, option: VendorOption) -> Page:
        page = render_error(
            f"{option.display_name} is unavailable",
            f"Linking {option.display_name} is temporarily unavailable. Please try again later.",
            status=503,
        )
        page.html = page.html.replace("</main>", f"{_cancel_form(token)}</main>")
        return page

    def _signin_url(self, token: str, vendor: str) -> str:
        return str(URL(f"/link/{token}/signin").with_query({"vendor": vendor}))

    def _account(self, flow: FlowState | None) -> VendorAccount | None:
        if flow is None or flow.account is None:
            return None
        return next((a for a in self.state.vendor_accounts if a.key == flow.account), None)

    def _devices(self, session: LinkSession, account: VendorAccount) -> list[DeviceView]:
        if self._relink_asset(session) is not None:
            return [
                _device_view(asset.type, asset.information)
                for asset in self.state.relink_targets(session)
            ]
        return [
            _device_view(str(device["type"]), device.get("information") or {})
            for device in account.devices_of(session.asset_types)
        ]

    def _hint(self, vendor: str) -> str:
        accounts = self.state.accounts_for_vendor(vendor)
        if not accounts:
            return ""
        items = "".join(
            f"<li><code>{escape(a.username)}</code> / <code>{escape(a.password)}</code></li>"
            for a in accounts
        )
        return (
            '<details class="muted"><summary>Simulator test accounts</summary>'
            f"<ul>{items}</ul></details>"
        )

    # -- handlers ------------------------------------------------------------------------------

    @_session_page
    async def start(
        self, request: web.Request, token: str, session: LinkSession
    ) -> web.StreamResponse:
        """GET /link/{token}: brand selection, or straight to sign-in."""
        gone = self._relink_gone(session)
        if gone is not None:
            return gone.response()
        fixed = self._fixed_vendor(session)
        if fixed is not None:
            return _redirect(303, self._signin_url(token, fixed))
        return render_brand_selection(token, self._options(session), session.asset_types).response()

    @_session_page
    async def choose_brand(
        self, request: web.Request, token: str, session: LinkSession
    ) -> web.StreamResponse:
        """POST /link/{token}/brand: the chosen vendor."""
        form = await request.post()
        vendor = str(form.get("vendor", ""))
        refusal = self._vendor_refusal(token, session, vendor)
        if refusal is not None:
            return refusal.response()
        self.flows[token] = FlowState(vendor=vendor)
        return _redirect(303, self._signin_url(token, vendor))

    @_session_page
    async def sign_in_form(
        self, request: web.Request, token: str, session: LinkSession
    ) -> web.StreamResponse:
        """GET /link/{token}/signin?vendor=...: the sign-in form."""
        vendor = request.query.get("vendor") or self._fixed_vendor(session) or ""
        return self._sign_in_page(token, session, vendor).response()

    def _sign_in_page(
        self,
        token: str,
        session: LinkSession,
        vendor: str,
        *,
        username: str = "",
        error: str | None = None,
    ) -> Page:
        refusal = self._vendor_refusal(token, session, vendor)
        if refusal is not None:
            return refusal
        page = render_sign_in(
            token,
            self._option(vendor),
            username=username,
            error=error,
            relink=session.relink_asset_id is not None,
        )
        page.html = page.html.replace("</main>", f"{self._hint(vendor)}</main>")
        return page

    @_session_page
    async def sign_in(
        self, request: web.Request, token: str, session: LinkSession
    ) -> web.StreamResponse:
        """POST /link/{token}/signin: check the virtual account's credentials."""
        form = await request.post()
        vendor = str(form.get("vendor", "")) or self._fixed_vendor(session) or ""
        username = str(form.get("username", "")).strip()
        password = str(form.get("password", ""))
        page = self._sign_in_page(token, session, vendor, username=username)
        if page.status != 200:
            return page.response()
        account = self.state.find_vendor_account(vendor, username, password)
        relink_asset = self._relink_asset(session)
        if (
            account is not None
            and relink_asset is not None
            and relink_asset.account is not None
            and relink_asset.account != account.key
        ):
            account = None
        if account is None:
            return self._sign_in_page(
                token, session, vendor, username=username, error="Wrong username or password."
            ).response()
        self.flows[token] = FlowState(vendor=vendor, account=account.key)
        return _redirect(303, f"/link/{token}/devices")

    @_session_page
    async def devices(
        self, request: web.Request, token: str, session: LinkSession
    ) -> web.StreamResponse:
        """GET /link/{token}/devices: the devices found in the signed-in account."""
        account = self._account(self.flows.get(token))
        if account is None:
            return _redirect(303, f"/link/{token}")
        return render_devices(
            token,
            self._option(account.vendor),
            self._devices(session, account),
            relink=session.relink_asset_id is not None,
            scopes=session.scopes,
        ).response()

    @_session_page
    async def connect(
        self, request: web.Request, token: str, session: LinkSession
    ) -> web.StreamResponse:
        """POST /link/{token}/connect: link the devices and redirect to ``redirectUri``."""
        account = self._account(self.flows.get(token))
        if account is None:
            return _redirect(303, f"/link/{token}")
        gone = self._relink_gone(session)
        if gone is not None:
            return gone.response()
        self.state.complete_link_session(session, account)
        self.flows.pop(token, None)
        return _redirect(302, redirect_url(session.redirect_uri))

    @_session_page
    async def cancel(
        self, request: web.Request, token: str, session: LinkSession
    ) -> web.StreamResponse:
        """POST /link/{token}/cancel: back to ``redirectUri`` with ``error``."""
        session.used = True
        self.flows.pop(token, None)
        return _redirect(
            302,
            redirect_url(
                session.redirect_uri,
                {"error": CANCEL_ERROR, "error_message": CANCEL_MESSAGE},
            ),
        )


def _redirect(status: int, location: str) -> web.Response:
    return web.Response(status=status, headers={"Location": location})


def _device_view(asset_type: str, information: Any) -> DeviceView:
    info = information if isinstance(information, dict) else {}
    brand_model = " ".join(str(info[k]) for k in ("brand", "model") if info.get(k))
    name = info.get("displayName") or info.get("siteName") or brand_model
    detail = brand_model if name != brand_model else ""
    return DeviceView(
        asset_type=asset_type,
        name=str(name or ASSET_TYPE_LABELS.get(asset_type, asset_type)),
        detail=detail,
    )


LINKUI_KEY: web.AppKey[LinkUI] = web.AppKey("enode_linkui", LinkUI)


def add_routes(app: web.Application, state: SimState | None = None) -> LinkUI:
    """Register the Link UI pages on the simulator app (no API token needed).

    ``state`` defaults to the app's simulator state.
    """
    ui = LinkUI(state if state is not None else app[STATE_KEY])
    app[LINKUI_KEY] = ui
    app.router.add_get("/link/{token}", ui.start)
    app.router.add_post("/link/{token}/brand", ui.choose_brand)
    app.router.add_get("/link/{token}/signin", ui.sign_in_form)
    app.router.add_post("/link/{token}/signin", ui.sign_in)
    app.router.add_get("/link/{token}/devices", ui.devices)
    app.router.add_post("/link/{token}/connect", ui.connect)
    app.router.add_post("/link/{token}/cancel", ui.cancel)
    return ui
