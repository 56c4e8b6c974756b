"""The one error-translating helper every Enode action (switch, number, ...) goes through."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
import functools
from typing import Any, Concatenate

from homeassistant.exceptions import HomeAssistantError

from .api import (
    ActionState,
    EnodeAuthenticationError,
    EnodeConflictError,
    EnodeConnectionError,
    EnodeError,
    EnodeForbiddenError,
    EnodeNotFoundError,
    EnodePreconditionError,
    EnodeRateLimitError,
)
from .const import DOMAIN
from .coordinator import EnodeAction
from .entity import EnodeEntity


def _detail(error: EnodeError) -> str:
    """Return the most useful human text of an error."""
    return error.detail or error.title or str(error)


def translate_error(entity: EnodeEntity, error: EnodeError) -> HomeAssistantError:
    """Return the translated Home Assistant error for a client error."""
    key: str
    placeholders = {"device": entity.device_info_name, "error": _detail(error)}
    if isinstance(error, EnodeAuthenticationError):
        entity.coordinator.config_entry.async_start_reauth(entity.hass)
        key = "authentication_error"
    elif isinstance(error, EnodePreconditionError):
        key = "precondition_failed"
    elif isinstance(error, EnodeConflictError):
        key = "controlled_by_schedule" if error.status == 422 else "action_conflict"
    elif isinstance(error, EnodeRateLimitError):
        key = "rate_limited_action"
        placeholders["retry_after"] = f"{error.retry_after or 60:.0f}"
    elif isinstance(error, EnodeNotFoundError):
        key = "not_found"
    elif isinstance(error, EnodeForbiddenError):
        key = "forbidden"
    elif isinstance(error, EnodeConnectionError):
        key = "communication_error"
    else:
        key = "unknown_error"
    return HomeAssistantError(
        translation_domain=DOMAIN,
        translation_key=key,
        translation_placeholders=placeholders,
    )


def enode_exception_handler[EntityT: EnodeEntity, **P](
    func: Callable[Concatenate[EntityT, P], Coroutine[Any, Any, Any]],
) -> Callable[Concatenate[EntityT, P], Coroutine[Any, Any, None]]:
    """Decorate an entity's command: translate Enode errors to HomeAssistantError."""

    @functools.wraps(func)
    async def handler(self: EntityT, *args: P.args, **kwargs: P.kwargs) -> None:
        try:
            await func(self, *args, **kwargs)
        except EnodeError as error:
            raise translate_error(self, error) from error
        finally:
            self.coordinator.async_update_listeners()

    return handler  # type: ignore[return-value]


def raise_for_action(entity: EnodeEntity, action: EnodeAction) -> None:
    """Raise a translated HomeAssistantError when an action failed or was cancelled."""
    if action.state not in (ActionState.FAILED, ActionState.CANCELLED):
        return
    failure = action.failure_reason
    detail = failure.detail if failure and failure.detail else str(action.state)
    raise HomeAssistantError(
        translation_domain=DOMAIN,
        translation_key="action_failed"
        if action.state is ActionState.FAILED
        else "action_cancelled",
        translation_placeholders={"device": entity.device_info_name, "detail": detail},
    )
