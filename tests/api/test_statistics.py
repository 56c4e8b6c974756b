"""The client's energy statistics: HEM systems, their statistics, charging statistics, and the
spreading of buckets of any length over UTC hours."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from custom_components.enode.api import (
    AssetType,
    EnodeNotFoundError,
    EnodePreconditionError,
    HemSeries,
    HemStatistics,
    hourly_energy,
)
from custom_components.enode.api.statistics import parse_duration

from .conftest import SimFactory, make_client

HOUR = timedelta(hours=1)


async def test_hem_systems_and_their_statistics(sim_factory: SimFactory) -> None:
    """A user's HEM system, and a day of its statistics in hourly kWh in the system's zone."""
    sim = await sim_factory("demo", history_days=2)
    async with make_client(sim) as client:
        (system,) = await client.list_hem_systems(sim.user_id)
        assert system.information.timezone == "Europe/Oslo"
        assert system.information.installation_date is not None
        assert (await client.get_hem_system(system.id)).id == system.id
        zone = ZoneInfo("Europe/Oslo")
        yesterday = (sim.clock.now_dt().astimezone(zone) - timedelta(days=1)).date()
        statistics = await client.get_hem_statistics(system.id, yesterday)
        generation = statistics.series(HemSeries.GENERATION)
        assert generation is not None
        assert generation.is_available
        assert generation.bucket_length == HOUR
        hours = hourly_energy(generation.energy_buckets())
        assert len(hours) in (23, 24, 25)
        assert all(hour.is_complete for hour in hours.values())
        assert sum(hour.kwh for hour in hours.values()) > 0
        # Before the installation Enode answers 400.
        with pytest.raises(EnodePreconditionError):
            await client.get_hem_statistics(system.id, yesterday - timedelta(days=5))
        with pytest.raises(EnodeNotFoundError):
            await client.get_hem_system("no-such-system")


async def test_charging_statistics(sim_factory: SimFactory) -> None:
    """Hourly charging buckets of a vehicle, in UTC, with energy, cost and savings."""
    sim = await sim_factory("demo", history_days=2)
    async with make_client(sim) as client:
        vehicle = (await client.list_vehicles(sim.user_id))[0]
        now = sim.clock.now_dt()
        buckets = await client.get_charging_statistics(
            sim.user_id, AssetType.VEHICLE, vehicle.id, start=now - timedelta(days=2), end=now
        )
        assert len(buckets) >= 47
        assert all(b.date.minute == 0 and b.date.tzinfo is not None for b in buckets)
        assert sum(b.kwh_sum or 0 for b in buckets) > 0
        assert sum(b.cost_sum or 0 for b in buckets) > 0


def test_power_buckets_of_a_half_hour_zone_become_utc_hours() -> None:
    """Average power (kW) of 30-minute buckets in a zone 5:30 off UTC: each local half hour lies
    in one UTC hour, and an hour with a bucket missing is not complete."""
    statistics = HemStatistics.from_dict(
        {
            "timeseries": {
                "generation": {
                    "isAvailable": True,
                    "unit": "kW",
                    "unitType": "Power",
                    "sampling": {"mode": "bucketed", "resolution": "PT30M"},
                    "timezone": "Asia/Kolkata",
                    "data": [
                        {"t": "2025-10-08T09:00:00+05:30", "v": 2.0},
                        {"t": "2025-10-08T09:30:00+05:30", "v": 4.0},
                        {"t": "2025-10-08T10:00:00+05:30", "v": 1.0},
                        {"t": "2025-10-08T10:30:00+05:30", "v": None},
                    ],
                },
                "batteryLevel": {"isAvailable": False, "reason": "No battery"},
            }
        }
    )
    generation = statistics.series(HemSeries.GENERATION)
    assert generation is not None
    hours = hourly_energy(generation.energy_buckets())
    three, four, five = (datetime(2025, 10, 8, h, tzinfo=UTC) for h in (3, 4, 5))
    # 03:30-04:00 UTC: 2 kW for half an hour; 04:00-04:30: 4 kW; 04:30-05:00: 1 kW; then nothing.
    assert hours[three].kwh == pytest.approx(1.0)
    assert not hours[three].is_complete
    assert hours[four].kwh == pytest.approx(2.5)
    assert hours[four].is_complete
    assert five not in hours
    battery = statistics.series(HemSeries.BATTERY_LEVEL)
    assert battery is not None
    assert not battery.is_available
    assert battery.energy_buckets() == []


def test_a_bucket_longer_than_the_hours_is_spread() -> None:
    """A two-hour bucket (kWh) covers both hours, half each."""
    start = datetime(2025, 1, 1, tzinfo=UTC)
    hours = hourly_energy([(start, start + 2 * HOUR, 3.0)])
    assert [hours[start].kwh, hours[start + HOUR].kwh] == [1.5, 1.5]
    assert all(hour.is_complete for hour in hours.values())


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("PT5M", timedelta(minutes=5)),
        ("PT1H", HOUR),
        ("P1D", timedelta(days=1)),
        ("PT", None),
        ("", None),
        (None, None),
        ("soon", None),
    ],
)
def test_durations(value: str | None, expected: timedelta | None) -> None:
    """ISO 8601 durations of HEM resolutions."""
    assert parse_duration(value) == expected
