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
from types import UnionType
from typing import TYPE_CHECKING, Any, Union, get_args, get_origin, get_type_hints

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
type _Nested = tuple[tuple[str, str], ...]


def _model_types(hint: object) -> list[type]:
    """Return the models a field's type can hold directly (``Model``, ``Model | None``)."""
    if isinstance(hint, type) and is_dataclass(hint):
        return [hint]
    if get_origin(hint) in (Union, UnionType):
        return [model for arg in get_args(hint) for model in _model_types(arg)]
    return []


@cache
def _plan(cls: type[DataclassInstance]) -> tuple[_Bounded, _Nested]:
    """Return a model class's fields with bounds, and those holding a model that has some
    (each with its wire name).

    Worked out once per class: every pushed or read asset is checked (README "Performance"),
    and most of a model's fields (texts, times, capabilities) can hold nothing implausible.
    """
    try:
        hints: dict[str, object] | None = get_type_hints(cls)
    except (NameError, TypeError):  # not resolvable: look into every value
        hints = None
    bounded: list[tuple[str, str, tuple[float, float]]] = []
    nested: list[tuple[str, str]] = []
    for fld in fields(cls):
        name = fld.metadata.get("alias", fld.name)
        if (bounds := fld.metadata.get(BOUNDS)) is not None:
            bounded.append((fld.name, name, bounds))
        elif (
            hints is None
            or fld.name not in hints
            or any(_checked(model) for model in _model_types(hints[fld.name]))
        ):
            nested.append((fld.name, name))
    return tuple(bounded), tuple(nested)


def _checked(cls: type) -> bool:
    """Return whether a model (or one it holds) has a field with bounds."""
    bounded, nested = _plan(cls)
    return bool(bounded or nested)


def without_implausible[M: DataclassInstance](model: M) -> tuple[M, list[str]]:
    """Return the model with every implausible value dropped, and the dropped fields' paths.

    Paths use the wire names (``chargeState.batteryLevel``); nested models are checked too.
    """
    changes: dict[str, Any] = {}
    dropped: list[str] = []
    bounded, nested = _plan(type(model))
    for attribute, name, bounds in bounded:
        if _implausible(getattr(model, attribute), bounds):
            changes[attribute] = None
            dropped.append(name)
    for attribute, name in nested:
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
