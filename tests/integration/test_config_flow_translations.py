"""Every step, error, abort, menu option, issue and action of the flows has its text."""

from __future__ import annotations

import json
from pathlib import Path
import re

from homeassistant.core import HomeAssistant
from homeassistant.helpers.translation import async_get_translations
from homeassistant.loader import async_get_integration
import yaml

from custom_components.enode.api import (
    EnodeAuthenticationError,
    EnodeConnectionError,
    EnodeRateLimitError,
    EnodeServerError,
)
from custom_components.enode.helpers import flow_error
from custom_components.enode.repairs import EnodeChargerSuggestionFlow, EnodeLinkRepairFlow
from custom_components.enode.select import OPERATION_MODES, option_of
from custom_components.enode.statistics import CHARGING_STATISTICS, HEM_STATISTICS

COMPONENT = Path(__file__).parents[2] / "custom_components" / "enode"
STRINGS = json.loads((COMPONENT / "strings.json").read_text())
# Abort reasons only the options flow has.
OPTIONS_ONLY_ABORTS = {
    "not_loaded",
    "no_devices",
    "no_chargers",
    "devices_linked",
    "device_relinked",
    "charger_unlinked",
}


def _source(name: str) -> str:
    return (COMPONENT / name).read_text()


def test_strings_and_english_translation_are_identical() -> None:
    """translations/en.json is a copy of strings.json."""
    assert (COMPONENT / "translations" / "en.json").read_text() == (
        COMPONENT / "strings.json"
    ).read_text()


def test_flow_texts() -> None:
    """Steps, errors and abort reasons used by the config and options flows are translated."""
    # The linking steps are shared with the options flow (link_flow.py); the Link UI step (and
    # its aborts) with the repair flows (link.py).
    source = _source("config_flow.py") + _source("link_flow.py") + _source("link.py")
    steps = set(re.findall(r'(?<!next_)step_id="([a-z_]+)"', source))
    errors = set(re.findall(r'errors\[[A-Za-z_"]+\] = "([a-z_]+)"', source))
    errors |= set(re.findall(r'return "([a-z_]+)"', source))
    aborts = set(re.findall(r'reason="([a-z_]+)"', source))
    config, options = STRINGS["config"], STRINGS["options"]
    shared = {"asset_types", "vendor", "link", "link_failed", "link_cancelled", "no_devices"} | {
        "charger_required",
        "charger_recommended",
    }
    for step in steps:
        in_config = step in config["step"]
        in_options = step in options["step"]
        assert in_config or in_options, step
        if step in shared:
            assert in_config, step
            assert in_options, step
    for step in ("user", "existing", "reauth_confirm", "reconfigure"):
        assert step in config["step"]
    for step in (
        "init",
        "relink",
        "charging_location",
        "unlink_charger",
        "unlink_charger_confirm",
    ):
        assert step in options["step"]
    for section in (config, options):
        for step in section["step"].values():
            assert set(step.get("data", {})) == set(step.get("data_description", {}))
            for option in step.get("menu_options", {}):
                assert f"async_step_{option}" in source, option
    # The credential check's errors come from the one mapper (helpers.flow_error).
    errors |= {
        flow_error(error)
        for error in (
            EnodeAuthenticationError("rejected"),
            EnodeRateLimitError("429", retry_after=60),
            EnodeConnectionError("unreachable"),
            EnodeServerError("503"),
            RuntimeError("unexpected"),
        )
    }
    flow_errors = {"invalid_auth", "rate_limited", "cannot_connect", "unknown"}
    assert flow_errors | {"invalid_url", "no_asset_types"} <= errors
    assert errors - {"zone_not_found", "location_not_found"} <= set(config["error"])
    assert {"zone_not_found", "location_not_found", "cannot_connect"} <= set(options["error"])
    assert aborts - OPTIONS_ONLY_ABORTS <= set(config["abort"])
    assert set(options["abort"]) >= OPTIONS_ONLY_ABORTS


def test_abort_reasons_home_assistant_raises() -> None:
    """Aborts raised by Home Assistant's helpers (not by a literal reason=) have texts too."""
    source = _source("config_flow.py")
    # async_set_unique_id (another flow for the same user), _abort_if_unique_id_configured,
    # async_update_reload_and_abort (reauth / reconfigure) and the mismatch check.
    assert "async_set_unique_id(" in source
    assert "_abort_if_unique_id_configured()" in source
    assert "async_update_reload_and_abort(" in source
    raised = {"already_in_progress", "already_configured", "reauth_successful"}
    raised |= {"reconfigure_successful"}
    assert raised <= set(STRINGS["config"]["abort"])
    # Every abort text is one the flows can show (no leftovers).
    literal = set(re.findall(r'reason="([a-z_]+)"', source + _source("link_flow.py")))
    literal |= set(re.findall(r'reason="([a-z_]+)"', _source("link.py")))
    assert set(STRINGS["config"]["abort"]) == (raised | literal) - OPTIONS_ONLY_ABORTS


def test_link_failed_texts_are_readable() -> None:
    """The Link UI error is one readable sentence: no raw code and message in parentheses."""
    texts = [
        STRINGS[section]["step"]["link_failed"]["description"] for section in ("config", "options")
    ]
    texts += [
        issue["fix_flow"]["step"]["link_failed"]["description"]
        for issue in STRINGS["issues"].values()
        if "fix_flow" in issue
    ]
    for text in texts:
        assert "{reason} " in text, text
        assert "{error" not in text, text
    # A cancel is explained in the user's language, without Link UI's text.
    cancelled = [
        STRINGS[section]["step"]["link_cancelled"]["description"]
        for section in ("config", "options")
    ]
    cancelled += [
        issue["fix_flow"]["step"]["link_cancelled"]["description"]
        for issue in STRINGS["issues"].values()
        if "fix_flow" in issue
    ]
    assert len(cancelled) == len(texts)
    for text in cancelled:
        assert "You cancelled linking" in text, text
        assert "{" not in text, text


def test_vendor_texts() -> None:
    """The brand step names readable device types and adds the outage sentence only if needed."""
    for section in ("config", "options"):
        description = STRINGS[section]["step"]["vendor"]["description"]
        # The outages placeholder is a whole sentence (or nothing), appended to a sentence; the
        # charger note (seed 004: mandatory charger linking said upfront) a paragraph after it.
        assert ".{outages}{charger_note}\n\n" in description, description
        # Seed 004: the first step says upfront that a vehicle may need its charger too.
        types = STRINGS[section]["step"]["asset_types"]["description"]
        assert "only through a linked home charger" in types, types
    note = STRINGS["common"]["vendor_outages"]
    assert "{brands}" in note
    assert note.endswith(".")
    # The brand choice that leaves the brand to Link UI is a translated option of the selector.
    assert STRINGS["selector"]["vendor"]["options"]["link_ui"]


def capability_names() -> set[str]:
    """Return the capability names entity commands check (``raise_if_unusable``)."""
    platforms = "".join(_source(path.name) for path in COMPONENT.glob("*.py"))
    names = set(re.findall(r'raise_if_unusable\([^)]*?,\s*"([a-z_]+)"\)', platforms))
    names |= set(re.findall(r'capability_name="([a-z_]+)"', platforms))
    # A battery's operation mode select checks the capability of the mode chosen.
    names |= {option_of(mode) for mode in OPERATION_MODES}
    assert names
    return names


def test_common_texts() -> None:
    """Every common text the code builds a label, sentence or page from exists, and is used.

    Common texts are whole labels or sentences with the run-time names as placeholders; the
    selector section holds only the options of real selectors (no sentences smuggled in).
    """
    source = _source("link_flow.py") + _source("locations.py") + _source("link.py")
    source += _source("texts.py") + _source("config_flow.py") + _source("statistics.py")
    used = set(re.findall(r"\.common\(\s*[\"']([a-z_]+)[\"']", source))
    # The statistics' series names (statistics.py names each statistic from its key).
    used |= {f"statistic_{key}" for _, key in HEM_STATISTICS}
    used |= {f"statistic_{key}" for key in CHARGING_STATISTICS}
    # Capability names: every capability an entity command checks (raise_if_unusable).
    used |= {f"capability_{name}" for name in capability_names()}
    # The unlink confirmation picks its sentence per vehicle from a table.
    used |= set(re.findall(r'= "(unlink_[a-z_]+)"', _source("config_flow.py")))
    pages = set(re.findall(r'= "(link_page_[a-z_]+)"', source))
    used |= {f"{page}_{part}" for page in pages for part in ("title", "message")}
    assert pages
    assert used == set(STRINGS["common"])
    selectors = set(re.findall(r'_SELECTOR = "([a-z_]+)"', source))
    selectors |= set(re.findall(r'translation_key="([a-z_]+)"', _source("config_flow.py")))
    assert selectors == set(STRINGS["selector"])


def test_link_ui_is_explained_before_it_opens() -> None:
    """What to do in Link UI is said on the forms submitted to open it.

    The frontend opens Link UI as soon as the external step arrives, and (2026.2) shows no text
    of ours on it (a config flow's would be at config.<step_id>, which hassfest rejects; an
    options or repair flow's external step has none): the step before says it.
    """
    for section in ("config", "options"):
        vendor = STRINGS[section]["step"]["vendor"]["description"]
        assert "opens in a new window" in vendor, vendor
        assert "sign in to your brand's account" in vendor, vendor
    relink = STRINGS["options"]["step"]["relink"]["description"]
    assert "opens in a new window" in relink
    for key, issue in STRINGS["issues"].items():
        if "fix_flow" in issue:
            # (the charger suggestion starts with a menu: link the charger, or stop suggesting it)
            first = "suggest" if key == "charger_recommended" else "confirm"
            assert "Enode Link UI" in issue["fix_flow"]["step"][first]["description"], key


def test_issue_texts() -> None:
    """Every issue type has a title and, when fixable, texts for every fix-flow step."""
    source = _source("repairs.py") + _source("link.py")
    keys = set(re.findall(r'^ISSUE_[A-Z_]+ = "([a-z_]+)"', source, re.MULTILINE))
    assert keys == set(STRINGS["issues"])
    # Every step of the fix flow but the two that show nothing (init goes on to confirm, done
    # closes the issue).
    steps = {
        name.removeprefix("async_step_")
        for name in dir(EnodeLinkRepairFlow)
        if name.startswith("async_step_")
    } - {"init", "done"}
    assert {"confirm", "link", "link_failed", "link_cancelled"} <= steps
    # The charger suggestion starts with a menu (link, or stop suggesting it) instead.
    suggestion = {
        name.removeprefix("async_step_")
        for name in dir(EnodeChargerSuggestionFlow)
        if name.startswith("async_step_")
    } - {"init", "done", "confirm", "dismiss"}
    assert "suggest" in suggestion
    aborts = set(re.findall(r'reason="([a-z_]+)"', source))
    for key, issue in STRINGS["issues"].items():
        assert "title" in issue
        if "fix_flow" in issue:
            expected = suggestion if key == "charger_recommended" else steps
            assert set(issue["fix_flow"]["step"]) == expected, key
            assert set(issue["fix_flow"]["abort"]) == aborts, key
        else:
            assert "description" in issue
    menu = STRINGS["issues"]["charger_recommended"]["fix_flow"]["step"]["suggest"]["menu_options"]
    assert {f"async_step_{option}" for option in menu} <= set(dir(EnodeChargerSuggestionFlow))


def test_action_texts() -> None:
    """Every action and field in services.yaml has a name and description; errors exist."""
    services = yaml.safe_load((COMPONENT / "services.yaml").read_text())
    assert set(services) == set(STRINGS["services"])
    for name, service in services.items():
        texts = STRINGS["services"][name]
        assert texts["name"]
        assert texts["description"]
        assert set(service["fields"]) == set(texts["fields"])
    icons = json.loads((COMPONENT / "icons.json").read_text())
    assert set(icons["services"]) == set(services)
    keys = set(re.findall(r'_validation_error\(\s*"([a-z_]+)"', _source("services.py")))
    keys |= set(re.findall(r'LocationError\("([a-z_]+)"', _source("locations.py")))
    keys |= set(re.findall(r'translation_key="([a-z_]+)"', _source("services.py")))
    assert keys
    assert keys <= set(STRINGS["exceptions"])


def _strings(node: object, path: str = "") -> list[tuple[str, str]]:
    """Return every (path, text) of a translations tree."""
    if isinstance(node, dict):
        return [item for key, value in node.items() for item in _strings(value, f"{path}.{key}")]
    assert isinstance(node, str), path
    return [(path, node)]


def test_no_unresolved_key_references() -> None:
    """A custom integration's translations are shown as written: no ``[%key:...]`` references.

    Home Assistant core resolves such references when it builds ``translations/en.json`` from
    ``strings.json``; for a custom integration nothing does, so the user would see the raw key.
    """
    english = json.loads((COMPONENT / "translations" / "en.json").read_text())
    texts = _strings(english)
    assert texts
    assert [path for path, text in texts if "[%key:" in text] == []


async def test_home_assistant_serves_literal_flow_errors(hass: HomeAssistant) -> None:
    """What Home Assistant hands the frontend for the flow errors is readable text."""
    await async_get_integration(hass, "enode")
    translations = await async_get_translations(hass, "en", "config", ["enode"])
    for key in ("invalid_auth", "cannot_connect", "unknown"):
        text = translations[f"component.enode.config.error.{key}"]
        assert text
        assert not text.startswith("[%key:"), text
    assert "already set up" in translations["component.enode.config.abort.already_configured"]


async def test_every_enum_sensor_state_has_its_text(hass: HomeAssistant) -> None:
    """Every state an enum sensor can take is translated where Home Assistant looks for it (the
    charger pairing's "Charger required" and "Cleared" say why charging control is off)."""
    from custom_components.enode import sensor

    await async_get_integration(hass, "enode")
    translations = await async_get_translations(hass, "en", "entity", ["enode"])
    descriptions = [
        description
        for name in dir(sensor)
        if name.endswith("_SENSORS")
        for description in getattr(sensor, name)
    ]
    enums = [description for description in descriptions if description.options]
    assert "charger_pairing" in {description.key for description in enums}
    missing = [
        f"{description.translation_key}.{option}"
        for description in enums
        for option in description.options or []
        if not translations.get(
            f"component.enode.entity.sensor.{description.translation_key}.state.{option}"
        )
    ]
    assert missing == []
    pairing = "component.enode.entity.sensor.charger_pairing.state"
    assert translations[f"{pairing}.required"] == "Charger required"
    assert translations[f"{pairing}.cleared"].startswith("Cleared")
