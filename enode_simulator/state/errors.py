"""Enode Problem responses: :class:`ApiError` and its shortcuts.

Every refusal the state gives (a 400 precondition, a 404 lookup, a 409, a 422) is raised as an
``ApiError``; ``app.py`` turns it into the HTTP response. New Problem kinds belong here.
"""

from __future__ import annotations

from .model import JSON


class ApiError(Exception):
    """An Enode Problem response: ``{type, title, detail}`` with an HTTP status."""

    SLUGS: dict[int, str] = {
        400: "bad-request",
        401: "unauthorized",
        403: "forbidden",
        404: "not-found",
        405: "method-not-allowed",
        409: "conflict",
        422: "unprocessable-entity",
        429: "too-many-requests",
        500: "server-error",
        502: "bad-gateway",
        503: "service-unavailable",
        504: "gateway-timeout",
    }

    def __init__(self, status: int, title: str, detail: str, *, body: JSON | None = None) -> None:
        """``body`` replaces the Problem body (409 on cancel returns the action)."""
        super().__init__(f"{status} {title}: {detail}")
        self.status = status
        self.title = title
        self.detail = detail
        self.body = body

    @property
    def problem(self) -> JSON:
        """The Problem body."""
        if self.body is not None:
            return self.body
        slug = self.SLUGS.get(self.status, "error")
        return {
            "type": f"https://developers.enode.com/api/problems/{slug}",
            "title": self.title,
            "detail": self.detail,
        }


def bad_request(detail: str) -> ApiError:
    """A 400 Problem."""
    return ApiError(400, "Bad request", detail)


def not_found(detail: str) -> ApiError:
    """A 404 Problem."""
    return ApiError(404, "Not Found", detail)
