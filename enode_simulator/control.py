"""The control API under ``/_simulator/`` (JSON), mirroring the ``Simulator`` methods."""

from __future__ import annotations

from html import escape
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


_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Enode simulator</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2rem; max-width: 70rem; }}
table {{ border-collapse: collapse; margin-bottom: 1.5rem; }}
td, th {{ border: 1px solid #ccc; padding: .3rem .6rem; text-align: left; vertical-align: top; }}
form {{ display: inline; }} .muted {{ color: #666; }}
</style></head><body>
<h1>Enode simulator</h1>
<p class="muted">Simulated time {now}. Client <code>{client}</code>. Control API: POST
<code>/_simulator/&lt;operation&gt;</code> with JSON; state as JSON at
<a href="/_simulator/state">/_simulator/state</a>.</p>
<p>{advance}</p>
{users}
</body></html>"""


def _button(operation: str, label: str, **fields: Any) -> str:
    hidden = "".join(
        f'<input type="hidden" name="{escape(k)}" value="{escape(str(v))}">'
        for k, v in fields.items()
    )
    return (
        f'<form method="post" action="/_simulator/ui/{escape(operation)}">{hidden}'
        f'<button type="submit">{escape(label)}</button></form>'
    )


def _energy_details(body: dict[str, Any]) -> str:
    """What a battery, inverter, meter or HVAC unit reports now, in one line."""
    if charge := body.get("chargeState"):
        mode = (body.get("config") or {}).get("operationMode")
        return f"{charge['status']}, {charge['batteryLevel']} %, {charge['chargeRate']} kW, {mode}"
    if production := body.get("productionState"):
        return f"{production['productionRate']} kW, {production['totalLifetimeProduction']} kWh"
    if energy := body.get("energyState"):
        return f"grid {energy['power']} kW"
    thermostat = body.get("thermostatState") or {}
    temperature = (body.get("temperatureState") or {}).get("currentTemperature")
    setpoint = thermostat.get("heatSetpoint") or thermostat.get("coolSetpoint")
    mode, hold = thermostat.get("mode"), thermostat.get("holdType")
    return f"{mode} {temperature} °C -> {setpoint} °C, {hold}"


def _asset_row(simulator: Simulator, asset_id: str) -> str:
    state = simulator.state
    asset = state.assets[asset_id]
    body = state.render_asset(asset)
    info = asset.information
    name = info.get("displayName") or " ".join(
        str(part) for part in (info.get("brand"), info.get("model")) if part
    )
    details = ""
    actions = [
        _button(
            "set_reachable",
            "Make unreachable" if asset.reachable else "Make reachable",
            asset_id=asset.id,
            reachable="false" if asset.reachable else "true",
        )
    ]
    if asset.type in ("vehicle", "charger"):
        charge = body["chargeState"]
        details = escape(str(charge["powerDeliveryState"]))
        if asset.type == "vehicle":
            details += f", {charge['batteryLevel']} %"
            # Into any of the user's chargers (plugging in re-establishes a cleared pair).
            for charger in state.user_assets(asset.user_id, "charger") if not asset.plugged else []:
                actions.append(
                    _button(
                        "plug_in",
                        f"Plug into {charger.information.get('brand')}",
                        vehicle_id=asset.id,
                        charger_id=charger.id,
                    )
                )
            for level in (20, 50, 80):
                actions.append(
                    _button("set_battery_level", f"{level} %", vehicle_id=asset.id, level=level)
                )
        if not asset.plugged:
            actions.append(_button("plug_in", "Plug in (other)", vehicle_id=asset.id))
        else:
            actions.append(_button("unplug", "Unplug", asset_id=asset.id))
    else:
        details = escape(_energy_details(body))
        if asset.type == "battery":
            for level in (20, 50, 80):
                actions.append(
                    _button("set_battery_level", f"{level} %", vehicle_id=asset.id, level=level)
                )
    return (
        f"<tr><td>{escape(asset.type)}</td><td>{escape(name or asset.vendor)}</td>"
        f"<td>{details}</td><td>{' '.join(actions)}</td></tr>"
    )


async def control_page(request: web.Request) -> web.Response:
    """``GET /_simulator/``: a small HTML page to poke the simulated devices by hand."""
    simulator = _simulator(request)
    simulator.state.tick()
    sections = []
    for user in simulator.state.users.values():
        rows = "".join(
            _asset_row(simulator, asset.id) for asset in simulator.state.user_assets(user.id)
        )
        vendors = " ".join(
            _button(
                "invalidate_credentials", f"Invalidate {vendor}", user_id=user.id, vendor=vendor
            )
            for vendor in dict.fromkeys(v for v, _ in user.vendors)
        )
        sections.append(
            f"<h2>User <code>{escape(user.id)}</code></h2><p>{vendors}</p>"
            + (f"<table>{rows}</table>" if rows else "<p class='muted'>No devices linked.</p>")
        )
    advance = " ".join(
        _button("advance_time", f"+{label}", seconds=seconds)
        for label, seconds in (("1 min", 60), ("15 min", 900), ("1 h", 3600))
    )
    page = _PAGE.format(
        now=escape(simulator.now()),
        client=escape(simulator.client_id),
        advance=f"Advance time: {advance}",
        users="".join(sections),
    )
    return web.Response(text=page, content_type="text/html")


def _form_value(key: str, value: str) -> Any:
    if key in ("reachable", "charging", "controlled"):
        return value == "true"
    if key in ("level", "seconds"):
        return float(value)
    return value


async def control_form(request: web.Request) -> web.Response:
    """``POST /_simulator/ui/<operation>``: the HTML page's buttons; redirects back."""
    form = await request.post()
    arguments = {key: _form_value(key, str(value)) for key, value in form.items()}
    _simulator(request).call_control(request.match_info["operation"], arguments)
    raise web.HTTPSeeOther("/_simulator/")


def add_control_routes(app: web.Application) -> None:
    """Register ``/_simulator/...``."""
    router = app.router
    router.add_get("/_simulator/", control_page)
    router.add_post("/_simulator/ui/{operation}", control_form)
    router.add_get("/_simulator/state", control_state)
    router.add_get("/_simulator/requests", control_requests)
    router.add_delete("/_simulator/requests", control_clear_requests)
    router.add_get("/_simulator/events", control_events)
    router.add_get("/_simulator/assets/{assetId}", control_asset)
    router.add_post("/_simulator/{operation}", control_call)
