"""The ``Simulator``: an in-process Enode API server with a Python control API for tests."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
import contextlib
import inspect
import logging
from pathlib import Path
from typing import Any

from aiohttp import web

from .app import (
    FAULTS_KEY,
    REQUEST_LOG_KEY,
    REQUESTS_KEY,
    STATE_KEY,
    Fault,
    FaultInjector,
    add_api_routes,
    core_middleware,
)
from .clock import SimClock, iso
from .linkui import add_routes as add_linkui_routes
from .scenario import apply_scenario, generate_fleet, load_scenario
from .state import ApiError, SimState
from .webhooks import WebhookDispatcher, WebhookError, add_routes as add_webhook_routes

type JSON = dict[str, Any]

_LOGGER = logging.getLogger(__name__)

SIMULATOR_KEY: web.AppKey[Simulator] = web.AppKey("enode_simulator")

#: Methods the control API (``POST /_simulator/<name>``) may call, with JSON keyword arguments.
CONTROL_METHODS = (
    "plug_in",
    "unplug",
    "set_battery_level",
    "set_charging_state",
    "set_vehicle_position",
    "set_reachable",
    "set_schedule_controlled",
    "add_intervention",
    "remove_intervention",
    "invalidate_credentials",
    "inject_fault",
    "clear_faults",
    "advance_time",
    "add_asset",
    "remove_asset",
    "load_scenario",
    "set_linking_status",
    "set_action_delay",
    "revoke_tokens",
    "rotate_client_secret",
    "set_webhook_active",
    "clear_requests",
    "seed_history",
)


class Simulator:
    """A local Enode API (2024-10-01) with a control API.

    >>> sim = Simulator(scenario="demo")
    >>> await sim.start(host="127.0.0.1", port=0)
    >>> sim.base_url, sim.client_id, sim.user_id
    """

    def __init__(
        self,
        scenario: str | Path | Mapping[str, Any] = "demo",
        *,
        action_delay: float | None = None,
        tick_interval: float | None = 1.0,
        public_url: str | None = None,
        history_days: float | None = None,
    ) -> None:
        """Load a scenario (name, path or dict); ``start()`` serves it.

        ``action_delay`` overrides the scenario's PENDING -> CONFIRMED delay (simulated seconds);
        ``tick_interval`` is how often (real seconds) a background task applies time-based
        changes (None: only on requests and ``advance_time``); ``public_url`` is the base of
        ``linkUrl`` when the simulator is reached under another address; ``history_days``
        overrides the scenario's days of statistics history (``seed_history``), which every
        user gets now and when they link devices later.
        """
        self.clock = SimClock()
        self.state = SimState(self.clock)
        self.faults = FaultInjector()
        self.requests: list[tuple[str, str]] = []
        self.request_log: list[JSON] = []
        self.tick_interval = tick_interval
        self._public_url = public_url
        self._action_delay = action_delay
        self._history_days = history_days
        self.load_scenario(scenario)
        self.app = self._build_app()
        self.webhooks: WebhookDispatcher
        self._setup_extensions()
        self._runner: web.AppRunner | None = None
        self._ticker: asyncio.Task[None] | None = None
        self._base_url: str | None = None

    # -- lifecycle ----------------------------------------------------------------------------

    def _build_app(self) -> web.Application:
        app = web.Application(middlewares=[core_middleware])
        app[STATE_KEY] = self.state
        app[FAULTS_KEY] = self.faults
        app[REQUESTS_KEY] = self.requests
        app[REQUEST_LOG_KEY] = self.request_log
        app[SIMULATOR_KEY] = self
        add_api_routes(app)
        from .control import add_control_routes

        add_control_routes(app)
        return app

    def _setup_extensions(self) -> None:
        """Wire the webhook dispatcher and the Link UI into the app."""
        self.webhooks = WebhookDispatcher(clock=self.clock.now_dt)
        self.state.listeners.append(self.webhooks.emit)
        add_webhook_routes(self.app, self.webhooks)
        add_linkui_routes(self.app)

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        """Serve on ``host:port`` (0 picks a free port)."""
        if self._runner is not None:
            raise RuntimeError("Simulator already started")
        runner = web.AppRunner(self.app, access_log=None, handle_signals=False)
        await runner.setup()
        site = web.TCPSite(runner, host, port)
        await site.start()
        self._runner = runner
        bound_host, bound_port = runner.addresses[0][:2]
        shown = bound_host if ":" not in bound_host else f"[{bound_host}]"
        self._base_url = f"http://{shown}:{bound_port}"
        await self.webhooks.start()
        if self.tick_interval:
            self._ticker = asyncio.create_task(self._tick_forever(), name="enode-simulator-tick")
        _LOGGER.info("Enode simulator listening on %s", self._base_url)

    async def stop(self) -> None:
        """Stop serving and every background task."""
        if self._ticker is not None:
            self._ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._ticker
            self._ticker = None
        await self.webhooks.stop()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Simulator:
        """Start on a free loopback port."""
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        """Stop."""
        await self.stop()

    async def _tick_forever(self) -> None:
        assert self.tick_interval
        while True:
            await asyncio.sleep(self.tick_interval)
            try:
                self.state.tick()
            except Exception:  # the ticker must survive a bad scenario
                _LOGGER.exception("Simulator tick failed")

    async def flush_webhooks(self, *, force: bool = False) -> Any:
        """Deliver pending webhook events now (after applying due time-based changes)."""
        self.state.tick()
        return await self.webhooks.flush(force=force)

    # -- addresses and credentials ------------------------------------------------------

    @property
    def base_url(self) -> str:
        """``http://host:port`` of the API (requires ``start()``)."""
        if self._base_url is None:
            raise RuntimeError("Simulator not started")
        return self._base_url

    @property
    def token_url(self) -> str:
        """The OAuth token endpoint."""
        return f"{self.base_url}/oauth2/token"

    @property
    def client_id(self) -> str:
        """The scenario's client id."""
        return self.state.client_id

    @property
    def client_secret(self) -> str:
        """The scenario's client secret."""
        return self.state.client_secret

    @property
    def user_id(self) -> str:
        """The scenario's default user (owner of the demo devices)."""
        return self.state.default_user_id

    @property
    def events(self) -> list[JSON]:
        """Every event emitted so far (what webhooks deliver)."""
        return self.state.events

    def count_requests(self, method: str | None = None, path_prefix: str = "") -> int:
        """How many API requests matched (``method`` None = any)."""
        return sum(
            1
            for m, p in self.requests
            if (method is None or m == method.upper()) and p.startswith(path_prefix)
        )

    def clear_requests(self) -> None:
        """Forget the request log."""
        self.requests.clear()
        self.request_log.clear()

    # -- control ----------------------------------------------------------------------------

    def load_scenario(self, scenario: str | Path | Mapping[str, Any]) -> None:
        """Replace the whole state with a scenario (name, path or dict)."""
        data = load_scenario(scenario)
        apply_scenario(self.state, data)
        self.state.public_url = self._public_url
        if self._action_delay is not None:
            self.state.settings.action_delay = self._action_delay
        if self._history_days is not None:
            self.state.settings.history_days = float(self._history_days)
            if self._history_days > 0:
                self.state.seed_history(self._history_days)
        self.faults.clear()
        webhooks = getattr(self, "webhooks", None)
        if webhooks is not None and hasattr(webhooks, "drop_pending"):
            webhooks.drop_pending()

    def set_action_delay(self, seconds: float) -> None:
        """Simulated seconds from PENDING to CONFIRMED/FAILED for new actions."""
        if seconds < 0:
            raise ValueError("seconds must be >= 0")
        self.state.settings.action_delay = float(seconds)
        self._action_delay = float(seconds)

    def advance_time(self, seconds: float) -> None:
        """Move simulated time forward: actions resolve, batteries charge, tokens expire."""
        self.state.advance_time(seconds)

    def seed_history(self, days: float, user_id: str | None = None) -> None:
        """Give every user (or one) ``days`` of statistics history (deterministic).

        History begins at the home's local midnight ``days`` days ago (the HEM systems'
        ``installationDate``); see ``state/statistics.py``.
        """
        self.state.tick()
        self.state.seed_history(days, user_id)
        self.state.sync()

    def now(self) -> str:
        """Simulated now (ISO 8601)."""
        return iso(self.clock.now())

    def plug_in(
        self, vehicle_id: str, charger_id: str | None = None, *, charging: bool = False
    ) -> None:
        """Plug a vehicle (or charger) in, into ``charger_id`` or an unknown counterpart."""
        self.state.tick()
        self.state.plug_in(vehicle_id, charger_id, charging=charging)

    def unplug(self, asset_id: str) -> None:
        """Unplug a vehicle or charger; its pending charge actions are cancelled."""
        self.state.tick()
        self.state.unplug(asset_id)

    def set_battery_level(self, vehicle_id: str, level: float) -> None:
        """Battery level in percent (vehicle or home battery)."""
        self.state.tick()
        self.state.set_battery_level(vehicle_id, level)

    def set_charging_state(self, asset_id: str, charging: bool) -> None:
        """Start/stop charging physically, without an action."""
        self.state.tick()
        self.state.set_charging_state(asset_id, charging)

    def set_vehicle_position(self, vehicle_id: str, latitude: float, longitude: float) -> None:
        """Move a GPS vehicle (location.id follows the 200 m geofence)."""
        self.state.tick()
        self.state.set_vehicle_position(vehicle_id, latitude, longitude)

    def set_reachable(self, asset_id: str, reachable: bool) -> None:
        """Make a device (un)reachable; pending actions on it then fail with NO_RESPONSE."""
        self.state.tick()
        self.state.set_reachable(asset_id, reachable)

    def set_schedule_controlled(self, asset_id: str, controlled: bool) -> None:
        """Whether a schedule / smart charging controls the device (commands get 422)."""
        self.state.set_schedule_controlled(asset_id, controlled)

    def add_intervention(self, asset_id: str, capability: str, intervention_id: str) -> None:
        """Block a capability with a catalog intervention."""
        self.state.tick()
        self.state.add_intervention(asset_id, capability, intervention_id)

    def remove_intervention(
        self, asset_id: str, intervention_id: str, capability: str | None = None
    ) -> None:
        """Remove an intervention from one capability (or all)."""
        self.state.tick()
        self.state.remove_intervention(asset_id, intervention_id, capability)

    def invalidate_credentials(self, user_id: str, vendor: str) -> None:
        """``linkedVendors[].isValid: false`` and ``user:credentials:invalidated``."""
        self.state.tick()
        self.state.invalidate_credentials(user_id, vendor)

    def add_asset(
        self,
        user_id: str,
        asset_type: str,
        data: Mapping[str, Any],
        scopes: list[str] | None = None,
    ) -> str:
        """Link a new device (a scenario device template) to a user; returns its id.

        ``scopes``: the link session's scopes (default: every scope of the asset type).
        """
        self.state.tick()
        template = dict(data) | {"type": asset_type}
        asset = self.state.add_asset(user_id, template, scopes=scopes)
        self.state.sync()
        return asset.id

    def remove_asset(self, asset_id: str) -> None:
        """Delete an asset (``user:<type>:deleted``)."""
        self.state.tick()
        self.state.remove_asset(asset_id)

    def set_linking_status(self, vendor: str, status: str) -> None:
        """``linkingStatus`` of a vendor (OUTAGE: the Link UI refuses it)."""
        self.state.set_linking_status(vendor, status)

    def revoke_tokens(self) -> None:
        """Invalidate every issued access token (next request gets 401)."""
        self.state.revoke_tokens()

    def rotate_client_secret(self, secret: str) -> None:
        """A new client secret: the old one gets 401 at the token endpoint, tokens are revoked."""
        self.state.rotate_client_secret(secret)

    def set_webhook_active(self, active: bool, webhook_id: str | None = None) -> None:
        """Deactivate (pending events dropped) or reactivate one webhook, or every one."""
        try:
            self.webhooks.set_active(active, webhook_id)
        except WebhookError as err:
            raise ApiError(err.status, err.title, err.detail) from err

    def inject_fault(
        self,
        status: int | None = None,
        count: int = 1,
        path_prefix: str | None = None,
        retry_after: float | str | None = None,
        latency: float | None = None,
        malformed: bool = False,
        method: str | None = None,
        detail: str | None = None,
    ) -> JSON:
        """The next ``count`` API requests (matching ``path_prefix``/``method``) get a fault.

        ``status``: answer with that status and a Problem body (``retry_after`` adds a
        ``Retry-After`` header, seconds or an HTTP date); ``latency``: real seconds of delay
        first; ``malformed``: a truncated JSON body with status 200; ``detail``: the Problem's
        detail text.
        """
        fault = self.faults.add(
            Fault(
                status=status,
                count=count,
                path_prefix=path_prefix,
                method=method,
                retry_after=(
                    None
                    if retry_after is None
                    else (retry_after if isinstance(retry_after, str) else f"{retry_after:g}")
                ),
                latency=latency,
                malformed=malformed,
                detail=detail,
            )
        )
        return fault.describe()

    def clear_faults(self) -> None:
        """Drop queued faults."""
        self.faults.clear()

    # -- inspection ---------------------------------------------------------------------------

    def asset(self, asset_id: str) -> JSON:
        """The wire view of an asset (as ``GET /<type>s/{id}`` returns it)."""
        self.state.tick()
        return self.state.render_asset(self.state.get_asset(asset_id))

    def smart_charging_status(self, vehicle_id: str) -> JSON:
        """A vehicle's smart charging status (as ``GET .../smart-charging-status`` returns it)."""
        self.state.tick()
        return self.state.smart_charging_status(vehicle_id)

    def snapshot(self) -> JSON:
        """A JSON summary of the whole state (``GET /_simulator/state``)."""
        self.state.tick()
        state = self.state
        return {
            "now": self.now(),
            "clientId": state.client_id,
            "defaultUser": state.default_user_id,
            "settings": {
                "actionDelay": state.settings.action_delay,
                "tokenLifetime": state.settings.token_lifetime,
                "linkSessionLifetime": state.settings.link_session_lifetime,
                "geofenceRadius": state.settings.geofence_radius_m,
                "maxUnpluggedFailures": state.settings.max_unplugged_failures,
            },
            "users": [state.render_user(user) for user in state.users.values()],
            "assets": [state.render_asset(asset) for asset in state.assets.values()],
            "actions": [action.render() for action in state.actions.values()],
            "locations": [state.render_location(loc) for loc in state.locations.values()],
            "vendorAccounts": [
                {
                    "vendor": account.vendor,
                    "username": account.username,
                    "devices": [{"id": d["id"], "type": d["type"]} for d in account.devices],
                }
                for account in state.vendor_accounts
            ],
            "faults": [fault.describe() for fault in self.faults.faults],
        }

    def call_control(self, name: str, arguments: Mapping[str, Any]) -> Any:
        """Run a control method by name (the HTTP control API uses this)."""
        if name not in CONTROL_METHODS:
            raise ApiError(404, "Not Found", f"Unknown control operation {name!r}.")
        method = getattr(self, name)
        try:
            inspect.signature(method).bind(**arguments)
        except TypeError as err:
            raise ApiError(400, "Bad request", str(err)) from err
        try:
            return method(**arguments)
        except ValueError as err:
            raise ApiError(400, "Bad request", str(err)) from err


__all__ = ["Simulator", "generate_fleet"]
