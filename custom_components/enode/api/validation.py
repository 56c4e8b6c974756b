"""Plausibility of what Enode (or a signed delivery claiming to be from Enode) reports.

The numeric fields of the models declare the range a real device can report (``bounds`` in the
field's metadata, see ``models.py``: a battery level is 0-100 %, a range is not negative). When an
asset is read, a value outside its range (or not finite) is dropped: the field becomes ``None``
(unknown) and the rest of the asset is kept. One debug line per asset names the fields, never
the values (a value may be anything a sender chose).
"""

from __future__ import annotations

from dataclasses import fields, is_dataclass, replace
from functools import cache
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


type _Bounded = tuple[tuple[str, str, tuple[float, float]], ...]
type _Others = tuple[tuple[str, str], ...]


@cache
def _plan(cls: type[DataclassInstance]) -> tuple[_Bounded, _Others]:
    """Return a model class's fields with bounds and the others (each with its wire name).

    Worked out once per class: every pushed or read asset is checked (README "Performance").
    """
    bounded: list[tuple[str, str, tuple[float, float]]] = []
    others: list[tuple[str, str]] = []
    for fld in fields(cls):
        name = fld.metadata.get("alias", fld.name)
        if (bounds := fld.metadata.get(BOUNDS)) is not None:
            bounded.append((fld.name, name, bounds))
        else:
            others.append((fld.name, name))
    return tuple(bounded), tuple(others)


def without_implausible[M: DataclassInstance](model: M) -> tuple[M, list[str]]:
    """Return the model with every implausible value dropped, and the dropped fields' paths.

    Paths use the wire names (``chargeState.batteryLevel``); nested models are checked too.
    """
    changes: dict[str, Any] = {}
    dropped: list[str] = []
    bounded, others = _plan(type(model))
    for attribute, name, bounds in bounded:
        if _implausible(getattr(model, attribute), bounds):
            changes[attribute] = None
            dropped.append(name)
    for attribute, name in others:
        value = getattr(model, attribute)
        if is_dataclass(value) and not isinstance(value, type):
            checked, inner = without_implausible(value)
            if inner:
                changes[attribute] = checked
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
