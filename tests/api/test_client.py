"""Tests of EnodeClient against the in-process Enode simulator (real loopback HTTP)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from custom_components.enode.api import (
    ActionState,
    AssetBase,
    AssetType,
    Battery,
    BatteryOperationMode,
    ChargeAction,
    Charger,
    ChargingAction,
    EnodeAuthenticationError,
    EnodeClient,
    EnodeConflictError,
    EnodeConnectionError,
    EnodeError,
    EnodeNotFoundError,
    EnodePreconditionError,
    EnodeRateLimitError,
    EnodeResponseError,
    EnodeServerError,
    EnodeTimeoutError,
    FailureReasonType,
    Hvac,
    HvacAction,
    HvacHoldType,
    HvacMode,
    Inverter,
    LinkingStatus,
    MaxCurrentAction,
    Meter,
    OperationModeAction,
    PowerDeliveryState,
    Vehicle,
    WebhookTestStatus,
    scopes_for,
)
from enode_simulator import Simulator

from .conftest import SimFactory, make_client

GPS_VEHICLE = "05ee9df5-d072-4ee8-b773-399dec8f5693"  # Tesla, unplugged, capable, GPS
PAIRED_VEHICLE = "8d90101b-3f2f-462a-bbb4-1ed320d33bbe"  # Volkswagen, plugged into the charger
CHARGER = "e7d4db80-4fca-4781-ac70-14108f560706"
BATTERY = "54d827e1-8355-4fed-97b5-55940d1d09ba"
INVERTER = "a6a7b2b4-6f2e-4a1c-9a0c-2f1e7b3c4d01"
METER = "c3f1d2e4-8b7a-4c6d-9e5f-1a2b3c4d5e02"
HVAC = "d4e5f6a7-b8c9-4d0e-8f1a-2b3c4d5e6f04"
HOME = "4eaeb363-296d-4ccc-a973-7805e6f40001"
LINK_INTERVENTION = "3b2891a9-5dcf-4691-b850-b5ea36b57c2e"


# ------------------------------------------------------------------------------------------
# Authentication


async def test_verify_credentials(sim: Simulator) -> None:
    """Good credentials fetch a token; bad ones raise EnodeAuthenticationError."""
    async with make_client(sim) as good:
        await good.verify_credentials()
    async with make_client(sim, client_secret="wrong") as bad:
        with pytest.raises(EnodeAuthenticationError) as err:
            await bad.verify_credentials()
    assert err.value.status == 401
    assert sim.count_requests("POST", "/oauth2/token") == 2


async def test_token_cached_and_single_refresh_under_concurrency(sim: Simulator) -> None:
    """Concurrent first requests share one token request; later requests reuse the token."""
    async with make_client(sim) as enode:
        results = await asyncio.gather(*(enode.get_vehicle(GPS_VEHICLE) for _ in range(8)))
        assert {v.id for v in results} == {GPS_VEHICLE}
        await enode.list_chargers(sim.user_id)
    assert sim.count_requests("POST", "/oauth2/token") == 1
    assert sim.count_requests("GET", f"/vehicles/{GPS_VEHICLE}") == 8


async def test_expired_token_refreshed_once_on_401(sim_factory: SimFactory) -> None:
    """When the simulator's clock passes the token lifetime, the 401 triggers one refresh."""
    sim = await sim_factory({"extends": "demo", "settings": {"tokenLifetime": 600}})
    async with make_client(sim) as enode:
        await enode.get_vehicle(GPS_VEHICLE)
        sim.advance_time(601)  # the simulator expires the token; the client's clock did not move
        vehicle = await enode.get_vehicle(GPS_VEHICLE)
    assert vehicle.id == GPS_VEHICLE
    assert sim.count_requests("POST", "/oauth2/token") == 2
    assert sim.count_requests("GET", f"/vehicles/{GPS_VEHICLE}") == 3  # ok, 401, ok


async def test_token_refreshed_before_expiry(sim_factory: SimFactory) -> None:
    """The client refreshes its token shortly before expires_in, without a 401 first."""
    sim = await sim_factory({"extends": "demo", "settings": {"tokenLifetime": 600}})
    now = [0.0]
    async with make_client(sim) as enode:
        enode.clock = lambda: now[0]
        await enode.get_vehicle(GPS_VEHICLE)
        now[0] = 600 - 61  # margin: min(60 s, 10 % of the lifetime)
        await enode.get_vehicle(GPS_VEHICLE)
        assert sim.count_requests("POST", "/oauth2/token") == 1
        now[0] = 600 - 59
        sim.advance_time(600 - 59)
        await enode.get_vehicle(GPS_VEHICLE)
    assert sim.count_requests("POST", "/oauth2/token") == 2
    assert sim.count_requests("GET", f"/vehicles/{GPS_VEHICLE}") == 3  # never a 401


async def test_revoked_token_retried_once(sim: Simulator) -> None:
    """A revoked token is refreshed once; a token rejected twice raises authentication error."""
    async with make_client(sim) as enode:
        await enode.verify_credentials()
        sim.revoke_tokens()
        assert (await enode.get_user(sim.user_id)).id == sim.user_id
        assert sim.count_requests("POST", "/oauth2/token") == 2
        sim.inject_fault(status=401, count=2, path_prefix="/users")
        with pytest.raises(EnodeAuthenticationError) as err:
            await enode.get_user(sim.user_id)
    assert err.value.status == 401
    assert sim.count_requests("POST", "/oauth2/token") == 3
    assert sim.count_requests("GET", f"/users/{sim.user_id}") == 4  # 401+ok, then 401+401


async def test_concurrent_401s_refresh_once(sim: Simulator) -> None:
    """Requests that all see a revoked token share one refresh."""
    async with make_client(sim) as enode:
        await enode.verify_credentials()
        sim.revoke_tokens()
        users = await asyncio.gather(*(enode.get_user(sim.user_id) for _ in range(6)))
    assert {u.id for u in users} == {sim.user_id}
    assert sim.count_requests("POST", "/oauth2/token") == 2
    assert sim.count_requests("GET", f"/users/{sim.user_id}") == 12


# ------------------------------------------------------------------------------------------
# Assets


async def test_list_and_get_every_asset_type(sim: Simulator) -> None:
    """List (all pages) and get every asset type of the demo user."""
    hvac_id = sim.add_asset(sim.user_id, "hvac", {"vendor": "TADO"})
    async with make_client(sim) as enode:
        vehicles = await enode.list_vehicles(sim.user_id)
        chargers = await enode.list_chargers(sim.user_id)
        batteries = await enode.list_batteries(sim.user_id)
        inverters = await enode.list_inverters(sim.user_id)
        meters = await enode.list_meters(sim.user_id)
        hvacs = await enode.list_hvacs(sim.user_id)
        assert {v.id for v in vehicles} == {GPS_VEHICLE, PAIRED_VEHICLE}
        assert [c.id for c in chargers] == [CHARGER]
        assert [b.id for b in batteries] == [BATTERY]
        assert [i.id for i in inverters] == [INVERTER]
        assert [m.id for m in meters] == [METER]
        assert [h.id for h in hvacs] == [hvac_id]

        paired = next(v for v in vehicles if v.id == PAIRED_VEHICLE)
        assert paired.charge_state.plugged_in_charger_id == CHARGER
        assert chargers[0].charge_state.plugged_in_vehicle_id == PAIRED_VEHICLE
        assert (
            chargers[0].charge_state.power_delivery_state is PowerDeliveryState.PLUGGED_IN_STOPPED
        )
        gps = next(v for v in vehicles if v.id == GPS_VEHICLE)
        assert gps.capabilities.set_max_current.intervention_ids == [LINK_INTERVENTION]
        assert LINK_INTERVENTION in gps.all_intervention_ids()

        expected: dict[AssetType, tuple[type[AssetBase], str]] = {
            AssetType.VEHICLE: (Vehicle, GPS_VEHICLE),
            AssetType.CHARGER: (Charger, CHARGER),
            AssetType.BATTERY: (Battery, BATTERY),
            AssetType.INVERTER: (Inverter, INVERTER),
            AssetType.METER: (Meter, METER),
            AssetType.HVAC: (Hvac, hvac_id),
        }
        for asset_type, (model, asset_id) in expected.items():
            assert model.asset_type is asset_type
            listed = await enode.list_assets(sim.user_id, model)
            assert asset_id in {a.id for a in listed}
            assert all(isinstance(a, model) for a in listed)
            fetched = await enode.get_asset(model, asset_id)
            assert isinstance(fetched, model)
            assert fetched.id == asset_id

        assert (await enode.get_vehicle(GPS_VEHICLE)).information.vin
        assert (await enode.get_charger(CHARGER)).information.serial_number
        assert (await enode.get_battery(BATTERY)).config.operation_mode is not None
        assert (await enode.get_inverter(INVERTER)).id == INVERTER
        assert (await enode.get_meter(METER)).id == METER
        assert (await enode.get_hvac(hvac_id)).id == hvac_id
    assert sim.count_requests("GET", f"/users/{sim.user_id}/vehicles") == 2


async def test_pagination_across_pages(sim_factory: SimFactory) -> None:
    """More than 50 assets are fetched across pages with the after cursor."""
    sim = await sim_factory({"generate": {"vehicles": 123, "chargers": 50}})
    async with make_client(sim) as enode:
        vehicles = await enode.list_vehicles(sim.user_id)
        chargers = await enode.list_chargers(sim.user_id)
    assert len(vehicles) == 123
    assert len({v.id for v in vehicles}) == 123
    assert {v.id for v in vehicles} == {f"fleet-vehicle-{i:04d}" for i in range(1, 124)}
    assert len(chargers) == 50
    assert sim.count_requests("GET", f"/users/{sim.user_id}/vehicles") == 3
    assert sim.count_requests("GET", f"/users/{sim.user_id}/chargers") in (1, 2)
    queries = [
        entry["query"]
        for entry in sim.request_log
        if entry["path"] == f"/users/{sim.user_id}/vehicles"
    ]
    assert all("pageSize=50" in query for query in queries)
    assert "after=" not in queries[0]
    assert all("after=" in query for query in queries[1:])


async def test_refresh_hint_and_not_found(client: EnodeClient, sim: Simulator) -> None:
    """refresh_hint works for every type; unknown assets raise EnodeNotFoundError."""
    for asset_type, asset_id in (
        (AssetType.VEHICLE, GPS_VEHICLE),
        (AssetType.CHARGER, CHARGER),
        (AssetType.BATTERY, BATTERY),
        (AssetType.INVERTER, INVERTER),
        (AssetType.METER, METER),
    ):
        await client.refresh_hint(asset_type, asset_id)
    assert sim.count_requests("POST", f"/meters/{METER}/refresh-hint") == 1
    with pytest.raises(EnodeNotFoundError) as err:
        await client.refresh_hint(AssetType.VEHICLE, "missing")
    assert err.value.status == 404
    with pytest.raises(EnodeNotFoundError) as err:
        await client.get_vehicle("missing")
    assert err.value.status == 404
    assert err.value.problem_type is not None
    assert err.value.problem_type.endswith("not-found")
    assert err.value.title
    assert err.value.detail


# ------------------------------------------------------------------------------------------
# Linking, integrations


async def test_link_and_relink(client: EnodeClient, sim: Simulator) -> None:
    """Link sessions (new user, vendor, vendor type) and relink sessions."""
    session = await client.create_link_session(
        "new-user",
        scopes=scopes_for([AssetType.VEHICLE, AssetType.CHARGER]),
        language="en-US",
        redirect_uri="http://127.0.0.1:8123/auth/enode/callback",
        vendor="TESLA",
        vendor_type="vehicle",
        color_scheme="dark",
    )
    assert session.link_url.startswith("http")
    assert session.link_token
    plain = await client.create_link_session(
        sim.user_id, scopes=["battery:read:data"], language="browser", redirect_uri="http://x/y"
    )
    assert plain.link_url != session.link_url
    relink = await client.relink_asset(
        GPS_VEHICLE, language="nb-NO", redirect_uri="http://x/y", color_scheme="light"
    )
    assert relink.link_url.startswith("http")
    assert (await client.relink_asset(CHARGER, language="en-GB", redirect_uri="http://x")).link_url
    with pytest.raises(EnodePreconditionError) as err:
        await client.relink_asset("missing", language="en-US", redirect_uri="http://x/y")
    assert err.value.status == 400
    assert err.value.detail
    with pytest.raises(EnodePreconditionError):
        await client.create_link_session(
            sim.user_id, scopes=["vehicle:read:data"], language="xx-XX", redirect_uri="http://x"
        )


async def test_integrations(client: EnodeClient, sim: Simulator) -> None:
    """Integrations for some or all asset types."""
    everything = await client.list_integrations()
    assert {"TESLA", "ZAPTEC"} <= {i.vendor for i in everything}
    chargers = await client.list_integrations([AssetType.CHARGER])
    assert chargers
    assert all("charger" in i.asset_types for i in chargers)
    # Several types: only the brands supporting all of them (seed 003).
    both = await client.list_integrations([AssetType.VEHICLE, AssetType.BATTERY])
    assert "TESLA" in {i.vendor for i in both}
    assert all({"vehicle", "battery"} <= set(i.asset_types) for i in both)
    assert all(i.linking_status is not LinkingStatus.UNKNOWN for i in chargers)
    sim.set_linking_status("ZAPTEC", "OUTAGE")
    zaptec = next(
        i for i in await client.list_integrations([AssetType.CHARGER]) if i.vendor == "ZAPTEC"
    )
    assert zaptec.linking_status is LinkingStatus.OUTAGE
    assert sim.request_log[-1]["query"] == "assetTypes=charger"


# ------------------------------------------------------------------------------------------
# Control and actions


async def test_vehicle_charging_action_lifecycle(client: EnodeClient, sim: Simulator) -> None:
    """START a vehicle: PENDING, then CONFIRMED; cancelling a resolved action is a 409."""
    action = await client.set_vehicle_charging(PAIRED_VEHICLE, ChargingAction.START)
    assert isinstance(action, ChargeAction)
    assert action.state is ActionState.PENDING
    assert action.kind is ChargingAction.START
    assert action.target_id == PAIRED_VEHICLE
    assert action.target_type == "vehicle"
    fetched = await client.get_vehicle_action(action.id)
    assert isinstance(fetched, ChargeAction)
    assert fetched.id == action.id
    sim.advance_time(60)
    confirmed = await client.get_vehicle_action(action.id)
    assert confirmed.state is ActionState.CONFIRMED
    assert confirmed.completed_at is not None
    vehicle = await client.get_vehicle(PAIRED_VEHICLE)
    assert vehicle.charge_state.is_charging is True
    with pytest.raises(EnodeConflictError) as err:
        await client.cancel_vehicle_action(action.id)
    assert err.value.status == 409
    with pytest.raises(EnodeNotFoundError):
        await client.get_vehicle_action("missing")


async def test_vehicle_precondition_and_schedule_conflict(
    client: EnodeClient, sim: Simulator
) -> None:
    """400 when unplugged; 422 when a schedule is in control (both carry the problem)."""
    with pytest.raises(EnodePreconditionError) as err:
        await client.set_vehicle_charging(GPS_VEHICLE, ChargingAction.START)
    assert err.value.status == 400
    assert err.value.detail
    sim.set_schedule_controlled(PAIRED_VEHICLE, True)
    with pytest.raises(EnodeConflictError) as conflict:
        await client.set_vehicle_charging(PAIRED_VEHICLE, ChargingAction.START)
    assert conflict.value.status == 422
    assert conflict.value.title


async def test_charger_actions(client: EnodeClient, sim: Simulator) -> None:
    """Charger charging (cancel while pending) and max current actions."""
    action = await client.set_charger_charging(CHARGER, ChargingAction.START)
    assert action.state is ActionState.PENDING
    assert action.target_type == "charger"
    cancelled = await client.cancel_charger_action(action.id)
    assert isinstance(cancelled, ChargeAction)
    assert cancelled.state is ActionState.CANCELLED
    assert (await client.get_charger_action(action.id)).state is ActionState.CANCELLED

    max_current = await client.set_charger_max_current(CHARGER, 10)
    assert isinstance(max_current, MaxCurrentAction)
    assert max_current.target_state.max_current == 10
    fetched = await client.get_charger_action(max_current.id)
    assert isinstance(fetched, MaxCurrentAction)
    sim.advance_time(60)
    assert (await client.get_charger_action(max_current.id)).state is ActionState.CONFIRMED
    assert (await client.get_charger(CHARGER)).charge_state.max_current == 10
    with pytest.raises(EnodeConflictError):
        await client.cancel_charger_action(max_current.id)


async def test_unreachable_charger_action_fails(client: EnodeClient, sim: Simulator) -> None:
    """An action on an unreachable device ends FAILED with a failure reason."""
    sim.set_reachable(CHARGER, False)
    action = await client.set_charger_charging(CHARGER, ChargingAction.START)
    sim.advance_time(3600)
    failed = await client.get_charger_action(action.id)
    assert failed.state is ActionState.FAILED
    assert failed.failure_reason is not None
    assert failed.failure_reason.type is FailureReasonType.NO_RESPONSE
    assert failed.failure_reason.detail


async def test_battery_operation_mode(client: EnodeClient, sim: Simulator) -> None:
    """Battery operation mode action: get and cancel."""
    action = await client.set_battery_operation_mode(BATTERY, BatteryOperationMode.IMPORT_FOCUS)
    assert isinstance(action, OperationModeAction)
    assert action.target_state.operation_mode is BatteryOperationMode.IMPORT_FOCUS
    assert (await client.get_battery_action(action.id)).id == action.id
    cancelled = await client.cancel_battery_action(action.id)
    assert cancelled.state is ActionState.CANCELLED
    confirmed = await client.set_battery_operation_mode(BATTERY, "EXPORT_FOCUS")
    sim.advance_time(60)
    assert (await client.get_battery_action(confirmed.id)).state is ActionState.CONFIRMED
    battery = await client.get_battery(BATTERY)
    assert battery.config.operation_mode is BatteryOperationMode.EXPORT_FOCUS
    with pytest.raises(EnodePreconditionError):
        await client.set_battery_operation_mode(BATTERY, BatteryOperationMode.IDLE)


async def test_hvac_actions(sim_factory: SimFactory) -> None:
    """HVAC permanent hold and follow schedule: the payload per mode, get, cancel, 400/409."""
    sim = await sim_factory("demo-linked", action_delay=30)
    async with make_client(sim) as client:
        hold = await client.set_hvac_permanent_hold(HVAC, HvacMode.HEAT, heat_setpoint=22.5)
        assert isinstance(hold, HvacAction)
        assert (hold.target.mode, hold.target.heat_setpoint) == (HvacMode.HEAT, 22.5)
        assert hold.target.hold_type is HvacHoldType.PERMANENT
        assert hold.state is ActionState.PENDING
        assert (await client.get_hvac_action(hold.id)).id == hold.id
        # Following the schedule supersedes the hold (Enode cancels the older action).
        schedule = await client.set_hvac_follow_schedule(HVAC)
        assert schedule.follows_schedule
        superseded = await client.get_hvac_action(hold.id)
        assert superseded.state is ActionState.CANCELLED
        assert superseded.failure_reason is not None
        assert superseded.failure_reason.type is FailureReasonType.CONFLICT
        cancelled = await client.cancel_hvac_action(schedule.id)
        assert cancelled.state is ActionState.CANCELLED
        with pytest.raises(EnodeConflictError):
            await client.cancel_hvac_action(schedule.id)
        off = await client.set_hvac_permanent_hold(HVAC, HvacMode.OFF)
        sim.advance_time(31)
        assert (await client.get_hvac_action(off.id)).state is ActionState.CONFIRMED
        hvac = await client.get_hvac(HVAC)
        assert hvac.thermostat_state.mode is HvacMode.OFF
        assert hvac.thermostat_state.hold_type is HvacHoldType.PERMANENT
        # The Tado heats only; a setpoint outside its range is refused too.
        with pytest.raises(EnodePreconditionError):
            await client.set_hvac_permanent_hold(HVAC, HvacMode.COOL, cool_setpoint=24)
        with pytest.raises(EnodePreconditionError):
            await client.set_hvac_permanent_hold(HVAC, HvacMode.HEAT, heat_setpoint=40)
        # A mode without its setpoint never reaches Enode.
        requests = len(sim.requests)
        with pytest.raises(ValueError, match="heatSetpoint"):
            await client.set_hvac_permanent_hold(HVAC, HvacMode.AUTO, cool_setpoint=24)
        with pytest.raises(ValueError, match="UNKNOWN"):
            await client.set_hvac_permanent_hold(HVAC, HvacMode.UNKNOWN)
        assert len(sim.requests) == requests


# ------------------------------------------------------------------------------------------
# Interventions, locations, users


async def test_interventions(client: EnodeClient) -> None:
    """The intervention catalog, filtered and translated, and one intervention."""
    catalog = await client.list_interventions()
    assert LINK_INTERVENTION in {i.id for i in catalog}
    tesla = await client.list_interventions(language="de-DE", vendor_type="vehicle", vendor="TESLA")
    assert tesla
    assert all(i.vendor in ("TESLA", None) for i in tesla)
    one = await client.get_intervention(LINK_INTERVENTION, language="en-US")
    assert one.id == LINK_INTERVENTION
    assert one.needs_relink is True
    assert one.resolution.title
    assert (await client.get_intervention(LINK_INTERVENTION)).id == LINK_INTERVENTION
    with pytest.raises(EnodeNotFoundError):
        await client.get_intervention("00000000-0000-0000-0000-000000000000")


async def test_locations(client: EnodeClient, sim: Simulator) -> None:
    """Create, list, get, update and delete Locations; assign one to a charger."""
    existing = await client.list_locations(sim.user_id)
    assert [loc.id for loc in existing] == [HOME]
    cabin = await client.create_location(
        sim.user_id, name="Cabin", latitude=61.1, longitude=9.06, timezone_name="Europe/Oslo"
    )
    assert cabin.name == "Cabin"
    assert cabin.user_id == sim.user_id
    assert {loc.id for loc in await client.list_locations(sim.user_id)} == {HOME, cabin.id}
    assert (await client.get_location(cabin.id)).latitude == pytest.approx(61.1)
    updated = await client.update_location(cabin.id, name="Hytta")
    assert updated.name == "Hytta"
    assert updated.longitude == pytest.approx(9.06)
    moved = await client.update_location(
        cabin.id, latitude=60.0, longitude=10.0, timezone_name="UTC"
    )
    assert (moved.latitude, moved.timezone_name) == (60.0, "UTC")

    charger = await client.update_charger(CHARGER, location_id=cabin.id)
    assert charger.location.id == cabin.id
    charger = await client.update_charger(CHARGER, location_id=None)
    assert charger.location.id is None

    deleted = await client.delete_location(cabin.id)
    assert deleted.id == cabin.id
    with pytest.raises(EnodeNotFoundError):
        await client.get_location(cabin.id)
    with pytest.raises(EnodePreconditionError):
        await client.create_location(
            sim.user_id, name="", latitude=999, longitude=0, timezone_name="UTC"
        )


async def test_users(client: EnodeClient, sim: Simulator) -> None:
    """Get a user, disconnect vendors (whole or one type), delete the user."""
    user = await client.get_user(sim.user_id)
    assert ("TESLA", "battery") in {(v.vendor, v.vendor_type) for v in user.linked_vendors}
    sim.invalidate_credentials(sim.user_id, "ZAPTEC")
    user = await client.get_user(sim.user_id)
    zaptec = next(v for v in user.linked_vendors if v.vendor == "ZAPTEC")
    assert zaptec.is_valid is False

    await client.disconnect_vendor(sim.user_id, "TESLA", "battery")
    user = await client.get_user(sim.user_id)
    assert ("TESLA", "battery") not in {(v.vendor, v.vendor_type) for v in user.linked_vendors}
    assert ("TESLA", "vehicle") in {(v.vendor, v.vendor_type) for v in user.linked_vendors}
    assert await client.list_batteries(sim.user_id) == []
    await client.disconnect_vendor(sim.user_id, "TESLA", "meter")
    assert await client.list_meters(sim.user_id) == []
    assert [i.id for i in await client.list_inverters(sim.user_id)] == [INVERTER]

    await client.delete_user(sim.user_id)
    with pytest.raises(EnodeNotFoundError):
        await client.get_user(sim.user_id)


# ------------------------------------------------------------------------------------------
# Webhooks, health


async def test_webhooks(client: EnodeClient) -> None:
    """Create, list, get, update, test and delete a webhook."""
    webhook = await client.create_webhook(
        url="http://127.0.0.1:9/hook",
        secret="a-long-secret",
        events=["user:vehicle:updated"],
        authentication={"headerName": "x-auth", "headerValue": "value"},
    )
    assert webhook.url == "http://127.0.0.1:9/hook"
    assert webhook.events == ["user:vehicle:updated"]
    assert webhook.api_version == "2024-10-01"
    assert webhook.is_active is True
    assert webhook.authentication is not None
    assert webhook.authentication.header_name == "x-auth"
    second = await client.create_webhook(url="http://127.0.0.1:9/other", secret="another-secret")
    assert second.events == ["*"]
    assert {w.id for w in await client.list_webhooks()} == {webhook.id, second.id}
    assert (await client.get_webhook(webhook.id)).url == webhook.url
    updated = await client.update_webhook(
        webhook.id, events=["*"], url="http://127.0.0.1:9/new", authentication=None
    )
    assert updated.events == ["*"]
    assert updated.url == "http://127.0.0.1:9/new"
    assert updated.authentication is None
    result = await client.test_webhook(webhook.id)
    assert result.status is WebhookTestStatus.FAILURE  # nothing listens on port 9
    await client.delete_webhook(webhook.id)
    with pytest.raises(EnodeNotFoundError):
        await client.get_webhook(webhook.id)
    with pytest.raises(EnodePreconditionError):
        await client.create_webhook(url="not a url", secret="short")


async def test_health(client: EnodeClient, sim: Simulator) -> None:
    """health() is True when ready and False on 503 (without retries or a token)."""
    assert await client.health() is True
    sim.inject_fault(status=503, path_prefix="/health/ready")
    assert await client.health() is False
    assert sim.count_requests("GET", "/health/ready") == 2
    assert sim.count_requests("POST", "/oauth2/token") == 0


# ------------------------------------------------------------------------------------------
# Faults: 5xx, 429, timeouts, malformed bodies, connection errors


async def test_get_retried_on_5xx(client: EnodeClient, sim: Simulator) -> None:
    """Idempotent requests are retried on 5xx, up to max_retries."""
    sim.inject_fault(status=502, count=2, path_prefix="/vehicles/")
    assert (await client.get_vehicle(GPS_VEHICLE)).id == GPS_VEHICLE
    assert sim.count_requests("GET", f"/vehicles/{GPS_VEHICLE}") == 3

    sim.clear_requests()
    sim.inject_fault(status=500, count=4, path_prefix="/locations/")
    with pytest.raises(EnodeServerError) as err:
        await client.get_location(HOME)
    assert err.value.status == 500
    assert err.value.title == "Injected fault"
    assert err.value.detail
    assert sim.count_requests("GET", f"/locations/{HOME}") == 4  # 1 + max_retries (3)

    sim.clear_requests()
    sim.inject_fault(status=503, count=1, path_prefix="/locations/")
    updated = await client.update_location(HOME, name="Home sweet home")  # PUT is retried
    assert updated.name == "Home sweet home"
    assert sim.count_requests("PUT", f"/locations/{HOME}") == 2


async def test_post_not_retried_on_5xx(client: EnodeClient, sim: Simulator) -> None:
    """POST is never retried on 5xx."""
    sim.inject_fault(status=503, count=1, path_prefix="/vehicles/", method="POST")
    with pytest.raises(EnodeServerError) as err:
        await client.set_vehicle_charging(PAIRED_VEHICLE, ChargingAction.START)
    assert err.value.status == 503
    assert sim.count_requests("POST", f"/vehicles/{PAIRED_VEHICLE}/charging") == 1


async def test_rate_limit_raises_with_delay(client: EnodeClient, sim: Simulator) -> None:
    """429 with a Retry-After beyond max_rate_limit_wait raises with the delay."""
    sim.inject_fault(status=429, retry_after=30, path_prefix="/users/")
    with pytest.raises(EnodeRateLimitError) as err:
        await client.list_vehicles(sim.user_id)
    assert err.value.retry_after == 30
    assert err.value.status == 429
    assert err.value.title == "Too Many Requests"
    when = datetime.now(UTC) + timedelta(seconds=120)
    sim.inject_fault(status=429, retry_after=format_datetime(when, usegmt=True))
    with pytest.raises(EnodeRateLimitError) as dated:
        await client.get_user(sim.user_id)
    assert dated.value.retry_after is not None
    assert 100 < dated.value.retry_after <= 120
    sim.inject_fault(status=429)
    with pytest.raises(EnodeRateLimitError) as bare:
        await client.get_user(sim.user_id)
    assert bare.value.retry_after is None


async def test_rate_limit_waited_out(sim: Simulator) -> None:
    """A short Retry-After is waited out and the request retried (POST too)."""
    async with make_client(sim, max_rate_limit_wait=2) as enode:
        sim.inject_fault(status=429, retry_after=0.2, path_prefix="/users/", method="POST")
        loop = asyncio.get_running_loop()
        start = loop.time()
        session = await enode.create_link_session(
            sim.user_id, scopes=["vehicle:read:data"], language="en-US", redirect_uri="http://x"
        )
        assert loop.time() - start >= 0.2
    assert session.link_url
    assert sim.count_requests("POST", f"/users/{sim.user_id}/link") == 2


async def test_timeouts(sim: Simulator) -> None:
    """A response slower than request_timeout: retried for GET, raised for POST."""
    async with make_client(sim, request_timeout=0.3) as enode:
        await enode.verify_credentials()
        sim.inject_fault(latency=1.0, count=1, path_prefix="/vehicles/")
        assert (await enode.get_vehicle(GPS_VEHICLE)).id == GPS_VEHICLE
        assert sim.count_requests("GET", f"/vehicles/{GPS_VEHICLE}") == 2

        sim.inject_fault(latency=1.0, count=1, path_prefix="/chargers/")
        with pytest.raises(EnodeTimeoutError) as err:
            await enode.set_charger_charging(CHARGER, ChargingAction.START)
        assert isinstance(err.value, EnodeConnectionError)
        assert sim.count_requests("POST", f"/chargers/{CHARGER}/charging") == 1

    async with make_client(sim, request_timeout=0.3, max_retries=0) as enode:
        sim.inject_fault(latency=1.0, count=1, path_prefix="/meters/")
        with pytest.raises(EnodeTimeoutError):
            await enode.get_meter(METER)


async def test_malformed_bodies(client: EnodeClient, sim: Simulator) -> None:
    """A truncated JSON body raises EnodeResponseError (single object and paginated list)."""
    sim.inject_fault(malformed=True, path_prefix="/vehicles/")
    with pytest.raises(EnodeResponseError) as err:
        await client.get_vehicle(GPS_VEHICLE)
    assert err.value.status == 200
    sim.inject_fault(malformed=True, path_prefix="/users/")
    with pytest.raises(EnodeResponseError):
        await client.list_chargers(sim.user_id)
    assert isinstance(err.value, EnodeError)
    # The client works normally afterwards.
    assert (await client.get_vehicle(GPS_VEHICLE)).id == GPS_VEHICLE


async def test_connection_error_after_stop(sim: Simulator) -> None:
    """When the server goes away, requests raise EnodeConnectionError."""
    async with make_client(sim, max_retries=1) as enode:
        await enode.verify_credentials()
        await sim.stop()
        with pytest.raises(EnodeConnectionError):
            await enode.get_vehicle(GPS_VEHICLE)


async def test_every_request_sends_the_api_version(client: EnodeClient, sim: Simulator) -> None:
    """Enode-Version 2024-10-01 and a bearer token on every API request; Basic auth for tokens."""
    await client.list_vehicles(sim.user_id)
    await client.get_charger(CHARGER)
    await client.set_vehicle_charging(PAIRED_VEHICLE, ChargingAction.START)
    await client.list_interventions()
    await client.list_webhooks()
    await client.get_user(sim.user_id)
    assert await client.health()
    api_requests = [e for e in sim.request_log if e["path"] != "/oauth2/token"]
    assert len(api_requests) == 7
    assert all(e["headers"].get("Enode-Version") == "2024-10-01" for e in api_requests)
    authenticated = [e for e in api_requests if e["path"] != "/health/ready"]
    assert all(e["headers"]["Authorization"] == "Bearer **REDACTED**" for e in authenticated)
    token_requests = [e for e in sim.request_log if e["path"] == "/oauth2/token"]
    assert len(token_requests) == 1
    assert token_requests[0]["method"] == "POST"
    assert token_requests[0]["headers"]["Authorization"] == "Basic **REDACTED**"
    assert "Enode-Version" not in token_requests[0]["headers"]
