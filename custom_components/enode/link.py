"""Enode Link UI sessions and the callback view Link UI redirects the browser to.

A flow (config, options or repair) that wants the user to link devices asks this module for a
link session: it registers an unguessable, single-use ``state`` that maps to the flow, builds the
``redirectUri`` (``<this Home Assistant>/api/enode/link?state=<state>``) and creates the session
through the client. Link UI sends the browser back to that URI; the view looks the state up, hands
the outcome (``error`` / ``error_message`` when the user cancelled) to the waiting flow and answers
with a small page saying that the window can be closed.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from html import escape
from http import HTTPStatus
import re
import secrets
from typing import Any

from aiohttp import web
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant, callback
from homeassistant.data_entry_flow import FlowHandler, FlowResult, UnknownFlow, UnknownStep
from homeassistant.helpers.http import KEY_HASS, HomeAssistantView, current_request
from homeassistant.helpers.network import NoURLAvailableError, get_url
from homeassistant.util import dt as dt_util
from homeassistant.util.hass_dict import HassKey

from .api import LANGUAGES, AssetType, EnodeClient, EnodeError, scopes_for
from .const import DOMAIN, LOGGER
from .helpers import enode_language, problem_text
from .texts import async_texts

LINK_CALLBACK_PATH = "/api/enode/link"
LINK_CALLBACK_NAME = "api:enode:link"
# "Creates a short-lived (24 hours), single-use device linking session." (Enode API reference)
LINK_SESSION_LIFETIME = timedelta(hours=24)
HEADER_FRONTEND_BASE = "HA-Frontend-Base"
# LinkUserPayload.redirectUri / RelinkUserPayload.redirectUri: "maxLength": 500.
REDIRECT_URI_MAX_LENGTH = 500

# Keys of the user input a flow receives when Link UI has sent the browser back.
LINK_ERROR = "error"
LINK_ERROR_MESSAGE = "error_message"
# The placeholder with a readable sentence about Link UI's error.
LINK_REASON = "reason"
# Link UI's error code when the user pressed Cancel.
LINK_ERROR_CANCELLED = "cancelled_by_user"
# The flow steps that explain a Link UI session that did not link anything.
STEP_LINK_CANCELLED = "link_cancelled"
STEP_LINK_FAILED = "link_failed"
# Link UI's error code and message are shown to the user: at most this long.
LINK_ERROR_MAX_LENGTH = 100
LINK_MESSAGE_MAX_LENGTH = 300

DATA_PENDING_LINKS: HassKey[dict[str, PendingLink]] = HassKey(f"{DOMAIN}_pending_links")
DATA_VIEW_REGISTERED: HassKey[bool] = HassKey(f"{DOMAIN}_link_view")


class LinkTarget(StrEnum):
    """What waits for a Link UI callback."""

    CONFIG_FLOW = "config_flow"
    OPTIONS_FLOW = "options_flow"
    REPAIR_FLOW = "repair_flow"
    # A session started by the enode.link / enode.relink actions: refresh the entry afterwards.
    CONFIG_ENTRY = "config_entry"


@dataclass(frozen=True, kw_only=True)
class PendingLink:
    """A link session waiting for the browser to come back."""

    target: LinkTarget
    # The flow id (flows) or the config entry id (CONFIG_ENTRY).
    target_id: str
    expires_at: datetime


@dataclass(frozen=True, kw_only=True)
class StartedLink:
    """A link session that was created: where to send the user, and until when."""

    link_url: str
    expires_at: datetime
    state: str


def _pending(hass: HomeAssistant) -> dict[str, PendingLink]:
    """Return the pending link sessions (expired ones are dropped)."""
    pending = hass.data.setdefault(DATA_PENDING_LINKS, {})
    now = dt_util.utcnow()
    for state in [state for state, link in pending.items() if link.expires_at <= now]:
        del pending[state]
    return pending


@callback
def async_register_state(hass: HomeAssistant, target: LinkTarget, target_id: str) -> str:
    """Register a new single-use state for a flow (or entry) and return it."""
    async_setup_link(hass)
    state = secrets.token_urlsafe(32)
    _pending(hass)[state] = PendingLink(
        target=target,
        target_id=target_id,
        expires_at=dt_util.utcnow() + LINK_SESSION_LIFETIME,
    )
    return state


@callback
def async_forget_flow(hass: HomeAssistant, flow_id: str) -> None:
    """Forget the states of a flow that ended."""
    pending = hass.data.get(DATA_PENDING_LINKS)
    if not pending:
        return
    for state in [state for state, link in pending.items() if link.target_id == flow_id]:
        del pending[state]


@callback
def async_pop_state(hass: HomeAssistant, state: str) -> PendingLink | None:
    """Return and forget the pending link of a state (single use)."""
    return _pending(hass).pop(state, None)


@callback
def async_get_redirect_uri(hass: HomeAssistant, state: str) -> str:
    """Return the Link UI redirect URI for a state.

    The browser that opens Link UI is the one the user is using Home Assistant in, so the URI is
    built from the current request: the frontend's base URL header (config flows send it), else
    the configured URL (internal, external or Home Assistant Cloud) whose host the request came
    to (right scheme and port behind a proxy or Nabu Casa), else the request's own origin; without
    a request, Home Assistant's configured URLs. Enode accepts at most 500 characters: a longer
    candidate is skipped. Raises ``NoURLAvailableError``.
    """
    for base in _redirect_bases(hass):
        uri = f"{base.rstrip('/')}{LINK_CALLBACK_PATH}?state={state}"
        if len(uri) <= REDIRECT_URI_MAX_LENGTH:
            return uri
    raise NoURLAvailableError


def _redirect_bases(hass: HomeAssistant) -> Iterator[str]:
    """Yield the base URLs a redirect URI can be built from, best first."""
    if (request := current_request.get()) is not None:
        if frontend_base := request.headers.get(HEADER_FRONTEND_BASE):
            yield frontend_base
        with suppress(NoURLAvailableError):
            yield get_url(hass, require_current_request=True)
        yield str(request.url.origin())
    yield get_url(hass)


@dataclass(frozen=True, kw_only=True)
class LinkRequest:
    """Link devices of some asset types to an Enode user (``POST /users/{userId}/link``)."""

    user_id: str
    asset_types: Sequence[AssetType]
    # The brand chosen up front; None lets the user choose it in Link UI.
    vendor: str | None = None


@dataclass(frozen=True, kw_only=True)
class RelinkRequest:
    """Relink one asset (``POST /assets/{assetId}/relink``)."""

    asset_id: str


type LinkSessionRequest = LinkRequest | RelinkRequest


async def async_start_link(
    hass: HomeAssistant,
    client: EnodeClient,
    request: LinkSessionRequest,
    *,
    target: LinkTarget,
    target_id: str,
) -> StartedLink:
    """Create a link or relink session that comes back to ``target``.

    Raises the client's errors and ``NoURLAvailableError``; the state is forgotten on failure.
    """
    state = async_register_state(hass, target, target_id)
    try:
        language = enode_language(hass.config.language, LANGUAGES)
        redirect_uri = async_get_redirect_uri(hass, state)
        if isinstance(request, RelinkRequest):
            session = await client.relink_asset(
                request.asset_id, language=language, redirect_uri=redirect_uri
            )
        else:
            session = await client.create_link_session(
                request.user_id,
                scopes=scopes_for(request.asset_types),
                language=language,
                redirect_uri=redirect_uri,
                vendor=request.vendor,
                # vendorType narrows Link UI to one asset type; multi-type sessions go by scopes.
                vendor_type=str(request.asset_types[0]) if len(request.asset_types) == 1 else None,
            )
    except Exception:
        async_pop_state(hass, state)
        raise
    return StartedLink(
        link_url=session.link_url,
        expires_at=_pending(hass)[state].expires_at,
        state=state,
    )


def link_outcome(query: Mapping[str, str]) -> dict[str, Any]:
    """Return the user input a flow receives for Link UI's redirect query.

    The texts end up in a flow's description (Markdown), so they are shortened and kept to one
    line of plain text.
    """
    if error := query.get(LINK_ERROR):
        return {
            LINK_ERROR: _plain(error, LINK_ERROR_MAX_LENGTH),
            LINK_ERROR_MESSAGE: _plain(query.get(LINK_ERROR_MESSAGE, ""), LINK_MESSAGE_MAX_LENGTH),
        }
    return {}


def _plain(text: str, limit: int) -> str:
    """Return text as one line without links, HTML or code markup, at most ``limit`` characters."""
    flat = " ".join(re.sub(r"[<>\[\]()`\\]", " ", text).split())
    return flat if len(flat) <= limit else f"{flat[: limit - 1]}…"


def link_error_placeholders(user_input: Mapping[str, Any]) -> dict[str, str] | None:
    """Return the placeholders of Link UI's error for a resumed flow, or None after success.

    ``reason`` is one readable sentence (ending in one full stop) for the step descriptions;
    ``error`` is Link UI's error code.
    """
    if not (error := user_input.get(LINK_ERROR)):
        return None
    code = str(error)
    return {
        LINK_ERROR: code,
        LINK_REASON: link_error_reason(code, str(user_input.get(LINK_ERROR_MESSAGE) or "")),
    }


def link_error_reason(code: str, message: str) -> str:
    """Return Link UI's own explanation of an error (its message, else its code) as one sentence.

    A user's cancel has no reason: the flows show their own translated ``link_cancelled`` step.
    """
    if code == LINK_ERROR_CANCELLED:
        return ""
    sentence = message.strip().rstrip(". ") or code
    return sentence if sentence.endswith(("!", "?", "…")) else f"{sentence}."


def step_after_link_ui(error: Mapping[str, str] | None, success_step: str) -> str:
    """Return the step a flow resumes with after Link UI: success, cancelled or failed."""
    if not error:
        return success_step
    return (
        STEP_LINK_CANCELLED if error.get(LINK_ERROR) == LINK_ERROR_CANCELLED else STEP_LINK_FAILED
    )


@callback
def async_link_ui_returned[ResultT: FlowResult[Any, Any]](
    flow: FlowHandler[Any, ResultT, Any], user_input: Mapping[str, Any], success_step: str
) -> tuple[ResultT, dict[str, str] | None]:
    """End the flow's external step ``link`` with Link UI's outcome (the callback view's input).

    Forgets the flow's link sessions and goes on with ``success_step``, ``link_cancelled`` or
    ``link_failed``. Returns that result and the placeholders of Link UI's error (None after
    success).
    """
    async_forget_flow(flow.hass, flow.flow_id)
    error = link_error_placeholders(user_input)
    next_step_id = step_after_link_ui(error, success_step)
    return flow.async_external_step_done(next_step_id=next_step_id), error


async def async_open_link_ui[ResultT: FlowResult[Any, Any]](
    flow: FlowHandler[Any, ResultT, Any],
    client: EnodeClient,
    request: LinkSessionRequest,
    *,
    target: LinkTarget,
) -> ResultT:
    """Open Link UI as the flow's external step ``link`` (a link or a relink session).

    Aborts the flow with ``no_url_available`` or ``link_session_failed`` when that is impossible.
    """
    try:
        started = await async_start_link(
            flow.hass, client, request, target=target, target_id=flow.flow_id
        )
    except NoURLAvailableError:
        return flow.async_abort(reason="no_url_available")
    except EnodeError as err:
        LOGGER.warning("Could not start an Enode link session: %s", err)
        return flow.async_abort(
            reason="link_session_failed",
            description_placeholders={"error": problem_text(err)},
        )
    return flow.async_external_step(step_id="link", url=started.link_url)


_PAGE = """<!DOCTYPE html>
<html lang="{language}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>body{{font-family:system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem;
color:#1d1f24}}</style></head>
<body><h1>{title}</h1><p>{message}</p>{script}</body></html>
"""


class CallbackPage(StrEnum):
    """The pages the callback view answers with; each has a title and a message in ``common``."""

    NOT_FOUND = "link_page_not_found"
    GONE = "link_page_gone"
    CANCELLED = "link_page_cancelled"
    LINKED = "link_page_linked"


async def _async_page(
    hass: HomeAssistant, page: CallbackPage, *, status: HTTPStatus, close: bool = False
) -> web.Response:
    """Return the small HTML page the browser shows after Link UI (in Home Assistant's language).

    ``close`` adds a script that closes the window (Home Assistant opened it for Link UI).
    """
    texts = await async_texts(hass)
    script = "<script>window.close()</script>" if close else ""
    html = _PAGE.format(
        language=escape(hass.config.language),
        title=escape(texts.common(f"{page}_title")),
        message=escape(texts.common(f"{page}_message")),
        script=script,
    )
    return web.Response(text=html, content_type="text/html", status=status)


class EnodeLinkCallbackView(HomeAssistantView):
    """The ``redirectUri`` of every Enode link session: finishes the waiting flow."""

    url = LINK_CALLBACK_PATH
    name = LINK_CALLBACK_NAME
    # Link UI redirects the user's browser here without Home Assistant credentials; the
    # unguessable, single-use state is what authorises the request.
    requires_auth = False

    async def get(self, request: web.Request) -> web.Response:
        """Handle the browser coming back from Link UI."""
        hass = request.app[KEY_HASS]
        state = request.query.get("state")
        pending = async_pop_state(hass, state) if state else None
        if pending is None:
            return await _async_page(hass, CallbackPage.NOT_FOUND, status=HTTPStatus.BAD_REQUEST)
        outcome = link_outcome(dict(request.query))
        try:
            await self._async_resume(hass, pending, outcome)
        except (UnknownFlow, UnknownStep):
            LOGGER.debug("The flow waiting for Link UI (%s) is gone", pending.target)
            return await _async_page(hass, CallbackPage.GONE, status=HTTPStatus.GONE)
        page = CallbackPage.CANCELLED if outcome else CallbackPage.LINKED
        return await _async_page(hass, page, status=HTTPStatus.OK, close=True)

    @staticmethod
    async def _async_resume(
        hass: HomeAssistant, pending: PendingLink, outcome: dict[str, Any]
    ) -> None:
        """Hand the Link UI outcome to what is waiting for it."""
        if pending.target is LinkTarget.CONFIG_FLOW:
            await hass.config_entries.flow.async_configure(pending.target_id, outcome)
        elif pending.target is LinkTarget.OPTIONS_FLOW:
            await hass.config_entries.options.async_configure(pending.target_id, outcome)
        elif pending.target is LinkTarget.REPAIR_FLOW:
            from homeassistant.components.repairs import repairs_flow_manager

            if (manager := repairs_flow_manager(hass)) is None:
                raise UnknownFlow
            await manager.async_configure(pending.target_id, outcome)
        else:
            entry = hass.config_entries.async_get_entry(pending.target_id)
            if entry is None or entry.state is not ConfigEntryState.LOADED:
                raise UnknownFlow
            await entry.runtime_data.coordinator.async_request_refresh()


@callback
def async_setup_link(hass: HomeAssistant) -> None:
    """Register the Link UI callback view (once).

    Called from ``async_setup`` and again before every link session: a config flow runs before
    the integration is set up, so the view may not be there yet.
    """
    if hass.data.get(DATA_VIEW_REGISTERED):
        return
    hass.http.register_view(EnodeLinkCallbackView())
    hass.data[DATA_VIEW_REGISTERED] = True
