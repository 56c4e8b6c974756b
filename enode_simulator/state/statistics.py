"""Statistics: HEM systems and their energy timeseries, and charging statistics, on the clock.

Everything here is read from one ledger that the physics writes as simulated time passes:

- ``energy.py`` records every step of a home: the household's consumption and the grid import
  and export (per user), each inverter's generation, each battery's charge, discharge and level,
  each HVAC unit's consumption; ``physical.py`` records what each vehicle charged, and its
  charger (or a charger charging an unknown vehicle). The ledger keeps 15-minute slots
  (``SLOT_S``), so every resolution Enode offers down to ``QUARTER_HOUR`` sums exactly.
- Charging energy is priced by the day/night tariff (``Settings.tariff``, in the home's time
  zone); energy charged while a smart charging plan is in control is also priced at the
  plug-in time's price (what charging at once would have cost): the difference is the
  estimated saving.
- :meth:`StatisticsMixin.seed_history` gives users ``days`` of history (deterministic): it runs
  the same physics over the past days, with a charging session a day per vehicle.

HEM systems group a user's batteries, inverters and meters by their ``hemSystemId`` (one per
user and vendor account of a HEM vendor, see ``core.add_asset``). Their statistics
(``GET /hem-systems/{id}/statistics?interval=YYYY-MM-DD|YYYY-MM``) are hourly (``PT1H``) kWh for
a day (``Settings.hem_resolution``: ``PT15M`` or ``PT30M`` give average kW, as Enode reports
buckets under an hour) and daily (``P1D``) kWh for a month, in the system's time zone: a bucket
that has not begun, or that ended before the installation, is ``null``; the bucket of now holds
what it has so far.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
import itertools
import math
import re
from typing import TYPE_CHECKING
import zlib

from ..clock import iso, parse_iso
from .base import StateBase
from .errors import ApiError, bad_request, not_found
from .model import JSON, Asset, ChargingSession, Tariff
from .smart import next_time_of_day, tariff_price

if TYPE_CHECKING:
    from .energy import HomeFlows

# The ledger's slot (seconds): every bucket is a whole number of slots.
SLOT_S = 900
# The physics' step while history is seeded (simulated seconds).
SEED_STEP_S = 300.0
# Home batteries' level when the history begins (percent).
SEED_BATTERY_LEVEL = 50.0
# At most this many days of history.
MAX_HISTORY_DAYS = 400
# Consumption this close to a session's end continues it.
SESSION_GAP_S = 300.0
# At most this many buckets in one charging statistics answer.
MAX_BUCKETS = 10_000
# The vendors Enode groups into HEM systems (HEMSystem.information.vendor).
HEM_VENDORS = frozenset(
    {"SOLAREDGE", "FOXESS", "SMA", "TESLA", "GIVENERGY", "SOLAX", "SOLIS", "HUAWEI", "ENPHASE"}
)
HEM_TYPES = ("battery", "inverter", "meter")
CHARGING_TYPES = ("charger", "vehicle", "hvac")
FIXED_RESOLUTIONS = {"QUARTER_HOUR": 900, "HALF_HOUR": 1800, "HOUR": 3600}
CALENDAR_RESOLUTIONS = ("DAY", "WEEK", "MONTH", "YEAR")
# The bucket lengths a HEM system's day may come in (``Settings.hem_resolution``).
DAY_RESOLUTIONS = {"PT15M": 900, "PT30M": 1800, "PT1H": 3600}
RESOLUTIONS = (*FIXED_RESOLUTIONS, *CALENDAR_RESOLUTIONS)
# HEM statistics series: where each is recorded (the home's or the assets' key) and by what.
HOME_SERIES = ("consumption", "import", "export")
HEM_SERIES = ("generation", "consumption", "import", "export", "charge", "discharge")
_DAY = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def _bad_interval(detail: str) -> ApiError:
    """The 400 the document gives ``GET /hem-systems/{id}/statistics`` (title ``Bad Request``)."""
    return ApiError(400, "Bad Request", detail)


def home_key(user_id: str) -> str:
    """The ledger key of a user's household flows."""
    return f"home:{user_id}"


def _midnight(day: date, zone: tzinfo) -> float:
    return datetime.combine(day, time(0, 0), zone).timestamp()


def _parse_date(value: str | None, name: str) -> float | None:
    if value is None:
        return None
    try:
        return parse_iso(value)
    except ValueError:
        raise bad_request(f"{name} must be an ISO 8601 date-time, got {value!r}.") from None


class StatisticsMixin(StateBase):
    """The statistics ledger, its recording, history seeding and the statistics endpoints."""

    # -- recording ----------------------------------------------------------------------------

    def _add_flows(self, key: str, start: float, end: float, amounts: Mapping[str, float]) -> None:
        """Spread amounts (kWh) evenly over ``[start, end)`` into the slots they cover."""
        if end <= start:
            return
        slots = self.flows.setdefault(key, {})
        moment = start
        while moment < end:
            index = int(moment // SLOT_S)
            edge = min(end, (index + 1) * SLOT_S)
            share = (edge - moment) / (end - start)
            slot = slots.setdefault(index, {})
            for name, value in amounts.items():
                if value:
                    slot[name] = slot.get(name, 0.0) + value * share
            moment = edge

    def _record_home(self, user_id: str, start: float, end: float, flows: HomeFlows) -> None:
        """One step of a home (``energy.py``): household, inverters, batteries, HVAC units."""
        hours = (end - start) / 3600
        self._add_flows(
            home_key(user_id),
            start,
            end,
            {
                "consumption": flows.load * hours,
                "import": max(flows.grid, 0.0) * hours,
                "export": max(-flows.grid, 0.0) * hours,
            },
        )
        for inverter, power in flows.production:
            self._add_flows(inverter.id, start, end, {"generation": power * hours})
        for battery, rate in flows.batteries:
            self._add_flows(
                battery.id,
                start,
                end,
                {"charge": max(rate, 0.0) * hours, "discharge": max(-rate, 0.0) * hours},
            )
            # The level at the end of the step, in the slot the step ends in.
            slot = self.flows[battery.id].setdefault(int((end - 1e-6) // SLOT_S), {})
            slot["level"] = battery.battery_level
        for hvac, power in flows.hvac:
            if power > 0:
                self._record_consumption(hvac, start, end, power * hours, session=False)

    def _record_charging(self, asset: Asset, start: float, end: float, kwh: float) -> list[str]:
        """What a vehicle (or a charger without a known vehicle) charged (``physical.py``).

        A vehicle's energy counts for the charger it charges at too. While a smart charging plan
        is in control the energy is also priced at the plug-in time's price. Returns the ids of
        the assets it was recorded for.
        """
        if kwh <= 0 or end <= start:
            return []
        targets = [asset]
        non_smart: float | None = None
        location_id = asset.location_id if asset.type == "charger" else None
        if asset.type == "vehicle":
            charger = self.assets.get(asset.plugged_to) if asset.plugged_to else None
            if charger is not None and charger.type == "charger" and charger.charging:
                targets.append(charger)
                location_id = charger.location_id
            else:
                location_id = self.vehicle_location_id(asset)
            if self.plan_in_control(asset):
                zone = self.home_zone(asset.user_id) or UTC
                plugged = asset.plugged_at if asset.plugged_at is not None else start
                non_smart = tariff_price(self.settings.tariff, plugged, zone)
        for target in targets:
            self._record_consumption(
                target, start, end, kwh, non_smart_price=non_smart, location_id=location_id
            )
        return [target.id for target in targets]

    # -- seeding ------------------------------------------------------------------------------

    def seed_history(
        self, days: float, user_id: str | None = None, *, keep_past: bool = False
    ) -> None:
        """Give users (all, or one) ``days`` of statistics history, as if simulated then.

        History starts at the home's local midnight ``days`` days ago (that is the HEM systems'
        ``installationDate``) and runs up to the last physics step. The user's earlier
        statistics are replaced; the physics runs over the past days in ``SEED_STEP_S`` steps
        on the live devices (batteries start at ``SEED_BATTERY_LEVEL`` and end where the
        history leaves them), with one charging
        session a day per vehicle (deterministic: its energy and plug-in time follow from the
        vehicle and the date; smart charging defers two days in three to the night). Only the first
        vehicle charges at the user's charger; the others charge elsewhere.

        With ``keep_past`` (devices linked later), what Enode already served stays as it was: the
        history keeps its start and time zone, and vehicles and chargers that already have
        history keep it (the household's flows are worked out again with the new devices).
        """
        if not 0 <= days <= MAX_HISTORY_DAYS:
            raise bad_request(f"days must be between 0 and {MAX_HISTORY_DAYS}.")
        for uid in [user_id] if user_id is not None else list(self.users):
            self.get_user(uid)
            self._seed_user(uid, float(days), keep_past=keep_past)
        self.mark_dirty()

    def _seed_user(self, user_id: str, days: float, *, keep_past: bool) -> None:
        assets = self.user_assets(user_id)
        kept = (
            {
                asset.id
                for asset in assets
                if asset.type in ("vehicle", "charger")
                and (asset.id in self.flows or asset.id in self.charging_sessions)
            }
            if keep_past and user_id in self.history_start
            else set()
        )
        for key in [home_key(user_id), *(asset.id for asset in assets if asset.id not in kept)]:
            self.flows.pop(key, None)
            self.charging_sessions.pop(key, None)
        end = self._energy_at
        if kept:
            zone = self.history_zone.get(user_id) or UTC
            start = self.history_start[user_id]
        else:
            zone = self.home_zone(user_id, assets) or UTC
            first_day = (datetime.fromtimestamp(end, zone) - timedelta(days=days)).date()
            start = min(_midnight(first_day, zone), end)
        self.history_start[user_id] = start
        self.history_zone[user_id] = zone
        for battery in assets:
            if battery.type == "battery":
                # Every seeding starts the same: the same history for the same devices.
                battery.battery_level = SEED_BATTERY_LEVEL
        sessions = self._seed_sessions(user_id, assets, start, end, zone)
        home_sessions = [
            session for session in sessions if session[1] is not None and session[1].id not in kept
        ]
        # A charger that keeps its past adds the load it recorded then (its 15-minute slots).
        kept_home = [
            self.flows.get(asset.id, {})
            for asset in assets
            if asset.type == "charger" and asset.id in kept
        ]
        at = start
        while at < end:
            step = min(SEED_STEP_S, end - at)
            ev_load = sum(
                rate * max(0.0, min(at + step, to) - max(at, begin)) / step
                for _, _, begin, to, rate, _ in home_sessions
            ) + sum(
                slots.get(int(at // SLOT_S), {}).get("kwh", 0.0) * 3600 / SLOT_S
                for slots in kept_home
            )
            at += step
            self._step_home(user_id, at, step, ev_load_kw=ev_load)
        for vehicle, charger, begin, to, rate, non_smart in sessions:
            kwh = rate * (to - begin) / 3600
            for asset in (vehicle, charger):
                if asset is not None and asset.id not in kept:
                    self._record_consumption(
                        asset,
                        begin,
                        to,
                        kwh,
                        non_smart_price=non_smart,
                        location_id=charger.location_id if charger is not None else None,
                    )
        self.settle_energy(user_id)

    def _seed_sessions(
        self, user_id: str, assets: list[Asset], start: float, end: float, zone: tzinfo
    ) -> list[tuple[Asset, Asset | None, float, float, float, float | None]]:
        """A charging session a day per vehicle: (vehicle, charger, from, to, kW, non-smart
        price when smart charging deferred it)."""
        tariff = self.settings.tariff
        chargers = [asset for asset in assets if asset.type == "charger"]
        vehicles = [a for a in assets if a.type == "vehicle" and a.battery_capacity > 0]
        sessions: list[tuple[Asset, Asset | None, float, float, float, float | None]] = []
        for index, vehicle in enumerate(vehicles):
            partner = self.assets.get(vehicle.plugged_to) if vehicle.plugged_to else None
            charger = (
                (partner if partner is not None and partner.type == "charger" else None)
                or (chargers[0] if chargers else None)
                if index == 0
                else None
            )
            rate = vehicle.charge_rate_kw
            if charger is not None:
                rate = min(rate, charger.charge_rate_kw)
            if rate <= 0:
                continue
            # Nothing seeded overlaps the vehicle's live plug-in.
            until = min(end, vehicle.plugged_at) if vehicle.plugged_at is not None else end
            day = datetime.fromtimestamp(start, zone).date()
            while (midnight := _midnight(day, zone)) < until:
                seed = zlib.crc32(f"{vehicle.template_id}/{day.isoformat()}".encode())
                kwh = min(6 + seed % 13, vehicle.battery_capacity * 0.8)
                plug = midnight + 3600 * (17 + index) + 1800 * ((seed >> 4) % 4)
                smart = (day.toordinal() + index) % 3 != 0
                begin = next_time_of_day(plug, tariff.night_start, zone) if smart else plug
                to = begin + kwh / rate * 3600
                if begin >= start and to <= until:
                    price = tariff_price(tariff, plug, zone) if smart else None
                    sessions.append((vehicle, charger, begin, to, rate, price))
                day += timedelta(days=1)
        return sessions

    # -- charging consumption ------------------------------------------------------------------

    def _record_consumption(
        self,
        asset: Asset,
        start: float,
        end: float,
        kwh: float,
        *,
        non_smart_price: float | None = None,
        location_id: str | None = None,
        session: bool = True,
    ) -> None:
        """Record an asset's consumption over ``[start, end)``: energy, cost, saving, power."""
        if kwh <= 0 or end <= start:
            return
        tariff = self.settings.tariff
        zone = self.home_zone(asset.user_id) or UTC
        kw = kwh / ((end - start) / 3600)
        slots = self.flows.setdefault(asset.id, {})
        cost = non_smart_cost = 0.0
        moment = start
        while moment < end:
            index = int(moment // SLOT_S)
            edge = min(end, (index + 1) * SLOT_S)
            piece = kwh * (edge - moment) / (end - start)
            price = tariff_price(tariff, (moment + edge) / 2, zone)
            slot = slots.setdefault(index, {})
            slot["kwh"] = slot.get("kwh", 0.0) + piece
            slot["cost"] = slot.get("cost", 0.0) + piece * price
            slot["active"] = slot.get("active", 0.0) + (edge - moment)
            slot["kwMax"] = max(slot.get("kwMax", 0.0), kw)
            slot["kwMin"] = min(slot.get("kwMin", math.inf), kw)
            cost += piece * price
            if non_smart_price is not None:
                slot["smartKwh"] = slot.get("smartKwh", 0.0) + piece
                slot["smartCost"] = slot.get("smartCost", 0.0) + piece * price
                slot["nonSmartCost"] = slot.get("nonSmartCost", 0.0) + piece * non_smart_price
                non_smart_cost += piece * non_smart_price
            moment = edge
        if not session:
            return
        sessions = self.charging_sessions.setdefault(asset.id, [])
        current = sessions[-1] if sessions else None
        if current is None or start - current.end > SESSION_GAP_S:
            current = ChargingSession(asset.id, location_id, start, end)
            sessions.append(current)
        current.end = max(current.end, end)
        current.kwh += kwh
        current.cost += cost
        current.kw_max = max(current.kw_max, kw)
        current.kw_min = min(current.kw_min, kw)
        if non_smart_price is not None:
            current.smart_kwh += kwh
            current.smart_cost += cost
            current.non_smart_cost += non_smart_cost

    # -- reading the ledger -------------------------------------------------------------------

    def _sum(self, keys: Iterable[str], name: str, start: float, end: float) -> float:
        """The sum of a series over the slots of ``[start, end)`` (slot-aligned bounds)."""
        first, last = int(start // SLOT_S), math.ceil(end / SLOT_S)
        total = 0.0
        for key in keys:
            slots = self.flows.get(key)
            if not slots:
                continue
            if last - first < len(slots):
                items: Iterable[dict[str, float] | None] = (
                    slots.get(i) for i in range(first, last)
                )
            else:
                items = (slot for i, slot in slots.items() if first <= i < last)
            total += sum(slot.get(name, 0.0) for slot in items if slot)
        return total

    def _slots(self, keys: Iterable[str], start: float, end: float) -> list[dict[str, float]]:
        """Every slot of ``[start, end)`` for each key (an empty dict where nothing happened)."""
        first, last = int(start // SLOT_S), math.ceil(end / SLOT_S)
        found = [self.flows.get(key, {}) for key in keys]
        return [slots.get(i, {}) for slots in found for i in range(first, last)]

    # -- HEM systems --------------------------------------------------------------------------

    def hem_system_ids(self, user_id: str | None = None) -> list[str]:
        """The HEM systems (of a user), oldest first."""
        return list(
            dict.fromkeys(
                str(asset.extra["hemSystemId"])
                for asset in self.assets.values()
                if asset.type in HEM_TYPES
                and asset.extra.get("hemSystemId")
                and user_id in (None, asset.user_id)
            )
        )

    def hem_system_assets(self, system_id: str) -> list[Asset]:
        """The batteries, inverters and meters of a HEM system, or a 404."""
        members = [
            asset
            for asset in self.assets.values()
            if asset.type in HEM_TYPES and asset.extra.get("hemSystemId") == system_id
        ]
        if not members:
            raise not_found("HEM System not found.")
        return members

    def _hem_zone(self, members: list[Asset]) -> tuple[tzinfo, str]:
        zone = self.home_zone(members[0].user_id)
        return (zone, zone.key) if zone is not None else (UTC, "UTC")

    def hem_installation(self, members: list[Asset]) -> float:
        """When the HEM system's history begins: the seeded history's start or its first link."""
        linked = min(asset.created_at for asset in members)
        return min(linked, self.history_start.get(members[0].user_id, linked))

    def _hem_keys(self, members: list[Asset], series: str) -> list[str] | None:
        """The ledger keys of a series, None when the system has nothing that measures it."""
        kinds = {"generation": "inverter", "charge": "battery", "discharge": "battery"}
        if series in HOME_SERIES:
            has_meter = any(asset.type == "meter" for asset in members)
            return [home_key(members[0].user_id)] if has_meter else None
        keys = [asset.id for asset in members if asset.type == kinds[series]]
        return keys or None

    def render_hem_system(self, system_id: str) -> JSON:
        """The HEMSystem wire object."""
        members = self.hem_system_assets(system_id)
        first = members[0]
        zone, zone_name = self._hem_zone(members)
        latitude, longitude = self._position(first)
        now = self.now()
        midnight = _midnight(datetime.fromtimestamp(now, zone).date(), zone)
        today: JSON = {}
        for series in HEM_SERIES:
            keys = self._hem_keys(members, series)
            value = self._sum(keys, series, midnight, now) if keys is not None else None
            today[series] = round(value, 3) if value is not None else None
        located = [asset for asset in members if asset.extra.get("location", {}).get("latitude")]
        return {
            "id": system_id,
            "userId": first.user_id,
            "locationId": (
                self.nearest_location_id(first.user_id, latitude, longitude) if located else None
            ),
            "information": {
                "vendor": first.vendor,
                "name": str(first.extra.get("information", {}).get("siteName") or "Home"),
                "installationDate": iso(self.hem_installation(members)),
                "latitude": latitude if located else None,
                "longitude": longitude if located else None,
                "address": None,
                "timezone": zone_name,
                "lastUpdated": iso(min(asset.created_at for asset in members)),
            },
            "status": {
                "lastSeen": iso(max(asset.last_seen for asset in members)),
                "energy": {"today": today | {"unit": "kWh", "lastUpdated": iso(self._energy_at)}},
            },
        }

    def hem_statistics(self, system_id: str, interval: str | None) -> JSON:
        """``GET /hem-systems/{id}/statistics?interval=YYYY-MM-DD|YYYY-MM``."""
        members = self.hem_system_assets(system_id)
        zone, zone_name = self._hem_zone(members)
        if not interval:
            raise _bad_interval("interval is required (YYYY-MM-DD or YYYY-MM).")
        day_match, month_match = _DAY.match(interval), _MONTH.match(interval)
        try:
            if day_match:
                first = date(*map(int, day_match.groups()))
                days = [first, first + timedelta(days=1)]
            elif month_match:
                year, month = map(int, month_match.groups())
                first = date(year, month, 1)
                following = date(year + month // 12, month % 12 + 1, 1)
                days = [first + timedelta(days=n) for n in range((following - first).days + 1)]
            else:
                raise ValueError(interval)
        except ValueError:
            raise _bad_interval(
                f"Invalid interval {interval!r}: use YYYY-MM-DD (a day) or YYYY-MM (a month)."
            ) from None
        start, end = _midnight(days[0], zone), _midnight(days[-1], zone)
        installed, now = self.hem_installation(members), self.now()
        if end <= installed:
            raise _bad_interval(
                f"Request Interval {interval} is before the installation of the HEM system "
                f"{iso(installed)}"
            )
        if start > now:
            raise _bad_interval(f"Request Interval {interval} is after the current date.")
        resolution = self.settings.hem_resolution if day_match else "P1D"
        if day_match:
            size = DAY_RESOLUTIONS[resolution]
            edges = [start + size * n for n in range(round((end - start) / size) + 1)]
        else:
            edges = [_midnight(day, zone) for day in days]
        buckets = list(itertools.pairwise(edges))
        # Buckets under an hour report average power (kW), longer ones energy (kWh).
        power = day_match is not None and DAY_RESOLUTIONS[resolution] < 3600

        def available(unit: str, unit_type: str, values: list[float | None]) -> JSON:
            return {
                "isAvailable": True,
                "unit": unit,
                "unitType": unit_type,
                "sampling": {"mode": "bucketed", "resolution": resolution},
                "timezone": zone_name,
                "data": [
                    {"t": datetime.fromtimestamp(b0, zone).isoformat(timespec="seconds"), "v": v}
                    for (b0, _), v in zip(buckets, values, strict=True)
                ],
            }

        def known(b0: float, b1: float) -> bool:
            return b0 < now and b1 > installed

        timeseries: JSON = {}
        for series in HEM_SERIES:
            keys = self._hem_keys(members, series)
            if keys is None:
                timeseries[series] = {
                    "isAvailable": False,
                    "reason": f"The HEM system has no device that measures {series}.",
                }
                continue
            timeseries[series] = available(
                "kW" if power else "kWh",
                "Power" if power else "Energy",
                [
                    round(self._sum(keys, series, b0, b1) / ((b1 - b0) / 3600 if power else 1), 3)
                    if known(b0, b1)
                    else None
                    for b0, b1 in buckets
                ],
            )
        batteries = [asset for asset in members if asset.type == "battery"]
        if not day_match or not batteries:
            reason = (
                "Battery level is only available for DAY interval queries."
                if batteries
                else "The HEM system has no battery."
            )
            timeseries["batteryLevel"] = {"isAvailable": False, "reason": reason}
        else:
            timeseries["batteryLevel"] = available(
                "%",
                "SoC",
                [
                    self._battery_level(batteries, b0, b1) if known(b0, b1) else None
                    for b0, b1 in buckets
                ],
            )
        return {"timeseries": timeseries}

    def _battery_level(self, batteries: list[Asset], start: float, end: float) -> float | None:
        """The batteries' level at the end of a bucket (capacity-weighted), None without data."""
        total = weight = 0.0
        for battery in batteries:
            levels = [
                slot["level"] for slot in self._slots([battery.id], start, end) if "level" in slot
            ]
            if levels:
                capacity = battery.battery_capacity or 1.0
                total += levels[-1] * capacity
                weight += capacity
        return round(total / weight, 1) if weight else None

    # -- charging statistics ------------------------------------------------------------------

    def _charging_query(
        self, user_id: str, query: Mapping[str, str]
    ) -> tuple[list[Asset], float, float]:
        """The assets and ``[startDate, endDate)`` a charging statistics request asks for."""
        self.get_user(user_id)
        asset_type = query.get("type")
        if asset_type not in CHARGING_TYPES:
            raise bad_request(f"type must be one of {', '.join(CHARGING_TYPES)}.")
        start = _parse_date(query.get("startDate"), "startDate")
        if start is None:
            raise bad_request("startDate is required.")
        end = _parse_date(query.get("endDate"), "endDate")
        end = self.now() if end is None else end
        if end <= start:
            raise bad_request("endDate must be after startDate.")
        asset_id = query.get("id")
        if asset_id is not None:
            asset = self.assets.get(asset_id)
            if asset is None or asset.type != asset_type or asset.user_id != user_id:
                raise not_found("Asset not found.")
            assets = [asset]
        else:
            assets = self.user_assets(user_id, asset_type)
        location_id = query.get("locationId")
        if location_id is not None:
            assets = [asset for asset in assets if self._asset_location(asset) == location_id]
        return assets, start, end

    def _asset_location(self, asset: Asset) -> str | None:
        if asset.type == "vehicle":
            return self.vehicle_location_id(asset)
        return asset.location_id

    def charging_statistics(self, user_id: str, query: Mapping[str, str]) -> list[JSON]:
        """``GET /users/{userId}/statistics/charging``: one bucket per ``resolution``."""
        assets, start, end = self._charging_query(user_id, query)
        resolution = query.get("resolution", "DAY")
        if resolution not in RESOLUTIONS:
            raise bad_request(f"resolution must be one of {', '.join(RESOLUTIONS)}.")
        offset = 0.0
        if "utcOffset" in query:
            try:
                offset = float(query["utcOffset"])
            except ValueError:
                raise bad_request("utcOffset must be a number of hours.") from None
            if not -12 <= offset <= 14:
                raise bad_request("utcOffset must be between -12 and 14.")
        keys = [asset.id for asset in assets]
        zone = self.home_zone(user_id) or UTC
        return [
            self._charging_bucket(keys, b0, b1, zone)
            for b0, b1 in _buckets(start, min(end, self.now()), resolution, offset)
        ]

    def _charging_bucket(self, keys: list[str], start: float, end: float, zone: tzinfo) -> JSON:
        slots = self._slots(keys, start, end)
        kwh = sum(slot.get("kwh", 0.0) for slot in slots)
        cost = sum(slot.get("cost", 0.0) for slot in slots)
        smart_kwh = sum(slot.get("smartKwh", 0.0) for slot in slots)
        prices = _prices(self.settings.tariff, start, end, zone)
        full = bool(slots) and all(slot.get("active", 0.0) >= SLOT_S - 1 for slot in slots)
        peak = max((slot.get("kwMax", 0.0) for slot in slots), default=0.0)
        low = min((slot.get("kwMin", 0.0) for slot in slots), default=0.0) if full else 0.0
        non_smart: JSON = {"min": None, "max": None, "mean": None}
        savings: float | None = None
        if smart_kwh > 0:
            rates = [
                slot["nonSmartCost"] / slot["smartKwh"] for slot in slots if slot.get("smartKwh")
            ]
            non_smart_cost = sum(slot.get("nonSmartCost", 0.0) for slot in slots)
            non_smart = {
                "min": round(min(rates), 4),
                "max": round(max(rates), 4),
                "mean": round(non_smart_cost / smart_kwh, 4),
            }
            smart_cost = sum(slot.get("smartCost", 0.0) for slot in slots)
            savings = round(non_smart_cost - smart_cost, 4)
        return {
            "kw": {
                "min": round(low, 3),
                "max": round(peak, 3),
                "mean": round(kwh / ((end - start) / 3600), 3),
            },
            "kwhSum": round(kwh, 3),
            "price": {
                "min": round(min(prices), 4),
                "max": round(max(prices), 4),
                "mean": round(cost / kwh if kwh > 0 else sum(prices) / len(prices), 4),
            },
            "costSum": round(cost, 4),
            "nonSmartPrice": non_smart,
            "estimatedSavings": savings,
            "date": iso(start),
        }

    def charging_sessions_statistics(self, user_id: str, query: Mapping[str, str]) -> list[JSON]:
        """``GET /users/{userId}/statistics/charging/sessions``: sessions in the range."""
        assets, start, end = self._charging_query(user_id, query)
        zone = self.home_zone(user_id) or UTC
        found = sorted(
            (
                session
                for asset in assets
                for session in self.charging_sessions.get(asset.id, [])
                if session.end > start and session.start < end
            ),
            key=lambda session: (session.start, session.asset_id),
        )
        items = []
        for session in found:
            prices = _prices(self.settings.tariff, session.start, session.end, zone)
            hours = (session.end - session.start) / 3600
            smart = session.smart_kwh > 0
            non_smart = round(session.non_smart_cost / session.smart_kwh, 4) if smart else None
            items.append(
                {
                    "kw": {
                        "min": round(session.kw_min, 3),
                        "max": round(session.kw_max, 3),
                        "mean": round(session.kwh / hours, 3),
                    },
                    "kwhSum": round(session.kwh, 3),
                    "price": {
                        "min": round(min(prices), 4),
                        "max": round(max(prices), 4),
                        "mean": round(session.cost / session.kwh, 4),
                    },
                    "costSum": round(session.cost, 4),
                    "id": session.asset_id,
                    "locationId": session.location_id,
                    "from": iso(session.start),
                    "to": iso(session.end),
                    "nonSmartPrice": {"min": non_smart, "max": non_smart, "mean": non_smart},
                    "estimatedSavings": (
                        round(session.non_smart_cost - session.smart_cost, 4) if smart else None
                    ),
                }
            )
        return items


def _prices(tariff: Tariff, start: float, end: float, zone: tzinfo) -> list[float]:
    """The tariff's price in each slot of ``[start, end)`` (at least one)."""
    first, last = int(start // SLOT_S), max(int(start // SLOT_S) + 1, math.ceil(end / SLOT_S))
    return [tariff_price(tariff, (i + 0.5) * SLOT_S, zone) for i in range(first, last)]


def _buckets(
    start: float, end: float, resolution: str, offset_hours: float
) -> list[tuple[float, float]]:
    """The buckets of a resolution that intersect ``[start, end)``.

    ``QUARTER_HOUR``/``HALF_HOUR``/``HOUR`` are UTC; days, weeks (from Monday), months and
    years begin at midnight UTC or, with ``utcOffset``, at that offset.
    """
    edges: list[float] = []
    size = FIXED_RESOLUTIONS.get(resolution)
    if size is not None:
        moment = start - start % size
        while moment < end:
            edges.append(moment)
            moment += size
            if len(edges) > MAX_BUCKETS:
                raise bad_request(f"At most {MAX_BUCKETS} buckets: narrow the date range.")
        return [(b0, b0 + size) for b0 in edges]
    zone = timezone(timedelta(hours=offset_hours))
    local = datetime.fromtimestamp(start, zone).replace(hour=0, minute=0, second=0, microsecond=0)
    if resolution == "WEEK":
        local -= timedelta(days=local.weekday())
    elif resolution == "MONTH":
        local = local.replace(day=1)
    elif resolution == "YEAR":
        local = local.replace(month=1, day=1)
    buckets: list[tuple[float, float]] = []
    while local.timestamp() < end:
        if resolution == "DAY":
            following = local + timedelta(days=1)
        elif resolution == "WEEK":
            following = local + timedelta(days=7)
        elif resolution == "MONTH":
            following = local.replace(
                year=local.year + local.month // 12, month=local.month % 12 + 1
            )
        else:
            following = local.replace(year=local.year + 1)
        buckets.append((local.timestamp(), following.timestamp()))
        local = following
        if len(buckets) > MAX_BUCKETS:
            raise bad_request(f"At most {MAX_BUCKETS} buckets: narrow the date range.")
    return buckets
