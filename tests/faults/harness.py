"""The fault suite's harness (issue 12): one fault class per case, the figures of each case.

Each case runs a real Home Assistant test instance with the integration set up against the
simulator over loopback HTTP, push included (the simulator delivers signed webhooks to Home
Assistant's HTTP server). The case injects its fault through the simulator's control API (or
posts hostile deliveries), clears it, and lets Home Assistant time pass until the entities show
the simulator's truth again. ``FaultEnv.finish`` then counts, for the table ``conftest.py``
prints at the end of the session:

- crashes: the entry not loaded any more, or an exception that escaped into Home Assistant
  (a job, a webhook handler, a service call);
- tracebacks from the integration: log records with a traceback through ``custom_components``;
- wrong states: a battery level the simulator never had, a value no device can report, an
  entity whose final state differs from the simulator's, or one shown available while Enode's
  API was down;
- deliveries lost: what a delivery carried (or a restart hid) that the final state lacks;
- outcomes lost: command outcomes never reported as ``enode_action`` (or reported twice);
- secrets: the client secret, access tokens, the webhook secret and ids, the user id, the VIN
  and coordinates, found in the diagnostics, in any line the integration logs (every level),
  or in any warning or error of any logger. (Home Assistant itself names a webhook id in its
  own info and debug lines about webhooks, for every integration: those are not counted.)
- recovery: Home Assistant seconds from the fault clearing until the state is right again,
  measured by moving Home Assistant's clock (``async_fire_time_changed``) to each refresh the
  coordinator scheduled, never by sleeping; its bound is one retry backoff unless the row
  says otherwise.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
import logging
import math
from typing import Any

from aiohttp.test_utils import TestClient
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import CONF_WEBHOOK_ID, STATE_UNAVAILABLE, STATE_UNKNOWN
from homeassistant.core import Event, EventStateChangedData, HomeAssistant, callback
from homeassistant.util import dt as dt_util
import orjson
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    async_fire_time_changed,
)

from custom_components.enode.api.webhooks import compute_signature
from custom_components.enode.const import EVENT_ACTION
from custom_components.enode.diagnostics import async_get_config_entry_diagnostics
from custom_components.enode.webhook import CONF_ENODE_WEBHOOK_ID, CONF_WEBHOOK_SECRET
from enode_simulator import Simulator
from tests.integration.conftest import (
    CHARGER,
    CHARGER_ID,
    GPS_VEHICLE,
    GPS_VEHICLE_ID,
    TEST_USER,
    household,
    make_entry,
)

# A user id that cannot appear by accident (the integration tests' "test-user" could).
USER_ID = "9f3c2a71-enode-user-5b0d"
VIN = str(GPS_VEHICLE["information"]["vin"])
COORDINATES = ("59.9139", "10.7522")
BATTERY = "sensor.tessie_battery"
SWITCH = "switch.tessie_charge"
PLUGGED = "binary_sensor.tessie_plugged_in"
CHARGER_PLUGGED = "binary_sensor.zaptec_go_plugged_in"
# Key entities compared with the simulator at the end of every case.
KEY_ENTITIES = (BATTERY, SWITCH, PLUGGED, CHARGER_PLUGGED)
# Loggers whose records are not the integration's to answer for: Home Assistant's HTTP access
# log (off in a real installation; it shows every webhook path) and the simulator's own.
FOREIGN_LOGGERS = ("aiohttp.access", "enode_simulator")

REPORT: list[CaseResult] = []


def scenario() -> dict[str, Any]:
    """A household: a GPS vehicle plugged into the home charger, not charging."""
    data = household(
        linked=[GPS_VEHICLE, CHARGER],
        plugged=[{"vehicle": GPS_VEHICLE_ID, "charger": CHARGER_ID, "charging": False}],
    )
    text = orjson.dumps(data).decode().replace(f'"{TEST_USER}"', f'"{USER_ID}"')
    result: dict[str, Any] = orjson.loads(text)
    return result


@dataclass
class CaseResult:
    """One row of the table."""

    case: str
    fault: str
    crashes: int = 0
    tracebacks: int = 0
    wrong_states: int = 0
    deliveries_lost: int = 0
    outcomes_lost: int = 0
    secrets: int = 0
    recovery: float | None = None
    bound: float | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def recovered(self) -> bool:
        """Return whether the recovery came within its bound (or none was needed)."""
        if self.recovery is None:
            return True
        return self.bound is not None and self.recovery <= self.bound

    @property
    def clean(self) -> bool:
        """Return whether every figure is what the issue demands."""
        return (
            self.crashes
            == self.tracebacks
            == self.wrong_states
            == self.deliveries_lost
            == self.outcomes_lost
            == self.secrets
            == 0
        ) and self.recovered


def format_table(rows: list[CaseResult]) -> str:
    """Return the table (one line per case, then the totals)."""

    def seconds(value: float | None) -> str:
        if value is None:
            return "-"
        return "never" if math.isinf(value) else f"{value:.1f}"

    header = (
        "case",
        "fault class",
        "crashes",
        "tracebacks",
        "wrong states",
        "deliveries lost",
        "outcomes lost",
        "secrets",
        "recovery s",
        "bound s",
    )
    lines = [
        (
            row.case,
            row.fault,
            str(row.crashes),
            str(row.tracebacks),
            str(row.wrong_states),
            str(row.deliveries_lost),
            str(row.outcomes_lost),
            str(row.secrets),
            seconds(row.recovery),
            seconds(row.bound),
        )
        for row in rows
    ]
    recoveries = [row.recovery for row in rows if row.recovery is not None]
    lines.append(
        (
            f"TOTAL ({len(rows)} cases)",
            f"{sum(not row.clean for row in rows)} not clean",
            str(sum(row.crashes for row in rows)),
            str(sum(row.tracebacks for row in rows)),
            str(sum(row.wrong_states for row in rows)),
            str(sum(row.deliveries_lost for row in rows)),
            str(sum(row.outcomes_lost for row in rows)),
            str(sum(row.secrets for row in rows)),
            f"max {seconds(max(recoveries))}" if recoveries else "-",
            f"{sum(not row.recovered for row in rows)} over",
        )
    )
    widths = [max(len(line[i]) for line in [header, *lines]) for i in range(len(header))]

    def render(cells: tuple[str, ...]) -> str:
        return " | ".join(
            cell.ljust(width) if i < 2 else cell.rjust(width)
            for i, (cell, width) in enumerate(zip(cells, widths, strict=True))
        )

    rule = "-+-".join("-" * width for width in widths)
    return "\n".join([render(header), rule, *map(render, lines[:-1]), rule, render(lines[-1])])


class FaultEnv:
    """Home Assistant, the simulator and the entry of one case, and what the case observed."""

    def __init__(
        self,
        hass: HomeAssistant,
        sim: Simulator,
        client: TestClient,
        records: Callable[[], list[logging.LogRecord]],
    ) -> None:
        """Initialize (``start`` sets the entry up)."""
        self.hass = hass
        self.sim = sim
        self.client = client
        self._records = records
        self.entry: MockConfigEntry = make_entry(sim, user_id=USER_ID)
        self.actions = async_capture_events(hass, EVENT_ACTION)
        # Every battery level the simulator had (a state outside these is wrong).
        self.truth_levels: set[float] = set()
        self.battery_history: list[str] = []
        self.available_during_outage = 0
        self.outage = False
        # While ``steady``: key entities that turned unavailable (they must not).
        self.flickers = 0
        self.steady = False
        self.secrets: set[str] = {sim.client_secret, USER_ID, VIN, *COORDINATES}
        self.clock = 0.0  # Home Assistant seconds this case moved the clock
        self._ahead = 0.0  # how far ahead of the simulator's clock a hand-made event was
        self._issued_tokens: list[str] = []
        issue = sim.state.issue_token

        def recording_issue(client_id: str, client_secret: str) -> tuple[str, int] | None:
            issued = issue(client_id, client_secret)
            if issued is not None:
                self._issued_tokens.append(issued[0])
            return issued

        vars(sim.state)["issue_token"] = recording_issue
        hass.bus.async_listen("state_changed", self._state_changed)

    # ---------------------------------------------------------------- set-up

    async def start(self) -> None:
        """Set the entry up and wait for its webhook registration at Enode."""
        self.truth_levels.add(self.sim_level())
        self.entry.add_to_hass(self.hass)
        assert await self.hass.config_entries.async_setup(self.entry.entry_id)
        await self.hass.async_block_till_done(wait_background_tasks=True)
        assert self.entry.state is ConfigEntryState.LOADED
        assert self.entry.runtime_data.webhook.registered
        self.secrets |= {
            self.entry.data[CONF_WEBHOOK_SECRET],
            self.entry.data[CONF_WEBHOOK_ID],
        }
        self.steady = True  # until a case makes Enode fail or stops the entry

    @property
    def coordinator(self) -> Any:
        """Return the entry's coordinator."""
        return self.entry.runtime_data.coordinator

    @callback
    def _state_changed(self, event: Event[EventStateChangedData]) -> None:
        new = event.data["new_state"]
        if new is None or not new.entity_id.startswith(("sensor.", "binary_sensor.", "switch.")):
            return
        if new.entity_id in KEY_ENTITIES:
            if self.outage and new.state != STATE_UNAVAILABLE:
                self.available_during_outage += 1
            if self.steady and new.state == STATE_UNAVAILABLE:
                self.flickers += 1
        if new.entity_id == BATTERY:
            self.battery_history.append(new.state)

    # ----------------------------------------------------------------- truth

    def sim_level(self) -> float:
        """Return the simulator's battery level of the vehicle."""
        return float(self.sim.asset(GPS_VEHICLE_ID)["chargeState"]["batteryLevel"])

    def set_level(self, level: float) -> None:
        """Change the vehicle's battery level at the simulator (and remember it as true).

        After a hand-made event from the future, simulated time first passes it: Enode's next
        update is newer than anything it sent before.
        """
        if self._ahead:
            self.sim.advance_time(self._ahead + 1)
            self._ahead = 0.0
        self.sim.set_battery_level(GPS_VEHICLE_ID, level)
        self.truth_levels.add(float(level))

    def wrong_final_states(self) -> list[str]:
        """Return the key entities whose state differs from the simulator's."""
        vehicle = self.sim.asset(GPS_VEHICLE_ID)
        charger = self.sim.asset(CHARGER_ID)
        pending = bool(self.coordinator.data.pending_actions)
        expected: dict[str, str | float] = {
            BATTERY: float(vehicle["chargeState"]["batteryLevel"]),
            PLUGGED: "on" if vehicle["chargeState"]["isPluggedIn"] else "off",
            CHARGER_PLUGGED: "on" if charger["chargeState"]["isPluggedIn"] else "off",
        }
        if not pending:
            expected[SWITCH] = "on" if vehicle["chargeState"]["isCharging"] else "off"
        wrong = []
        for entity_id, value in expected.items():
            state = self.hass.states.get(entity_id)
            shown = state.state if state is not None else None
            if isinstance(value, float):
                try:
                    right = shown is not None and float(shown) == value
                except ValueError:
                    right = False
            else:
                right = shown == value
            if not right:
                wrong.append(f"{entity_id}={shown} (expected {value})")
        return wrong

    def states_right(self) -> bool:
        """Return whether every key entity shows the simulator's state."""
        return not self.wrong_final_states()

    def wrong_history(self) -> list[str]:
        """Return battery states the simulator never had (or no device could report)."""
        wrong = []
        for value in self.battery_history:
            if value in (STATE_UNAVAILABLE, STATE_UNKNOWN):
                continue
            try:
                number = float(value)
            except ValueError:
                wrong.append(value)
                continue
            if number not in self.truth_levels:
                wrong.append(value)
        return wrong

    # ------------------------------------------------------------------ time

    def next_refresh_in(self) -> float | None:
        """Return the Home Assistant seconds until the coordinator's scheduled refresh."""
        cancel = self.coordinator._unsub_refresh
        handle = getattr(cancel, "__self__", None)
        if not isinstance(handle, asyncio.TimerHandle):
            return None
        return max(0.0, handle.when() - self.hass.loop.time())

    async def advance(self, seconds: float) -> None:
        """Let ``seconds`` of Home Assistant time pass (every timer due by then runs)."""
        async_fire_time_changed(self.hass, dt_util.utcnow() + timedelta(seconds=seconds))
        await self.hass.async_block_till_done(wait_background_tasks=True)
        self.clock += seconds

    async def refresh_fails(self) -> None:
        """Run the coordinator's scheduled refresh now (Enode is failing)."""
        wait = self.next_refresh_in()
        assert wait is not None
        await self.advance(wait + 0.01)

    async def recover(self) -> float:
        """Return the Home Assistant seconds until the state is right again (inf: never).

        Moves the clock to each refresh the coordinator scheduled (at most a few).
        """
        elapsed = 0.0
        for _ in range(6):
            if self.states_right() and self.coordinator.last_update_success:
                return elapsed
            wait = self.next_refresh_in()
            if wait is None:
                break
            await self.advance(wait + 0.01)
            elapsed += wait + 0.01
        if self.states_right() and self.coordinator.last_update_success:
            return elapsed
        return math.inf

    @staticmethod
    def backoff(failures: int) -> float:
        """Return the bound of a recovery after ``failures`` failed refreshes: one short retry
        backoff (10 s, doubling, at most 5 minutes; issue 12), plus a second of slack.

        Fixed here, not read from the code under test: the suite measures the code against it.
        """
        return min(10.0 * 2 ** max(failures - 1, 0), 300.0) + 1.0

    # ------------------------------------------------------------ deliveries

    async def deliver(self) -> None:
        """Let the simulator deliver what is due and Home Assistant process it."""
        await self.sim.flush_webhooks()
        await self.hass.async_block_till_done(wait_background_tasks=True)

    @property
    def path(self) -> str:
        """Return the path of the entry's webhook."""
        return f"/api/webhook/{self.entry.data[CONF_WEBHOOK_ID]}"

    def signed(self, events: Any) -> tuple[bytes, str]:
        """Return a body and its correct signature."""
        body = orjson.dumps(events)
        return body, compute_signature(self.entry.data[CONF_WEBHOOK_SECRET], body)

    async def post(self, body: bytes, signature: str | None) -> int:
        """POST a delivery to Home Assistant; return the status."""
        headers = {"content-type": "application/json"}
        if signature is not None:
            headers["x-enode-signature"] = signature
        resp = await self.client.post(self.path, data=body, headers=headers)
        await resp.release()
        return resp.status

    def vehicle_event(
        self, level: float, *, seconds: float = 0, user_id: str = USER_ID
    ) -> dict[str, Any]:
        """A ``user:vehicle:updated`` with another battery level, ``seconds`` after now."""
        vehicle = dict(self.sim.asset(GPS_VEHICLE_ID))
        last_seen = dt_util.parse_datetime(vehicle["lastSeen"])
        assert last_seen is not None
        moment = last_seen + timedelta(seconds=seconds)
        self._ahead = max(self._ahead, seconds)
        vehicle["lastSeen"] = moment.isoformat().replace("+00:00", "Z")
        vehicle["chargeState"] = {**vehicle["chargeState"], "batteryLevel": level}
        return {
            "event": "user:vehicle:updated",
            "createdAt": vehicle["lastSeen"],
            "version": "2024-10-01",
            "user": {"id": user_id},
            "vehicle": vehicle,
            "updatedFields": ["chargeState.batteryLevel"],
        }

    # --------------------------------------------------------------- results

    def _foreign(self, record: logging.LogRecord) -> bool:
        return record.name.startswith(FOREIGN_LOGGERS)

    def tracebacks(self) -> list[str]:
        """Return the log records with a traceback through the integration."""
        found = []
        for record in self._records():
            if record.exc_info is None or self._foreign(record):
                continue
            text = logging.Formatter().formatException(record.exc_info)
            if "custom_components" in text or record.name.startswith("custom_components"):
                found.append(record.getMessage())
        return found

    def crashes(self) -> list[str]:
        """Return what shows the integration crashed."""
        found = []
        if self.entry.state is not ConfigEntryState.LOADED:
            found.append(f"entry {self.entry.state}")
        for record in self._records():
            if self._foreign(record) or record.levelno < logging.ERROR:
                continue
            message = record.getMessage()
            if record.exc_info is not None and not record.name.startswith("custom_components"):
                found.append(message)
        return found

    async def secrets_found(self) -> list[str]:
        """Return the secrets found in the log or in the diagnostics."""
        secrets = self.secrets | set(self._issued_tokens)
        if enode_id := self.entry.data.get(CONF_ENODE_WEBHOOK_ID):
            secrets.add(enode_id)
        found = []
        for record in self._records():
            if self._foreign(record) or not (
                record.name.startswith("custom_components") or record.levelno >= logging.WARNING
            ):
                continue
            text = record.getMessage()
            if record.exc_info is not None:
                text += logging.Formatter().formatException(record.exc_info)
            found += [
                f"log ({record.name}): {secret[:4]}..."
                for secret in secrets
                if secret and secret in text
            ]
        if self.entry.state is ConfigEntryState.LOADED:
            diagnostics = orjson.dumps(
                await async_get_config_entry_diagnostics(self.hass, self.entry)
            ).decode()
            found += [
                f"diagnostics: {secret[:4]}..."
                for secret in secrets
                if secret and secret in diagnostics
            ]
        return found

    async def finish(
        self,
        result: CaseResult,
        *,
        expected_outcomes: list[str] | None = None,
        loaded: bool = True,
    ) -> CaseResult:
        """Count the figures of a case, add its row to the table and assert them."""
        await self.hass.async_block_till_done(wait_background_tasks=True)
        crashes = self.crashes() if loaded else []
        result.crashes += len(crashes)
        tracebacks = self.tracebacks()
        result.tracebacks += len(tracebacks)
        wrong = self.wrong_history()
        if loaded:
            wrong += self.wrong_final_states()
        if self.available_during_outage:
            wrong.append(f"{self.available_during_outage} available while Enode was down")
        if self.flickers:
            wrong.append(f"{self.flickers} unavailable although Enode answered")
        result.wrong_states += len(wrong)
        if expected_outcomes is not None:
            seen = [event.data["state"] for event in self.actions]
            result.outcomes_lost += abs(len(expected_outcomes) - len(seen)) + sum(
                a != b for a, b in zip(expected_outcomes, seen, strict=False)
            )
        secrets = await self.secrets_found()
        result.secrets += len(secrets)
        result.notes += crashes + tracebacks + wrong + secrets
        REPORT.append(result)
        assert result.clean, f"{result.case}: {result} {result.notes}"
        return result
