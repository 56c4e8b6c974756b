"""Translated texts that flows build labels and descriptions from.

Home Assistant's frontend translates a flow's titles, descriptions, errors and the options of a
selector with a ``translation_key``; it cannot translate a label or a sentence that contains
names only known at run time (brands in an outage, zones, Enode Locations). Those come from the
``common`` section of ``strings.json`` ("shared strings"), with the names as placeholders, and the
selectors' own option texts from ``selector``, in Home Assistant's language.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.translation import (
    async_get_cached_translations,
    async_get_translations,
)

from .const import DOMAIN

COMMON = f"component.{DOMAIN}.common"
SELECTOR = f"component.{DOMAIN}.selector"
# The selector whose options name the device types.
ASSET_TYPE_SELECTOR = "asset_type"


@dataclass(frozen=True)
class Texts:
    """The integration's common and selector texts in one language."""

    strings: Mapping[str, str]

    def common(self, key: str, **placeholders: str) -> str:
        """Return a common text with its placeholders filled in.

        Without a text (a translation lacking the key, and no English fallback) the placeholder
        values stand alone, so a label still names what it is about.
        """
        template = self.strings.get(f"{COMMON}.{key}")
        if template is None:
            return " ".join(placeholders.values())
        return template.format(**placeholders)

    def option(self, selector: str, value: str) -> str:
        """Return the text of a selector option (the value itself when it has none)."""
        return self.strings.get(f"{SELECTOR}.{selector}.options.{value}", value)

    def capability(self, name: str) -> str:
        """Return the name of a capability ("start_charging" -> "Starting charging").

        Without a text, the key made readable (a capability nobody has named yet).
        """
        text = self.strings.get(f"{COMMON}.capability_{name}")
        return text if text is not None else name.replace("_", " ").capitalize()

    def asset_type(self, asset_type: str) -> str:
        """Return the name of a device type ("vehicle" -> "Electric vehicle")."""
        return self.option(ASSET_TYPE_SELECTOR, asset_type)


@callback
def cached_texts(hass: HomeAssistant) -> Texts:
    """Return the texts in Home Assistant's language from the translation cache.

    Home Assistant loads an integration's translations when it sets it up, so entities and
    repairs (callbacks that cannot wait) read them from the cache.
    """
    language = hass.config.language
    common = async_get_cached_translations(hass, language, "common", DOMAIN)
    selector = async_get_cached_translations(hass, language, "selector", DOMAIN)
    return Texts({**common, **selector})


async def async_texts(hass: HomeAssistant) -> Texts:
    """Return the integration's common and selector texts in Home Assistant's language."""
    language = hass.config.language
    common = await async_get_translations(hass, language, "common", [DOMAIN])
    selector = await async_get_translations(hass, language, "selector", [DOMAIN])
    return Texts({**common, **selector})
