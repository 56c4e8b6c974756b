"""The simulator's real responses and webhook events conform to Enode's OpenAPI document.

Every payload is checked against the schema the document gives for its operation (or webhook):
every required key is present, every value has an allowed type (documented nulls included),
enum values are in their enum, and objects closed with ``additionalProperties: false`` have no
extra keys. ``$ref``, ``allOf`` and ``anyOf`` are resolved. The document is read from
``../shared/enode`` beside the repository (CI clones it there); it is never copied into the repo.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import timedelta
import json
from pathlib import Path
from typing import Any

from aiohttp import BasicAuth, ClientSession, web
from aiohttp.test_utils import TestServer
import pytest

from enode_simulator import Simulator
from enode_simulator.webhooks import WebhookSettings

from ..conftest import SimulatorFactory

pytestmark = pytest.mark.usefixtures("socket_enabled")

SPEC_PATH = Path(__file__).parents[2] / "../shared/enode/openapi-2024-10-01.json"

VW = "8d90101b-3f2f-462a-bbb4-1ed320d33bbe"
TESLA = "05ee9df5-d072-4ee8-b773-399dec8f5693"
ZAPTEC = "e7d4db80-4fca-4781-ac70-14108f560706"
EASEE = "b1c2d3e4-f5a6-4b7c-8d9e-0f1a2b3c4d03"
BATTERY = "54d827e1-8355-4fed-97b5-55940d1d09ba"
INVERTER = "a6a7b2b4-6f2e-4a1c-9a0c-2f1e7b3c4d01"
METER = "c3f1d2e4-8b7a-4c6d-9e5f-1a2b3c4d5e02"
HVAC = "d4e5f6a7-b8c9-4d0e-8f1a-2b3c4d5e6f04"
HOME = "4eaeb363-296d-4ccc-a973-7805e6f40001"
PHONE_KEY = "3b2891a9-5dcf-4691-b850-b5ea36b57c2e"
EXTRA_TYPES = ("charger", "vehicle", "battery", "inverter", "meter", "hvac")
USER = "demo-user"
# Known deviation, in the document's own words: a ``user:<type>:discovered`` event (except the
# charger's) populates "only `information` properties ... All other properties will be `null`",
# while its schema refers to the complete asset. So those nulls are accepted there, and only
# there (the asset's id, which the null rule would hide too, is kept: it names the asset).
DISCOVERED_KEPT = frozenset({"id", "information"})

_JSON_TYPES: dict[str, tuple[type, ...]] = {
    "object": (dict,),
    "array": (list,),
    "string": (str,),
    "number": (int, float),
    "integer": (int,),
    "boolean": (bool,),
    "null": (type(None),),
}


def _allows_null(schema: dict[str, Any]) -> bool:
    kind = schema.get("type")
    return kind == "null" or (isinstance(kind, list) and "null" in kind)


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    """Enode's OpenAPI document (skipped when the shared directory is not beside the repo)."""
    if not SPEC_PATH.is_file():
        pytest.skip(f"Enode's OpenAPI document is not at {SPEC_PATH.resolve()}")
    return dict(json.loads(SPEC_PATH.read_text(encoding="utf-8")))


class Validator:
    """The subset of JSON Schema the Enode document uses."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self.spec = spec

    def resolve(self, schema: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in schema:
            node: Any = self.spec
            for part in schema["$ref"].removeprefix("#/").split("/"):
                node = node[part]
            schema = node
        return schema

    def errors(
        self,
        schema: dict[str, Any],
        data: Any,
        where: str = "$",
        siblings: frozenset[str] = frozenset(),
    ) -> list[str]:
        """Violations of ``schema`` by ``data``.

        ``siblings``: keys declared by the other ``allOf`` parts of the same object, which an
        ``additionalProperties: false`` part must accept too.
        """
        schema = self.resolve(schema)
        found: list[str] = []
        if "allOf" in schema:
            parts = [self.resolve(part) for part in schema["allOf"]]
            if data is None and any(_allows_null(part) for part in parts):
                # The document's idiom for a nullable X: allOf [X, {type: [..., "null"]}].
                return found
            keys = siblings | self._keys(schema)
            for part in parts:
                found += self.errors(part, data, where, keys)
        if "anyOf" in schema:
            options = [self.errors(option, data, where, siblings) for option in schema["anyOf"]]
            if all(options):
                found.append(f"{where}: matches no anyOf option: {min(options, key=len)}")
        if "type" in schema:
            allowed = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
            types = tuple(t for name in allowed for t in _JSON_TYPES.get(name, ()))
            if types and (
                not isinstance(data, types) or (isinstance(data, bool) and bool not in types)
            ):
                found.append(f"{where}: {data!r} is not of type {allowed}")
                return found
        if "enum" in schema and data is not None and data not in schema["enum"]:
            found.append(f"{where}: {data!r} is not one of {schema['enum']}")
        if isinstance(data, dict):
            properties = schema.get("properties", {})
            for key in schema.get("required", []):
                if key not in data:
                    found.append(f"{where}: required key {key!r} is missing")
            if schema.get("additionalProperties") is False and properties:
                extra = sorted(set(data) - set(properties) - siblings)
                if extra:
                    found.append(f"{where}: keys {extra} are not in the schema")
            for key, value in data.items():
                if key in properties:
                    found += self.errors(properties[key], value, f"{where}.{key}")
        if isinstance(data, list) and "items" in schema:
            for index, item in enumerate(data):
                found += self.errors(schema["items"], item, f"{where}[{index}]")
        return found

    def _keys(self, schema: dict[str, Any]) -> frozenset[str]:
        """Property names an object schema declares, through its ``allOf`` parts."""
        schema = self.resolve(schema)
        keys = set(schema.get("properties", {}))
        for part in schema.get("allOf", []):
            keys |= self._keys(part)
        return frozenset(keys)

    def response_schema(self, method: str, path: str, status: int) -> dict[str, Any]:
        """The documented schema; errors the document does not describe get ``Problem``."""
        response = self.spec["paths"][path][method.lower()]["responses"].get(str(status), {})
        content = response.get("content", {})
        media = content.get("application/json") or content.get("application/problem+json")
        if media is None and status >= 400:
            return {"$ref": "#/components/schemas/Problem"}
        return dict(media["schema"])

    def webhook_schema(self, event: str) -> dict[str, Any]:
        body = self.spec["webhooks"][event]["post"]["requestBody"]
        return dict(body["content"]["application/json"]["schema"])


@dataclass
class Receiver:
    """A webhook endpoint that records the delivered events."""

    url: str = ""
    events: list[dict[str, Any]] = field(default_factory=list)

    async def handle(self, request: web.Request) -> web.Response:
        self.events += json.loads(await request.read())
        return web.Response(status=204)


@dataclass
class Session:
    """Raw API calls, each response recorded with the operation it answers."""

    sim: Simulator
    http: ClientSession
    token: str
    checked: list[tuple[str, str, int, Any]] = field(default_factory=list)

    async def call(
        self,
        method: str,
        spec_path: str,
        path: str,
        body: Any = None,
        *,
        status: int = 200,
        params: dict[str, str] | None = None,
    ) -> Any:
        headers = {"Authorization": f"Bearer {self.token}", "Enode-Version": "2024-10-01"}
        async with self.http.request(
            method, self.sim.base_url + path, json=body, headers=headers, params=params
        ) as resp:
            text = await resp.text()
            assert resp.status == status, f"{method} {path}: {resp.status} {text}"
        data = json.loads(text) if text else None
        self.checked.append((method, spec_path, status, data))
        return data


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    """A real loopback webhook endpoint."""
    receiver = Receiver()
    app = web.Application()
    app.router.add_post("/hook", receiver.handle)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    receiver.url = str(server.make_url("/hook"))
    yield receiver
    await server.close()


@pytest.fixture
async def session(simulator_factory: SimulatorFactory, http: ClientSession) -> Session:
    """The demo-linked simulator (every asset type) with deterministic webhook deliveries."""
    sim: Simulator = await simulator_factory("demo-linked", action_delay=5)
    assert sim.webhooks is not None
    sim.webhooks.settings = WebhookSettings(auto_deliver=False, heartbeat_interval=600)
    async with http.post(
        sim.token_url,
        data={"grant_type": "client_credentials"},
        auth=BasicAuth(sim.client_id, sim.client_secret),
    ) as resp:
        token = (await resp.json())["access_token"]
    return Session(sim, http, token)


async def _exercise(api: Session, receiver: Receiver) -> None:
    """Call every operation the client uses, in states that give each response shape."""
    sim = api.sim
    hook = await api.call(
        "POST", "/webhooks", "/webhooks", {"url": receiver.url, "secret": "s" * 32}
    )
    plural = {
        "vehicles": VW,
        "chargers": ZAPTEC,
        "batteries": BATTERY,
        "inverters": INVERTER,
        "meters": METER,
        "hvacs": HVAC,
    }
    singular = {
        "vehicles": "vehicleId",
        "chargers": "chargerId",
        "batteries": "batteryId",
        "inverters": "inverterId",
        "meters": "meterId",
        "hvacs": "hvacId",
    }
    for kind, asset_id in plural.items():
        await api.call("GET", f"/{kind}", f"/{kind}")
        await api.call("GET", f"/users/{{userId}}/{kind}", f"/users/{USER}/{kind}")
        await api.call(
            "GET", f"/users/{{userId}}/{kind}", f"/users/{USER}/{kind}", params={"pageSize": "1"}
        )
        await api.call("GET", f"/{kind}/{{{singular[kind]}}}", f"/{kind}/{asset_id}")
        await api.call(
            "POST",
            f"/{kind}/{{{singular[kind]}}}/refresh-hint",
            f"/{kind}/{asset_id}/refresh-hint",
            status=204,
        )
        health = kind if kind != "hvacs" else "hvacs"
        await api.call("GET", f"/health/{health}", f"/health/{health}")
    sim.set_vehicle_position(TESLA, 59.9139, 10.7522)  # GPS vehicle at Home
    await api.call("GET", "/vehicles/{vehicleId}", f"/vehicles/{TESLA}")

    # Interventions, integrations, users, link sessions.
    await api.call("GET", "/interventions", "/interventions", params={"language": "en-US"})
    await api.call("GET", "/interventions/{interventionId}", f"/interventions/{PHONE_KEY}")
    await api.call("GET", "/integrations", "/integrations")
    await api.call("GET", "/integrations", "/integrations", params={"assetTypes": "charger"})
    await api.call("GET", "/users", "/users")
    await api.call("GET", "/users/{userId}", f"/users/{USER}")
    await api.call(
        "POST",
        "/users/{userId}/link",
        f"/users/{USER}/link",
        {
            "scopes": ["vehicle:read:data", "charger:read:data", "charger:control:charging"],
            "language": "en-US",
            "redirectUri": "https://example.com/callback",
            "vendorType": "charger",
        },
    )
    await api.call(
        "POST",
        "/assets/{assetId}/relink",
        f"/assets/{TESLA}/relink",
        {"language": "en-US", "redirectUri": "https://example.com/callback"},
    )

    # Locations.
    created = await api.call(
        "POST",
        "/users/{userId}/locations",
        f"/users/{USER}/locations",
        {"name": "Cabin", "latitude": 60.5, "longitude": 10.1, "timezoneName": "Europe/Oslo"},
    )
    await api.call("GET", "/locations", "/locations")
    await api.call("GET", "/users/{userId}/locations", f"/users/{USER}/locations")
    await api.call("GET", "/locations/{locationId}", f"/locations/{created['id']}")
    await api.call(
        "PUT", "/locations/{locationId}", f"/locations/{created['id']}", {"name": "Hytta"}
    )
    await api.call("PUT", "/chargers/{chargerId}", f"/chargers/{EASEE}", {"locationId": HOME})
    await api.call("PUT", "/hvacs/{hvacId}", f"/hvacs/{HVAC}", {"locationId": HOME})
    await api.call("DELETE", "/locations/{locationId}", f"/locations/{created['id']}")

    # Actions: vehicle, charger, battery; their 400 / 409 / 422 problems.
    start = await api.call(
        "POST", "/vehicles/{vehicleId}/charging", f"/vehicles/{VW}/charging", {"action": "START"}
    )
    await api.call("GET", "/vehicles/actions/{actionId}", f"/vehicles/actions/{start['id']}")
    sim.advance_time(5)
    await api.call(
        "POST",
        "/vehicles/actions/{actionId}/cancel",
        f"/vehicles/actions/{start['id']}/cancel",
        status=409,
    )
    await api.call(
        "POST",
        "/vehicles/{vehicleId}/charging",
        f"/vehicles/{TESLA}/charging",
        {"action": "START"},
        status=400,
    )
    sim.set_schedule_controlled(VW, True)
    await api.call(
        "POST",
        "/vehicles/{vehicleId}/charging",
        f"/vehicles/{VW}/charging",
        {"action": "STOP"},
        status=422,
    )
    sim.set_schedule_controlled(VW, False)
    stop = await api.call(
        "POST", "/chargers/{chargerId}/charging", f"/chargers/{ZAPTEC}/charging", {"action": "STOP"}
    )
    await api.call(
        "POST",
        "/chargers/actions/{actionId}/cancel",
        f"/chargers/actions/{stop['id']}/cancel",
    )
    current = await api.call(
        "POST",
        "/chargers/{chargerId}/max-current",
        f"/chargers/{ZAPTEC}/max-current",
        {"maxCurrent": 10},
    )
    await api.call("GET", "/chargers/actions/{actionId}", f"/chargers/actions/{current['id']}")
    mode = await api.call(
        "POST",
        "/batteries/{batteryId}/operation-mode",
        f"/batteries/{BATTERY}/operation-mode",
        {"operationMode": "TIME_OF_USE"},
    )
    await api.call("GET", "/batteries/actions/{actionId}", f"/batteries/actions/{mode['id']}")
    sim.set_reachable(ZAPTEC, False)
    sim.advance_time(5)  # max current FAILED (NO_RESPONSE), operation mode CONFIRMED
    sim.set_reachable(ZAPTEC, True)
    await api.call("GET", "/chargers/actions/{actionId}", f"/chargers/actions/{current['id']}")
    await api.call("GET", "/batteries/actions/{actionId}", f"/batteries/actions/{mode['id']}")
    await api.call(
        "POST",
        "/batteries/actions/{actionId}/cancel",
        f"/batteries/actions/{mode['id']}/cancel",
        status=409,
    )

    # HVAC actions: a permanent hold, following the schedule (which supersedes it), a cancel,
    # the 400 (mode not capable, setpoint out of range), the 422 and a FAILED hold.
    hold = await api.call(
        "POST",
        "/hvacs/{hvacId}/permanent-hold",
        f"/hvacs/{HVAC}/permanent-hold",
        {"mode": "HEAT", "heatSetpoint": 22.5},
    )
    await api.call("GET", "/hvacs/actions/{actionId}", f"/hvacs/actions/{hold['id']}")
    schedule = await api.call(
        "POST", "/hvacs/{hvacId}/follow-schedule", f"/hvacs/{HVAC}/follow-schedule"
    )
    await api.call("GET", "/hvacs/actions/{actionId}", f"/hvacs/actions/{hold['id']}")
    await api.call(
        "POST", "/hvacs/actions/{actionId}/cancel", f"/hvacs/actions/{schedule['id']}/cancel"
    )
    for body in ({"mode": "COOL", "coolSetpoint": 24}, {"mode": "HEAT", "heatSetpoint": 40}):
        await api.call(
            "POST",
            "/hvacs/{hvacId}/permanent-hold",
            f"/hvacs/{HVAC}/permanent-hold",
            body,
            status=400,
        )
    sim.set_schedule_controlled(HVAC, True)
    await api.call(
        "POST", "/hvacs/{hvacId}/follow-schedule", f"/hvacs/{HVAC}/follow-schedule", status=422
    )
    sim.set_schedule_controlled(HVAC, False)
    sim.set_reachable(HVAC, False)
    off = await api.call(
        "POST", "/hvacs/{hvacId}/permanent-hold", f"/hvacs/{HVAC}/permanent-hold", {"mode": "OFF"}
    )
    sim.advance_time(5)  # FAILED (NO_RESPONSE)
    sim.set_reachable(HVAC, True)
    await api.call("GET", "/hvacs/actions/{actionId}", f"/hvacs/actions/{off['id']}")
    await api.call(
        "POST",
        "/hvacs/actions/{actionId}/cancel",
        f"/hvacs/actions/{off['id']}/cancel",
        status=409,
    )
    heat = await api.call(
        "POST",
        "/hvacs/{hvacId}/permanent-hold",
        f"/hvacs/{HVAC}/permanent-hold",
        {"mode": "HEAT", "heatSetpoint": 20},
    )
    sim.advance_time(5)  # CONFIRMED: the thermostat holds 20 °C
    await api.call("GET", "/hvacs/actions/{actionId}", f"/hvacs/actions/{heat['id']}")
    await api.call("GET", "/hvacs/{hvacId}", f"/hvacs/{HVAC}")
    await api.call(
        "POST",
        "/batteries/{batteryId}/operation-mode",
        f"/batteries/{BATTERY}/operation-mode",
        {"operationMode": "IDLE"},
        status=400,
    )

    # Smart charging policy and the (experimental) vehicle max current.
    policy_path = "/vehicles/{vehicleId}/smart-charging-policy"
    await api.call("GET", policy_path, f"/vehicles/{TESLA}/smart-charging-policy")
    await api.call(
        "PUT",
        policy_path,
        f"/vehicles/{TESLA}/smart-charging-policy",
        {"isEnabled": True, "deadline": "07:00", "minimumChargeLimit": 20},
    )
    # An enabled policy needs smart charging: the Tesla's is blocked for a moment.
    sim.add_intervention(TESLA, "smartCharging", PHONE_KEY)
    await api.call(
        "PUT",
        policy_path,
        f"/vehicles/{TESLA}/smart-charging-policy",
        {"deadline": "08:00"},
        status=400,
    )
    sim.remove_intervention(TESLA, PHONE_KEY, "smartCharging")
    vehicle_current = "/vehicles/{vehicleId}/max-current"
    await api.call(
        "POST", vehicle_current, f"/vehicles/{TESLA}/max-current", {"maxCurrent": 10}, status=400
    )
    sim.remove_intervention(TESLA, PHONE_KEY)
    limited = await api.call(
        "POST", vehicle_current, f"/vehicles/{TESLA}/max-current", {"maxCurrent": 10}
    )
    await api.call("GET", "/vehicles/actions/{actionId}", f"/vehicles/actions/{limited['id']}")
    sim.advance_time(5)  # CONFIRMED; the vehicle's chargeState.maxCurrent is 10
    await api.call("GET", "/vehicles/actions/{actionId}", f"/vehicles/actions/{limited['id']}")
    await api.call("GET", "/vehicles/{vehicleId}", f"/vehicles/{TESLA}")

    sim.advance_time(1800)  # the vehicle charges (the token lives 3600 s)
    await api.call("GET", "/vehicles/{vehicleId}", f"/vehicles/{VW}")

    # Smart charging: status, plans and overrides (the ID.4 is plugged into the Zaptec at Home).
    status_path = "/vehicles/{vehicleId}/smart-charging-status"
    plan_path = "/vehicles/{vehicleId}/smart-charging-plans/{smartChargingPlanId}"
    override_path = "/vehicles/{vehicleId}/smart-override"
    await api.call("GET", status_path, f"/vehicles/{VW}/smart-charging-status")  # DISABLED
    await api.call("GET", status_path, f"/vehicles/{TESLA}/smart-charging-status")  # CONSIDERING
    await api.call("GET", plan_path, f"/vehicles/{VW}/smart-charging-plans/latest", status=404)
    await api.call(
        "PUT",
        policy_path,
        f"/vehicles/{VW}/smart-charging-policy",
        {"isEnabled": True, "deadline": "07:00", "minimumChargeLimit": 10},
    )
    smart = await api.call("GET", status_path, f"/vehicles/{VW}/smart-charging-status")
    assert smart["state"].startswith("PLAN:EXECUTING"), smart
    latest = await api.call("GET", plan_path, f"/vehicles/{VW}/smart-charging-plans/latest")
    await api.call("GET", plan_path, f"/vehicles/{VW}/smart-charging-plans/{latest['id']}")
    await api.call("POST", override_path, f"/vehicles/{VW}/smart-override")
    overridden = await api.call("GET", status_path, f"/vehicles/{VW}/smart-charging-status")
    assert overridden["state"] == "PLAN:EXECUTING:OVERRIDDEN"
    await api.call("DELETE", override_path, f"/vehicles/{VW}/smart-override")
    await api.call("DELETE", override_path, f"/vehicles/{VW}/smart-override", status=404)
    await api.call("POST", override_path, f"/vehicles/{TESLA}/smart-override", status=400)
    await api.call(
        "PUT", policy_path, f"/vehicles/{VW}/smart-charging-policy", {"isEnabled": False}
    )
    ended = await api.call("GET", plan_path, f"/vehicles/{VW}/smart-charging-plans/latest")
    assert ended["finalState"] == "PLAN:ENDED:DISABLED"

    # Webhooks.
    await api.call("GET", "/webhooks", "/webhooks")
    await api.call("GET", "/webhooks/{webhookId}", f"/webhooks/{hook['id']}")
    await api.call("PATCH", "/webhooks/{webhookId}", f"/webhooks/{hook['id']}", {"events": ["*"]})
    sim.invalidate_credentials(USER, "TESLA")
    # Discovered (and then updated, and deleted) assets of every type.
    vendors = ("EASEE", "KIA", "SOLAREDGE", "SOLAREDGE", "SOLAREDGE", "NIBE")
    for asset_type, vendor in zip(EXTRA_TYPES, vendors, strict=True):
        sim.add_asset(USER, asset_type, {"id": f"extra-{asset_type}", "vendor": vendor})
    for asset_type in EXTRA_TYPES:
        sim.remove_asset(f"extra-{asset_type}")
    await sim.flush_webhooks(force=True)
    sim.advance_time(600)  # a heartbeat is due
    await sim.flush_webhooks(force=True)
    await api.call("POST", "/webhooks/{webhookId}/test", f"/webhooks/{hook['id']}/test")
    await api.call("DELETE", "/webhooks/{webhookId}", f"/webhooks/{hook['id']}", status=204)
    await api.call("GET", "/webhooks/{webhookId}", f"/webhooks/{hook['id']}", status=404)
    await api.call(
        "DELETE", "/users/{userId}/vendors/{vendor}", f"/users/{USER}/vendors/TADO", status=204
    )

    # Problems the document does not list per operation (404, 400, 401) are Problems too.
    await api.call("GET", "/vehicles/{vehicleId}", "/vehicles/no-such-vehicle", status=404)
    await api.call("GET", "/vehicles/actions/{actionId}", "/vehicles/actions/nope", status=404)
    await api.call(
        "GET",
        "/users/{userId}/vehicles",
        f"/users/{USER}/vehicles",
        params={"after": "not-a-cursor"},
        status=400,
    )
    api.token = "expired"
    await api.call("GET", "/users/{userId}/chargers", f"/users/{USER}/chargers", status=401)


async def test_responses_and_events_conform(
    spec: dict[str, Any], session: Session, receiver: Receiver
) -> None:
    """Every response body and every delivered event matches its schema in the document."""
    await _exercise(session, receiver)
    validator = Validator(spec)
    violations: list[str] = []
    for method, path, status, data in session.checked:
        if data is None:
            continue
        schema = validator.response_schema(method, path, status)
        violations += [f"{method} {path} {status} {e}" for e in validator.errors(schema, data)]
    events = {event["event"] for event in receiver.events}
    for event in receiver.events:
        schema = validator.webhook_schema(event["event"])
        found = validator.errors(schema, event)
        violations += [f"{event['event']} {e}" for e in found if not _discovered_null(event, e)]
    assert violations == [], "\n".join(violations)
    # What was checked (so that the test cannot pass by checking nothing).
    assert len([c for c in session.checked if c[3] is not None]) >= 60
    operations = {(method, path, status) for method, path, status, _ in session.checked}
    assert {
        ("GET", "/vehicles/{vehicleId}/smart-charging-policy", 200),
        ("PUT", "/vehicles/{vehicleId}/smart-charging-policy", 200),
        ("PUT", "/vehicles/{vehicleId}/smart-charging-policy", 400),
        ("POST", "/vehicles/{vehicleId}/max-current", 200),
        ("POST", "/vehicles/{vehicleId}/max-current", 400),
        ("GET", "/vehicles/{vehicleId}/smart-charging-status", 200),
        ("GET", "/vehicles/{vehicleId}/smart-charging-plans/{smartChargingPlanId}", 200),
        ("GET", "/vehicles/{vehicleId}/smart-charging-plans/{smartChargingPlanId}", 404),
        ("POST", "/vehicles/{vehicleId}/smart-override", 200),
        ("DELETE", "/vehicles/{vehicleId}/smart-override", 200),
        ("DELETE", "/vehicles/{vehicleId}/smart-override", 404),
        ("POST", "/vehicles/{vehicleId}/smart-override", 400),
    } <= operations
    assert {
        ("GET", "/hvacs/actions/{actionId}", 200),
        ("POST", "/hvacs/{hvacId}/permanent-hold", 200),
        ("POST", "/hvacs/{hvacId}/permanent-hold", 400),
        ("POST", "/hvacs/{hvacId}/follow-schedule", 200),
        ("POST", "/hvacs/{hvacId}/follow-schedule", 422),
        ("POST", "/hvacs/actions/{actionId}/cancel", 200),
        ("POST", "/hvacs/actions/{actionId}/cancel", 409),
    } <= operations
    discovered = [e for e in receiver.events if e["event"].endswith(":discovered")]
    assert {e["event"].split(":")[1] for e in discovered} == set(EXTRA_TYPES)
    for event in discovered:
        asset = event[event["event"].split(":")[1]]
        kept = {key for key, value in asset.items() if value is not None}
        assert kept == (set(asset) if "charger" in event["event"] else set(DISCOVERED_KEPT))
    actions = [e["vendorAction"] for e in receiver.events if "vendorAction" in e]
    assert {a["targetType"] for a in actions} >= {"vehicle", "charger", "battery", "hvac"}
    assert {
        "user:vehicle:updated",
        "user:charger:updated",
        "user:battery:updated",
        "user:inverter:updated",
        "user:meter:updated",
        "user:hvac:updated",
        "user:charger:discovered",
        "user:charger:deleted",
        "user:vendor-action:updated",
        "user:vehicle:smart-charging-status-updated",
        "user:credentials:invalidated",
        "system:heartbeat",
        "enode:webhook:test",
    } <= events


def _discovered_null(event: dict[str, Any], error: str) -> bool:
    """Whether ``error`` is a documented null of a discovered event (``DISCOVERED_KEPT``)."""
    parts = event["event"].split(":")
    if len(parts) != 3 or parts[2] != "discovered" or parts[1] == "charger":
        return False
    asset_type = parts[1]
    return any(
        error.startswith(f"$.{asset_type}.{key}: None is not of type")
        for key, value in event[asset_type].items()
        if value is None and key not in DISCOVERED_KEPT
    )


def test_validator_catches_violations(spec: dict[str, Any]) -> None:
    """The checker reports missing required keys, bad enums, bad types, nulls and extra keys."""
    validator = Validator(spec)
    problem = {"$ref": "#/components/schemas/Problem"}
    assert validator.errors(problem, {"type": "t", "title": "x", "detail": "y"}) == []
    assert validator.errors(problem, {"type": "t", "title": "x"}) == [
        "$: required key 'detail' is missing"
    ]
    action = validator.response_schema("GET", "/vehicles/actions/{actionId}", 200)
    good = {
        "id": "a",
        "userId": "u",
        "createdAt": "2024-10-01T12:00:00.000Z",
        "updatedAt": "2024-10-01T12:00:00.000Z",
        "completedAt": None,
        "state": "PENDING",
        "targetId": "v",
        "targetType": "vehicle",
        "kind": "START",
        "failureReason": None,
    }
    assert validator.errors(action, good) == []
    assert validator.errors(action, good | {"state": "WAITING"})
    assert validator.errors(action, good | {"kind": 1})
    assert validator.errors(action, good | {"id": None})
    assert validator.errors(action, good | {"surprise": True})


async def test_statistics_conform(
    spec: dict[str, Any], simulator_factory: SimulatorFactory, http: ClientSession
) -> None:
    """HEM systems, their statistics and charging statistics (with history) match the document.

    Known deviation: the document describes this operation's 400 and 422 as the whole HTTP
    exchange (``{statusCode, headers, body}``); the body, what a client reads, is checked.
    """
    sim: Simulator = await simulator_factory("demo-linked", history_days=3)
    async with http.post(
        sim.token_url,
        data={"grant_type": "client_credentials"},
        auth=BasicAuth(sim.client_id, sim.client_secret),
    ) as resp:
        api = Session(sim, http, (await resp.json())["access_token"])
    systems = await api.call("GET", "/hem-systems", "/hem-systems")
    await api.call("GET", "/users/{userId}/hem-systems", f"/users/{USER}/hem-systems")
    await api.call(
        "GET", "/users/{userId}/hem-systems", f"/users/{USER}/hem-systems", params={"pageSize": "1"}
    )
    system_id = systems["data"][0]["id"]
    await api.call("GET", "/hem-systems/{hemSystemId}", f"/hem-systems/{system_id}")
    await api.call("GET", "/hem-systems/{hemSystemId}", "/hem-systems/nope", status=404)
    statistics = "/hem-systems/{hemSystemId}/statistics"
    path = f"/hem-systems/{system_id}/statistics"
    today = sim.state.clock.now_dt()
    for interval in (
        (today - timedelta(days=1)).strftime("%Y-%m-%d"),
        today.strftime("%Y-%m-%d"),
        today.strftime("%Y-%m"),
    ):
        await api.call("GET", statistics, path, params={"interval": interval})
    sim.state.settings.hem_resolution = "PT15M"  # buckets under an hour: average kW
    await api.call("GET", statistics, path, params={"interval": today.strftime("%Y-%m-%d")})
    sim.state.settings.hem_resolution = "PT1H"
    for interval in ("2020-01-01", "yesterday", "2999-01"):
        await api.call("GET", statistics, path, params={"interval": interval}, status=400)
    await api.call("GET", statistics, "/hem-systems/nope/statistics", status=404)
    charging = "/users/{userId}/statistics/charging"
    start = (today - timedelta(days=4)).isoformat()
    for params in (
        {"type": "vehicle", "id": VW, "resolution": "HOUR"},
        {"type": "charger", "id": ZAPTEC, "resolution": "DAY", "utcOffset": "1"},
        {"type": "vehicle", "resolution": "WEEK"},
        {"type": "hvac", "id": HVAC, "resolution": "QUARTER_HOUR"},
    ):
        await api.call(
            "GET",
            charging,
            f"/users/{USER}/statistics/charging",
            params={"startDate": start, **params},
        )
    for params, status in (({"resolution": "SECOND"}, 400), ({"id": "nope"}, 404)):
        await api.call(
            "GET",
            charging,
            f"/users/{USER}/statistics/charging",
            params={"startDate": start, "type": "vehicle", **params},
            status=status,
        )
    sessions = "/users/{userId}/statistics/charging/sessions"
    await api.call(
        "GET",
        sessions,
        f"/users/{USER}/statistics/charging/sessions",
        params={"startDate": start, "type": "vehicle", "id": VW},
    )
    validator = Validator(spec)
    violations: list[str] = []
    for method, spec_path, status, data in api.checked:
        schema = validator.resolve(validator.response_schema(method, spec_path, status))
        if "statusCode" in schema.get("properties", {}):
            schema = schema["properties"]["body"]
        violations += [f"{method} {spec_path} {status} {e}" for e in validator.errors(schema, data)]
    assert violations == [], "\n".join(violations)
    # Something of each shape was there to check.
    answers = [data for _, _, status, data in api.checked if status == 200]
    day = answers[4]["timeseries"]
    assert day["generation"]["isAvailable"]
    assert len(day["generation"]["data"]) in (23, 24, 25)
    assert answers[6]["timeseries"]["batteryLevel"]["isAvailable"] is False
    assert answers[7]["timeseries"]["import"]["unit"] == "kW"
    hourly = answers[8]
    assert any(bucket["kwhSum"] > 0 for bucket in hourly)
    assert any(bucket["estimatedSavings"] for bucket in hourly)
    assert answers[-1], "the seeded history has charging sessions"
