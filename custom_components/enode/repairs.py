"""Repairs for Enode: interventions, invalid vendor credentials and charger onboarding.

Issues are kept in sync with the coordinator's snapshot by a coordinator listener
(``async_setup_repairs``):

* one issue per (device, intervention), with the intervention's title and Markdown description;
  ``error`` when it blocks a capability, ``warning`` when it is optional; fixable by relinking when
  the resolution's action is ``Link``;
* one fixable issue per linked vendor whose credentials are no longer valid ("relink {vendor}");
* a vehicle that cannot start/stop charging on its own while no charger is linked (seed 004,
  "mandatory"): one error-level issue that links the charger; it cannot be ignored (an ignored one
  is restored) and stays until a charger is linked. Enode's own interventions on the vehicle's
  start/stop charging (its "link your home charger") are part of it, not issues of their own. The
  same vehicle with the pair cleared (chargers linked) gets an error that says to plug it in;
* a vehicle that controls charging itself, without a charger: a warning-level suggestion whose fix
  flow links the charger or stops suggesting it (the entry's ``suggest_charger`` option, also
  cleared when an optional charger is unlinked).

Fix flows open Link UI as an external step through the same callback view as the config flow.
"""

from __future__ import annotations

from collections.abc import Callable, Container, Mapping
import re
from typing import Any, TypedDict

from homeassistant import data_entry_flow
from homeassistant.components.repairs import RepairsFlow
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir
import voluptuous as vol

from .api import Asset, AssetType, Intervention, Vehicle
from .const import CONF_SUGGEST_CHARGER, DOMAIN
from .entity import device_name
from .link import (
    STEP_LINK_CANCELLED,
    STEP_LINK_FAILED,
    LinkRequest,
    LinkSessionRequest,
    LinkTarget,
    RelinkRequest,
    async_forget_flow,
    async_link_ui_returned,
    async_open_link_ui,
)
from .models import EnodeConfigEntry, EnodeData
from .pairing import ChargerPairing, charger_pairing, charging_intervention_ids
from .texts import Texts, cached_texts

ISSUE_INTERVENTION = "intervention"
ISSUE_INTERVENTION_LINK = "intervention_link"
ISSUE_VENDOR_CREDENTIALS = "vendor_credentials"
ISSUE_CHARGER_REQUIRED = "charger_required"
ISSUE_CHARGER_RECOMMENDED = "charger_recommended"
ISSUE_PAIRING_CLEARED = "charger_pairing_cleared"
# Issues the user cannot ignore: they stay until the problem is gone.
MANDATORY_ISSUES = frozenset({ISSUE_CHARGER_REQUIRED})

# Keys of an issue's data.
DATA_ENTRY_ID = "entry_id"
DATA_ASSET_ID = "asset_id"
DATA_ASSET_TYPE = "asset_type"
DATA_VENDOR = "vendor"

# What an issue's data holds (the fix flow reads it back).
type IssueData = dict[str, str | int | float | None]


class IssueSpec(TypedDict):
    """The arguments of ``ir.async_create_issue`` for one issue (but its id)."""

    is_fixable: bool
    severity: ir.IssueSeverity
    translation_key: str
    translation_placeholders: dict[str, str]
    data: IssueData


_BR = re.compile(r"<br\s*/?>", re.IGNORECASE)
_TAG = re.compile(r"</?[a-zA-Z][^>]*>")


def markdown(text: str | None) -> str:
    """Return an intervention description as Markdown (``<br>`` become line breaks)."""
    if not text:
        return ""
    text = _BR.sub("\n", text)
    text = _TAG.sub("", text)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def _vendor_label(vendor: str | None) -> str:
    """Return a readable vendor name ("TESLA" -> "Tesla")."""
    return str(vendor or "").replace("_", " ").title()


def _is_blocking(asset: Asset, intervention_id: str) -> bool:
    """Return whether an intervention blocks a capability of the asset (an incapable one)."""
    return any(
        capability.is_blocked and intervention_id in capability.intervention_ids
        for _, capability in asset.capabilities.items()
    )


def _charger_problems(data: EnodeData) -> dict[str, ChargerPairing]:
    """Return the vehicles whose charging control waits for a charger, and why."""
    return {
        vehicle.id: pairing
        for vehicle in data.vehicles.values()
        if (pairing := charger_pairing(vehicle, data))
        in (ChargerPairing.REQUIRED, ChargerPairing.CLEARED)
    }


def _folded_interventions(vehicle: Vehicle, data: EnodeData) -> list[Intervention]:
    """Return the interventions on a waiting vehicle's start/stop charging its charger issue
    explains (those a relink resolves keep their own, fixable issue)."""
    return [
        intervention
        for intervention_id in charging_intervention_ids(vehicle)
        if (intervention := data.interventions.get(intervention_id)) is not None
        and not intervention.needs_relink
    ]


def _enode_says(interventions: list[Intervention]) -> str:
    """Return Enode's texts of interventions as Markdown paragraphs (each with a leading break)."""
    return "".join(
        f"\n\n**{item.resolution.title or item.id}**: {markdown(item.resolution.description)}"
        for item in interventions
    )


def _charger_specs(entry: EnodeConfigEntry, data: EnodeData) -> dict[str, IssueSpec]:
    """Return the charger onboarding issues (seed 004) by issue id."""
    specs: dict[str, IssueSpec] = {}
    waiting = _charger_problems(data)
    suggest = entry.options.get(CONF_SUGGEST_CHARGER, True) is not False
    for vehicle in data.vehicles.values():
        pairing = waiting.get(vehicle.id)
        placeholders = {"vehicle": device_name(vehicle)}
        if pairing is ChargerPairing.REQUIRED:
            key, severity = ISSUE_CHARGER_REQUIRED, ir.IssueSeverity.ERROR
            placeholders["enode"] = _enode_says(_folded_interventions(vehicle, data))
        elif pairing is ChargerPairing.CLEARED:
            key, severity = ISSUE_PAIRING_CLEARED, ir.IssueSeverity.ERROR
            placeholders["chargers"] = ", ".join(
                sorted(device_name(charger) for charger in data.chargers.values())
            )
            placeholders["enode"] = _enode_says(_folded_interventions(vehicle, data))
        elif not data.chargers and suggest:
            key, severity = ISSUE_CHARGER_RECOMMENDED, ir.IssueSeverity.WARNING
        else:
            continue
        specs[f"{key}_{vehicle.id}"] = {
            "is_fixable": key != ISSUE_PAIRING_CLEARED,
            "severity": severity,
            "translation_key": key,
            "translation_placeholders": placeholders,
            "data": {
                DATA_ENTRY_ID: entry.entry_id,
                DATA_ASSET_ID: None,
                DATA_ASSET_TYPE: str(AssetType.CHARGER),
            },
        }
    return specs


def _issue_specs(entry: EnodeConfigEntry, data: EnodeData, texts: Texts) -> dict[str, IssueSpec]:
    """Return the issues the snapshot calls for, by issue id (arguments of async_create_issue).

    Placeholders are names, in Home Assistant's language where they are ours (device types).
    """
    entry_id = entry.entry_id
    specs: dict[str, IssueSpec] = {}
    waiting = _charger_problems(data)
    for asset in data.all_assets().values():
        name = device_name(asset)
        folded = (
            {item.id for item in _folded_interventions(asset, data)}
            if isinstance(asset, Vehicle) and asset.id in waiting
            else set()
        )
        for intervention_id in asset.all_intervention_ids():
            intervention: Intervention | None = data.interventions.get(intervention_id)
            if intervention is None or intervention_id in folded:
                continue
            fixable = intervention.needs_relink
            specs[f"intervention_{asset.id}_{intervention_id}"] = {
                "is_fixable": fixable,
                "severity": ir.IssueSeverity.ERROR
                if _is_blocking(asset, intervention_id)
                else ir.IssueSeverity.WARNING,
                "translation_key": ISSUE_INTERVENTION_LINK if fixable else ISSUE_INTERVENTION,
                "translation_placeholders": {
                    "device": name,
                    "title": intervention.resolution.title or intervention_id,
                    "description": markdown(intervention.resolution.description),
                },
                "data": {
                    DATA_ENTRY_ID: entry_id,
                    DATA_ASSET_ID: asset.id,
                    DATA_ASSET_TYPE: str(asset.asset_type),
                },
            }
    if data.user is not None:
        for linked in data.user.linked_vendors:
            if linked.is_valid is not False or not linked.vendor:
                continue
            vendor_type = str(linked.vendor_type or "")
            # Relink one of the vendor's assets of that type when there is one.
            asset_id = next(
                (
                    asset.id
                    for asset in data.all_assets().values()
                    if asset.vendor == linked.vendor and str(asset.asset_type) == vendor_type
                ),
                None,
            )
            specs[f"vendor_credentials_{linked.vendor}_{vendor_type}".lower()] = {
                "is_fixable": True,
                "severity": ir.IssueSeverity.ERROR,
                "translation_key": ISSUE_VENDOR_CREDENTIALS,
                "translation_placeholders": {
                    "vendor": _vendor_label(linked.vendor),
                    "asset_type": texts.asset_type(vendor_type),
                },
                "data": {
                    DATA_ENTRY_ID: entry_id,
                    DATA_ASSET_ID: asset_id,
                    DATA_ASSET_TYPE: vendor_type,
                    DATA_VENDOR: linked.vendor,
                },
            }
    specs.update(_charger_specs(entry, data))
    return specs


@callback
def async_update_issues(hass: HomeAssistant, entry: EnodeConfigEntry) -> None:
    """Create the issues the coordinator's snapshot calls for; delete the ones that are gone."""
    coordinator = entry.runtime_data.coordinator
    if coordinator.data is None or not coordinator.last_update_success:
        return
    specs = _issue_specs(entry, coordinator.data, cached_texts(hass))
    for issue_id, spec in specs.items():
        ir.async_create_issue(hass, DOMAIN, issue_id, is_persistent=False, **spec)
        _async_keep_shown(hass, issue_id)
    async_delete_issues(hass, entry, keep=specs.keys())


@callback
def _async_keep_shown(hass: HomeAssistant, issue_id: str) -> None:
    """Un-ignore an issue that must stay until it is fixed (``MANDATORY_ISSUES``)."""
    issue = ir.async_get(hass).async_get_issue(DOMAIN, issue_id)
    if (
        issue is not None
        and issue.translation_key in MANDATORY_ISSUES
        and issue.dismissed_version is not None
    ):
        ir.async_ignore_issue(hass, DOMAIN, issue_id, False)


@callback
def async_delete_issues(
    hass: HomeAssistant, entry: EnodeConfigEntry, keep: Container[str] = frozenset()
) -> None:
    """Delete the entry's issues (except those in ``keep``)."""
    registry = ir.async_get(hass)
    for (domain, issue_id), issue in list(registry.issues.items()):
        if (
            domain == DOMAIN
            and issue_id not in keep
            and issue.data is not None
            and issue.data.get(DATA_ENTRY_ID) == entry.entry_id
        ):
            ir.async_delete_issue(hass, DOMAIN, issue_id)


@callback
def _issue_inputs(asset: Asset) -> tuple[object, str]:
    """Return what an asset's issues are made from (besides the snapshot's shared parts)."""
    return (asset.capabilities, device_name(asset))


# The fields ``_issue_inputs`` reads (the device name: the information and the vendor); a merge
# that changed none of them of any asset (``EnodeCoordinator.changed_assets``) changes no issue.
_ISSUE_READS = frozenset({"capabilities", "information", "vendor"})


def async_setup_repairs(hass: HomeAssistant, entry: EnodeConfigEntry) -> Callable[[], None]:
    """Keep the entry's issues in sync with its coordinator; return the unsubscribe."""
    coordinator = entry.runtime_data.coordinator
    # What the issues of each asset follow: its capabilities (interventions, charging control)
    # and its name. A pushed update that changed neither changes no issue.
    seen: dict[str, tuple[object, str]] = {}

    @callback
    def _async_coordinator_updated() -> None:
        data = coordinator.data
        changed = coordinator.changed_assets
        if changed is not None and all(
            fields.isdisjoint(_ISSUE_READS)
            or (asset := data.asset(asset_id)) is None
            or seen.get(asset_id) == _issue_inputs(asset)
            for asset_id, fields in changed.items()
        ):
            return
        seen.clear()
        seen.update((asset.id, _issue_inputs(asset)) for asset in data.iter_assets())
        async_update_issues(hass, entry)

    @callback
    def _async_issue_updated(event: Event[ir.EventIssueRegistryUpdatedData]) -> None:
        # Ignoring a mandatory issue (the repairs API allows it for any issue) is undone.
        _async_keep_shown(hass, event.data["issue_id"])

    @callback
    def _ours(data: ir.EventIssueRegistryUpdatedData) -> bool:
        return data["domain"] == DOMAIN and data["action"] == "update"

    _async_coordinator_updated()
    unsubscribe_issues = hass.bus.async_listen(
        ir.EVENT_REPAIRS_ISSUE_REGISTRY_UPDATED, _async_issue_updated, event_filter=_ours
    )
    unsubscribe_coordinator = coordinator.async_add_listener(_async_coordinator_updated)

    @callback
    def _async_unsubscribe() -> None:
        unsubscribe_issues()
        unsubscribe_coordinator()

    return _async_unsubscribe


def _text(value: str | int | float | None) -> str | None:
    """Return a value of an issue's data as text (None stays None)."""
    return None if value is None else str(value)


class EnodeLinkRepairFlow(RepairsFlow):
    """Fix an issue in Link UI: relink an asset, or link a (charger) asset type."""

    def __init__(self, entry_id: str, data: Mapping[str, str | int | float | None]) -> None:
        """Initialize the flow from the issue's data."""
        self._entry_id = entry_id
        self._asset_id = _text(data.get(DATA_ASSET_ID))
        asset_type = _text(data.get(DATA_ASSET_TYPE))
        self._asset_type = AssetType(asset_type) if asset_type else AssetType.CHARGER
        self._vendor = _text(data.get(DATA_VENDOR))
        self._link_error: dict[str, str] = {}

    def _entry(self) -> EnodeConfigEntry | None:
        """Return the loaded config entry of the issue."""
        entry = self.hass.config_entries.async_get_entry(self._entry_id)
        if entry is None or entry.state is not ConfigEntryState.LOADED:
            return None
        loaded: EnodeConfigEntry = entry
        return loaded

    def _placeholders(self) -> dict[str, str]:
        """Return the issue's placeholders (for the step descriptions)."""
        issue = ir.async_get(self.hass).async_get_issue(DOMAIN, self.issue_id)
        placeholders = dict(issue.translation_placeholders or {}) if issue else {}
        placeholders.update(self._link_error)
        return placeholders

    async def async_step_init(
        self, user_input: dict[str, str] | None = None
    ) -> data_entry_flow.FlowResult:
        """Start the fix flow (the repairs manager passes the issue data here)."""
        return await self.async_step_confirm()

    async def async_step_confirm(
        self, user_input: dict[str, str] | None = None
    ) -> data_entry_flow.FlowResult:
        """Explain what will happen, then open Link UI."""
        if self._entry() is None:
            return self.async_abort(reason="not_loaded")
        if user_input is not None:
            return await self.async_step_link()
        return self.async_show_form(
            step_id="confirm",
            data_schema=vol.Schema({}),
            description_placeholders=self._placeholders(),
        )

    async def async_step_link(
        self, user_input: dict[str, Any] | None = None
    ) -> data_entry_flow.FlowResult:
        """Open Link UI (external step); the callback view resumes the flow here."""
        if user_input is not None:
            result, error = async_link_ui_returned(self, user_input, "done")
            self._link_error = error or {}
            return result
        entry = self._entry()
        if entry is None:
            return self.async_abort(reason="not_loaded")
        request: LinkSessionRequest = (
            RelinkRequest(asset_id=self._asset_id)
            if self._asset_id is not None
            else LinkRequest(
                user_id=entry.runtime_data.coordinator.user_id,
                asset_types=[self._asset_type],
                vendor=self._vendor,
            )
        )
        return await async_open_link_ui(
            self, entry.runtime_data.client, request, target=LinkTarget.REPAIR_FLOW
        )

    async def async_step_link_failed(
        self, user_input: dict[str, str] | None = None
    ) -> data_entry_flow.FlowResult:
        """Link UI reported an error: explain; submitting tries again."""
        return await self._async_step_link_left(STEP_LINK_FAILED, user_input)

    async def async_step_link_cancelled(
        self, user_input: dict[str, str] | None = None
    ) -> data_entry_flow.FlowResult:
        """The user cancelled in Link UI: say so; submitting tries again."""
        return await self._async_step_link_left(STEP_LINK_CANCELLED, user_input)

    async def _async_step_link_left(
        self, step_id: str, user_input: dict[str, str] | None
    ) -> data_entry_flow.FlowResult:
        """Link UI was left without linking (``step_id`` says how): explain, or try again."""
        if user_input is not None:
            return await self.async_step_link()
        return self.async_show_form(
            step_id=step_id,
            data_schema=vol.Schema({}),
            description_placeholders=self._placeholders(),
        )

    async def async_step_done(
        self, user_input: dict[str, str] | None = None
    ) -> data_entry_flow.FlowResult:
        """Linking finished: refresh so the fixed state shows, and close the issue."""
        entry = self._entry()
        if entry is None:
            return self.async_abort(reason="not_loaded")
        await entry.runtime_data.coordinator.async_refresh()
        return self.async_create_entry(data={})

    @callback
    def async_remove(self) -> None:
        """Forget the flow's pending link sessions."""
        async_forget_flow(self.hass, self.flow_id)


class EnodeChargerSuggestionFlow(EnodeLinkRepairFlow):
    """The optional charger (seed 004, example B): link it, or stop suggesting it."""

    async def async_step_init(
        self, user_input: dict[str, str] | None = None
    ) -> data_entry_flow.FlowResult:
        """Start with the choice."""
        return await self.async_step_suggest()

    async def async_step_suggest(
        self, user_input: dict[str, str] | None = None
    ) -> data_entry_flow.FlowResult:
        """Offer to link the charger or to stop suggesting it."""
        if self._entry() is None:
            return self.async_abort(reason="not_loaded")
        return self.async_show_menu(
            step_id="suggest",
            menu_options=["link", "dismiss"],
            description_placeholders=self._placeholders(),
        )

    async def async_step_dismiss(
        self, user_input: dict[str, str] | None = None
    ) -> data_entry_flow.FlowResult:
        """Stop suggesting a charger (linking one stays available in the options)."""
        entry = self._entry()
        if entry is None:
            return self.async_abort(reason="not_loaded")
        async_stop_suggesting_charger(self.hass, entry)
        return self.async_create_entry(data={})


@callback
def async_stop_suggesting_charger(hass: HomeAssistant, entry: EnodeConfigEntry) -> None:
    """Remember that the user wants no charger suggestion, and withdraw the suggestions."""
    if entry.options.get(CONF_SUGGEST_CHARGER) is not False:
        hass.config_entries.async_update_entry(
            entry, options={**entry.options, CONF_SUGGEST_CHARGER: False}
        )
    async_update_issues(hass, entry)


async def async_create_fix_flow(
    hass: HomeAssistant,
    issue_id: str,
    data: dict[str, str | int | float | None] | None,
) -> RepairsFlow:
    """Create the fix flow of a fixable Enode issue."""
    data = data or {}
    if issue_id.startswith(f"{ISSUE_CHARGER_RECOMMENDED}_"):
        return EnodeChargerSuggestionFlow(str(data.get(DATA_ENTRY_ID)), data)
    return EnodeLinkRepairFlow(str(data.get(DATA_ENTRY_ID)), data)
