"""Shared helpers: the client factory, the language mapper and the one error translator.

Every path that talks to Enode on a user's behalf — entity commands, actions (services), flows and
the coordinator — turns the client's errors into Home Assistant errors here, with the same
translation keys everywhere: rejected credentials start reauth, a 429 says when to try again, a
5xx says Enode is unavailable.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Iterable, Mapping
from datetime import datetime, timedelta
import functools
from typing import TYPE_CHECKING, Any, Concatenate

from homeassistant.const import CONF_CLIENT_ID, CONF_CLIENT_SECRET
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.event import async_call_later
from homeassistant.util import dt as dt_util

from .api import (
    ActionState,
    AssetBase,
    Capability,
    EnodeAuthenticationError,
    EnodeClient,
    EnodeConflictError,
    EnodeConnectionError,
    EnodeError,
    EnodeForbiddenError,
    EnodeNotFoundError,
    EnodePreconditionError,
    EnodeRateLimitError,
    EnodeServerError,
    Environment,
    VendorAction,
)
from .const import CONF_API_URL, CONF_ENVIRONMENT, CONF_TOKEN_URL, DOMAIN
from .texts import cached_texts

if TYPE_CHECKING:
    from .entity import EnodeEntity
    from .models import EnodeConfigEntry, EnodeData

# Language used for Enode texts when Home Assistant's language has no Enode equivalent.
DEFAULT_ENODE_LANGUAGE = "en-US"
# Retry-After assumed when Enode's 429 does not say.
DEFAULT_RETRY_AFTER = 60.0


class Deadline:
    """A call due some time after the last ``set``, which is mostly moved later (every webhook
    delivery moves push's deadlines by minutes): moving it later only notes the new time, and the
    timer already running, when it fires early, waits again for the rest. A delivery starts no
    push health timer of its own (README "Performance")."""

    def __init__(self, hass: HomeAssistant, action: Callable[[datetime], None]) -> None:
        """Do nothing until ``set``; then call ``action`` (with the time) once it is due."""
        self._hass = hass
        self._action = action
        # When the call is due, and when the running timer fires (None: none runs).
        self._due: datetime | None = None
        self._fires_at: datetime | None = None
        self._cancel_timer: CALLBACK_TYPE | None = None

    @property
    def pending(self) -> bool:
        """Return whether the call is still to come."""
        return self._due is not None

    @callback
    def set(self, delay: timedelta) -> None:
        """Make the call due ``delay`` from now (earlier or later than it was)."""
        now = dt_util.utcnow()
        due = self._due = now + delay
        if self._fires_at is None or self._fires_at > due:
            self._start(due, now)

    @callback
    def cancel(self) -> None:
        """Do not make the call."""
        self._due = None
        self._stop()

    def _start(self, at: datetime, now: datetime) -> None:
        self._stop()
        self._fires_at = at
        self._cancel_timer = async_call_later(
            self._hass, (at - now).total_seconds(), self._async_fired
        )

    def _stop(self) -> None:
        if self._cancel_timer is not None:
            self._cancel_timer()
        self._cancel_timer = self._fires_at = None

    @callback
    def _async_fired(self, now: datetime) -> None:
        # ``now``: Home Assistant's time trackers' clock (which tests move).
        self._cancel_timer = self._fires_at = None
        if (due := self._due) is None:
            return
        if now < due:  # moved later since the timer started
            self._start(due, now)
            return
        self._due = None
        self._action(now)


def create_client(hass: HomeAssistant, data: Mapping[str, Any]) -> EnodeClient:
    """Return a new Enode client for a config entry's (or a flow's) data, on HA's shared session.

    Entries and flows take theirs from ``hub.async_get_hub``: one client, so one access token,
    per Enode client and secret.
    """
    environment = Environment(data.get(CONF_ENVIRONMENT, Environment.PRODUCTION))
    custom = environment is Environment.CUSTOM
    return EnodeClient(
        data[CONF_CLIENT_ID],
        data[CONF_CLIENT_SECRET],
        environment=environment,
        api_url=data.get(CONF_API_URL) if custom else None,
        token_url=data.get(CONF_TOKEN_URL) if custom else None,
        session=async_get_clientsession(hass),
    )


def enode_language(language: str | None, supported: Iterable[str]) -> str:
    """Map a Home Assistant language ("en", "en-GB", "nb", ...) to one Enode supports.

    An exact match first, then the first supported language with the same primary language
    (Norwegian "no"/"nn" count as "nb"), else en-US.
    """
    codes = [code for code in supported if code != "browser"]
    if not language:
        return DEFAULT_ENODE_LANGUAGE
    wanted = language.replace("_", "-").lower()
    for code in codes:
        if code.lower() == wanted:
            return code
    primary = wanted.split("-", 1)[0]
    if primary in ("no", "nn"):
        primary = "nb"
    for code in codes:
        if code.split("-", 1)[0].lower() == primary:
            return code
    return DEFAULT_ENODE_LANGUAGE


def problem_text(error: EnodeError) -> str:
    """Return the most useful human text of an Enode error (its Problem detail or title)."""
    return error.detail or error.title or str(error)


def retry_after(error: EnodeRateLimitError) -> float:
    """Return how long to wait after a 429 (Enode's Retry-After, else a minute)."""
    return error.retry_after if error.retry_after else DEFAULT_RETRY_AFTER


def error_translation(error: EnodeError, device: str | None) -> tuple[str, dict[str, str]]:
    """Return the translation key and placeholders for a client error.

    ``device`` names the device the request was about; errors that are about a device use a
    device-less key when there is none (an action on the whole entry).
    """
    placeholders = {"error": problem_text(error)}
    key: str
    if isinstance(error, EnodeAuthenticationError):
        return "authentication_error", {}
    if isinstance(error, EnodeRateLimitError):
        return "rate_limited_action", {"retry_after": f"{retry_after(error):.0f}"}
    if isinstance(error, EnodeServerError):
        return "enode_unavailable", placeholders
    if isinstance(error, EnodeConnectionError):
        return "communication_error", placeholders
    if isinstance(error, EnodePreconditionError):
        key = "precondition_failed"
    elif isinstance(error, EnodeConflictError):
        key = "controlled_by_schedule" if error.status == 422 else "action_conflict"
    elif isinstance(error, EnodeNotFoundError):
        key = "not_found"
    elif isinstance(error, EnodeForbiddenError):
        key = "forbidden"
    else:
        key = "unknown_error"
    if device is None:
        return "request_failed" if key == "unknown_error" else "request_rejected", placeholders
    return key, {"device": device, **placeholders}


def translate_error(
    hass: HomeAssistant,
    error: EnodeError,
    *,
    entry: EnodeConfigEntry | None,
    device: str | None = None,
) -> HomeAssistantError:
    """Return the translated Home Assistant error for a client error.

    Rejected credentials also start the entry's reauth flow (as a failed refresh does).
    """
    if isinstance(error, EnodeAuthenticationError) and entry is not None:
        entry.async_start_reauth(hass)
    key, placeholders = error_translation(error, device)
    return HomeAssistantError(
        translation_domain=DOMAIN,
        translation_key=key,
        translation_placeholders=placeholders,
    )


def flow_error(error: Exception) -> str:
    """Return the config-flow error key for an error while verifying or reading Enode."""
    if isinstance(error, EnodeAuthenticationError):
        return "invalid_auth"
    if isinstance(error, EnodeRateLimitError):
        return "rate_limited"
    if isinstance(error, EnodeError):
        return "cannot_connect"
    return "unknown"


def enode_exception_handler[EntityT: EnodeEntity[AssetBase], **P](
    func: Callable[Concatenate[EntityT, P], Coroutine[Any, Any, None]],
) -> Callable[Concatenate[EntityT, P], Coroutine[Any, Any, None]]:
    """Decorate an entity's command: translate Enode errors to a ``HomeAssistantError``."""

    async def handler(self: EntityT, /, *args: P.args, **kwargs: P.kwargs) -> None:
        try:
            await func(self, *args, **kwargs)
        except EnodeError as error:
            raise translate_error(
                self.hass,
                error,
                entry=self.coordinator.config_entry,
                device=self.device_info_name,
            ) from error

    functools.update_wrapper(handler, func)
    return handler


def raise_if_unusable(
    hass: HomeAssistant, data: EnodeData, capability: Capability, name: str, device: str
) -> None:
    """Raise a translated ServiceValidationError when a capability is missing or blocked.

    ``name`` is the capability's key ("start_charging"): the message names it in Home
    Assistant's language (``common.capability_<name>``, "Starting charging"). A blocked
    capability names what the user must do (the interventions' titles).
    """
    if capability.is_capable:
        return
    name = cached_texts(hass).capability(name)
    if not capability.is_blocked:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="capability_missing",
            translation_placeholders={"device": device, "capability": name},
        )
    interventions = data.interventions
    titles = [
        str(interventions[iid].resolution.title) if iid in interventions else iid
        for iid in capability.intervention_ids
    ]
    raise ServiceValidationError(
        translation_domain=DOMAIN,
        translation_key="capability_blocked",
        translation_placeholders={
            "device": device,
            "capability": name,
            "intervention": "; ".join(titles),
        },
    )


def raise_for_action(device: str, action: VendorAction) -> None:
    """Raise a translated ``HomeAssistantError`` when an action failed or was cancelled."""
    if action.state not in (ActionState.FAILED, ActionState.CANCELLED):
        return
    failure = action.failure_reason
    detail = failure.detail if failure and failure.detail else str(action.state)
    raise HomeAssistantError(
        translation_domain=DOMAIN,
        translation_key="action_failed"
        if action.state is ActionState.FAILED
        else "action_cancelled",
        translation_placeholders={"device": device, "detail": detail},
    )
