"""A local simulator of the Enode API (2024-10-01), its Link UI and webhooks (not shipped)."""

from __future__ import annotations

from .scenario import available_scenarios, generate_fleet, load_scenario
from .simulator import Simulator
from .state import ApiError, SimState

__all__ = [
    "ApiError",
    "SimState",
    "Simulator",
    "available_scenarios",
    "generate_fleet",
    "load_scenario",
]
