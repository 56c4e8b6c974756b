"""Tests of the webhook helpers: signatures and event parsing."""

from __future__ import annotations

from datetime import UTC, datetime
import json
from typing import Any

import pytest

from custom_components.enode.api import (
    ActionState,
    BatteryEvent,
    ChargeAction,
    ChargerEvent,
    CredentialsInvalidatedEvent,
    EnodeResponseError,
    HeartbeatEvent,
    HvacEvent,
    InverterEvent,
    MaxCurrentAction,
    MeterEvent,
    PowerDeliveryState,
    UnknownEvent,
    VehicleEvent,
    VendorActionEvent,
    WebhookTestEvent,
    compute_signature,
    parse_event,
    parse_events,
    verify_signature,
)

from .test_models import CHARGER, VEHICLE

TEST_BODY = b'{"payload":"example"}'
TEST_SECRET = "example-secret"
TEST_SIGNATURE = "sha1=e417e6fc2e7f8a78c93a35a7b344d36ce179fc8d"


def test_signature_test_vector() -> None:
    """Enode's documented test vector."""
    assert compute_signature(TEST_SECRET, TEST_BODY) == TEST_SIGNATURE
    assert verify_signature(TEST_SECRET, TEST_BODY, TEST_SIGNATURE) is True
    assert verify_signature(TEST_SECRET, TEST_BODY, f" {TEST_SIGNATURE}\n") is True


@pytest.mark.parametrize(
    ("secret", "body", "header"),
    [
        (TEST_SECRET, TEST_BODY, None),
        (TEST_SECRET, TEST_BODY, ""),
        (TEST_SECRET, TEST_BODY, "sha1=0000"),
        (TEST_SECRET, TEST_BODY, TEST_SIGNATURE.upper()),
        (TEST_SECRET, TEST_BODY, TEST_SIGNATURE.removeprefix("sha1=")),
        ("other-secret", TEST_BODY, TEST_SIGNATURE),
        (TEST_SECRET, b'{"payload": "example"}', TEST_SIGNATURE),
        ("", TEST_BODY, TEST_SIGNATURE),
        (TEST_SECRET, TEST_BODY, "sha1=é"),
    ],
)
def test_signature_rejected(secret: str, body: bytes, header: str | None) -> None:
    """Wrong secrets, bodies or headers are rejected."""
    assert verify_signature(secret, body, header) is False


def _event(name: str, **extra: Any) -> dict[str, Any]:
    return {
        "event": name,
        "createdAt": "2024-10-01T12:00:00Z",
        "version": "2024-10-01",
        "user": {"id": "user-1"},
        **extra,
    }


def test_parse_every_event_type() -> None:
    """Every modelled event name becomes its typed event."""
    action = {
        "id": "act",
        "userId": "user-1",
        "createdAt": "2024-10-01T12:00:00Z",
        "updatedAt": "2024-10-01T12:00:01Z",
        "completedAt": "2024-10-01T12:00:01Z",
        "state": "CONFIRMED",
        "targetId": CHARGER["id"],
        "targetType": "charger",
        "kind": "START",
        "failureReason": None,
    }
    body = [
        _event("user:vehicle:updated", vehicle=VEHICLE, updatedFields=["chargeState.batteryLevel"]),
        _event("user:vehicle:discovered", vehicle=VEHICLE),
        _event("user:charger:deleted", charger=CHARGER),
        _event("user:battery:updated", battery={"id": "b"}),
        _event("user:inverter:updated", inverter={"id": "i"}),
        _event("user:meter:discovered", meter={"id": "m"}),
        _event("user:hvac:updated", hvac={"id": "h"}),
        _event("user:vendor-action:updated", vendorAction=action, updatedFields=["state"]),
        _event(
            "user:vendor-action:updated",
            vendorAction={
                **{k: v for k, v in action.items() if k != "kind"},
                "targetState": {"maxCurrent": 8},
            },
        ),
        _event("user:credentials:invalidated", vendor="TESLA"),
        {"event": "system:heartbeat", "createdAt": "2024-10-01T12:00:00Z", "pendingEvents": 4},
        {
            "event": "enode:webhook:test",
            "createdAt": "2024-10-01T12:00:00Z",
            "version": "2024-10-01",
        },
    ]
    events = parse_events(json.dumps(body).encode())
    assert [type(e) for e in events] == [
        VehicleEvent,
        VehicleEvent,
        ChargerEvent,
        BatteryEvent,
        InverterEvent,
        MeterEvent,
        HvacEvent,
        VendorActionEvent,
        VendorActionEvent,
        CredentialsInvalidatedEvent,
        HeartbeatEvent,
        WebhookTestEvent,
    ]
    updated = events[0]
    assert isinstance(updated, VehicleEvent)
    assert updated.user_id == "user-1"
    assert updated.created_at == datetime(2024, 10, 1, 12, tzinfo=UTC)
    assert updated.version == "2024-10-01"
    assert updated.change == "updated"
    assert updated.updated_fields == ["chargeState.batteryLevel"]
    assert (
        updated.vehicle.charge_state.power_delivery_state is PowerDeliveryState.PLUGGED_IN_CHARGING
    )
    assert updated.asset is updated.vehicle
    assert events[1].change == "discovered"  # type: ignore[attr-defined]
    deleted = events[2]
    assert isinstance(deleted, ChargerEvent)
    assert deleted.change == "deleted"
    assert deleted.asset.id == CHARGER["id"]
    for event, asset_id in zip(events[3:7], ["b", "i", "m", "h"], strict=True):
        assert event.asset.id == asset_id  # type: ignore[attr-defined]
    vendor_action = events[7]
    assert isinstance(vendor_action, VendorActionEvent)
    assert isinstance(vendor_action.action, ChargeAction)
    assert vendor_action.action.state is ActionState.CONFIRMED
    assert vendor_action.updated_fields == ["state"]
    assert isinstance(events[8], VendorActionEvent)
    assert isinstance(events[8].action, MaxCurrentAction)
    invalidated = events[9]
    assert isinstance(invalidated, CredentialsInvalidatedEvent)
    assert (invalidated.user_id, invalidated.vendor) == ("user-1", "TESLA")
    heartbeat = events[10]
    assert isinstance(heartbeat, HeartbeatEvent)
    assert heartbeat.pending_events == 4
    assert heartbeat.version is None


def test_unknown_events_are_kept() -> None:
    """Unknown event names become UnknownEvent with the raw payload."""
    raw = _event("user:teleporter:updated", teleporter={"id": "t"})
    events = parse_events(json.dumps([raw, {"event": "user:schedule:execution-updated"}]).encode())
    assert isinstance(events[0], UnknownEvent)
    assert events[0].event == "user:teleporter:updated"
    assert events[0].raw == raw
    assert events[0].error is None
    assert events[0].user_id == "user-1"
    assert isinstance(events[1], UnknownEvent)
    assert events[1].user_id is None


def test_malformed_known_events_do_not_lose_the_others() -> None:
    """A malformed known event becomes an UnknownEvent with an error; the rest parse."""
    body = [
        _event("user:vehicle:updated"),  # no vehicle
        _event("user:charger:updated", charger={"vendor": "ZAPTEC"}),  # no id
        _event("user:vendor-action:updated", vendorAction="nope"),
        "not an object",
        {"event": 42, "createdAt": "not a date", "version": 7},
        {"event": "system:heartbeat", "pendingEvents": "many"},
        _event("user:credentials:invalidated", vendor=None),
        _event("user:vehicle:updated", vehicle={"id": "v"}, user="nobody", updatedFields="x"),
    ]
    events = parse_events(json.dumps(body).encode())
    assert len(events) == len(body)
    for event in events[:4]:
        assert isinstance(event, UnknownEvent)
        assert event.error
    assert events[0].event == "user:vehicle:updated"
    assert isinstance(events[4], UnknownEvent)
    assert events[4].event == ""
    assert events[4].created_at is None
    assert events[4].version is None
    assert isinstance(events[5], HeartbeatEvent)
    assert events[5].pending_events is None
    assert isinstance(events[6], CredentialsInvalidatedEvent)
    assert events[6].vendor is None
    assert isinstance(events[2], UnknownEvent)
    assert "nope" not in (events[2].error or "")
    last = events[7]
    assert isinstance(last, VehicleEvent)
    assert last.user_id is None
    assert last.updated_fields == []


@pytest.mark.parametrize("body", [b"", b"{not json", b'{"event": "x"}', b'"text"', b"null"])
def test_malformed_body_raises(body: bytes) -> None:
    """A body that is not a JSON array is an EnodeResponseError."""
    with pytest.raises(EnodeResponseError):
        parse_events(body)


def test_malformed_event_error_hides_values() -> None:
    """The error of a malformed event names the field, never the value (privacy)."""
    event = parse_event(
        _event("user:vehicle:updated", vehicle={"id": "v", "location": {"latitude": "59.91N"}})
    )
    assert isinstance(event, UnknownEvent)
    assert event.error is not None
    assert "location" in event.error
    assert "59.91N" not in event.error


def test_parse_event_single() -> None:
    """parse_event takes one decoded event."""
    event = parse_event({"event": "enode:webhook:test"})
    assert isinstance(event, WebhookTestEvent)
    assert event.created_at is None
