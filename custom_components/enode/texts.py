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

from homeassistant.core import HomeAssistant
from homeassistant.helpers.translation import async_get_translations

from .const import DOMAIN

COMMON = f"component.{DOMAIN}.common"
SELECTOR = f"component.{DOMAIN}.selector"


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


async def async_texts(hass: HomeAssistant) -> Texts:
    """Return the integration's common and selector texts in Home Assistant's language."""
    language = hass.config.language
    common = await async_get_translations(hass, language, "common", [DOMAIN])
    selector = await async_get_translations(hass, language, "selector", [DOMAIN])
    return Texts({**common, **selector})
