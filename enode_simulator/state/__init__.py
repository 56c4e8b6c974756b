"""The simulator's state model: users, assets, actions, locations, link sessions and tokens.

Everything the API exposes is computed from this model by ``render_*`` methods, so derived values
(EV charger pairing, location inference, charge-rate fallback) are always consistent. Every change
Enode would report by webhook goes through :meth:`SimState.emit`: call :meth:`SimState.sync` after
mutating assets and it emits ``user:<type>:discovered|updated|deleted`` with ``updatedFields``.

:class:`SimState` is composed of one mixin per concern; ``core.py`` says which module holds what.
Import from this package (``from enode_simulator.state import SimState, ApiError, Asset``), not
from its modules.
"""

from __future__ import annotations

from .actions import (
    CANCELLED_DETAIL,
    CHARGER_UNREACHABLE_DETAIL,
    CONFLICT_DETAIL,
    DEADLINE_PATTERN,
    NOT_FOUND_DETAIL,
    OPERATION_MODE_CAPABILITY,
    UNPLUGGED_DETAIL,
    UNREACHABLE_DETAIL,
    VEHICLE_ALONE_DETAIL,
)
from .core import SimState
from .errors import ApiError, bad_request, not_found
from .locations import EARTH_RADIUS_M, distance_m
from .model import (
    CAPABILITIES,
    JSON,
    Action,
    Asset,
    Capability,
    LinkSession,
    Listener,
    Settings,
    SmartCharging,
    Tariff,
    User,
    VendorAccount,
)
from .render import changed_fields

__all__ = [
    "CANCELLED_DETAIL",
    "CAPABILITIES",
    "CHARGER_UNREACHABLE_DETAIL",
    "CONFLICT_DETAIL",
    "DEADLINE_PATTERN",
    "EARTH_RADIUS_M",
    "JSON",
    "NOT_FOUND_DETAIL",
    "OPERATION_MODE_CAPABILITY",
    "UNPLUGGED_DETAIL",
    "UNREACHABLE_DETAIL",
    "VEHICLE_ALONE_DETAIL",
    "Action",
    "ApiError",
    "Asset",
    "Capability",
    "LinkSession",
    "Listener",
    "Settings",
    "SimState",
    "SmartCharging",
    "Tariff",
    "User",
    "VendorAccount",
    "bad_request",
    "changed_fields",
    "distance_m",
    "not_found",
]
