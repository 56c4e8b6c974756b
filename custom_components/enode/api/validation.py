"""Plausibility of what Enode (or a signed delivery claiming to be from Enode) reports.

The numeric fields of the models declare the range a real device can report (``bounds`` in the
field's metadata, see ``models.py``: a battery level is 0-100 %, a range is not negative). When an
asset is read, a value outside its range (or not finite) is dropped: the field becomes ``None``
(unknown) and the rest of the asset is kept. One debug line per asset names the fields, never
the values (a value may be anything a sender chose).
"""

from __future__ import annotations

from dataclasses import fields, is_dataclass, replace
import logging
import math
from typing import TYPE_CHECKING, Any

from .models import BOUNDS, AssetBase

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

_LOGGER = logging.getLogger(__name__)


def _implausible(value: Any, bounds: tuple[float, float]) -> bool:
    """Return whether a numeric value is outside its bounds (or not a finite number)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    low, high = bounds
    return not (math.isfinite(value) and low <= value <= high)


def without_implausible[M: DataclassInstance](model: M) -> tuple[M, list[str]]:
    """Return the model with every implausible value dropped, and the dropped fields' paths.

    Paths use the wire names (``chargeState.batteryLevel``); nested models are checked too.
    """
    changes: dict[str, Any] = {}
    dropped: list[str] = []
    for fld in fields(model):
        value = getattr(model, fld.name)
        name = fld.metadata.get("alias", fld.name)
        bounds = fld.metadata.get(BOUNDS)
        if bounds is not None and _implausible(value, bounds):
            changes[fld.name] = None
            dropped.append(name)
        elif is_dataclass(value) and not isinstance(value, type):
            checked, inner = without_implausible(value)
            if inner:
                changes[fld.name] = checked
                dropped.extend(f"{name}.{path}" for path in inner)
    if not changes:
        return model, []
    return replace(model, **changes), dropped


def plausible_asset[A: AssetBase](asset: A) -> A:
    """Return an asset without its implausible values (one debug line when some were dropped)."""
    checked, dropped = without_implausible(asset)
    if dropped:
        _LOGGER.debug(
            "Dropped implausible values of a %s: %s", asset.asset_type, ", ".join(dropped)
        )
    return checked
