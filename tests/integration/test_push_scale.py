"""Pushed updates at scale (issue 14, README "Performance"): what a delivery writes.

A delivery's updates of different assets are merged into one snapshot (a device's second update
in the delivery starts the next one, so each of its states is shown); a merge updates only the
entities of the changed assets and of the vehicle or charger plugged into them; an entity writes
its state only when it changed. Home Assistant's ``last_reported`` shows every write, even of an
unchanged state, so these tests see writes that did not change anything too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import fields, replace
from datetime import datetime
import importlib
from types import FunctionType, MethodType
from typing import Any
from unittest.mock import patch

from aiohttp.test_utils import TestClient
from homeassistant.const import CONF_WEBHOOK_ID
from homeassistant.core import Event, EventStateChangedData, HomeAssistant, callback
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.entity_platform import async_get_platforms
from homeassistant.helpers.event import async_track_state_change_event
from homeassistant.setup import async_setup_component
import orjson
import pytest

from custom_components.enode import PLATFORMS, entity as entity_module
from custom_components.enode.api import (
    Battery,
    Charger,
    EnodeModel,
    Hvac,
    Inverter,
    Meter,
    Vehicle,
)
from custom_components.enode.api.const import ASSET_PATHS
from custom_components.enode.api.webhooks import compute_signature
from custom_components.enode.const import DOMAIN
from custom_components.enode.coordinator import OTHER_ASSETS, asset_changes, changed_asset_ids
from custom_components.enode.entity import EXISTS_INPUTS, EnodeEntity, pairing_changed
from custom_components.enode.models import EnodeData
from custom_components.enode.pairing import charger_pairing
from custom_components.enode.webhook import CONF_WEBHOOK_SECRET
from enode_simulator.clock import iso

from .conftest import (
    CHARGER,
    CHARGER_ID,
    CHARGER_REMOTE_ACCESS,
    GPS_VEHICLE,
    GPS_VEHICLE_ID,
    TEST_USER,
    VEHICLE_ID,
    VEHICLE_NO_CONTROL,
    household,
    make_entry,
    setup_entry,
)

pytestmark = pytest.mark.usefixtures("fast_client")

MODELS = {Vehicle, Charger, Battery, Inverter, Meter, Hvac}
SIX_TYPES = {
    "client": {"id": "six-client", "secret": "six-secret"},
    "generate": dict.fromkeys(
        ("vehicles", "chargers", "batteries", "inverters", "meters", "hvacs"), 2
    ),
}

# The family car (no charge rate of its own) is plugged into the charger; Tessie is not.
PLUGGED = [{"vehicle": VEHICLE_ID, "charger": CHARGER_ID, "charging": False}]
FAMILY_CHARGE_RATE = "sensor.family_car_charge_rate"
FAMILY_BATTERY = "sensor.family_car_battery"
FAMILY_ODOMETER = "sensor.family_car_odometer"
FAMILY_PAIRING = "sensor.family_car_charger_pairing"
TESSIE_BATTERY = "sensor.tessie_battery"
CHARGER_RATE = "sensor.zaptec_go_charge_rate"


@pytest.fixture
async def ha_client(hass: HomeAssistant, hass_client_no_auth: Any) -> TestClient:
    """Serve Home Assistant on loopback (the webhook's URL)."""
    assert await async_setup_component(hass, "webhook", {})
    client: TestClient = await hass_client_no_auth()
    await hass.config.async_update(internal_url=str(client.make_url("/")).rstrip("/"))
    return client


def _update(sim: Any, asset_id: str, kind: str, **changes: Any) -> dict[str, Any]:
    """Return a ``user:<kind>:updated`` event: the asset as the simulator has it, changed."""
    body = sim.asset(asset_id)
    for path, value in changes.items():
        group, _, key = path.partition("__")
        body[group] = {**body[group], key: value} if key else value
    body["lastSeen"] = iso(sim.clock.now())
    return {
        "event": f"user:{kind}:updated",
        "createdAt": iso(sim.clock.now()),
        "version": "2024-10-01",
        "user": {"id": TEST_USER},
        kind: body,
        "updatedFields": list(changes),
    }


async def _deliver(
    hass: HomeAssistant, client: TestClient, entry: Any, events: list[dict[str, Any]]
) -> None:
    body = orjson.dumps(events)
    signature = compute_signature(entry.data[CONF_WEBHOOK_SECRET], body)
    resp = await client.post(
        f"/api/webhook/{entry.data[CONF_WEBHOOK_ID]}",
        data=body,
        headers={"content-type": "application/json", "x-enode-signature": signature},
    )
    assert resp.status == 200
    await hass.async_block_till_done(wait_background_tasks=True)


def _reported(hass: HomeAssistant, entity_id: str) -> datetime:
    state = hass.states.get(entity_id)
    assert state is not None, entity_id
    return state.last_reported


async def _setup(hass: HomeAssistant, simulator_factory: Any) -> tuple[Any, Any]:
    sim = await simulator_factory(
        household(linked=[VEHICLE_NO_CONTROL, GPS_VEHICLE, CHARGER], plugged=PLUGGED)
    )
    entry = await setup_entry(hass, make_entry(sim))
    await hass.async_block_till_done(wait_background_tasks=True)
    assert entry.runtime_data.webhook.registered
    return sim, entry


async def test_update_writes_the_asset_and_its_plugged_in_partner(
    hass: HomeAssistant, simulator_factory: Any, ha_client: TestClient
) -> None:
    """A charger's update shows on the vehicle plugged into it (its charge rate falls back to
    the charger's); the other vehicle's entities are not even written."""
    sim, entry = await _setup(hass, simulator_factory)
    coordinator = entry.runtime_data.coordinator
    await _deliver(hass, ha_client, entry, [_update(sim, CHARGER_ID, "charger")])  # settle
    tessie = _reported(hass, TESSIE_BATTERY)
    # The coordinator's listeners by asset id, as its entities register.
    updated: list[str] = []
    for asset_id in (CHARGER_ID, VEHICLE_ID, GPS_VEHICLE_ID):
        entry.async_on_unload(
            coordinator.async_add_listener(lambda a=asset_id: updated.append(a), asset_id)
        )
    await _deliver(
        hass, ha_client, entry, [_update(sim, CHARGER_ID, "charger", chargeState__chargeRate=7.2)]
    )
    assert hass.states.get(CHARGER_RATE).state == "7.2"
    assert hass.states.get(FAMILY_CHARGE_RATE).state == "7.2"
    assert sorted(updated) == sorted([CHARGER_ID, VEHICLE_ID])
    assert _reported(hass, TESSIE_BATTERY) == tessie


@pytest.mark.parametrize(
    "entity_id",
    [
        FAMILY_BATTERY,
        # The smart charging controls (they compare what they show too).
        "number.family_car_minimum_charge_limit",
        "time.family_car_charging_deadline",
        "switch.family_car_charge_now",
    ],
)
async def test_entity_writes_only_what_changed(
    hass: HomeAssistant, simulator_factory: Any, ha_client: TestClient, entity_id: str
) -> None:
    """An update of the odometer writes the odometer, not the battery level or the smart
    charging controls (unchanged)."""
    sim, entry = await _setup(hass, simulator_factory)
    await _deliver(hass, ha_client, entry, [_update(sim, VEHICLE_ID, "vehicle")])  # settle
    reported = _reported(hass, entity_id)
    await _deliver(
        hass,
        ha_client,
        entry,
        [_update(sim, VEHICLE_ID, "vehicle", odometer={"distance": 12345, "lastUpdated": None})],
    )
    assert hass.states.get(FAMILY_ODOMETER).state == "12345.0"
    assert _reported(hass, entity_id) == reported


async def test_delivery_is_merged_per_state(
    hass: HomeAssistant, simulator_factory: Any, ha_client: TestClient
) -> None:
    """A delivery of three updates (two of the same vehicle) publishes two snapshots: both
    vehicles' first updates in one, the first vehicle's second state after it (each shown)."""
    sim, entry = await _setup(hass, simulator_factory)
    coordinator = entry.runtime_data.coordinator
    published: list[int] = []
    unsubscribe = coordinator.async_add_listener(lambda: published.append(1))
    shown: list[str] = []

    @callback
    def _shown(event: Event[EventStateChangedData]) -> None:
        if (state := event.data["new_state"]) is not None:
            shown.append(state.state)

    unsubscribe_state = async_track_state_change_event(hass, FAMILY_BATTERY, _shown)
    await _deliver(
        hass,
        ha_client,
        entry,
        [
            _update(sim, VEHICLE_ID, "vehicle", chargeState__batteryLevel=41),
            _update(sim, GPS_VEHICLE_ID, "vehicle", chargeState__batteryLevel=61),
            _update(sim, VEHICLE_ID, "vehicle", chargeState__batteryLevel=42),
        ],
    )
    unsubscribe()
    unsubscribe_state()
    assert published == [1, 1]
    assert shown == ["41.0", "42.0"]
    assert hass.states.get(FAMILY_BATTERY).state == "42.0"
    assert hass.states.get(TESSIE_BATTERY).state == "61.0"


async def test_refresh_still_updates_everything(
    hass: HomeAssistant, simulator_factory: Any, ha_client: TestClient
) -> None:
    """A refresh (not a merge of pushed assets) updates every entity that changed."""
    sim, entry = await _setup(hass, simulator_factory)
    sim.set_battery_level(VEHICLE_ID, 33)
    sim.set_battery_level(GPS_VEHICLE_ID, 44)
    sim.webhooks.drop_pending()
    await entry.runtime_data.coordinator.async_refresh()
    await hass.async_block_till_done()
    assert hass.states.get(FAMILY_BATTERY).state == "33.0"
    assert hass.states.get(TESSIE_BATTERY).state == "44.0"


def _tracker(hass: HomeAssistant) -> str | None:
    """Return Tessie's device tracker's entity id, if it exists."""
    registry = er.async_get(hass)
    return registry.async_get_entity_id("device_tracker", DOMAIN, f"{GPS_VEHICLE_ID}_position")


async def test_a_pushed_capability_adds_and_removes_entities(
    hass: HomeAssistant, simulator_factory: Any, ha_client: TestClient
) -> None:
    """A push that changes a capability adds or removes its entities, without a refresh."""
    sim, entry = await _setup(hass, simulator_factory)
    assert _tracker(hass) is not None
    capabilities = sim.asset(GPS_VEHICLE_ID)["capabilities"]
    missing = {**capabilities, "location": {"isCapable": False, "interventionIds": []}}
    await _deliver(
        hass, ha_client, entry, [_update(sim, GPS_VEHICLE_ID, "vehicle", capabilities=missing)]
    )
    assert _tracker(hass) is None
    await _deliver(
        hass,
        ha_client,
        entry,
        [_update(sim, GPS_VEHICLE_ID, "vehicle", capabilities=capabilities)],
    )
    assert (tracker := _tracker(hass)) is not None
    assert hass.states.get(tracker) is not None


async def test_a_push_checks_for_new_entities_only_when_their_inputs_changed(
    hass: HomeAssistant, simulator_factory: Any, ha_client: TestClient
) -> None:
    """A pushed battery level keeps the vehicle's capabilities, location and information (the
    same objects: only what changed is parsed again), so entity creation is not even called; a
    pushed capability has the vehicle's entities checked (the charger's listeners find none)."""
    sim, entry = await _setup(hass, simulator_factory)
    before = entry.runtime_data.coordinator.data.vehicles[VEHICLE_ID]
    checked: list[list[str]] = []
    original = entity_module.assets_to_check

    def _spy(assets: Any, changed: Any) -> Any:
        result = list(original(assets, changed))
        checked.append([asset.id for asset in result])
        return result

    with patch.object(entity_module, "assets_to_check", _spy):
        await _deliver(
            hass,
            ha_client,
            entry,
            [_update(sim, VEHICLE_ID, "vehicle", chargeState__batteryLevel=12)],
        )
        after = entry.runtime_data.coordinator.data.vehicles[VEHICLE_ID]
        assert after.charge_state.battery_level == 12
        assert after.capabilities is before.capabilities
        assert checked == []  # not even called
        assert hass.states.get(FAMILY_BATTERY).state == "12.0"
        checked.clear()
        capabilities = sim.asset(VEHICLE_ID)["capabilities"]
        changed = {**capabilities, "odometer": {"isCapable": False, "interventionIds": []}}
        await _deliver(
            hass, ha_client, entry, [_update(sim, VEHICLE_ID, "vehicle", capabilities=changed)]
        )
    assert {tuple(ids) for ids in checked} == {(VEHICLE_ID,), ()}
    assert hass.states.get(FAMILY_ODOMETER) is None


async def test_exists_fns_read_only_their_inputs(
    hass: HomeAssistant, simulator_factory: Any
) -> None:
    """Every description's ``exists_fn`` reads only ``EXISTS_INPUTS`` of an asset (what a push
    compares before skipping the check), for every asset of the demo and of every type."""
    recorded: list[tuple[type, Sequence[Any]]] = []
    original = entity_module.async_add_asset_entities

    def _record(
        entry: Any, add: Any, model: type, descriptions: Sequence[Any], factory: Any
    ) -> None:
        recorded.append((model, descriptions))
        original(entry, add, model, descriptions, factory)

    modules = [importlib.import_module(f"custom_components.enode.{p}") for p in PLATFORMS]
    patches = [
        patch.object(module, "async_add_asset_entities", _record)
        for module in modules
        if hasattr(module, "async_add_asset_entities")
    ]
    assets: list[Any] = []
    for scenario in ("demo", SIX_TYPES):
        sim = await simulator_factory(scenario)
        for item in patches:
            item.start()
        try:
            entry = await setup_entry(hass, make_entry(sim))
        finally:
            for item in patches:
                item.stop()
        assets += list(entry.runtime_data.coordinator.data.iter_assets())
    # Every asset type has descriptions, and every type is among the assets read.
    assert {model for model, _ in recorded} == set(MODELS)
    assert {type(asset) for asset in assets} == set(MODELS)
    checked = 0
    for model, descriptions in recorded:
        for asset in assets:
            if not isinstance(asset, model):
                continue
            for description in descriptions:
                reads: set[str] = set()
                description.exists_fn(_Reads(asset, reads))
                assert reads <= set(EXISTS_INPUTS), (description.key, reads)
                checked += 1
    assert checked > 100


class _Reads:
    """An asset that records which of its attributes are read."""

    def __init__(self, asset: Any, reads: set[str]) -> None:
        self._asset = asset
        self._reads = reads

    def __getattr__(self, name: str) -> Any:
        self._reads.add(name)
        return getattr(self._asset, name)


async def test_a_chargers_pushed_interventions_update_every_vehicles_pairing(
    hass: HomeAssistant, simulator_factory: Any, ha_client: TestClient
) -> None:
    """A vehicle's pairing reads every linked charger's interventions, not only a plugged-in
    one's: a charger's update that drops its intervention (the vehicle's own update not yet
    pushed) clears the unplugged vehicle's pair at once."""
    blocked = {
        "id": "charger-0002",
        "type": "charger",
        "vendor": "EASEE",
        "information": {"brand": "Easee", "model": "One", "serialNumber": "EH0002"},
        "capabilities": {
            "startCharging": {"isCapable": False, "interventionIds": [CHARGER_REMOTE_ACCESS]},
            "stopCharging": {"isCapable": False, "interventionIds": [CHARGER_REMOTE_ACCESS]},
        },
    }
    sim = await simulator_factory(household(linked=[VEHICLE_NO_CONTROL, blocked]))
    entry = await setup_entry(hass, make_entry(sim))
    await hass.async_block_till_done(wait_background_tasks=True)
    assert hass.states.get(FAMILY_PAIRING).state == "established"
    capabilities = sim.asset("charger-0002")["capabilities"]
    unblocked = {
        name: {**capability, "interventionIds": []} for name, capability in capabilities.items()
    }
    await _deliver(
        hass,
        ha_client,
        entry,
        [_update(sim, "charger-0002", "charger", capabilities=unblocked)],
    )
    data = entry.runtime_data.coordinator.data
    assert str(charger_pairing(data.vehicles[VEHICLE_ID], data)) == "cleared"
    assert hass.states.get(FAMILY_PAIRING).state == "cleared"


class _Recorder:
    """An asset, a section of it or the snapshot, recording the fields read of it (``path``).

    Methods and properties run on the recorder, so what they read is recorded too; an asset's
    sections (models) are recorders in turn, recording ``section.field``. Passes for its model
    in ``isinstance``.
    """

    def __init__(self, target: Any, path: str, reads: set[str], *, sections: bool) -> None:
        object.__setattr__(self, "_target", target)
        object.__setattr__(self, "_path", path)
        object.__setattr__(self, "_reads", reads)
        object.__setattr__(self, "_sections", sections)

    @property  # type: ignore[misc]
    def __class__(self) -> type:
        return type(object.__getattribute__(self, "_target"))

    def __getattr__(self, name: str) -> Any:
        target = object.__getattribute__(self, "_target")
        if name.startswith("__"):
            return getattr(target, name)
        member = getattr(type(target), name, None)
        if isinstance(member, property):
            return member.fget(self)  # type: ignore[misc]
        if isinstance(member, FunctionType):
            return MethodType(member, self)
        path = f"{self._path}{name}"
        value = getattr(target, name)
        if self._sections and isinstance(value, EnodeModel):
            # What is read of it is recorded (a section used whole is not seen).
            return _Recorder(value, f"{path}.", self._reads, sections=False)
        self._reads.add(path)
        return value


# What an entity may read of the snapshot besides its asset: what a merge leaves as it was; and
# the assets, which only entities that declare ``OTHER_ASSETS`` may read.
ASSETS = {f"data.{name}" for name in ASSET_PATHS.values()}
NOT_ASSETS = {f"data.{item.name}" for item in fields(EnodeData)} - ASSETS


def _recorded_reads(entity: EnodeEntity[Any], coordinator: Any) -> set[str]:
    """Return what computing the entity's state (and availability) reads."""
    reads: set[str] = set()
    data = coordinator.data
    snapshot = _Recorder(data, "data.", reads, sections=False)
    entity._looked_up = _Recorder(entity.asset, "", reads, sections=True)  # type: ignore[assignment]
    entity._looked_up_in = snapshot  # type: ignore[assignment]
    coordinator.data = snapshot
    try:
        entity._state_written()
    finally:
        coordinator.data = data
        entity._looked_up_in = None
    return reads


def _covered(path: str, declared: frozenset[str]) -> bool:
    section = path.partition(".")[0]
    return path in declared or section in declared


async def test_declared_state_reads_cover_what_each_entity_reads(
    hass: HomeAssistant, simulator_factory: Any
) -> None:
    """Every entity that declares what its state reads (``entity.py``) reads only those fields
    of its asset, and another asset only if it declares ``OTHER_ASSETS``, over the demo, every
    asset type and a vehicle plugged into a charger; only climate and select entities declare
    nothing (they are always computed)."""
    scenarios: list[Any] = [
        "demo",
        SIX_TYPES,
        household(linked=[VEHICLE_NO_CONTROL, GPS_VEHICLE, CHARGER], plugged=PLUGGED),
    ]
    declared = 0
    undeclared: set[str] = set()
    types: set[type] = set()
    for scenario in scenarios:
        sim = await simulator_factory(scenario)
        entry = await setup_entry(hass, make_entry(sim))
        coordinator = entry.runtime_data.coordinator
        for platform in async_get_platforms(hass, DOMAIN):
            if platform.config_entry is None or platform.config_entry.entry_id != entry.entry_id:
                continue
            for entity in platform.entities.values():
                assert isinstance(entity, EnodeEntity)
                reads = _recorded_reads(entity, coordinator)
                key = (type(entity).__name__, entity.entity_id, sorted(reads))
                if entity._reads is None:
                    undeclared.add(platform.domain)
                    continue
                declared += 1
                types.add(type(entity.asset))
                if OTHER_ASSETS not in entity._reads:
                    assert reads & ASSETS == set(), key
                for path in reads - NOT_ASSETS - ASSETS - {"id"}:  # an asset's id never changes
                    assert _covered(path, entity._reads), key
        assert await hass.config_entries.async_unload(entry.entry_id)
    assert types == MODELS
    assert declared > 100
    assert undeclared == {"climate", "select"}


async def test_a_push_calls_only_the_entities_whose_reads_changed(
    hass: HomeAssistant, simulator_factory: Any, ha_client: TestClient
) -> None:
    """A pushed battery level calls the battery level, not the range, the odometer, the charge
    rate or the pairing of the same vehicle (they read other fields, and the charger, unchanged);
    of the charger it is plugged into only what shows the vehicle; the other vehicle's nothing.
    A pushed charger calls the vehicle's entities that read the charger."""
    sim, entry = await _setup(hass, simulator_factory)
    await _deliver(hass, ha_client, entry, [_update(sim, VEHICLE_ID, "vehicle")])  # settle
    called: list[str] = []
    original = EnodeEntity._handle_coordinator_update

    def _spy(entity: EnodeEntity[Any]) -> None:
        called.append(entity.entity_id)
        original(entity)

    with patch.object(EnodeEntity, "_handle_coordinator_update", _spy):
        # Entities made now register the spy (the bound method) as their listener.
        assert await hass.config_entries.async_reload(entry.entry_id)
        await hass.async_block_till_done(wait_background_tasks=True)

        async def _called_by(event: dict[str, Any]) -> list[str]:
            called.clear()
            await _deliver(hass, ha_client, entry, [event])
            return list(called)

        battery = _update(sim, VEHICLE_ID, "vehicle", chargeState__batteryLevel=12)
        assert sorted(await _called_by(battery)) == sorted(
            [FAMILY_BATTERY, "sensor.zaptec_go_connected_vehicle"]
        )
        assert hass.states.get(FAMILY_BATTERY).state == "12.0"
        pushed = await _called_by(_update(sim, CHARGER_ID, "charger", chargeState__chargeRate=7.2))
    assert hass.states.get(FAMILY_CHARGE_RATE).state == "7.2"
    assert CHARGER_RATE in pushed
    assert FAMILY_CHARGE_RATE in pushed
    assert FAMILY_PAIRING in pushed
    assert FAMILY_BATTERY not in pushed
    assert not [entity_id for entity_id in pushed if "tessie" in entity_id]


VEHICLE_PAYLOAD: dict[str, Any] = {
    "id": VEHICLE_ID,
    "isReachable": True,
    "chargeState": {"batteryLevel": 40, "range": 200, "isPluggedIn": True},
    "odometer": {"distance": 1000},
}


def test_asset_changes_name_the_changed_fields_and_sections() -> None:
    """A changed field of a section is named with its section; a section read again unchanged
    (the same object, or an equal one) and unchanged fields are not named."""
    vehicle = Vehicle.from_dict(VEHICLE_PAYLOAD)
    assert asset_changes(vehicle, vehicle) == frozenset()
    again = Vehicle.from_dict(VEHICLE_PAYLOAD)
    assert again.charge_state is not vehicle.charge_state
    assert asset_changes(vehicle, again) == frozenset()
    charged = replace(
        vehicle,
        charge_state=replace(vehicle.charge_state, battery_level=12, range=40),
        is_reachable=not vehicle.is_reachable,
    )
    assert asset_changes(vehicle, charged) == {
        "charge_state",
        "charge_state.battery_level",
        "charge_state.range",
        "is_reachable",
    }


def test_a_merge_names_what_changed_and_the_partner_for_its_sake() -> None:
    """The merged asset with what changed of it; the charger plugged into it with only
    ``OTHER_ASSETS`` (its entities that read only their own charger are not called)."""
    vehicle = Vehicle.from_dict(VEHICLE_PAYLOAD)
    vehicle = replace(
        vehicle, charge_state=replace(vehicle.charge_state, plugged_in_charger_id=CHARGER_ID)
    )
    charger = Charger.from_dict({"id": CHARGER_ID})
    before = EnodeData(vehicles={vehicle.id: vehicle}, chargers={CHARGER_ID: charger})
    update = replace(vehicle, charge_state=replace(vehicle.charge_state, battery_level=12))
    after = before.with_assets([update])
    assert changed_asset_ids(before, after, [update]) == {
        vehicle.id: {"charge_state", "charge_state.battery_level"},
        CHARGER_ID: {OTHER_ASSETS},
    }
    # Anything else of the snapshot changed: every entity.
    assert changed_asset_ids(before, replace(after, locations={"x": None}), [update]) is None  # type: ignore[dict-item]


def test_pairing_is_looked_at_again_only_when_what_it_reads_changed() -> None:
    """The charger reliance (``pairing.py``) learns from a merge only for the vehicles whose
    pairing may have changed (``pairing_changed``): an unplugged vehicle, not a battery level."""
    vehicle = Vehicle.from_dict(VEHICLE_PAYLOAD)
    vehicle = replace(
        vehicle, charge_state=replace(vehicle.charge_state, plugged_in_charger_id=CHARGER_ID)
    )
    before = EnodeData(vehicles={vehicle.id: vehicle})
    level = replace(vehicle, charge_state=replace(vehicle.charge_state, battery_level=12))
    assert pairing_changed(changed_asset_ids(before, before.with_assets([level]), [level])) == [
        CHARGER_ID  # (not a vehicle: the reliance looks only at vehicles)
    ]
    unplugged = replace(
        vehicle, charge_state=replace(vehicle.charge_state, plugged_in_charger_id=None)
    )
    assert vehicle.id in (
        pairing_changed(changed_asset_ids(before, before.with_assets([unplugged]), [unplugged]))
        or []
    )
    assert pairing_changed(None) is None
