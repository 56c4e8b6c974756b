"""Transport tests that the simulator cannot produce, against a tiny aiohttp server on loopback.

Real HTTP (no mocking): a small ``aiohttp.web`` application on 127.0.0.1 answers what each test
needs, for example a malformed token response, a 418, a pagination cursor that never ends, or
echoes the request headers so that ``Enode-Version`` and the bearer token can be asserted.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import aiohttp
from aiohttp import web
import pytest

from custom_components.enode.api import (
    API_URLS,
    TOKEN_URLS,
    EnodeAuthenticationError,
    EnodeClient,
    EnodeConnectionError,
    EnodeNotFoundError,
    EnodeRateLimitError,
    EnodeResponseError,
    EnodeServerError,
    EnodeTimeoutError,
    Environment,
    parse_retry_after,
)

type Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class TinyServer:
    """A loopback server whose routes the test sets; it records every request."""

    def __init__(self) -> None:
        self.app = web.Application()
        self.requests: list[tuple[str, str, dict[str, str], bytes]] = []
        self.token_responses: list[web.Response] = []
        self.routes: dict[tuple[str, str], Handler] = {}
        self.app.router.add_route("*", "/{tail:.*}", self._dispatch)
        self.runner = web.AppRunner(self.app)
        self.base_url = ""
        self.tokens_issued = 0

    async def start(self) -> None:
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.base_url = f"http://127.0.0.1:{port}"

    async def stop(self) -> None:
        await self.runner.cleanup()

    @property
    def token_url(self) -> str:
        return f"{self.base_url}/oauth2/token"

    def route(self, method: str, path: str) -> Callable[[Handler], Handler]:
        def decorator(handler: Handler) -> Handler:
            self.routes[(method, path)] = handler
            return handler

        return decorator

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        self.requests.append((request.method, request.raw_path, dict(request.headers), body))
        if request.path == "/oauth2/token" and ("POST", "/oauth2/token") not in self.routes:
            self.tokens_issued += 1
            return web.json_response(
                {"access_token": f"token-{self.tokens_issued}", "expires_in": 3600}
            )
        handler = self.routes.get((request.method, request.path))
        if handler is None:
            return web.json_response(
                {"type": "not-found", "title": "Not Found", "detail": "Route not found"},
                status=404,
            )
        return await handler(request)

    def api_requests(self) -> list[tuple[str, str, dict[str, str], bytes]]:
        return [r for r in self.requests if not r[1].startswith("/oauth2/token")]


@pytest.fixture
async def server(socket_enabled: None) -> AsyncGenerator[TinyServer]:
    """A started tiny server."""
    tiny = TinyServer()
    await tiny.start()
    yield tiny
    await tiny.stop()


@pytest.fixture
async def client(server: TinyServer) -> AsyncGenerator[EnodeClient]:
    """A client for the tiny server with a short backoff."""
    async with EnodeClient(
        "id",
        "secret",
        environment=Environment.CUSTOM,
        api_url=server.base_url,
        token_url=server.token_url,
        request_timeout=2,
        retry_base_delay=0.001,
    ) as enode:
        yield enode


async def test_headers_on_every_request(server: TinyServer, client: EnodeClient) -> None:
    """Every API request has Enode-Version and the bearer token; the token call uses Basic auth."""

    @server.route("GET", "/vehicles/v1")
    async def _vehicle(request: web.Request) -> web.Response:
        return web.json_response({"id": "v1"})

    @server.route("POST", "/chargers/c1/refresh-hint")
    async def _hint(request: web.Request) -> web.Response:
        return web.Response(status=204)

    await client.get_vehicle("v1")
    await client.refresh_hint("charger", "c1")  # type: ignore[arg-type]
    token_call = server.requests[0]
    assert token_call[0] == "POST"
    assert token_call[2]["Authorization"] == aiohttp.BasicAuth("id", "secret").encode()
    assert token_call[3] == b"grant_type=client_credentials"
    api = server.api_requests()
    assert len(api) == 2
    for _, _, headers, _ in api:
        assert headers["Enode-Version"] == "2024-10-01"
        assert headers["Authorization"] == "Bearer token-1"


async def test_path_segments_are_quoted(server: TinyServer, client: EnodeClient) -> None:
    """An id is sent as one quoted path segment."""
    with pytest.raises(EnodeNotFoundError) as err:
        await client.list_vehicles("a/b c")
    assert err.value.detail == "Route not found"
    assert server.api_requests()[0][1].startswith("/users/a%2Fb%20c/vehicles?")


@pytest.mark.parametrize(
    ("response", "error"),
    [
        (lambda: web.Response(text="not json", status=200), EnodeResponseError),
        (lambda: web.json_response({"expires_in": 10}), EnodeResponseError),
        (lambda: web.json_response({"access_token": "", "expires_in": 10}), EnodeResponseError),
        (lambda: web.json_response({"access_token": "t", "expires_in": "x"}), EnodeResponseError),
        (lambda: web.json_response(["a"]), EnodeResponseError),
        (
            lambda: web.json_response({"error": "invalid_client"}, status=401),
            EnodeAuthenticationError,
        ),
        (
            lambda: web.json_response({"error": "invalid_request"}, status=400),
            EnodeAuthenticationError,
        ),
        (lambda: web.Response(status=502), EnodeServerError),
    ],
)
async def test_bad_token_responses(
    server: TinyServer,
    client: EnodeClient,
    response: Callable[[], web.Response],
    error: type[Exception],
) -> None:
    """Malformed or failed token responses raise the right error."""

    @server.route("POST", "/oauth2/token")
    async def _token(request: web.Request) -> web.Response:
        return response()

    with pytest.raises(error):
        await client.verify_credentials()


async def test_token_refreshed_before_expiry(server: TinyServer, client: EnodeClient) -> None:
    """The cached token is reused until shortly before expires_in, then refreshed."""
    now = [1000.0]
    client.clock = lambda: now[0]

    @server.route("GET", "/users/u")
    async def _user(request: web.Request) -> web.Response:
        return web.json_response({"id": "u", "linkedVendors": []})

    await client.get_user("u")
    await client.get_user("u")
    assert server.tokens_issued == 1
    now[0] += 3600 - 61  # margin is 60 s for a 3600 s token
    await client.get_user("u")
    assert server.tokens_issued == 1
    now[0] += 2
    await client.get_user("u")
    assert server.tokens_issued == 2
    assert server.api_requests()[-1][2]["Authorization"] == "Bearer token-2"


async def test_unexpected_status_and_bodies(server: TinyServer, client: EnodeClient) -> None:
    """A 418, a non-list where a list is expected, and a never-ending cursor."""

    @server.route("GET", "/vehicles/teapot")
    async def _teapot(request: web.Request) -> web.Response:
        return web.json_response({"title": "I'm a teapot", "detail": 5}, status=418)

    @server.route("GET", "/integrations")
    async def _integrations(request: web.Request) -> web.Response:
        return web.json_response({"data": []})

    @server.route("GET", "/users/u/chargers")
    async def _loop(request: web.Request) -> web.Response:
        return web.json_response(
            {"data": [{"id": request.query.get("after", "c0")}], "pagination": {"after": "c1"}}
        )

    @server.route("GET", "/users/u/locations")
    async def _bare_list(request: web.Request) -> web.Response:
        return web.json_response([{"id": "l1"}])

    @server.route("GET", "/users/u/meters")
    async def _no_pagination(request: web.Request) -> web.Response:
        return web.json_response({"data": [{"id": "m1"}]})

    @server.route("GET", "/users/u/batteries")
    async def _bad_item(request: web.Request) -> web.Response:
        return web.json_response({"data": [["not", "an", "object"]], "pagination": None})

    @server.route("GET", "/users/u/hvacs")
    async def _bad_value(request: web.Request) -> web.Response:
        return web.json_response({"data": [{"id": "h", "lastSeen": "yesterday"}]})

    @server.route("GET", "/users/u/inverters")
    async def _bad_type(request: web.Request) -> web.Response:
        return web.json_response({"data": [{"id": "i", "scopes": 5}]})

    with pytest.raises(EnodeResponseError) as err:
        await client.get_vehicle("teapot")
    assert err.value.status == 418
    assert err.value.title == "I'm a teapot"
    assert err.value.detail is None
    with pytest.raises(EnodeResponseError):
        await client.list_integrations()
    chargers = await client.list_chargers("u")
    assert [c.id for c in chargers] == ["c0", "c1"]  # the repeated cursor stops the loop
    assert [m.id for m in await client.list_meters("u")] == ["m1"]
    with pytest.raises(EnodeResponseError, match="paginated"):
        await client.list_locations("u")
    with pytest.raises(EnodeResponseError, match="Battery"):
        await client.list_batteries("u")
    with pytest.raises(EnodeResponseError, match="last_seen") as bad_value:
        await client.list_hvacs("u")
    assert "yesterday" not in str(bad_value.value)
    with pytest.raises(EnodeResponseError):
        await client.list_inverters("u")


async def test_retry_after_http_date(server: TinyServer) -> None:
    """Retry-After as an HTTP date is honoured (wait and retry when short enough)."""
    calls = 0

    @server.route("GET", "/users/u")
    async def _user(request: web.Request) -> web.Response:
        nonlocal calls
        calls += 1
        if calls == 1:
            when = datetime.now(UTC) + timedelta(seconds=1)
            return web.Response(status=429, headers={"Retry-After": format_datetime(when, True)})
        return web.json_response({"id": "u", "linkedVendors": []})

    async with EnodeClient(
        "id",
        "secret",
        environment=Environment.CUSTOM,
        api_url=server.base_url,
        token_url=server.token_url,
        max_rate_limit_wait=5,
    ) as enode:
        user = await enode.get_user("u")
    assert user.id == "u"
    assert calls == 2


async def test_rate_limit_waits_are_bounded(server: TinyServer) -> None:
    """A server that keeps answering 429 ends in EnodeRateLimitError (no endless loop)."""

    @server.route("POST", "/users/u/link")
    async def _link(request: web.Request) -> web.Response:
        return web.Response(status=429, headers={"Retry-After": "0"})

    async with EnodeClient(
        "id",
        "secret",
        environment=Environment.CUSTOM,
        api_url=server.base_url,
        token_url=server.token_url,
        max_rate_limit_wait=1,
        max_retries=2,
    ) as enode:
        with pytest.raises(EnodeRateLimitError) as err:
            await enode.create_link_session(
                "u", scopes=["vehicle:read:data"], language="en-US", redirect_uri="http://x"
            )
    assert err.value.retry_after == 0
    assert len(server.api_requests()) == 3


def test_parse_retry_after() -> None:
    """Retry-After parsing: seconds, HTTP dates (past = 0), garbage = None."""
    now = datetime(2024, 1, 1, 12, tzinfo=UTC)
    assert parse_retry_after("120") == 120
    assert parse_retry_after(" 1.5 ") == 1.5
    assert parse_retry_after("-3") == 0
    assert parse_retry_after(None) is None
    assert parse_retry_after("") is None
    assert parse_retry_after("soon") is None
    assert parse_retry_after("Mon, 01 Jan 2024 12:00:30 GMT", now=now) == 30
    assert parse_retry_after("Mon, 01 Jan 2024 11:00:00 GMT", now=now) == 0
    assert parse_retry_after("Mon, 01 Jan 2024 12:01:00", now=now) == 60


async def test_timeout_on_token_and_post_not_retried(server: TinyServer) -> None:
    """A slow POST times out without a retry."""
    calls = 0

    @server.route("POST", "/vehicles/v/charging")
    async def _slow(request: web.Request) -> web.Response:
        nonlocal calls
        calls += 1
        await asyncio.sleep(1)
        return web.json_response({})  # pragma: no cover - the client gave up

    async with EnodeClient(
        "id",
        "secret",
        environment=Environment.CUSTOM,
        api_url=server.base_url,
        token_url=server.token_url,
        request_timeout=0.2,
        retry_base_delay=0.001,
    ) as enode:
        with pytest.raises(EnodeTimeoutError):
            await enode.set_vehicle_charging("v", "START")  # type: ignore[arg-type]
    assert calls == 1


async def test_health_unexpected_status(server: TinyServer, client: EnodeClient) -> None:
    """health() raises on a status other than 2xx/503 and sends no token."""

    @server.route("GET", "/health/ready")
    async def _health(request: web.Request) -> web.Response:
        assert "Authorization" not in request.headers
        return web.Response(status=500)

    with pytest.raises(EnodeServerError):
        await client.health()
    assert server.tokens_issued == 0


async def test_connection_refused(server: TinyServer) -> None:
    """An unreachable server raises EnodeConnectionError after the retries."""
    base = server.base_url
    await server.stop()
    async with EnodeClient(
        "id",
        "secret",
        environment=Environment.CUSTOM,
        api_url=base,
        token_url=f"{base}/oauth2/token",
        retry_base_delay=0.001,
        max_retries=2,
    ) as enode:
        with pytest.raises(EnodeConnectionError) as err:
            await enode.verify_credentials()
    assert not isinstance(err.value, EnodeTimeoutError)


async def test_session_ownership(server: TinyServer) -> None:
    """An injected session is never closed; a session the client created is."""
    async with aiohttp.ClientSession() as session:
        enode = EnodeClient(
            "id",
            "secret",
            environment=Environment.CUSTOM,
            api_url=server.base_url,
            token_url=server.token_url,
            session=session,
        )
        await enode.verify_credentials()
        await enode.close()
        assert not session.closed

    enode = EnodeClient(
        "id",
        "secret",
        environment=Environment.CUSTOM,
        api_url=server.base_url,
        token_url=server.token_url,
    )
    await enode.verify_credentials()
    own = enode._session
    assert own is not None
    await enode.close()
    assert own.closed
    await enode.close()  # idempotent


def test_environments() -> None:
    """Production and sandbox URLs; CUSTOM needs both URLs."""
    production = EnodeClient("id", "secret")
    assert production.api_url == API_URLS[Environment.PRODUCTION]
    assert production.token_url == TOKEN_URLS[Environment.PRODUCTION]
    sandbox = EnodeClient("id", "secret", environment=Environment.SANDBOX)
    assert sandbox.api_url == "https://enode-api.sandbox.enode.io"
    assert sandbox.token_url == "https://oauth.sandbox.enode.io/oauth2/token"
    custom = EnodeClient(
        "id",
        "secret",
        environment=Environment.CUSTOM,
        api_url="http://127.0.0.1:1/",
        token_url="http://127.0.0.1:1/oauth2/token",
    )
    assert custom.api_url == "http://127.0.0.1:1"
    with pytest.raises(ValueError, match="api_url"):
        EnodeClient("id", "secret", environment=Environment.CUSTOM, api_url="http://x")
    with pytest.raises(ValueError, match="api_url"):
        EnodeClient("id", "secret", environment="custom")  # type: ignore[arg-type]


async def test_update_webhook_rejects_unknown_fields(client: EnodeClient) -> None:
    """update_webhook only accepts known fields (checked before any request)."""
    with pytest.raises(TypeError, match="colour"):
        await client.update_webhook("w", colour="blue")
