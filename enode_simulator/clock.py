"""The simulated clock: real time plus an offset that tests and scenarios can advance."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache
import time


class SimClock:
    """Wall-clock time shifted by ``offset`` seconds; ``advance()`` moves it forward."""

    def __init__(self, offset: float = 0.0) -> None:
        """Start at real time plus ``offset`` seconds."""
        self.offset = offset

    def now(self) -> float:
        """Simulated time as a POSIX timestamp."""
        return time.time() + self.offset

    def now_dt(self) -> datetime:
        """Simulated time as an aware UTC datetime."""
        return datetime.fromtimestamp(self.now(), UTC)

    def advance(self, seconds: float) -> None:
        """Move simulated time forward (never backward)."""
        if seconds < 0:
            raise ValueError("time can only move forward")
        self.offset += seconds


@lru_cache(maxsize=4096)
def iso(timestamp: float) -> str:
    """Enode's timestamp format: ``2024-01-07T17:04:26.000Z``."""
    moment = datetime.fromtimestamp(timestamp, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def parse_iso(value: str) -> float:
    """Parse an ISO 8601 timestamp (``Z`` or offset) into a POSIX timestamp."""
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()
