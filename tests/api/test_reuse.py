"""Reading an asset again parses only what changed (``api/reuse.py``), with the same result."""

from __future__ import annotations

from collections.abc import Iterator
import copy
from dataclasses import dataclass, fields
import logging
from typing import Any

import orjson
import pytest

from custom_components.enode.api import (
    AssetBase,
    Battery,
    Charger,
    EnodeClient,
    Hvac,
    Inverter,
    Meter,
    Vehicle,
    parse_events,
)
from custom_components.enode.api.reuse import AssetParser
from enode_simulator import Simulator

MODELS: dict[str, type[AssetBase]] = {
    "vehicle": Vehicle,
    "charger": Charger,
    "battery": Battery,
    "inverter": Inverter,
    "meter": Meter,
    "hvac": Hvac,
}
SIX_TYPES = {
    "client": {"id": "reuse-client", "secret": "reuse-secret"},
    "generate": {
        "vehicles": 2,
        "chargers": 2,
        "batteries": 2,
        "inverters": 2,
        "meters": 2,
        "hvacs": 2,
    },
}


def _payloads() -> dict[type[AssetBase], list[dict[str, Any]]]:
    """Every asset of the demo and of a generated household of every type, as Enode sends it."""
    found: dict[type[AssetBase], list[dict[str, Any]]] = {}
    for scenario in ("demo", SIX_TYPES):
        sim = Simulator(scenario, tick_interval=None)
        for item in sim.snapshot()["assets"]:
            model = MODELS[str(sim.state.get_asset(item["id"]).type)]
            found.setdefault(model, []).append(sim.asset(item["id"]))
    return found


PAYLOADS = _payloads()
_ABSENT = object()


def _variants(
    payload: dict[str, Any], others: list[dict[str, Any]]
) -> Iterator[tuple[str, dict[str, Any]]]:
    """Each top-level section removed, nulled, taken from another asset, or changed inside."""
    for key, value in payload.items():
        if key == "id":
            continue
        yield f"{key} removed", {k: v for k, v in payload.items() if k != key}
        yield f"{key} null", {**payload, key: None}
        for other in others:
            if key in other and other[key] != value:
                yield f"{key} of another", {**payload, key: copy.deepcopy(other[key])}
                break
        if isinstance(value, dict):
            for inner, inner_value in value.items():
                changed = not inner_value if isinstance(inner_value, bool) else None
                if inner_value is None:
                    changed = 1
                yield f"{key}.{inner} changed", {**payload, key: {**value, inner: changed}}
    yield "a key the model does not know", {**payload, "somethingNew": {"a": 1}}
    yield (
        "lastSeen and chargeState",
        {
            **payload,
            "lastSeen": "2030-01-01T00:00:00Z",
            "chargeState": {**(payload.get("chargeState") or {}), "batteryLevel": 42},
        },
    )
    yield (
        "implausible battery level",
        {
            **payload,
            "chargeState": {**(payload.get("chargeState") or {}), "batteryLevel": 150},
        },
    )


def _cases() -> Iterator[Any]:
    for model, payloads in PAYLOADS.items():
        for number, payload in enumerate(payloads):
            others = payloads[:number] + payloads[number + 1 :]
            yield pytest.param(model, payload, others, id=f"{model.__name__}-{number}")


def test_every_type_is_covered() -> None:
    """The cases below read every asset type, more than one of each."""
    assert set(PAYLOADS) == set(MODELS.values())
    assert all(len(payloads) >= 2 for payloads in PAYLOADS.values())


@pytest.mark.parametrize(("model", "before", "others"), list(_cases()))
def test_reading_again_equals_a_whole_parse(
    model: type[AssetBase], before: dict[str, Any], others: list[dict[str, Any]]
) -> None:
    """Whatever changed (each section removed, nulled, taken from another asset, changed
    inside), the asset read again equals ``from_dict`` of its new payload, and the sections that
    did not change are the objects read before."""
    variants = list(_variants(before, others))
    assert len(variants) > 20
    for name, after in variants:
        parser = AssetParser()
        first = parser.parse(model, before)
        try:
            expected = model.from_dict(after)
        except (ValueError, TypeError, LookupError) as err:
            with pytest.raises(type(err)):
                parser.parse(model, after)
            assert len(parser) == 0, f"{name}: a malformed asset is forgotten"
            continue
        again = parser.parse(model, after)
        assert again == expected, name
        assert type(again) is model, name
        assert again.to_dict() == expected.to_dict(), name
        assert again.capabilities.items() == expected.capabilities.items(), name
        assert again.all_intervention_ids() == expected.all_intervention_ids(), name
        for fld in fields(model):
            wire = fld.metadata.get("alias", fld.name)
            if wire in before and before.get(wire) == after.get(wire, _ABSENT):
                assert getattr(again, fld.name) is getattr(first, fld.name), f"{name}: {wire}"


def test_the_same_payload_is_the_same_asset() -> None:
    """An asset read again unchanged is the very object read before (snapshots compare by
    identity); a copy of its payload counts as unchanged."""
    payload = PAYLOADS[Vehicle][0]
    parser = AssetParser()
    first = parser.parse(Vehicle, payload)
    assert parser.parse(Vehicle, copy.deepcopy(payload)) is first
    # Another type under the same id is parsed whole.
    assert type(parser.parse(Charger, {"id": payload["id"]})) is Charger


def test_implausible_values_are_dropped_and_logged(caplog: pytest.LogCaptureFixture) -> None:
    """A changed section with a value no device reports loses it, as a whole parse does."""
    payload = PAYLOADS[Vehicle][0]
    parser = AssetParser()
    parser.parse(Vehicle, payload)
    implausible = {**payload, "chargeState": {**payload["chargeState"], "batteryLevel": 150}}
    with caplog.at_level(logging.DEBUG, logger="custom_components.enode.api.validation"):
        vehicle = parser.parse(Vehicle, implausible)
    assert vehicle.charge_state.battery_level is None
    assert vehicle.charge_state.range == Vehicle.from_dict(payload).charge_state.range
    assert "chargeState.batteryLevel" in caplog.text
    assert "150" not in caplog.text


def test_unlisted_assets_are_forgotten() -> None:
    """A list read that no longer returns an asset forgets it (no memory of unlinked ones)."""
    first, second = PAYLOADS[Vehicle][:2]
    parser = AssetParser()
    parser.parse(Vehicle, first)
    parser.parse(Vehicle, second)
    parser.forget_unlisted("user", Vehicle, {first["id"], second["id"]})
    parser.forget_unlisted("user", Vehicle, {first["id"]})
    assert len(parser) == 1
    parser.forget(first["id"])
    assert len(parser) == 0


async def test_a_refresh_reuses_unchanged_assets(sim: Simulator, client: EnodeClient) -> None:
    """Two list reads: unchanged assets are the same objects; a changed one is read anew, its
    unchanged sections kept."""
    first = {v.id: v for v in await client.list_vehicles(sim.user_id)}
    vehicle_id = next(iter(first))
    sim.set_battery_level(vehicle_id, 33)
    second = {v.id: v for v in await client.list_vehicles(sim.user_id)}
    assert second[vehicle_id].charge_state.battery_level == 33
    assert second[vehicle_id].capabilities is first[vehicle_id].capabilities
    assert second[vehicle_id].information is first[vehicle_id].information
    for other_id, vehicle in second.items():
        if other_id != vehicle_id:
            assert vehicle is first[other_id]
    assert second[vehicle_id] == Vehicle.from_dict(sim.asset(vehicle_id))


def test_a_delivery_reuses_what_the_client_read() -> None:
    """A pushed update goes through the parser: its unchanged sections are the ones read."""
    payload = PAYLOADS[Charger][0]
    parser = AssetParser()
    read = parser.parse(Charger, payload)
    event = {
        "event": "user:charger:updated",
        "createdAt": "2030-01-01T00:00:00Z",
        "user": {"id": "u"},
        "charger": {**payload, "lastSeen": "2030-01-01T00:00:00Z"},
        "updatedFields": ["lastSeen"],
    }
    (pushed,) = parse_events(orjson.dumps([event]), parser)
    charger = pushed.charger  # type: ignore[attr-defined]
    assert charger.capabilities is read.capabilities
    assert charger == Charger.from_dict(event["charger"])


def test_a_model_that_checks_itself_is_copied_the_dataclass_way() -> None:
    """Should a model gain a ``__post_init__``, a copy with changes still runs it."""
    checked: list[str] = []

    @dataclass(frozen=True, kw_only=True)
    class CheckedVehicle(Vehicle):
        def __post_init__(self) -> None:
            checked.append(self.id)

    payload = PAYLOADS[Vehicle][0]
    parser = AssetParser()
    parser.parse(CheckedVehicle, payload)
    changed = parser.parse(CheckedVehicle, {**payload, "lastSeen": "2030-01-01T00:00:00Z"})
    assert type(changed) is CheckedVehicle
    assert checked == [payload["id"], payload["id"]]
