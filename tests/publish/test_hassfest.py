"""hassfest's checks of a custom integration, run on ours (see ``hassfest_rules.py``).

The ``home-assistant/actions/hassfest`` action (``.github/workflows/validate.yml``) validates
every ``manifest.json`` in the repository: the manifest, ``strings.json`` and
``translations/en.json``, ``services.yaml`` and ``icons.json``. It cannot run here (it is a
Docker image of Home Assistant's development tree); these tests apply the same rules.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
import re
from typing import Any

from awesomeversion import AwesomeVersion, AwesomeVersionStrategy
from homeassistant.const import Platform
from homeassistant.helpers import config_validation as cv, selector
import pytest
import voluptuous as vol
import yaml

from .hassfest_rules import translation_key, validate_strings

ROOT = Path(__file__).parents[2]
COMPONENT = ROOT / "custom_components" / "enode"
TRANSLATION_FILES = [COMPONENT / "strings.json", COMPONENT / "translations" / "en.json"]


def _load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text())
    return data


@pytest.mark.parametrize("path", TRANSLATION_FILES, ids=lambda path: path.name)
def test_translation_files_pass_hassfest(path: Path) -> None:
    """strings.json and translations/en.json follow hassfest's translation schema."""
    validate_strings(_load(path))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        # What hassfest reported for this integration: a config flow external step's description
        # at config.<step_id> (where the 2026.2 frontend looks for it) is not allowed.
        (
            lambda s: s["config"].__setitem__("link", {"description": "Finish in Link UI."}),
            "extra keys not allowed",
        ),
        (
            lambda s: s["config"]["step"]["user"]["data_description"].__setitem__(
                "api_url", "For the simulator: http://localhost.example:8234"
            ),
            "URLs",
        ),
        (
            lambda s: s["config"]["step"]["user"]["data_description"].__setitem__(
                "unknown_field", "No such field."
            ),
            "not in data",
        ),
        (
            lambda s: s["entity"]["sensor"]["charge_rate"].__setitem__("name", " Charge rate"),
            "leading or trailing spaces",
        ),
        (
            lambda s: s["exceptions"]["not_a_charger"].__setitem__("message", "'{device}' is not"),
            "single quotes",
        ),
        (
            lambda s: s["common"].__setitem__("Bad-Key", "A text."),
            "invalid slug",
        ),
        (
            lambda s: s["entity"]["sensor"]["power_delivery_state"]["state"].__setitem__(
                "unplugged", "Unplugged {since}"
            ),
            "placeholders are not supported",
        ),
        (
            lambda s: s["selector"]["asset_type"]["options"].__setitem__("_hvac", "HVAC"),
            "invalid translation key",
        ),
    ],
    ids=["config.link", "url", "data_description", "spaces", "quoted", "common", "state", "key"],
)
def test_the_rules_catch_what_hassfest_catches(change: Any, message: str) -> None:
    """The schema is strict where hassfest is: each of these breaks the file."""
    strings = copy.deepcopy(_load(COMPONENT / "strings.json"))
    validate_strings(strings)
    change(strings)
    with pytest.raises(vol.Invalid, match=message):
        validate_strings(strings)


def test_no_config_link_section() -> None:
    """The Link UI explanation lives in the steps before Link UI, not in config.link."""
    for path in TRANSLATION_FILES:
        assert "link" not in _load(path)["config"]


# ------------------------------------------------------------------------------------ manifest


def _version(value: str) -> str:
    AwesomeVersion(
        value,
        ensure_strategy=[
            AwesomeVersionStrategy.CALVER,
            AwesomeVersionStrategy.SEMVER,
            AwesomeVersionStrategy.SIMPLEVER,
            AwesomeVersionStrategy.BUILDVER,
            AwesomeVersionStrategy.PEP440,
        ],
    )
    return value


def _documentation(value: str) -> str:
    if not value.startswith("https://"):
        raise vol.Invalid("Documentation url is not prefixed with https")
    return value


# hassfest's manifest schema for a custom integration (script/hassfest/manifest.py), the keys
# that can apply to a cloud hub: no discovery matchers.
CUSTOM_MANIFEST_SCHEMA = vol.Schema(
    {
        vol.Required("domain"): str,
        vol.Required("name"): str,
        vol.Optional("integration_type"): vol.In(
            ["device", "entity", "hardware", "helper", "hub", "service", "system"]
        ),
        vol.Optional("config_flow"): bool,
        vol.Required("documentation"): vol.All(vol.Url(), _documentation),
        vol.Optional("issue_tracker"): vol.Url(),
        vol.Optional("quality_scale"): vol.In(["internal", "bronze", "silver", "gold", "platinum"]),
        vol.Optional("requirements"): [str],
        vol.Optional("dependencies"): [str],
        vol.Optional("after_dependencies"): [str],
        vol.Required("codeowners"): [str],
        vol.Optional("loggers"): [str],
        vol.Optional("iot_class"): vol.In(
            [
                "assumed_state",
                "calculated",
                "cloud_polling",
                "cloud_push",
                "local_polling",
                "local_push",
            ]
        ),
        vol.Optional("single_config_entry"): bool,
        vol.Required("version"): vol.All(str, _version),
        vol.Optional("import_executor"): bool,
    }
)


def test_manifest_passes_hassfest() -> None:
    """Schema, domain = directory, iot_class, version, and the key order hassfest wants."""
    manifest = _load(COMPONENT / "manifest.json")
    CUSTOM_MANIFEST_SCHEMA(manifest)
    assert manifest["domain"] == COMPONENT.name
    keys = list(manifest)
    assert keys[:2] == ["domain", "name"]
    assert keys[2:] == sorted(keys[2:]), "domain, name, then alphabetical order"
    # Integrations the code imports are declared (hassfest's dependencies check).
    declared = {*manifest["dependencies"], *manifest["after_dependencies"]}
    imported = set()
    for path in COMPONENT.rglob("*.py"):
        imported |= set(
            re.findall(r"homeassistant\.components\.([a-z_]+)", path.read_text(encoding="utf-8"))
        )
    platforms = {platform.value for platform in Platform}
    # (repairs, diagnostics and the entity platforms are always there for an integration)
    assert imported - platforms - {"repairs", "diagnostics", "http"} <= declared


# ------------------------------------------------------------------------------------ services

_FIELD_SCHEMA = vol.Schema(
    {
        vol.Optional("example"): object,
        vol.Optional("default"): object,
        vol.Optional("required"): bool,
        vol.Optional("advanced"): bool,
        vol.Optional("selector"): selector.validate_selector,
        vol.Optional("filter"): dict,
    }
)
_SERVICES_SCHEMA = vol.Schema(
    {
        cv.slug: vol.Any(
            None,
            vol.Schema(
                {
                    vol.Optional("target"): vol.Any(selector.TargetSelector.CONFIG_SCHEMA, None),
                    vol.Optional("fields"): vol.Schema({str: _FIELD_SCHEMA}),
                }
            ),
        )
    }
)


def test_services_yaml_passes_hassfest() -> None:
    """services.yaml: valid selectors; names and descriptions come from the translations."""
    services = yaml.safe_load((COMPONENT / "services.yaml").read_text())
    _SERVICES_SCHEMA(services)
    english = _load(COMPONENT / "translations" / "en.json")
    for name, service in services.items():
        translation_key(name)
        texts = english["services"][name]
        assert texts["name"]
        assert texts["description"]
        for field in service.get("fields", {}):
            assert texts["fields"][field]["description"], f"{name}.{field}"
            # A select with a translation_key has every option translated.
            select = service["fields"][field].get("selector", {}).get("select")
            if select and (key := select.get("translation_key")):
                assert set(select["options"]) <= set(english["selector"][key]["options"])


# --------------------------------------------------------------------------------------- icons


def _icon(value: Any) -> str:
    value = cv.string_with_no_html(value)
    if not value.startswith("mdi:"):
        raise vol.Invalid("The icon needs to start with `mdi:`")
    return str(value)


def _not_same_as_default(value: dict[str, Any]) -> dict[str, Any]:
    for key, section in value.items():
        default = section.get("default")
        for state, icon in section.get("state", {}).items():
            if default and icon == default:
                raise vol.Invalid(f"the icon of {key}.{state} is the default icon")
    return value


_STATE_ICONS = cv.schema_with_slug_keys(_icon, slug_validator=translation_key)
_SERVICE_ICON = vol.Any(
    _icon, {vol.Optional("service"): _icon, vol.Optional("sections"): {str: _icon}}
)
ICONS_SCHEMA = vol.Schema(
    {
        # (hassfest applies its "not the default icon" check to the platform mappings here, where
        # it finds no "default" key: only state attributes are checked)
        vol.Optional("entity"): cv.schema_with_slug_keys(
            vol.All(
                cv.schema_with_slug_keys(
                    {
                        vol.Optional("default"): _icon,
                        vol.Optional("state"): _STATE_ICONS,
                        vol.Optional("range"): {str: _icon},
                        vol.Optional("state_attributes"): vol.All(
                            cv.schema_with_slug_keys(
                                {
                                    vol.Optional("default"): _icon,
                                    vol.Optional("state"): _STATE_ICONS,
                                },
                                slug_validator=translation_key,
                            ),
                            _not_same_as_default,
                        ),
                    },
                    slug_validator=translation_key,
                ),
            ),
            slug_validator=cv.slug,
        ),
        vol.Optional("services"): cv.schema_with_slug_keys(
            _SERVICE_ICON, slug_validator=translation_key
        ),
    }
)


def test_icons_json_passes_hassfest() -> None:
    """icons.json: Material Design icons, no state icon equal to its default."""
    icons = _load(COMPONENT / "icons.json")
    ICONS_SCHEMA(icons)
