"""The rules hassfest applies to a custom integration's translation files, written for our tests.

hassfest (Home Assistant core's ``script/hassfest``, which the ``home-assistant/actions/hassfest``
GitHub action runs against every ``manifest.json`` of a repository) is not installable from PyPI:
these are its rules for ``strings.json`` and ``translations/en.json`` as they stand in core's
``script/hassfest/translations.py`` (read 2026), restated with voluptuous and Home Assistant's own
config validators. What a custom integration gets:

* the known sections only (``config``, ``options``, ``entity``, ``exceptions``, ``issues``,
  ``services``, ``selector``, ``common``, ...): anything else, such as ``config.link``, is an
  extra key;
* in a data entry flow (config, options, a repair's fix flow): ``step`` with ``title``,
  ``description``, ``data``, ``data_description`` (only for keys in ``data``), ``menu_options``,
  ``menu_option_descriptions``, ``submit``, ``sections``; ``error``, ``abort``, ``progress``,
  ``create_entry``, ``initiate_flow``;
* every text: no HTML, no placeholder in single quotes, placeholders that are identifiers, no
  combined ``[%key:...%]`` reference, no leading or trailing spaces, and no URL (URLs go in
  description placeholders); entity states and state-attribute names take no placeholders;
* keys of states, selector options, services and their fields: ``[a-z0-9-_]`` without a leading,
  trailing or doubled ``-``/``_``.
"""

from __future__ import annotations

import re
import string
from typing import Any

from homeassistant.helpers import config_validation as cv
import voluptuous as vol

_TRANSLATION_KEY = re.compile(r"^(?!.+[_-]{2})(?![_-])[a-z0-9-_]+(?<![_-])$")
_COMBINED_REFERENCE = re.compile(r"(.+\[%)|(%\].+)")
_QUOTED_PLACEHOLDER = re.compile(r"'{\w+}'")
_URL = re.compile(
    r"(((ftp|ftps|scp|http|https|mqtt|mqtts|socket|socks5):\/\/|www\.)"
    r"[a-z0-9]+([\-\.]{1}[a-z0-9]+)*\.[a-z]{2,5}(:[0-9]{1,5})?(\/.*)?)",
    re.IGNORECASE,
)


def translation_key(value: str) -> str:
    """A state, option, service or field key."""
    if _TRANSLATION_KEY.match(value) is None:
        raise vol.Invalid(f"invalid translation key {value!r}")
    return value


def _text(value: Any, *, placeholders: bool = True) -> str:
    text = cv.string_with_no_html(value)
    if _QUOTED_PLACEHOLDER.search(text):
        raise vol.Invalid("the string should not contain placeholders inside single quotes")
    for _, field, _, _ in string.Formatter().parse(text):
        if field:
            if not placeholders:
                raise vol.Invalid("placeholders are not supported in this value")
            if not field.isidentifier():
                raise vol.Invalid("placeholders must be valid identifiers")
    if _COMBINED_REFERENCE.search(text):
        raise vol.Invalid("the string should not contain combined translations")
    if text != text.strip():
        raise vol.Invalid("the string should not contain leading or trailing spaces")
    if _URL.search(text):
        raise vol.Invalid("the string should not contain URLs, use description placeholders")
    return text


def text(value: Any) -> str:
    """A translated text."""
    return _text(value)


def plain_text(value: Any) -> str:
    """A translated text without placeholders (entity states)."""
    return _text(value, placeholders=False)


def _data_descriptions_in_data(value: dict[str, Any]) -> dict[str, Any]:
    for step in value["step"].values():
        for key in step.get("data_description", {}):
            if key not in step.get("data", {}):
                raise vol.Invalid(f"data_description key {key} is not in data")
    return value


def data_entry_flow(*, config_flow: bool = False, subentry: bool = False) -> vol.All:
    """The texts of a data entry flow (config, options, a repair's fix flow)."""
    schema: dict[vol.Marker, Any] = {
        vol.Optional("flow_title"): text,
        vol.Required("step"): {
            str: {
                vol.Optional("title"): text,
                vol.Optional("description"): text,
                vol.Optional("data"): {str: text},
                vol.Optional("data_description"): {str: text},
                vol.Optional("menu_options"): {str: text},
                vol.Optional("menu_option_descriptions"): {str: text},
                vol.Optional("submit"): text,
                vol.Optional("sections"): {
                    str: {
                        vol.Optional("data"): {str: text},
                        vol.Optional("data_description"): {str: text},
                        vol.Optional("description"): text,
                        vol.Optional("name"): text,
                    }
                },
            }
        },
        vol.Optional("error"): {str: text},
        vol.Optional("abort"): {str: text},
        vol.Optional("progress"): {str: text},
        vol.Optional("create_entry"): {str: text},
    }
    if subentry:
        schema[vol.Required("entry_type")] = text
        schema[vol.Required("initiate_flow")] = {vol.Required("user"): text, str: text}
    else:
        schema[vol.Optional("initiate_flow")] = {vol.Required("user"): text}
    if config_flow:
        # A config flow title moved to the root long ago: only a warning for a custom integration.
        schema[vol.Optional("title")] = text
    return vol.All(vol.Schema(schema), _data_descriptions_in_data)


def _slug_keys(value_schema: Any, key: Any = translation_key) -> Any:
    return cv.schema_with_slug_keys(value_schema, slug_validator=key)


_ISSUES = {
    str: vol.All(
        cv.has_at_least_one_key("description", "fix_flow"),
        vol.Schema(
            {
                vol.Required("title"): text,
                vol.Exclusive("description", "fixable"): text,
                vol.Exclusive("fix_flow", "fixable"): data_entry_flow(),
            }
        ),
    )
}

_FIELDS = _slug_keys(
    {
        vol.Required("name"): str,
        vol.Required("description"): text,
        vol.Optional("example"): text,
    }
)

_STATES = _slug_keys(plain_text)

STRINGS_SCHEMA = vol.Schema(
    {
        vol.Optional("title"): text,
        vol.Optional("config"): data_entry_flow(config_flow=True),
        vol.Optional("config_subentries"): _slug_keys(
            data_entry_flow(subentry=True), key=vol.Any("_", cv.slug)
        ),
        vol.Optional("preview_features"): _slug_keys(
            {
                vol.Required("name"): text,
                vol.Required("description"): text,
                vol.Optional("enable_confirmation"): text,
                vol.Optional("disable_confirmation"): text,
            }
        ),
        vol.Optional("options"): data_entry_flow(),
        vol.Optional("selector"): _slug_keys(
            {
                vol.Optional("choices"): _slug_keys(text),
                vol.Optional("options"): _slug_keys(text),
                vol.Optional("unit_of_measurement"): _slug_keys(text),
                vol.Optional("fields"): _slug_keys(
                    {vol.Required("name"): str, vol.Required("description"): text}
                ),
            },
            key=vol.Any("_", cv.slug),
        ),
        vol.Optional("device_automation"): {
            vol.Optional(section): {str: text}
            for section in (
                "action_type",
                "condition_type",
                "trigger_type",
                "trigger_subtype",
                "extra_fields",
                "extra_fields_descriptions",
            )
        },
        vol.Optional("system_health"): {vol.Optional("info"): _slug_keys(text)},
        vol.Optional("application_credentials"): {vol.Optional("description"): text},
        vol.Optional("config_panel"): vol.Schema(
            vol.Any({vol.Any(translation_key, "_"): vol.Self}, text)
        ),
        vol.Optional("issues"): _ISSUES,
        vol.Optional("entity_component"): _slug_keys(
            {
                vol.Optional("name"): str,
                vol.Optional("state"): _STATES,
                vol.Optional("state_attributes"): _slug_keys(
                    {vol.Optional("name"): str, vol.Optional("state"): _STATES}
                ),
            },
            key=vol.Any("_", cv.slug),
        ),
        vol.Optional("device"): _slug_keys({vol.Optional("name"): text}),
        vol.Optional("entity"): _slug_keys(
            _slug_keys(
                {
                    vol.Optional("name"): text,
                    vol.Optional("state"): _STATES,
                    vol.Optional("state_attributes"): _slug_keys(
                        {vol.Optional("name"): plain_text, vol.Optional("state"): _STATES}
                    ),
                    vol.Optional("unit_of_measurement"): plain_text,
                }
            ),
            key=cv.slug,
        ),
        vol.Optional("exceptions"): _slug_keys({vol.Optional("message"): text}, key=cv.slug),
        vol.Optional("services"): _slug_keys(
            {
                vol.Required("name"): text,
                vol.Required("description"): text,
                vol.Optional("fields"): _FIELDS,
                vol.Optional("sections"): _slug_keys(
                    {vol.Required("name"): str, vol.Optional("description"): text}
                ),
            }
        ),
        vol.Optional("conditions"): _slug_keys(
            {
                vol.Required("name"): text,
                vol.Required("description"): text,
                vol.Optional("fields"): _FIELDS,
            },
            key=cv.underscore_slug,
        ),
        vol.Optional("triggers"): _slug_keys(
            {
                vol.Required("name"): text,
                vol.Required("description"): text,
                vol.Optional("fields"): _FIELDS,
            },
            key=cv.underscore_slug,
        ),
        vol.Optional("conversation"): {vol.Required("agent"): {vol.Required("done"): text}},
        # Shared texts: whole sentences or labels, keyed by slug.
        vol.Optional("common"): vol.Schema({cv.slug: text}),
    }
)


def validate_strings(strings: dict[str, Any]) -> None:
    """Raise ``vol.Invalid`` where hassfest would report the translation file invalid."""
    STRINGS_SCHEMA(strings)
