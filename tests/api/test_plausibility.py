"""Timestamps without a timezone and values no device can report (issue 12), in the models."""

from __future__ import annotations

from datetime import UTC, datetime
import logging

import pytest

from custom_components.enode.api import Battery, Hvac, Inverter, Meter, Vehicle
from custom_components.enode.api.models import parse_datetime


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025-06-01T12:00:00", datetime(2025, 6, 1, 12, tzinfo=UTC)),
        ("2025-06-01T12:00:00Z", datetime(2025, 6, 1, 12, tzinfo=UTC)),
        ("2025-06-01T14:00:00+02:00", datetime(2025, 6, 1, 12, tzinfo=UTC)),
    ],
)
def test_parse_datetime(text: str, expected: datetime) -> None:
    """Every timestamp is aware; one without a timezone is UTC."""
    parsed = parse_datetime(text)
    assert parsed == expected
    assert parsed.tzinfo is not None


def test_naive_timestamps_in_assets_are_utc() -> None:
    """An asset's ``lastSeen`` (and nested ``lastUpdated``) without a timezone compares with
    aware ones."""
    vehicle = Vehicle.from_dict(
        {
            "id": "v",
            "lastSeen": "2025-06-01T12:00:00",
            "chargeState": {"lastUpdated": "2025-06-01T11:00:00"},
        }
    )
    assert vehicle.last_seen == datetime(2025, 6, 1, 12, tzinfo=UTC)
    assert vehicle.charge_state.last_updated is not None
    assert vehicle.charge_state.last_updated < datetime(2025, 6, 1, 12, tzinfo=UTC)


@pytest.mark.parametrize(
    ("model", "payload", "dropped", "kept"),
    [
        (
            Vehicle,
            {"chargeState": {"batteryLevel": 1e30, "range": 300, "chargeLimit": 101}},
            ["chargeState.batteryLevel", "chargeState.chargeLimit"],
            lambda v: v.charge_state.range == 300,
        ),
        (
            Vehicle,
            {"location": {"latitude": 91, "longitude": 10}, "odometer": {"distance": -3}},
            ["odometer.distance", "location.latitude"],
            lambda v: v.location.longitude == 10,
        ),
        (
            Battery,
            {"chargeState": {"batteryLevel": -1, "chargeRate": -2.5}},
            ["chargeState.batteryLevel"],
            lambda b: b.charge_state.charge_rate == -2.5,
        ),
        (
            Inverter,
            {"productionState": {"totalLifetimeProduction": -10, "productionRate": 3.2}},
            ["productionState.totalLifetimeProduction"],
            lambda i: i.production_state.production_rate == 3.2,
        ),
        (
            Meter,
            {"energyState": {"power": 1e9}},
            ["energyState.power"],
            lambda m: m.energy_state.power is None,
        ),
        (
            Hvac,
            {"temperatureState": {"currentTemperature": 4000}, "consumptionRate": 1.2},
            ["temperatureState.currentTemperature"],
            lambda h: h.consumption_rate == 1.2,
        ),
    ],
)
def test_implausible_values_dropped(
    caplog: pytest.LogCaptureFixture,
    model: type[Vehicle | Battery | Inverter | Meter | Hvac],
    payload: dict[str, object],
    dropped: list[str],
    kept: object,
) -> None:
    """Values outside what any device reports become None; the rest is kept; one debug line
    names the fields and not the values."""
    caplog.set_level(logging.DEBUG, logger="custom_components.enode")
    asset = model.from_dict({"id": "a", **payload})
    assert callable(kept)
    assert kept(asset)
    records = [r.getMessage() for r in caplog.records if "implausible" in r.getMessage()]
    assert len(records) == 1
    for name in dropped:
        assert name in records[0]
    assert "1e+30" not in records[0]
    # Serialising and reading again keeps the plausible values and logs nothing more.
    assert model.from_dict(asset.to_dict()) == asset
    assert len([r for r in caplog.records if "implausible" in r.getMessage()]) == 1


def test_plausible_values_untouched(caplog: pytest.LogCaptureFixture) -> None:
    """Edge values (0 and 100 %, a discharging vehicle) are kept; nothing is logged."""
    caplog.set_level(logging.DEBUG, logger="custom_components.enode")
    payload = {
        "id": "v",
        "chargeState": {"batteryLevel": 100, "chargeLimit": 0, "chargeRate": -11},
    }
    vehicle = Vehicle.from_dict(payload)
    assert vehicle.charge_state.battery_level == 100
    assert vehicle.charge_state.charge_limit == 0
    assert vehicle.charge_state.charge_rate == -11
    assert "implausible" not in caplog.text
