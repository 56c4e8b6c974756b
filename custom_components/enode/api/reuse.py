"""Reading an asset again: only what changed on the wire is parsed again.

Enode sends an asset whole, every time: a pushed update of a vehicle's battery level carries its
information, capabilities, location and smart charging policy too, and a refresh lists every
asset whether it changed or not. ``AssetParser`` remembers, per asset id, the wire payload it last
parsed and the model it made of it:

* the same payload again gives the same model (the very object, so anything that compares
  snapshots by identity sees nothing changed);
* a payload of which only some top-level sections changed (``chargeState`` and ``lastSeen``, say)
  parses only those sections; every other section is the object parsed before.

The result is always equal to ``model.from_dict(payload)`` (``tests/api/test_reuse.py`` checks
this for every section of every asset type being changed, added, removed or nulled), including
the plausibility checks, which the changed sections go through as a whole parse would.
"""

from __future__ import annotations

from dataclasses import fields, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any, get_type_hints

from .models import AssetBase, EnodeModel, parse_datetime
from .validation import without_implausible

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

_MISSING = object()


# How a top-level field is read on its own: a nested model, or a timestamp.
_MODEL, _TIMESTAMP, _OTHER = "model", "timestamp", "other"
_FIELDS: dict[type[AssetBase], dict[str, tuple[str, str, Any]]] = {}


def _wire_fields(model: type[AssetBase]) -> dict[str, tuple[str, str, Any]]:
    """Return a model's fields by wire name: attribute, how it is read alone, and its type
    (worked out once per class)."""
    if (known := _FIELDS.get(model)) is None:
        hints = get_type_hints(model)
        known = {}
        for fld in fields(model):
            hint = hints[fld.name]
            kind = _OTHER
            if isinstance(hint, type) and issubclass(hint, EnodeModel):
                kind = _MODEL
            elif hint == datetime | None:
                kind = _TIMESTAMP
            known[fld.metadata.get("alias", fld.name)] = (fld.name, kind, hint)
        _FIELDS[model] = known
    return known


def copy_with[T: DataclassInstance](obj: T, changes: dict[str, Any]) -> T:
    """Return a copy of a frozen dataclass with some fields changed (``dataclasses.replace``
    without its cost while the class has no ``__post_init__``; only its fields are copied, never
    what a ``cached_property`` kept). Used where every pushed update makes one: of an asset, of
    the snapshot."""
    if hasattr(obj, "__post_init__"):  # a class that checks itself: the dataclass way
        return replace(obj, **changes)
    copy = object.__new__(type(obj))
    state = {name: obj.__dict__[name] for name in _field_names(type(obj))}
    state.update(changes)
    object.__setattr__(copy, "__dict__", state)
    return copy


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def _field_names(model: type) -> tuple[str, ...]:
    if (names := _FIELD_NAMES.get(model)) is None:
        names = _FIELD_NAMES[model] = tuple(fld.name for fld in fields(model))
    return names


class AssetParser:
    """Parses assets, reusing what was parsed before of sections that did not change."""

    def __init__(self) -> None:
        """Remember nothing yet."""
        # By asset id: the model class, the payload last parsed, and what it was parsed into.
        self._seen: dict[str, tuple[type[AssetBase], dict[str, Any], AssetBase]] = {}
        # The ids each list read (a user's assets of one type) returned last time.
        self._listed: dict[tuple[str, type[AssetBase]], set[str]] = {}

    def __len__(self) -> int:
        """Return how many assets are remembered."""
        return len(self._seen)

    def parse[A: AssetBase](self, model: type[A], payload: dict[str, Any]) -> A:
        """Return ``model.from_dict(payload)``, reusing the previous parse's unchanged parts.

        Raises what ``from_dict`` raises for a malformed payload (and forgets the asset): when
        reading only the changed sections fails, the whole payload is parsed, which raises
        ``from_dict``'s own error.
        """
        asset_id = payload.get("id")
        seen = self._seen.get(asset_id) if isinstance(asset_id, str) else None
        try:
            if seen is None or seen[0] is not model:
                asset = model.from_dict(payload)
            else:
                try:
                    asset = self._parse_changes(model, payload, seen[1], seen[2])
                except (ValueError, TypeError, LookupError):
                    asset = model.from_dict(payload)
        except Exception:
            if isinstance(asset_id, str):
                self._seen.pop(asset_id, None)
            raise
        self._seen[asset.id] = (model, payload, asset)
        return asset

    @staticmethod
    def _parse_changes[A: AssetBase](
        model: type[A], payload: dict[str, Any], before: dict[str, Any], previous: AssetBase
    ) -> A:
        """Return the asset of ``payload``, parsing only the sections unlike ``before``'s."""
        assert isinstance(previous, model)
        if payload == before:
            return previous
        known = _wire_fields(model)
        changed = [key for key in known if payload.get(key, _MISSING) != before.get(key, _MISSING)]
        if not changed:  # only keys the model does not read changed
            return previous
        changes: dict[str, Any] = {}
        rest: list[str] = []
        for key in changed:
            attribute, kind, hint = known[key]
            value = payload.get(key, _MISSING)
            if kind == _MODEL and isinstance(value, dict):
                section = hint.from_dict(value)
                checked, dropped = without_implausible(section)
                if not dropped:
                    changes[attribute] = checked
                    continue
            elif kind == _TIMESTAMP and (value is None or isinstance(value, str)):
                changes[attribute] = None if value is None else parse_datetime(value)
                continue
            rest.append(key)  # missing, null, implausible or plain: as a whole parse reads it
        if rest:
            # Those sections alone (with the required id): absent ones become their defaults
            # and the plausibility checks run on them (and log), as in a whole parse.
            sections = {key: payload[key] for key in rest if key in payload}
            partial = model.from_dict({"id": payload["id"], **sections})
            for key in rest:
                attribute = known[key][0]
                changes[attribute] = getattr(partial, attribute)
        return copy_with(previous, changes)

    def forget_unlisted(self, user_id: str, model: type[AssetBase], listed: set[str]) -> None:
        """Forget the assets of a user and type that a list read no longer returns."""
        key = (user_id, model)
        for asset_id in self._listed.get(key, set()) - listed:
            self._seen.pop(asset_id, None)
        self._listed[key] = listed

    def forget(self, asset_id: str) -> None:
        """Forget an asset (deleted at Enode)."""
        self._seen.pop(asset_id, None)
