"""Enode's energy statistics in Home Assistant's long-term statistics (the Energy dashboard).

Once an hour (and when the entry is set up) each config entry imports, as external statistics
(source ``enode``, hourly, ``has_sum``):

- per HEM system (a household's battery, inverter and meter): solar production, household
  consumption, grid import, grid export, battery charge and battery discharge (kWh), from
  ``GET /hem-systems/{id}/statistics`` one local day at a time;
- per vehicle and per charger: charging energy (kWh), charging cost and the estimated savings of
  smart charging (in the currency Enode states for the vehicle's plans, else Home Assistant's),
  from ``GET /users/{userId}/statistics/charging`` with ``resolution=HOUR``.

The rules: an import continues after the last hour in the recorder (``get_last_statistics``), so
nothing is imported twice and nothing is skipped across a restart; the first import goes back
``backfill_days`` (options, 30 by default); only hours that are over are imported (the hour under
way waits for the next run); a HEM system or an asset is asked at most once per hour, and not at
all while none of its hours is due. An hour Enode has no data for is waited for a few hours, then
passed over (the sum carries on; no bar for it).

The same answers give today's totals (charging energy and cost per vehicle and charger, solar
production per HEM system) to the snapshot's ``energy_today`` for the sensors.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Final, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from homeassistant.components.recorder.const import DOMAIN as RECORDER_DOMAIN
from homeassistant.components.recorder.models import (
    StatisticData,
    StatisticMeanType,
    StatisticMetaData,
)
from homeassistant.components.recorder.statistics import (
    async_add_external_statistics,
    get_last_statistics,
    get_metadata,
)
from homeassistant.const import UnitOfEnergy
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.event import async_track_utc_time_change
from homeassistant.helpers.recorder import get_instance
from homeassistant.util import dt as dt_util, slugify
from homeassistant.util.unit_conversion import EnergyConverter

from .api import (
    Battery,
    Charger,
    ChargingStatistics,
    EnodeAuthenticationError,
    EnodeClient,
    EnodeConflictError,
    EnodeError,
    EnodePreconditionError,
    HemSeries,
    HemStatistics,
    HemSystem,
    HourEnergy,
    Inverter,
    Meter,
    Vehicle,
    hourly_energy,
)
from .const import CONF_BACKFILL_DAYS, DEFAULT_BACKFILL_DAYS, DOMAIN, LOGGER
from .coordinator import EnodeCoordinator
from .entity import device_name
from .models import EnergyToday, EnodeConfigEntry, EnodeData
from .texts import Texts, async_texts

HOUR: Final = timedelta(hours=1)
# The minute of every hour the import runs (the hour before is over by then).
IMPORT_MINUTE: Final = 5
# How long an hour Enode has no data for is waited for before the import passes over it.
MISSING_DATA_GRACE: Final = timedelta(hours=3)

# HEM series -> statistic key (the translation key is ``statistic_<key>``).
HEM_STATISTICS: Final[tuple[tuple[HemSeries, str], ...]] = (
    (HemSeries.GENERATION, "solar_production"),
    (HemSeries.CONSUMPTION, "household_consumption"),
    (HemSeries.IMPORT, "grid_import"),
    (HemSeries.EXPORT, "grid_export"),
    (HemSeries.CHARGE, "battery_charge"),
    (HemSeries.DISCHARGE, "battery_discharge"),
)
CHARGING_ENERGY: Final = "charging_energy"
CHARGING_COST: Final = "charging_cost"
CHARGING_SAVINGS: Final = "charging_savings"
CHARGING_STATISTICS: Final = (CHARGING_ENERGY, CHARGING_COST, CHARGING_SAVINGS)

type StatisticOwner = Literal["hem", "vehicle", "charger"]


def statistic_id(owner: StatisticOwner, object_id: str, key: str) -> str:
    """Return the external statistic id of a series (``enode:vehicle_<id>_charging_energy``)."""
    return f"{DOMAIN}:{owner}_{slugify(object_id)}_{key}"


def entry_statistic_ids(data: EnodeData) -> list[str]:
    """Return the statistic ids an entry's snapshot can have imported (HEM systems by id)."""
    ids: list[str] = []
    for hem_id in sorted(hem_system_ids(data)):
        ids.extend(statistic_id("hem", hem_id, key) for _, key in HEM_STATISTICS)
    for asset_id in sorted(data.vehicles):
        ids.extend(statistic_id("vehicle", asset_id, key) for key in CHARGING_STATISTICS)
    for asset_id in sorted(data.chargers):
        ids.extend(statistic_id("charger", asset_id, key) for key in CHARGING_STATISTICS)
    return ids


def statistic_name(texts: Texts, device: str, key: str) -> str:
    """Return a statistic's name: the device's and the series' ("Tessie Charging energy")."""
    return texts.common("statistic_name", device=device, series=texts.common(f"statistic_{key}"))


def hem_system_ids(data: EnodeData) -> set[str]:
    """Return the HEM systems the user's batteries, inverters and meters belong to."""
    assets: list[Battery | Inverter | Meter] = [
        *data.batteries.values(),
        *data.inverters.values(),
        *data.meters.values(),
    ]
    return {asset.hem_system_id for asset in assets if asset.hem_system_id}


def _sources(data: EnodeData) -> frozenset[str]:
    """Return what statistics are imported for: HEM systems, vehicles and chargers."""
    return frozenset(hem_system_ids(data)) | data.vehicles.keys() | data.chargers.keys()


def _hour_floor(moment: datetime) -> datetime:
    return dt_util.as_utc(moment).replace(minute=0, second=0, microsecond=0)


@dataclass(kw_only=True)
class _Resume:
    """Where a statistic continues: the start of its last hour done, and its sum there."""

    last: datetime | None = None
    total: float = 0.0


@dataclass(frozen=True, kw_only=True)
class _Series:
    """One statistic to write: its metadata and where it continues."""

    metadata: StatisticMetaData
    resume: _Resume


class EnodeStatistics:
    """Imports one config entry's Enode statistics hourly (see the module docstring)."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: EnodeConfigEntry,
        client: EnodeClient,
        coordinator: EnodeCoordinator,
    ) -> None:
        """Initialize the importer (``async_start`` schedules it)."""
        self.hass = hass
        self.entry = entry
        self.client = client
        self.coordinator = coordinator
        self._lock = asyncio.Lock()
        # Statistic id -> where it continues (read from the recorder once, then kept).
        self._resume: dict[str, _Resume] = {}
        # Request key (HEM system, asset) -> the hour it was last asked in.
        self._asked: dict[str, datetime] = {}
        # The user's HEM systems by id (listed again when an asset names an unknown one).
        self._systems: dict[str, HemSystem] = {}
        # The HEM systems, vehicles and chargers known at the last import that was started.
        self._sources: frozenset[str] = frozenset()
        # Whether the last import failed (logged once when it starts and once when it ends).
        self._failing = False

    @property
    def backfill(self) -> timedelta:
        """How far back the first import of a statistic goes."""
        days = self.entry.options.get(CONF_BACKFILL_DAYS, DEFAULT_BACKFILL_DAYS)
        return timedelta(days=int(days))

    @callback
    def async_start(self) -> None:
        """Import now (in the background) and then every hour, until the entry unloads.

        Without the recorder (not in the configuration) there is nowhere to import to.
        """
        if RECORDER_DOMAIN not in self.hass.config.components:
            LOGGER.debug("The recorder is not set up: Enode's statistics are not imported")
            return
        self.entry.async_on_unload(
            async_track_utc_time_change(
                self.hass, self._async_scheduled, minute=IMPORT_MINUTE, second=0
            )
        )
        self.entry.async_on_unload(self.coordinator.async_add_listener(self._async_data_updated))
        self._async_import_soon()

    @callback
    def _async_import_soon(self) -> None:
        """Import in the background (the set-up, new devices)."""
        self._sources = _sources(self.coordinator.data)
        self.entry.async_create_background_task(
            self.hass, self.async_import(), f"{DOMAIN} statistics import"
        )

    @callback
    def _async_data_updated(self) -> None:
        """Import at once when a vehicle, a charger or a HEM system is new (linked later)."""
        if not _sources(self.coordinator.data) <= self._sources:
            self._async_import_soon()

    async def _async_scheduled(self, _now: datetime) -> None:
        await self.async_import()

    async def async_import(self, now: datetime | None = None) -> None:
        """Import every completed hour not imported yet (``now``: the time to import up to)."""
        async with self._lock:
            now = dt_util.as_utc(now or dt_util.utcnow())
            data = self.coordinator.data
            today: dict[str, EnergyToday] = {}
            errors: list[EnodeError] = []
            try:
                systems = await self._async_hem_systems(data)
            except EnodeError as err:
                errors.append(err)
                systems = []
            for system in systems:
                await self._async_guard(errors, self._async_import_hem(system, now, today))
            assets: list[Vehicle | Charger] = [*data.vehicles.values(), *data.chargers.values()]
            for asset in assets:
                await self._async_guard(errors, self._async_import_charging(asset, now, today))
            self._async_publish(today)
            if any(isinstance(err, EnodeAuthenticationError) for err in errors):
                # As the translator does for every 401: the credentials need renewing.
                self.entry.async_start_reauth(self.hass)
            if errors and not self._failing:
                LOGGER.warning(
                    "Could not import Enode's statistics; trying again in an hour: %s", errors[0]
                )
            elif not errors and self._failing:
                LOGGER.info("Enode's statistics are imported again")
            self._failing = bool(errors)

    @staticmethod
    async def _async_guard(errors: list[EnodeError], job: Awaitable[None]) -> None:
        """Run one HEM system's or asset's import; keep its error (the others go on)."""
        try:
            await job
        except EnodeError as err:
            LOGGER.debug("Statistics import failed: %s", err)
            errors.append(err)

    @callback
    def _async_publish(self, today: Mapping[str, EnergyToday]) -> None:
        """Give today's totals to the snapshot (what was not asked for this hour stays)."""
        data = self.coordinator.data
        merged = {**data.energy_today, **today}
        if merged != data.energy_today:
            self.coordinator.async_set_updated_data(replace(data, energy_today=merged))

    # ------------------------------------------------------------------------------------
    # Recorder

    async def _async_series(
        self, ids_and_names: Iterable[tuple[str, str]], unit: str | None, unit_class: str | None
    ) -> list[_Series]:
        """Return the metadata of statistics and where each continues."""
        series: list[_Series] = []
        for stat_id, name in ids_and_names:
            metadata = StatisticMetaData(
                mean_type=StatisticMeanType.NONE,
                has_sum=True,
                name=name,
                source=DOMAIN,
                statistic_id=stat_id,
                unit_class=unit_class,
                unit_of_measurement=unit,
            )
            series.append(_Series(metadata=metadata, resume=await self._async_resume(stat_id)))
        return series

    async def _async_resume(self, stat_id: str) -> _Resume:
        """Return where a statistic continues: after its last hour in the recorder."""
        if (resume := self._resume.get(stat_id)) is not None:
            return resume
        last = await get_instance(self.hass).async_add_executor_job(
            get_last_statistics, self.hass, 1, stat_id, True, {"sum"}
        )
        resume = _Resume()
        if rows := last.get(stat_id):
            resume = _Resume(
                last=dt_util.utc_from_timestamp(rows[0]["start"]), total=rows[0].get("sum") or 0.0
            )
        self._resume[stat_id] = resume
        return resume

    async def _async_existing_unit(self, stat_id: str) -> str | None:
        """Return the unit a statistic was imported with (None when it is new)."""
        metadata = await get_instance(self.hass).async_add_executor_job(
            lambda: get_metadata(self.hass, statistic_ids={stat_id})
        )
        if (found := metadata.get(stat_id)) is None:
            return None
        return found[1]["unit_of_measurement"]

    def _first_hour(self, series: Iterable[_Series], now: datetime) -> datetime:
        """Return the first hour to import: after the earliest last hour, else the backfill.

        Never further back than the backfill: a series that stopped (a battery removed) or an
        outage longer than that does not make every run ask for weeks of days again.
        """
        earliest = _hour_floor(now) - self.backfill
        lasts = [item.resume.last for item in series if item.resume.last is not None]
        return max(min(lasts) + HOUR, earliest) if lasts else earliest

    def _ask(self, key: str, now: datetime) -> bool:
        """Return whether a HEM system or an asset may be asked now (once per hour)."""
        hour = _hour_floor(now)
        if self._asked.get(key) == hour:
            return False
        self._asked[key] = hour
        return True

    @callback
    def _async_write(
        self,
        item: _Series,
        values: Mapping[datetime, float],
        *,
        until: datetime,
        complete: set[datetime] | None = None,
        now: datetime,
    ) -> None:
        """Add the hours after a statistic's last one, up to ``until``, with their sums.

        ``values`` has the energy (or money) of each hour; ``complete`` (when given) the hours
        whose data is whole: an hour outside it ends the import while it may still come, and is
        passed over once it is older than ``MISSING_DATA_GRACE``. Without ``complete`` a missing
        hour is 0 (no charging).
        """
        resume = item.resume
        if resume.last is None:
            return
        hour = resume.last + HOUR
        rows: list[StatisticData] = []
        while hour <= until:
            if complete is not None and hour not in complete:
                if now - (hour + HOUR) < MISSING_DATA_GRACE:
                    break
                resume.last = hour
                hour += HOUR
                continue
            value = values.get(hour, 0.0)
            resume.total += value
            resume.last = hour
            rows.append(StatisticData(start=hour, state=value, sum=resume.total))
            hour += HOUR
        if rows:
            async_add_external_statistics(self.hass, item.metadata, rows)

    # ------------------------------------------------------------------------------------
    # HEM systems

    async def _async_hem_systems(self, data: EnodeData) -> list[HemSystem]:
        """Return the HEM systems the user's assets belong to (listed when one is new)."""
        wanted = hem_system_ids(data)
        if wanted - self._systems.keys():
            systems = await self.client.list_hem_systems(self.coordinator.user_id)
            self._systems = {system.id: system for system in systems}
        return [self._systems[hem_id] for hem_id in sorted(wanted) if hem_id in self._systems]

    def _zone(self, system: HemSystem) -> tuple[ZoneInfo, bool]:
        """Return the time zone of a HEM system's days (else Home Assistant's), and whether
        it is the system's own (Enode's days are then known here)."""
        try:
            return ZoneInfo(system.information.timezone or self.hass.config.time_zone), True
        except (ZoneInfoNotFoundError, ValueError):
            return ZoneInfo(self.hass.config.time_zone), False

    async def _async_import_hem(
        self, system: HemSystem, now: datetime, today: dict[str, EnergyToday]
    ) -> None:
        """Fetch the local days with hours due, one request each, and write the hours."""
        texts = await async_texts(self.hass)
        name = system.information.name or texts.common("hem_system")
        series = await self._async_series(
            (
                (
                    statistic_id("hem", system.id, key),
                    statistic_name(texts, name, key),
                )
                for _, key in HEM_STATISTICS
            ),
            UnitOfEnergy.KILO_WATT_HOUR,
            EnergyConverter.UNIT_CLASS,
        )
        until = _hour_floor(now) - HOUR
        first = self._first_hour(series, now)
        if (installed := system.information.installation_date) is not None:
            first = max(first, _hour_floor(installed))
        if first > until or not self._ask(f"hem:{system.id}", now):
            return
        zone, known = self._zone(system)
        local_today = now.astimezone(zone).date()
        by_series: dict[HemSeries, dict[datetime, HourEnergy]] = {s: {} for s, _ in HEM_STATISTICS}
        day = first.astimezone(zone).date()
        last_day = (until + HOUR - timedelta(seconds=1)).astimezone(zone).date()
        if not known:
            # Enode's days are in a zone not known here: a day more on each side holds the
            # hours due (else those at the ends of the days would be passed over as missing).
            day -= timedelta(days=1)
            last_day += timedelta(days=1)
        while day <= last_day:
            statistics = await self._async_hem_day(system, day)
            if statistics is not None:
                for hem_series, _ in HEM_STATISTICS:
                    by_series[hem_series].update(_hem_hours(statistics, hem_series))
                if day == local_today:
                    today[system.id] = _solar_today(statistics, zone, day)
            day += timedelta(days=1)
        if system.id not in today:
            midnight = datetime.combine(local_today, datetime.min.time(), zone)
            today[system.id] = EnergyToday(day_start=dt_util.as_utc(midnight), energy=0.0)
        for (hem_series, _), item in zip(HEM_STATISTICS, series, strict=True):
            hours = by_series[hem_series]
            if item.resume.last is None:
                if not hours:
                    # Never available (no battery, say): no statistic.
                    continue
                item.resume.last = first - HOUR
            complete = {hour for hour, energy in hours.items() if energy.is_complete}
            self._async_write(
                item,
                {hour: energy.kwh for hour, energy in hours.items()},
                until=until,
                complete=complete,
                now=now,
            )

    async def _async_hem_day(self, system: HemSystem, day: date) -> HemStatistics | None:
        """Return a HEM system's statistics of a day (None when Enode has none)."""
        try:
            return await self.client.get_hem_statistics(system.id, day)
        except (EnodePreconditionError, EnodeConflictError) as err:
            # 400: before the installation; 422: no statistics for the day.
            LOGGER.debug("No HEM statistics for %s: %s", day, err)
            return None

    # ------------------------------------------------------------------------------------
    # Charging

    async def _async_import_charging(
        self, asset: Vehicle | Charger, now: datetime, today: dict[str, EnergyToday]
    ) -> None:
        """Fetch a vehicle's or a charger's hours due (one request) and write them."""
        owner: StatisticOwner = "vehicle" if isinstance(asset, Vehicle) else "charger"
        texts = await async_texts(self.hass)
        name = device_name(asset)

        def _named(key: str) -> tuple[str, str]:
            return (
                statistic_id(owner, asset.id, key),
                statistic_name(texts, name, key),
            )

        cost_id = statistic_id(owner, asset.id, CHARGING_COST)
        currency = await self._async_existing_unit(cost_id) or self._currency(asset)
        (energy,) = await self._async_series(
            [_named(CHARGING_ENERGY)], UnitOfEnergy.KILO_WATT_HOUR, EnergyConverter.UNIT_CLASS
        )
        cost, savings = await self._async_series(
            [_named(CHARGING_COST), _named(CHARGING_SAVINGS)], currency, None
        )
        until = _hour_floor(now) - HOUR
        first = self._first_hour((energy, cost, savings), now)
        if first > until or not self._ask(f"{owner}:{asset.id}", now):
            return
        midnight = dt_util.as_utc(dt_util.start_of_local_day(dt_util.as_local(now)))
        buckets = await self.client.get_charging_statistics(
            self.coordinator.user_id,
            asset.asset_type,
            asset.id,
            start=min(first, midnight),
            end=now,
        )
        by_hour = _charging_hours(buckets)
        todays = [bucket for hour, bucket in by_hour.items() if hour >= midnight]
        today[asset.id] = EnergyToday(
            day_start=midnight,
            energy=sum(bucket.kwh_sum or 0.0 for bucket in todays),
            cost=sum(bucket.cost_sum or 0.0 for bucket in todays),
            currency=currency,
        )
        columns: tuple[tuple[_Series, Callable[[ChargingStatistics], float | None]], ...] = (
            (energy, lambda bucket: bucket.kwh_sum),
            (cost, lambda bucket: bucket.cost_sum),
            (savings, lambda bucket: bucket.estimated_savings),
        )
        # The first import starts at the first hour of the backfill that charged (Enode answers
        # every hour, so the weeks before the first charge would be rows of zeros), or, when
        # nothing charged, at the last hour that is over (so the statistics exist).
        charged = [h for h, b in by_hour.items() if first <= h <= until and (b.kwh_sum or 0) > 0]
        start = min(charged, default=until)
        for item, value_of in columns:
            values = {hour: value_of(bucket) or 0.0 for hour, bucket in by_hour.items()}
            if item.resume.last is None:
                item.resume.last = start - HOUR
            self._async_write(item, values, until=until, now=now)

    def _currency(self, asset: Vehicle | Charger) -> str:
        """Return the currency Enode states for the vehicle (its plans'), else Home Assistant's."""
        status = self.coordinator.data.smart_charging.get(asset.id)
        if status is not None and status.plan is not None and status.plan.currency:
            return status.plan.currency
        return self.hass.config.currency


def _hem_hours(statistics: HemStatistics, series: HemSeries) -> dict[datetime, HourEnergy]:
    """Return a HEM series' energy per UTC hour (empty when it has no hourly data)."""
    timeseries = statistics.series(series)
    if timeseries is None or (length := timeseries.bucket_length) is None or length > HOUR:
        # Not available, or buckets of a day: no hourly energy to import.
        return {}
    return hourly_energy(timeseries.energy_buckets())


def _solar_today(statistics: HemStatistics, zone: ZoneInfo, day: date) -> EnergyToday:
    """Return the solar production of a local day so far (the bucket under way included)."""
    timeseries = statistics.series(HemSeries.GENERATION)
    buckets = timeseries.energy_buckets() if timeseries is not None else []
    midnight = datetime.combine(day, datetime.min.time(), zone)
    return EnergyToday(
        day_start=dt_util.as_utc(midnight),
        energy=sum(kwh for _, _, kwh in buckets if kwh is not None),
    )


def _charging_hours(buckets: Iterable[ChargingStatistics]) -> dict[datetime, ChargingStatistics]:
    """Return charging buckets by the UTC hour they start (a bucket off the hour is dropped)."""
    by_hour: dict[datetime, ChargingStatistics] = {}
    for bucket in buckets:
        start = dt_util.as_utc(bucket.date)
        if start == _hour_floor(start):
            by_hour[start] = bucket
    return by_hour
