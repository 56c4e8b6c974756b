"""Exceptions of the Enode client library."""

from __future__ import annotations


class EnodeError(Exception):
    """Root of every error raised by the Enode client.

    ``status`` is the HTTP status (when there was a response); ``problem_type``, ``title`` and
    ``detail`` come from Enode's problem body (``{"type", "title", "detail"}``) when it had one.
    """

    def __init__(
        self,
        message: str | None = None,
        *,
        status: int | None = None,
        problem_type: str | None = None,
        title: str | None = None,
        detail: str | None = None,
    ) -> None:
        """Initialize the error."""
        self.status = status
        self.problem_type = problem_type
        self.title = title
        self.detail = detail
        if message is None:
            parts = [str(part) for part in (status, title, detail) if part]
            message = ": ".join(parts) if parts else self.__class__.__name__
        super().__init__(message)


class EnodeConnectionError(EnodeError):
    """Enode could not be reached (network error)."""


class EnodeTimeoutError(EnodeConnectionError):
    """A request to Enode timed out."""


class EnodeAuthenticationError(EnodeError):
    """The client credentials were rejected, or a token was rejected after one refresh."""


class EnodeRateLimitError(EnodeError):
    """Enode answered 429 and the client would not wait ``retry_after`` seconds."""

    def __init__(
        self,
        message: str | None = None,
        *,
        retry_after: float | None = None,
        status: int | None = 429,
        problem_type: str | None = None,
        title: str | None = None,
        detail: str | None = None,
    ) -> None:
        """Initialize the error."""
        self.retry_after = retry_after
        super().__init__(
            message,
            status=status,
            problem_type=problem_type,
            title=title,
            detail=detail,
        )


class EnodeNotFoundError(EnodeError):
    """The resource does not exist (404)."""


class EnodeForbiddenError(EnodeError):
    """The request is forbidden (403), for example the connections limit is reached."""


class EnodePreconditionError(EnodeError):
    """A precondition or validation check failed (400)."""


class EnodeConflictError(EnodeError):
    """A conflict (409: action already resolved; 422: schedule/smart charging in control)."""


class EnodeServerError(EnodeError):
    """Enode answered with a 5xx status."""


class EnodeResponseError(EnodeError):
    """Enode answered with a malformed or unexpected body (or an unexpected status)."""
