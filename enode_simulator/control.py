"""The control API under ``/_simulator/`` (JSON), mirroring the ``Simulator`` methods."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiohttp import web

from .app import read_json
from .state import ApiError

if TYPE_CHECKING:
    from .simulator import Simulator


def _simulator(request: web.Request) -> Simulator:
    from .simulator import SIMULATOR_KEY

    return request.app[SIMULATOR_KEY]


async def control_call(request: web.Request) -> web.Response:
    """``POST /_simulator/<operation>`` with the method's keyword arguments as a JSON object."""
    simulator = _simulator(request)
    arguments: Any = {}
    if request.can_read_body:
        arguments = await read_json(request)
    if not isinstance(arguments, dict):
        raise ApiError(400, "Bad request", "Body must be a JSON object of keyword arguments.")
    result = simulator.call_control(request.match_info["operation"], arguments)
    return web.json_response({"ok": True, "result": result})


async def control_state(request: web.Request) -> web.Response:
    """``GET /_simulator/state``: users, assets, actions, locations, vendor accounts, faults."""
    return web.json_response(_simulator(request).snapshot())


async def control_requests(request: web.Request) -> web.Response:
    """``GET /_simulator/requests``: the API request log."""
    simulator = _simulator(request)
    return web.json_response({"count": len(simulator.requests), "requests": simulator.request_log})


async def control_clear_requests(request: web.Request) -> web.Response:
    """``DELETE /_simulator/requests``."""
    _simulator(request).clear_requests()
    return web.Response(status=204)


async def control_events(request: web.Request) -> web.Response:
    """``GET /_simulator/events``: every event emitted (what webhooks deliver)."""
    return web.json_response(_simulator(request).events)


async def control_asset(request: web.Request) -> web.Response:
    """``GET /_simulator/assets/{assetId}``: an asset's wire view without authentication."""
    return web.json_response(_simulator(request).asset(request.match_info["assetId"]))


def add_control_routes(app: web.Application) -> None:
    """Register ``/_simulator/...``."""
    router = app.router
    router.add_get("/_simulator/state", control_state)
    router.add_get("/_simulator/requests", control_requests)
    router.add_delete("/_simulator/requests", control_clear_requests)
    router.add_get("/_simulator/events", control_events)
    router.add_get("/_simulator/assets/{assetId}", control_asset)
    router.add_post("/_simulator/{operation}", control_call)
