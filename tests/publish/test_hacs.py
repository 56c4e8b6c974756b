"""The HACS action's checks that can be judged from the checkout, and the workflows that run them.

The action (``hacs/action``, ``.github/workflows/validate.yml``) reads the published repository
through GitHub's API. From the checkout we can judge hacs.json, the integration manifest, the
repository layout, the information file, the brand assets and the license text; the repository's
description, topics, issues, archived state and GitHub's license detection need GitHub (the
README's "Publishing" section names them).
"""

from __future__ import annotations

import json
from pathlib import Path
import re
from typing import Any

from awesomeversion import AwesomeVersion
from homeassistant.const import __version__ as HA_VERSION
from homeassistant.helpers.config_validation import url as url_validator
import voluptuous as vol
import yaml

ROOT = Path(__file__).parents[2]
COMPONENT = ROOT / "custom_components" / "enode"

# hacs.json (HACS's HACS_MANIFEST_JSON_SCHEMA): a name, and only the keys HACS knows.
HACS_JSON_SCHEMA = vol.Schema(
    {
        vol.Optional("content_in_root"): bool,
        vol.Optional("country"): vol.Any(str, [str]),
        vol.Optional("filename"): str,
        vol.Optional("hacs"): str,
        vol.Optional("hide_default_branch"): bool,
        vol.Optional("homeassistant"): str,
        vol.Optional("persistent_directory"): str,
        vol.Optional("render_readme"): bool,
        vol.Optional("zip_release"): bool,
        vol.Required("name"): str,
    },
    extra=vol.PREVENT_EXTRA,
)
# The integration manifest as HACS reads it (INTEGRATION_MANIFEST_JSON_SCHEMA).
HACS_MANIFEST_SCHEMA = vol.Schema(
    {
        vol.Required("codeowners"): list,
        vol.Required("documentation"): url_validator,
        vol.Required("domain"): str,
        vol.Required("issue_tracker"): url_validator,
        vol.Required("name"): str,
        vol.Required("version"): vol.Coerce(AwesomeVersion),
    },
    extra=vol.ALLOW_EXTRA,
)


def _json(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def test_hacs_json() -> None:
    """hacs.json: known keys only; the minimum Home Assistant is one the suite runs against."""
    hacs = _json(ROOT / "hacs.json")
    HACS_JSON_SCHEMA(hacs)
    assert hacs["name"] == _json(COMPONENT / "manifest.json")["name"]
    assert not hacs.get("zip_release")
    assert not hacs.get("content_in_root")
    assert AwesomeVersion(hacs["homeassistant"]) <= AwesomeVersion(HA_VERSION)


def test_integration_manifest() -> None:
    """The manifest keys HACS requires, with URLs and a version it can compare."""
    HACS_MANIFEST_SCHEMA(_json(COMPONENT / "manifest.json"))


def test_one_integration_in_custom_components() -> None:
    """HACS manages the one directory under custom_components/ and installs only that."""
    assert [path.name for path in (ROOT / "custom_components").iterdir() if path.is_dir()] == [
        "enode"
    ]


def test_information_file() -> None:
    """A README (rendered by HACS, render_readme) and info.md."""
    assert (ROOT / "README.md").is_file()
    assert (ROOT / "info.md").is_file()


def test_brand_assets() -> None:
    """HACS's brands check: an icon in the integration's brand/ directory."""
    assert (COMPONENT / "brand" / "icon.png").is_file()


def test_license() -> None:
    """An OSI license GitHub can identify: the whole Apache License 2.0 text."""
    text = (ROOT / "LICENSE").read_text()
    for phrase in (
        "Apache License",
        "Version 2.0, January 2004",
        "TERMS AND CONDITIONS FOR USE, REPRODUCTION, AND DISTRIBUTION",
        "9. Accepting Warranty or Additional Liability.",
        "END OF TERMS AND CONDITIONS",
        "APPENDIX: How to apply the Apache License to your work.",
    ):
        assert phrase in text, phrase
    # Sections 1 to 9, in order.
    numbers = [int(n) for n in re.findall(r"^\s+(\d)\. [A-Z][a-z]+", text, re.MULTILINE)]
    assert numbers == list(range(1, 10))


def _steps(job: dict[str, Any]) -> list[dict[str, Any]]:
    steps: list[dict[str, Any]] = job["steps"]
    return steps


def test_workflows() -> None:
    """hassfest (on a checkout), the HACS action for an integration, and scripts/test."""
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "validate.yml").read_text())
    # (YAML 1.1 reads the key "on" as True)
    triggers = workflow.get("on", workflow.get(True))
    assert {"push", "pull_request", "schedule"} <= set(triggers)
    jobs = workflow["jobs"]
    hassfest = [step.get("uses", "") for step in _steps(jobs["hassfest"])]
    assert hassfest[0].startswith("actions/checkout@")
    assert "home-assistant/actions/hassfest@master" in hassfest[1:]
    [hacs] = [step for step in _steps(jobs["hacs"]) if step.get("uses", "").startswith("hacs/")]
    assert hacs["uses"] == "hacs/action@main"
    assert hacs["with"]["category"] == "integration"
    assert "ignore" not in hacs["with"], "publishing needs every HACS check to pass"
    test = _steps(jobs["test"])
    assert test[0]["uses"].startswith("actions/checkout@")
    python = next(step for step in test if step.get("uses", "").startswith("actions/setup-python"))
    assert AwesomeVersion(python["with"]["python-version"]) >= AwesomeVersion("3.13")
    assert any(step.get("run") == "scripts/test" for step in test)


def test_readme_names_the_checks_that_need_github() -> None:
    """The README says what only GitHub can check."""
    readme = (ROOT / "README.md").read_text()
    match = re.search(r"^## Publishing\n(.*?)(?=^## |\Z)", readme, re.MULTILINE | re.DOTALL)
    assert match
    section = match.group(1)
    for word in ("description", "topics", "issues", "release", "hassfest", "LICENSE"):
        assert word in section, word
