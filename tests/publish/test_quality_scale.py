"""quality_scale.yaml, checked as hassfest checks a platinum core integration, and against the code.

hassfest validates a quality scale file only for core integrations; for ours these tests do it:
the file's schema, that every rule of every tier up to platinum is done or exempt (with a reason),
hassfest's own rule validators (``script/hassfest/quality_scale_validation``: runtime data with
typed entries, test before setup, unloading, parallel updates, reauth, reconfigure, diagnostics,
unique entries, actions in ``async_setup``, ``has_entity_name``), and for every other rule a check
that what the file claims is still so. A rule marked done without such a check fails the test.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
import json
from pathlib import Path
import re
import tomllib
from typing import Any

from homeassistant.const import Platform
import pytest
import voluptuous as vol
import yaml

ROOT = Path(__file__).parents[2]
COMPONENT = ROOT / "custom_components" / "enode"
README = (ROOT / "README.md").read_text(encoding="utf-8")

# The rules per tier (core's script/hassfest/quality_scale.py, 2026: docs-conditions and
# docs-triggers joined bronze).
TIERS: dict[str, list[str]] = {
    "bronze": [
        "action-setup",
        "appropriate-polling",
        "brands",
        "common-modules",
        "config-flow",
        "config-flow-test-coverage",
        "dependency-transparency",
        "docs-actions",
        "docs-conditions",
        "docs-high-level-description",
        "docs-installation-instructions",
        "docs-removal-instructions",
        "docs-triggers",
        "entity-event-setup",
        "entity-unique-id",
        "has-entity-name",
        "runtime-data",
        "test-before-configure",
        "test-before-setup",
        "unique-config-entry",
    ],
    "silver": [
        "action-exceptions",
        "config-entry-unloading",
        "docs-configuration-parameters",
        "docs-installation-parameters",
        "entity-unavailable",
        "integration-owner",
        "log-when-unavailable",
        "parallel-updates",
        "reauthentication-flow",
        "test-coverage",
    ],
    "gold": [
        "devices",
        "diagnostics",
        "discovery",
        "discovery-update-info",
        "docs-data-update",
        "docs-examples",
        "docs-known-limitations",
        "docs-supported-devices",
        "docs-supported-functions",
        "docs-troubleshooting",
        "docs-use-cases",
        "dynamic-devices",
        "entity-category",
        "entity-device-class",
        "entity-disabled-by-default",
        "entity-translations",
        "exception-translations",
        "icon-translations",
        "reconfiguration-flow",
        "repair-issues",
        "stale-devices",
    ],
    "platinum": ["async-dependency", "inject-websession", "strict-typing"],
}
ALL_RULES = [rule for rules in TIERS.values() for rule in rules]

SCHEMA = vol.Schema(
    {
        vol.Required("rules"): vol.Schema(
            {
                vol.Optional(rule): vol.Any(
                    vol.In(["todo", "done"]),
                    vol.Schema({vol.Required("status"): vol.In(["todo", "done"]), "comment": str}),
                    vol.Schema({vol.Required("status"): "exempt", vol.Required("comment"): str}),
                )
                for rule in ALL_RULES
            }
        )
    }
)


def _rules() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((COMPONENT / "quality_scale.yaml").read_text())
    SCHEMA(data)
    rules: dict[str, Any] = data["rules"]
    return rules


def _status(value: Any) -> str:
    return str(value["status"] if isinstance(value, dict) else value)


def _module(name: str) -> ast.Module:
    return ast.parse((COMPONENT / f"{name}.py").read_text(encoding="utf-8"))


def _source(*names: str) -> str:
    return "".join((COMPONENT / f"{name}.py").read_text(encoding="utf-8") for name in names)


def _all_source() -> str:
    return "".join(path.read_text(encoding="utf-8") for path in COMPONENT.rglob("*.py"))


def _function(module: ast.Module, name: str) -> ast.AsyncFunctionDef | None:
    return next(
        (n for n in module.body if isinstance(n, ast.AsyncFunctionDef) and n.name == name), None
    )


def _platform_modules() -> list[str]:
    return [p.value for p in Platform if (COMPONENT / f"{p.value}.py").exists()]


def _calls(node: ast.AST, attribute: str) -> bool:
    return any(
        isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr == attribute
        for n in ast.walk(node)
    )


def _typed_entry(function: ast.FunctionDef | ast.AsyncFunctionDef, position: int) -> bool:
    argument = function.args.args[position - 1]
    annotation = argument.annotation
    return isinstance(annotation, ast.Name) and bool(
        re.match(r"^[A-Za-z]+ConfigEntry$", annotation.id)
    )


# ---------------------------------------------------------------------- hassfest's validators


def check_runtime_data() -> None:
    init = _module("__init__")
    setup = _function(init, "async_setup_entry")
    assert setup is not None
    entry_arg = setup.args.args[1].arg
    assert any(
        isinstance(n, ast.Attribute)
        and isinstance(n.value, ast.Name)
        and n.value.id == entry_arg
        and n.attr == "runtime_data"
        and isinstance(n.ctx, ast.Store)
        for n in ast.walk(setup)
    ), "async_setup_entry does not set entry.runtime_data"
    # With strict-typing done: every entry argument is the typed entry, the options flow too.
    functions = {
        "__init__": [
            "async_migrate_entry",
            "async_remove_config_entry_device",
            "async_remove_entry",
            "async_setup_entry",
            "async_unload_entry",
        ],
        "diagnostics": ["async_get_config_entry_diagnostics", "async_get_device_diagnostics"],
        **{platform: ["async_setup_entry"] for platform in _platform_modules()},
    }
    for module_name, names in functions.items():
        module = _module(module_name)
        for name in names:
            if (function := _function(module, name)) is not None:
                assert _typed_entry(function, 2), f"{module_name}.{name} takes an untyped entry"
    options_flows = [
        node
        for cls in _module("config_flow").body
        if isinstance(cls, ast.ClassDef)
        for node in cls.body
        if isinstance(node, ast.FunctionDef) and node.name == "async_get_options_flow"
    ]
    assert options_flows
    for function in options_flows:
        assert _typed_entry(function, 1), "async_get_options_flow takes an untyped entry"


def check_test_before_setup() -> None:
    setup = _function(_module("__init__"), "async_setup_entry")
    assert setup is not None
    assert _calls(setup, "async_config_entry_first_refresh")


def check_config_entry_unloading() -> None:
    assert _function(_module("__init__"), "async_unload_entry") is not None


def check_parallel_updates() -> None:
    for name in _platform_modules():
        assert any(
            isinstance(item, ast.Assign)
            and isinstance(item.targets[0], ast.Name)
            and item.targets[0].id == "PARALLEL_UPDATES"
            for item in _module(name).body
        ), f"{name}.py does not set PARALLEL_UPDATES"


def check_reauthentication_flow() -> None:
    names = {
        n.name for n in ast.walk(_module("config_flow")) if isinstance(n, ast.AsyncFunctionDef)
    }
    assert "async_step_reauth" in names


def check_reconfiguration_flow() -> None:
    names = {
        n.name for n in ast.walk(_module("config_flow")) if isinstance(n, ast.AsyncFunctionDef)
    }
    assert "async_step_reconfigure" in names


def check_diagnostics() -> None:
    names = {
        n.name for n in ast.walk(_module("diagnostics")) if isinstance(n, ast.AsyncFunctionDef)
    }
    assert names & {"async_get_config_entry_diagnostics", "async_get_device_diagnostics"}


def check_unique_config_entry() -> None:
    module = _module("config_flow")
    assert _calls(module, "async_set_unique_id")
    assert _calls(module, "_abort_if_unique_id_configured")


def check_config_flow() -> None:
    manifest = json.loads((COMPONENT / "manifest.json").read_text())
    assert manifest["config_flow"] is True
    assert (COMPONENT / "config_flow.py").exists()


def check_action_setup() -> None:
    for name in ["__init__", *_platform_modules()]:
        setup = _function(_module(name), "async_setup_entry")
        if setup is None:
            continue
        assert not _calls(setup, "async_register_entity_service"), name
        assert not re.search(r"hass\.services\.(async_)?register", ast.unparse(setup)), name
    setup = _function(_module("__init__"), "async_setup")
    assert setup is not None
    assert "async_setup_services" in ast.unparse(setup)


def check_has_entity_name() -> None:
    classes: dict[str, tuple[bool, list[str]]] = {}
    for path in COMPONENT.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.ClassDef):
                continue
            bases = [ast.unparse(base).split("[")[0].split(".")[-1] for base in node.bases]
            found = any(
                isinstance(stmt, ast.Assign)
                and isinstance(stmt.targets[0], ast.Name)
                and stmt.targets[0].id == "_attr_has_entity_name"
                and isinstance(stmt.value, ast.Constant)
                and stmt.value.value is True
                for stmt in node.body
            )
            classes[node.name] = (found, bases)

    def has_it(name: str) -> bool:
        if name not in classes:
            return False
        found, bases = classes[name]
        return found or any(has_it(base) for base in bases)

    entities = [
        name
        for name, (_, bases) in classes.items()
        if name.endswith("Entity") or any(base.endswith("Entity") for base in bases)
    ]
    missing = [name for name in entities if not has_it(name) and not name.endswith("Description")]
    assert entities
    assert missing == []


# ----------------------------------------------------------------------- the other rules


def check_brands() -> None:
    for name in ("icon.png", "icon@2x.png", "logo.png"):
        assert (COMPONENT / "brand" / name).is_file(), name


def check_appropriate_polling() -> None:
    source = _source("coordinator")
    assert "update_interval=" in source
    assert "Retry-After" in source or "retry_after" in source


def check_common_modules() -> None:
    for name in ("coordinator", "entity", "helpers"):
        assert (COMPONENT / f"{name}.py").exists()


def check_config_flow_test_coverage() -> None:
    tests = ROOT / "tests" / "integration"
    for name in (
        "test_config_flow.py",
        "test_config_flow_options.py",
        "test_config_flow_reauth.py",
    ):
        assert (tests / name).exists()


def check_dependency_transparency() -> None:
    manifest = json.loads((COMPONENT / "manifest.json").read_text())
    assert manifest["requirements"] == []


def _readme_section(title: str) -> str:
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", README, re.M | re.S)
    assert match, f"README has no section {title!r}"
    return match.group(1)


def check_docs_actions() -> None:
    section = _readme_section("Actions")
    services = yaml.safe_load((COMPONENT / "services.yaml").read_text())
    for name in services:
        assert f"`enode.{name}`" in section, name


def check_docs_high_level_description() -> None:
    assert README.startswith("# Enode for Home Assistant\n")
    assert "Enode" in README.split("\n## ", 1)[0]


def check_docs_installation_instructions() -> None:
    assert "HACS" in _readme_section("Install through HACS")


def check_docs_removal_instructions() -> None:
    assert "Delete" in _readme_section("Removing the integration")


def check_entity_event_setup() -> None:
    assert "CoordinatorEntity" in _source("entity")


def check_entity_unique_id() -> None:
    assert '_attr_unique_id = f"{asset.id}_{description.key}"' in _source("entity")


def check_test_before_configure() -> None:
    assert "verify_credentials" in _source("config_flow")


def check_action_exceptions() -> None:
    source = _source("services")
    assert "ServiceValidationError" in source
    assert "translate_error" in source


def check_docs_configuration_parameters() -> None:
    assert "**Options**" in _readme_section("Configuration")


def check_docs_installation_parameters() -> None:
    section = _readme_section("Configuration")
    for field in ("client ID", "client secret", "environment"):
        assert field in section, field


def check_entity_unavailable() -> None:
    assert "def available" in _source("entity")


def check_integration_owner() -> None:
    assert json.loads((COMPONENT / "manifest.json").read_text())["codeowners"]


def check_log_when_unavailable() -> None:
    # The coordinator's errors are UpdateFailed: Home Assistant logs the outage once, and once
    # when it is back; the tests assert both lines.
    assert "UpdateFailed" in _source("coordinator")
    assert "unavailable" in (ROOT / "tests/integration/test_coordinator.py").read_text()


def check_test_coverage() -> None:
    assert "--fail-under=95" in (ROOT / "scripts" / "test").read_text()


def check_devices() -> None:
    assert "DeviceInfo(" in _source("entity")


def check_docs_data_update() -> None:
    assert "polling" in _readme_section("Updates and limits").lower()


def check_docs_examples() -> None:
    assert "```yaml" in _readme_section("Automation examples")


def check_docs_known_limitations() -> None:
    _readme_section("Supported devices and known limitations")


def check_docs_supported_devices() -> None:
    assert "vehicle" in _readme_section("Supported devices and known limitations").lower()


def check_docs_supported_functions() -> None:
    assert "| Vehicle entity |" in _readme_section("Devices and entities")


def check_docs_troubleshooting() -> None:
    _readme_section("Troubleshooting")


def check_docs_use_cases() -> None:
    assert "alias:" in _readme_section("Automation examples")


def check_dynamic_devices() -> None:
    assert "coordinator.async_add_listener(_async_add_new, FieldsContext(EXISTS_INPUTS))" in (
        _source("entity")
    )


def check_entity_category() -> None:
    assert "entity_category=EntityCategory." in _all_source()


def check_entity_device_class() -> None:
    assert "device_class=" in _all_source()


def check_entity_disabled_by_default() -> None:
    assert "entity_registry_enabled_default=False" in _all_source()


def check_entity_translations() -> None:
    source = _source("entity", *_platform_modules())
    assert "translation_key=" in source
    assert not re.search(r"\b_attr_name\s*=|\bname=\"", source)


def check_exception_translations() -> None:
    translated = {
        "HomeAssistantError",
        "ServiceValidationError",
        "ConfigEntryNotReady",
        "ConfigEntryAuthFailed",
        "ConfigEntryError",
        "UpdateFailed",
    }
    untranslated = []
    for path in COMPONENT.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call)):
                continue
            name = ast.unparse(node.exc.func).split(".")[-1]
            keywords = {keyword.arg for keyword in node.exc.keywords}
            if name in translated and "translation_key" not in keywords:
                untranslated.append(f"{path.name}:{node.lineno}")
    assert untranslated == []


def check_icon_translations() -> None:
    assert json.loads((COMPONENT / "icons.json").read_text())["entity"]
    assert not re.search(r"\bicon=\"|_attr_icon\s*=", _all_source())


def check_repair_issues() -> None:
    assert "ir.async_create_issue(" in _source("repairs")


def check_stale_devices() -> None:
    assert "remove_config_entry_id" in _source("coordinator")


def check_async_dependency() -> None:
    assert (
        "import aiohttp" in (COMPONENT / "api" / "client.py").read_text()
        or "from aiohttp" in (COMPONENT / "api" / "client.py").read_text()
    )


def check_inject_websession() -> None:
    assert "session=async_get_clientsession(hass)" in _source("helpers")


def check_strict_typing() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert config["tool"]["mypy"]["strict"] is True
    assert "mypy custom_components/enode" in (ROOT / "scripts" / "test").read_text()
    assert "type: ignore" not in _all_source()


CHECKS: dict[str, Callable[[], None]] = {
    rule: globals()[f"check_{rule.replace('-', '_')}"]
    for rule in ALL_RULES
    if f"check_{rule.replace('-', '_')}" in globals()
}


# ------------------------------------------------------------------------------------- tests


def test_file_is_valid_and_complete() -> None:
    """Every rule of every tier is listed once; platinum needs them all done or exempt."""
    rules = _rules()
    assert set(rules) == set(ALL_RULES)
    not_met = [rule for rule, value in rules.items() if _status(value) not in ("done", "exempt")]
    assert not_met == [], "platinum needs every rule done or exempt"


def test_manifest_claims_no_quality_scale() -> None:
    """Home Assistant grades core integrations only: the manifest claims no scale of its own."""
    assert "quality_scale" not in json.loads((COMPONENT / "manifest.json").read_text())


DONE = [rule for rule, value in _rules().items() if _status(value) == "done"]


@pytest.mark.parametrize("rule", DONE)
def test_done_rules_hold(rule: str) -> None:
    """What the file marks done is still true in the code (each done rule has a check)."""
    assert rule in CHECKS, f"{rule} is marked done but nothing checks it"
    CHECKS[rule]()


def test_exemptions_still_apply() -> None:
    """Each exemption's reason is still true: no discovery, no conditions or triggers."""
    rules = _rules()
    exempt = {rule for rule, value in rules.items() if _status(value) == "exempt"}
    assert exempt == {"discovery", "discovery-update-info", "docs-conditions", "docs-triggers"}
    manifest = json.loads((COMPONENT / "manifest.json").read_text())
    discovery = {"bluetooth", "dhcp", "homekit", "mqtt", "ssdp", "usb", "zeroconf"}
    assert not discovery & set(manifest)
    assert not re.search(
        r"async_step_(bluetooth|discovery|dhcp|hassio|homekit|mqtt|ssdp|usb|zeroconf)\b",
        _source("config_flow"),
    )
    for name in ("condition", "trigger", "device_condition", "device_trigger"):
        assert not (COMPONENT / f"{name}.py").exists(), name
    strings = json.loads((COMPONENT / "strings.json").read_text())
    assert "conditions" not in strings
    assert "triggers" not in strings
    for rule in exempt:
        assert rules[rule]["comment"].strip()
