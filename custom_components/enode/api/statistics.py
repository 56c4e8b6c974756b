"""Typed models of Enode's energy statistics (version 2024-10-01), and their hourly energy.

* **HEM systems** (``GET /users/{userId}/hem-systems``, ``GET /hem-systems/{id}``): a household's
  battery, inverter and meter grouped as one site, with today's energy so far.
* **HEM statistics** (``GET /hem-systems/{id}/statistics?interval=YYYY-MM-DD``): per series
  (generation, consumption, import, export, charge, discharge, battery level) the buckets of one
  local day in the system's time zone, at the most granular resolution the vendor has. Buckets
  shorter than an hour carry the average power (kW), an hour or longer the energy (kWh).
* **Charging statistics** (``GET /users/{userId}/statistics/charging``): one bucket per
  ``resolution`` (``HOUR`` here) of a vehicle's or a charger's charging: energy, cost and the
  savings of smart charging, in UTC.

``hourly_energy`` turns buckets of any length and alignment (a time zone 30 minutes off UTC has
local hours across two UTC hours) into UTC hours with the seconds each hour is covered by data,
so a caller imports only the hours that are complete.
"""

# ruff: noqa: RUF009

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
import re

from .models import EnodeModel, TolerantStrEnum, _f, _list, _obj, _req

__all__ = [
    "ChargingStatistics",
    "HemDataPoint",
    "HemEnergy",
    "HemEnergyToday",
    "HemSampling",
    "HemSeries",
    "HemStatistics",
    "HemSystem",
    "HemSystemInformation",
    "HemSystemStatus",
    "HemTimeseries",
    "HourEnergy",
    "StatisticsResolution",
    "hourly_energy",
    "parse_duration",
]

HOUR = timedelta(hours=1)


class HemSeries(TolerantStrEnum):
    """A timeseries of HEM system statistics."""

    UNKNOWN = "UNKNOWN"
    GENERATION = "generation"
    CONSUMPTION = "consumption"
    IMPORT = "import"
    EXPORT = "export"
    CHARGE = "charge"
    DISCHARGE = "discharge"
    BATTERY_LEVEL = "batteryLevel"


class StatisticsResolution(TolerantStrEnum):
    """The bucket length of charging statistics."""

    UNKNOWN = "UNKNOWN"
    QUARTER_HOUR = "QUARTER_HOUR"
    HALF_HOUR = "HALF_HOUR"
    HOUR = "HOUR"
    DAY = "DAY"
    WEEK = "WEEK"
    MONTH = "MONTH"
    YEAR = "YEAR"


@dataclass(frozen=True, kw_only=True)
class HemEnergyToday(EnodeModel):
    """A HEM system's energy from local midnight to ``last_updated`` (kWh)."""

    generation: float | None = None
    consumption: float | None = None
    charge: float | None = None
    discharge: float | None = None
    grid_import: float | None = _f("import")
    grid_export: float | None = _f("export")
    unit: str | None = None
    last_updated: datetime | None = _f("lastUpdated")


@dataclass(frozen=True, kw_only=True)
class HemEnergy(EnodeModel):
    """A HEM system's energy metrics."""

    today: HemEnergyToday = _obj(HemEnergyToday)


@dataclass(frozen=True, kw_only=True)
class HemSystemStatus(EnodeModel):
    """A HEM system's status."""

    last_seen: datetime | None = _f("lastSeen")
    energy: HemEnergy = _obj(HemEnergy)


@dataclass(frozen=True, kw_only=True)
class HemSystemInformation(EnodeModel):
    """Static information about a HEM system (its coordinates and address are not kept)."""

    vendor: str | None = None
    name: str | None = None
    installation_date: datetime | None = _f("installationDate")
    timezone: str | None = None
    last_updated: datetime | None = _f("lastUpdated")


@dataclass(frozen=True, kw_only=True)
class HemSystem(EnodeModel):
    """A home energy management system: the site a battery, inverter and meter belong to."""

    id: str = _req()
    user_id: str | None = _f("userId")
    location_id: str | None = _f("locationId")
    information: HemSystemInformation = _obj(HemSystemInformation)
    status: HemSystemStatus = _obj(HemSystemStatus)


@dataclass(frozen=True, kw_only=True)
class HemDataPoint(EnodeModel):
    """One bucket of a HEM timeseries: its start (local time with offset) and value."""

    t: datetime = _req()
    v: float | None = None


@dataclass(frozen=True, kw_only=True)
class HemSampling(EnodeModel):
    """How a HEM timeseries is sampled (``resolution``: an ISO 8601 duration, ``PT5M``)."""

    mode: str | None = None
    resolution: str | None = None


@dataclass(frozen=True, kw_only=True)
class HourEnergy:
    """The energy of one UTC hour and how many of its seconds the data covers."""

    kwh: float = 0.0
    covered: float = 0.0

    @property
    def is_complete(self) -> bool:
        """Return whether data covers the whole hour (allowing for float rounding)."""
        return self.covered >= HOUR.total_seconds() - 1e-6


@dataclass(frozen=True, kw_only=True)
class HemTimeseries(EnodeModel):
    """A HEM timeseries, or why it is not available (``is_available`` False, ``reason``)."""

    is_available: bool = _f("isAvailable", default=False)
    reason: str | None = None
    unit: str | None = None
    unit_type: str | None = _f("unitType")
    sampling: HemSampling = _obj(HemSampling)
    timezone: str | None = None
    data: list[HemDataPoint] = _list()

    @property
    def bucket_length(self) -> timedelta | None:
        """Return the length of a bucket (None when the resolution is missing or unknown)."""
        return parse_duration(self.sampling.resolution)

    def energy_buckets(self) -> list[tuple[datetime, datetime, float | None]]:
        """Return (start, end, kWh) per bucket; kWh None where the bucket has no value.

        Power (kW, buckets shorter than an hour) becomes energy over the bucket's length. Empty
        when the series is not available, has no known resolution, or is not energy or power
        (the battery level).
        """
        length = self.bucket_length
        if not self.is_available or length is None or self.unit not in ("kW", "kWh"):
            return []
        hours = length / HOUR
        buckets: list[tuple[datetime, datetime, float | None]] = []
        for point in self.data:
            start = point.t.astimezone(UTC)
            if point.v is None:
                buckets.append((start, start + length, None))
                continue
            kwh = point.v * hours if self.unit == "kW" else point.v
            buckets.append((start, start + length, kwh))
        return buckets


@dataclass(frozen=True, kw_only=True)
class HemStatistics(EnodeModel):
    """A HEM system's statistics for one interval, by series."""

    timeseries: Mapping[str, HemTimeseries] = field(default_factory=dict)

    def series(self, series: HemSeries) -> HemTimeseries | None:
        """Return a series, or None when Enode did not send it."""
        return self.timeseries.get(series.value)


@dataclass(frozen=True, kw_only=True)
class ChargingStatistics(EnodeModel):
    """One bucket of charging statistics (``date``: its start; energy kWh, cost, savings)."""

    date: datetime = _req()
    kwh_sum: float | None = _f("kwhSum")
    cost_sum: float | None = _f("costSum")
    estimated_savings: float | None = _f("estimatedSavings")


_DURATION = re.compile(r"^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$")


def parse_duration(value: str | None) -> timedelta | None:
    """Return an ISO 8601 duration of days, hours, minutes and seconds (``PT15M``, ``P1D``)."""
    if not value or (match := _DURATION.match(value)) is None or value in ("P", "PT"):
        return None
    days, hours, minutes, seconds = (int(part) if part else 0 for part in match.groups())
    duration = timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)
    return duration if duration > timedelta(0) else None


def hourly_energy(
    buckets: Iterable[tuple[datetime, datetime, float | None]],
) -> dict[datetime, HourEnergy]:
    """Spread buckets over the UTC hours they overlap, in proportion to the overlap.

    A bucket without a value covers nothing (its hours stay incomplete). Keys are aware UTC
    datetimes at the start of an hour.
    """
    hours: dict[datetime, HourEnergy] = {}
    for bucket_start, bucket_end, kwh in buckets:
        start, end = bucket_start.astimezone(UTC), bucket_end.astimezone(UTC)
        length = (end - start).total_seconds()
        if length <= 0:
            continue
        hour = start.replace(minute=0, second=0, microsecond=0)
        while hour < end:
            overlap = (min(end, hour + HOUR) - max(start, hour)).total_seconds()
            if overlap > 0 and kwh is not None:
                before = hours.get(hour, HourEnergy())
                hours[hour] = HourEnergy(
                    kwh=before.kwh + kwh * overlap / length, covered=before.covered + overlap
                )
            hour += HOUR
    return hours
