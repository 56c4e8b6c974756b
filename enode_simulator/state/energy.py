"""Home energy on the simulated clock: the sun, the household, batteries, meters and HVAC units.

Every ``ENERGY_STEP`` simulated seconds (aligned to the clock) each user's home is stepped:

- **Inverters** produce ``peak * sin(sun elevation) ** 1.2`` at their position (else the home's
  Location), zero at night; ``totalLifetimeProduction`` grows by what they produced.
- **The household** draws a daily load curve (the meter's base load with morning and evening
  peaks, in the home's time zone), plus its HVAC units and its chargers while they charge.
- **Batteries** follow their operation mode within their capacity, maximum power and discharge
  limit: ``SELF_RELIANCE`` covers the household's deficit and stores surplus solar;
  ``IMPORT_FOCUS`` charges, ``EXPORT_FOCUS`` discharges; ``TIME_OF_USE`` charges at night
  (01-05) and discharges in the evening peak (17-21), self-reliant in between; ``IDLE``, an
  unknown mode and a ``FAULT`` do nothing. ``chargeRate`` is positive while charging.
- **Meters** report household load - production + battery charge rate (positive = import).
- **Statistics**: every step is recorded (``statistics.py``: energy per 15 minutes per home,
  inverter and battery; HVAC consumption as a charging-statistics series).
- **HVAC units** heat or cool toward their setpoint — the device schedule's while the hold type
  is ``SCHEDULED`` — and otherwise drift toward the outdoor temperature; a unit that reports its
  consumption draws its rated power while active.

A device Enode cannot reach keeps working, but what it reports freezes until it is reachable.
Values are written into the assets' wire objects (``Asset.extra``) rounded as Enode reports
them, with ``lastUpdated``, and only when they change.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
import math
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..clock import iso
from .base import StateBase
from .model import JSON, Asset

# Simulated seconds between two steps of the home-energy physics.
ENERGY_STEP = 60.0
# At most this many steps per catch-up (a long ``advance_time`` takes longer steps).
MAX_STEPS = 2000
# Where a home without a position is (Oslo).
DEFAULT_POSITION = (59.9139, 10.7522)
DEFAULT_BASE_LOAD_KW = 0.4
# Battery operation modes by the local hour: TIME_OF_USE charges and discharges in these windows.
CHEAP_HOURS = (1, 5)
PEAK_HOURS = (17, 21)
# HVAC: degrees per hour while heating or cooling, the share of the outdoor difference lost per
# hour, and the hysteresis before an idle unit starts again.
HVAC_RATE_C_PER_H = 2.0
HVAC_LOSS_PER_H = 0.1
HVAC_HYSTERESIS_C = 0.3
# The schedule an HVAC unit follows unless its template gives one (local hours).
DEFAULT_SCHEDULE: JSON = {
    "comfortHours": [6, 22],
    "heat": {"comfort": 21.0, "eco": 17.0},
    "cool": {"comfort": 24.0, "eco": 27.0},
}


def sun_elevation_sine(timestamp: float, latitude: float, longitude: float) -> float:
    """The sine of the sun's elevation at a place and time (negative at night)."""
    moment = datetime.fromtimestamp(timestamp, UTC)
    day = moment.timetuple().tm_yday
    hours = moment.hour + moment.minute / 60 + moment.second / 3600
    declination = math.radians(23.44) * math.sin(2 * math.pi * (284 + day) / 365)
    b = 2 * math.pi * (day - 81) / 364
    equation_of_time = 9.87 * math.sin(2 * b) - 7.53 * math.cos(b) - 1.5 * math.sin(b)
    solar_time = hours + longitude / 15 + equation_of_time / 60
    hour_angle = math.radians(15 * (solar_time - 12))
    phi = math.radians(latitude)
    return math.sin(phi) * math.sin(declination) + math.cos(phi) * math.cos(declination) * math.cos(
        hour_angle
    )


def solar_production_kw(peak_kw: float, at: float, latitude: float, longitude: float) -> float:
    """What an inverter of ``peak_kw`` produces under a clear sky (0 at night)."""
    sine = sun_elevation_sine(at, latitude, longitude)
    return peak_kw * sine**1.2 if sine > 0 else 0.0


def household_load_kw(base_kw: float, hour: float) -> float:
    """The household's own load at a local hour: the base with morning and evening peaks."""

    def bump(center: float, width: float) -> float:
        return math.exp(-(((hour - center) / width) ** 2))

    return base_kw * (1 + 1.5 * bump(7.5, 1.5) + 2.5 * bump(18.5, 2.0))


def outdoor_temperature(hour: float) -> float:
    """The outdoor temperature at a local hour (°C): coolest before dawn, warmest at 15:00."""
    return 8.0 + 4.0 * math.cos(2 * math.pi * (hour - 15) / 24)


@dataclass
class HomeFlows:
    """What one step of a home did (kW): each inverter's production, each HVAC's and each
    battery's power (+ charging), the household's load and the grid (+ import)."""

    production: list[tuple[Asset, float]]
    hvac: list[tuple[Asset, float]]
    batteries: list[tuple[Asset, float]] = field(default_factory=list)
    load: float = 0.0
    grid: float = 0.0


def _rounded(value: float, digits: int = 2) -> float:
    """``value`` as Enode reports it (never ``-0.0``)."""
    return round(value, digits) + 0.0


def _in(hour: float, window: tuple[int, int]) -> bool:
    return window[0] <= hour < window[1]


class EnergyMixin(StateBase):
    """Inverters, batteries, meters and HVAC units over simulated time."""

    def _integrate_energy(self, until: float) -> None:
        """Step every home from the last energy step up to ``until``."""
        steps = int((until - self._energy_at) // ENERGY_STEP)
        if steps <= 0:
            return
        size = ENERGY_STEP * max(1, math.ceil(steps / MAX_STEPS))
        while self._energy_at + size <= until:
            self._energy_at += size
            for user_id in self.users:
                self._step_home(user_id, self._energy_at, size)

    def settle_energy(self, user_id: str | None = None) -> None:
        """Bring what the devices report in line with now without letting time pass.

        After a scenario load (templates give plausible but arbitrary powers) and when a device
        is linked, so the first read already shows the sun, the household and the modes.
        """
        now = self.now()
        self._energy_at = max(self._energy_at, now - now % ENERGY_STEP)
        for uid in [user_id] if user_id is not None else list(self.users):
            self._step_home(uid, now, 0.0)

    # -- one step of a home -------------------------------------------------------------------

    def _step_home(
        self, user_id: str, at: float, dt: float, ev_load_kw: float | None = None
    ) -> None:
        """One step (``dt`` seconds ending at ``at``; 0 only recomputes the powers).

        ``ev_load_kw`` replaces the chargers' live load (history seeding, ``statistics.py``).
        A step of time is recorded as statistics (``_record_home``).
        """
        assets = self.user_assets(user_id)
        if not any(a.type in ("inverter", "battery", "meter", "hvac") for a in assets):
            return
        hour = self._local_hour(user_id, assets, at)
        flows = HomeFlows(
            production=[
                (a, self._step_inverter(a, at, dt)) for a in assets if a.type == "inverter"
            ],
            hvac=[(a, self._step_hvac(a, at, dt, hour)) for a in assets if a.type == "hvac"],
        )
        production = sum(power for _, power in flows.production)
        if ev_load_kw is None:
            ev_load_kw = sum(
                self.session_rate(charger)
                for charger in assets
                if charger.type == "charger" and charger.charging
            )
        meters = [meter for meter in assets if meter.type == "meter"]
        base = max((meter.rated_power_kw for meter in meters), default=DEFAULT_BASE_LOAD_KW)
        load = household_load_kw(base, hour) + sum(p for _, p in flows.hvac) + ev_load_kw
        battery_power = 0.0
        for battery in (b for b in assets if b.type == "battery"):
            rate = self._step_battery(battery, load - production + battery_power, at, dt, hour)
            flows.batteries.append((battery, rate))
            battery_power += rate
        grid = load - production + battery_power
        for meter in meters:
            self._report(meter, "energyState", {"power": _rounded(grid)}, at)
        if dt > 0:
            flows.load, flows.grid = load, grid
            self._record_home(user_id, at - dt, at, flows)

    def _step_inverter(self, inverter: Asset, at: float, dt: float) -> float:
        latitude, longitude = self._position(inverter)
        power = solar_production_kw(inverter.rated_power_kw, at, latitude, longitude)
        inverter.lifetime_kwh += power * dt / 3600
        self._report(
            inverter,
            "productionState",
            {
                "productionRate": _rounded(power),
                "isProducing": power > 0,
                "totalLifetimeProduction": _rounded(inverter.lifetime_kwh),
            },
            at,
        )
        return power

    def _step_battery(
        self, battery: Asset, deficit_kw: float, at: float, dt: float, hour: float
    ) -> float:
        """Charge or discharge by the operation mode; return the charge rate (kW, + charging)."""
        state = battery.extra.setdefault("chargeState", {})
        mode = battery.extra.get("config", {}).get("operationMode")
        max_kw = battery.rated_power_kw
        wanted = {
            "SELF_RELIANCE": -deficit_kw,
            "IMPORT_FOCUS": max_kw,
            "EXPORT_FOCUS": -max_kw,
            "TIME_OF_USE": (
                max_kw
                if _in(hour, CHEAP_HOURS)
                else -max_kw
                if _in(hour, PEAK_HOURS)
                else -deficit_kw
            ),
        }.get(str(mode), 0.0)
        if state.get("status") == "FAULT":
            wanted = 0.0
        capacity = battery.battery_capacity
        floor = float(state.get("dischargeLimit") or 0)
        rate = max(-max_kw, min(max_kw, wanted))
        if capacity <= 0 or (rate > 0 and battery.battery_level >= 100):
            rate = 0.0
        if rate < 0 and battery.battery_level <= floor:
            rate = 0.0
        if dt > 0 and capacity > 0:
            # Not beyond full or the discharge limit within this step.
            room = (100 - battery.battery_level) / 100 * capacity * 3600 / dt
            reserve = (battery.battery_level - floor) / 100 * capacity * 3600 / dt
            rate = min(rate, room) if rate > 0 else max(rate, -max(reserve, 0.0))
            battery.battery_level += rate * dt / 3600 / capacity * 100
        status = state.get("status")
        if status != "FAULT":
            status = "CHARGING" if rate > 0.005 else "DISCHARGING" if rate < -0.005 else "IDLE"
        self._report(
            battery,
            "chargeState",
            {
                "status": status,
                "batteryLevel": _rounded(battery.battery_level, 1),
                "chargeRate": _rounded(rate),
            },
            at,
        )
        return rate

    def _step_hvac(self, hvac: Asset, at: float, dt: float, hour: float) -> float:
        """Heat or cool toward the setpoint; return the unit's consumption (kW)."""
        thermostat = hvac.extra.setdefault("thermostatState", {})
        if thermostat.get("holdType") == "SCHEDULED":
            self._report(hvac, "thermostatState", self.scheduled_thermostat(hvac, hour), at)
        mode = thermostat.get("mode")
        heat, cool = thermostat.get("heatSetpoint"), thermostat.get("coolSetpoint")
        was_active = bool(hvac.extra.get("temperatureState", {}).get("isActive"))
        margin = 0.0 if was_active else HVAC_HYSTERESIS_C
        temperature = hvac.temperature
        heating = mode in ("HEAT", "AUTO") and heat is not None and temperature < heat - margin
        cooling = mode in ("COOL", "AUTO") and cool is not None and temperature > cool + margin
        hours = dt / 3600
        if heating:
            temperature = min(float(heat), temperature + HVAC_RATE_C_PER_H * hours)
        elif cooling:
            temperature = max(float(cool), temperature - HVAC_RATE_C_PER_H * hours)
        else:
            outdoor = outdoor_temperature(hour)
            temperature += (outdoor - temperature) * min(1.0, HVAC_LOSS_PER_H * hours)
        hvac.temperature = temperature
        active = heating or cooling
        self._report(
            hvac,
            "temperatureState",
            {"currentTemperature": _rounded(temperature, 1), "isActive": active},
            at,
        )
        consumption = hvac.rated_power_kw if active else 0.0
        if hvac.rated_power_kw > 0:
            self._report_top(hvac, "consumptionRate", _rounded(consumption))
        return consumption

    def scheduled_thermostat(self, hvac: Asset, hour: float | None = None) -> JSON:
        """The mode and setpoint(s) the device's own schedule gives at a local hour (else now).

        Only the setpoints of the scheduled mode: the others keep their values.
        """
        if hour is None:
            hour = self._local_hour(hvac.user_id, self.user_assets(hvac.user_id), self.now())
        schedule = DEFAULT_SCHEDULE | hvac.schedule
        start, end = schedule["comfortHours"]
        period = "comfort" if start <= hour < end else "eco"
        capable = hvac.extra.get("capabilities", {}).get("capableModes") or []
        mode = schedule.get("mode") or next(
            (m for m in ("HEAT", "AUTO", "COOL") if m in capable), "HEAT"
        )
        thermostat: JSON = {"mode": mode, "holdType": "SCHEDULED"}
        if mode in ("HEAT", "AUTO"):
            thermostat["heatSetpoint"] = float(schedule["heat"][period])
        if mode in ("COOL", "AUTO"):
            thermostat["coolSetpoint"] = float(schedule["cool"][period])
        return thermostat

    # -- where and when -----------------------------------------------------------------------

    def _position(self, asset: Asset) -> tuple[float, float]:
        """The asset's reported position, else its user's first Location's, else the default."""
        location = asset.extra.get("location") or {}
        if location.get("latitude") is not None and location.get("longitude") is not None:
            return float(location["latitude"]), float(location["longitude"])
        for place in self.locations.values():
            if place["userId"] == asset.user_id:
                return float(place["latitude"]), float(place["longitude"])
        return DEFAULT_POSITION

    def home_zone(self, user_id: str, assets: list[Asset] | None = None) -> ZoneInfo | None:
        """The home's time zone: its Location's, else an inverter's, else None (UTC)."""
        names = [
            place["timezoneName"] for place in self.locations.values() if place["userId"] == user_id
        ]
        if assets is None:
            assets = self.user_assets(user_id)
        names += [str(a.extra["timezone"]) for a in assets if a.extra.get("timezone")]
        for name in names:
            try:
                return ZoneInfo(name)
            except (ZoneInfoNotFoundError, ValueError):
                continue
        return None

    def _local_hour(self, user_id: str, assets: list[Asset], at: float) -> float:
        """The hour of day at the home (``home_zone``)."""
        moment = datetime.fromtimestamp(at, self.home_zone(user_id, assets) or UTC)
        return moment.hour + moment.minute / 60 + moment.second / 3600

    # -- what the device reports --------------------------------------------------------------

    def _report(self, asset: Asset, key: str, values: JSON, at: float) -> None:
        """Write values into a wire object (with ``lastUpdated``) if reachable and changed."""
        if not asset.reachable:
            return
        target = asset.extra.setdefault(key, {})
        if all(target.get(name) == value for name, value in values.items()):
            return
        target.update(values)
        target["lastUpdated"] = iso(at)
        self.mark_dirty()

    def _report_top(self, asset: Asset, key: str, value: object) -> None:
        """Write a top-level wire value (``consumptionRate``) if reachable and changed."""
        if asset.reachable and asset.extra.get(key) != value:
            asset.extra[key] = value
            self.mark_dirty()
