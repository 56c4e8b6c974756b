"""The linking steps the config flow and the options flow share.

asset_types -> vendor -> link (external step: Link UI) -> linked, with link_failed or
link_cancelled (retry or stop) when Link UI reports an error or a cancel, no_devices when
nothing new was linked, and charger onboarding (charger_required / charger_recommended) after a
vehicle. Link UI sends the browser back to the callback view in ``link.py``, which resumes the
flow at ``link``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from homeassistant.config_entries import ConfigEntryBaseFlow, ConfigFlowResult
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.selector import (
    SelectOptionDict,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
)
import voluptuous as vol

from .api import (
    Asset,
    AssetBase,
    AssetType,
    Charger,
    EnodeClient,
    EnodeError,
    Integration,
    LinkingStatus,
    Vehicle,
)
from .const import CONF_AUTO_TITLE, LOGGER
from .coordinator import async_fetch_user_assets
from .entity import device_name
from .link import (
    LINK_ERROR,
    LINK_REASON,
    LinkRequest,
    LinkSessionRequest,
    LinkTarget,
    RelinkRequest,
    async_forget_flow,
    async_link_ui_returned,
    async_open_link_ui,
)
from .models import EnodeConfigEntry, EnodeData
from .pairing import async_get_charger_reliance, vehicle_controls_charging
from .texts import ASSET_TYPE_SELECTOR, Texts, async_texts

CONF_ASSET_TYPES = "asset_types"
CONF_VENDOR = "vendor"

# The brand choice that leaves brand selection to Link UI.
VENDOR_IN_LINK_UI = "link_ui"
# At most this many device names go into an entry title (or a "linked ..." message).
TITLE_MAX_DEVICES = 3
# The translation key of the brand selector (the device types': texts.ASSET_TYPE_SELECTOR).
VENDOR_SELECTOR = "vendor"

ASSET_TYPES = list(AssetType)


def entry_title(assets: Sequence[AssetBase]) -> str:
    """Return an entry title naming the linked devices (vendor and name)."""
    names = [device_name(asset) for asset in assets]
    if not names:
        return "Enode"
    if len(names) > TITLE_MAX_DEVICES:
        shown = ", ".join(names[:TITLE_MAX_DEVICES])
        return f"{shown} +{len(names) - TITLE_MAX_DEVICES}"
    return ", ".join(names)


@callback
def async_follow_entry_title(hass: HomeAssistant, entry: EnodeConfigEntry) -> CALLBACK_TYPE:
    """Keep an entry's title naming its devices while it is the title the integration made.

    The config flow records the title it made (``CONF_AUTO_TITLE``); an older entry whose title
    names its current devices counts as made too. When devices are linked or removed later
    (options, ``enode.link``, a repair, another app), the title follows; once the user renamed
    the entry, it stays. Returns the function that stops following.
    """
    coordinator = entry.runtime_data.coordinator
    made: str | None = entry.data.get(CONF_AUTO_TITLE)
    if made is None and entry.title == entry_title(list(coordinator.data.iter_assets())):
        made = entry.title

    @callback
    def _async_update() -> None:
        nonlocal made
        if made is None or entry.title != made or not coordinator.last_update_success:
            return
        title = entry_title(list(coordinator.data.iter_assets()))
        if title == entry.title:
            return
        made = title
        hass.config_entries.async_update_entry(
            entry, title=title, data={**entry.data, CONF_AUTO_TITLE: title}
        )

    return coordinator.async_add_listener(_async_update)


async def async_fetch_assets(client: EnodeClient, user_id: str) -> list[Asset]:
    """Return every asset the user has linked (one list request per linked asset type)."""
    return list((await async_fetch_user_assets(client, user_id)).iter_assets())


def _brand(integration: Integration) -> str:
    """Return the brand name of an Enode integration."""
    return integration.display_name or integration.vendor


def vendors_supporting(
    integrations: list[Integration], asset_types: list[AssetType]
) -> dict[str, Integration]:
    """Return the brands that support every one of the asset types, by Enode vendor."""
    wanted = {str(asset_type) for asset_type in asset_types}
    return {
        integration.vendor: integration
        for integration in integrations
        if wanted <= set(integration.asset_types)
    }


def vendor_options(texts: Texts, vendors: list[Integration]) -> list[SelectOptionDict]:
    """Return the brand choices: Link UI's own brand selection first, then the brands.

    A brand in an outage or with an elevated error rate says so in its label.
    """
    options = [
        SelectOptionDict(
            value=VENDOR_IN_LINK_UI, label=texts.option(VENDOR_SELECTOR, VENDOR_IN_LINK_UI)
        )
    ]
    for integration in sorted(vendors, key=lambda item: _brand(item).lower()):
        label = _brand(integration)
        if integration.linking_status is LinkingStatus.OUTAGE:
            label = texts.common("vendor_outage", brand=label)
        elif integration.linking_status is LinkingStatus.ELEVATED_ERROR_RATE:
            label = texts.common("vendor_elevated_error_rate", brand=label)
        options.append(SelectOptionDict(value=integration.vendor, label=label))
    return options


def charger_note(texts: Texts, asset_types: list[AssetType]) -> str:
    """Return the paragraph the brand step adds before a vehicle is linked without a charger.

    Seed 004: when charger linking is mandatory, say so before the vehicle linking starts.
    """
    if AssetType.VEHICLE not in asset_types or AssetType.CHARGER in asset_types:
        return ""
    return f"\n\n{texts.common('charger_note')}"


def outage_note(texts: Texts, vendors: list[Integration]) -> str:
    """Return the sentence appended to the brand step about brands in an outage ("" if none)."""
    outages = sorted(
        _brand(integration)
        for integration in vendors
        if integration.linking_status is LinkingStatus.OUTAGE
    )
    if not outages:
        return ""
    return f" {texts.common('vendor_outages', brands=', '.join(outages))}"


class EnodeLinkFlow(ConfigEntryBaseFlow):
    """The linking steps shared by the config flow and the options flow."""

    _link_target: LinkTarget
    _asset_types: list[AssetType]
    _vendor: str | None = None
    _relink_asset_id: str | None = None
    _link_error: dict[str, str] | None = None
    _known_asset_ids: frozenset[str] = frozenset()
    # The assets linked before this flow opened Link UI the first time.
    _assets_before_flow: frozenset[str] | None = None
    _charger_offered: bool = False
    _onboarding_vehicle: Vehicle | None = None
    # The last read of the user's assets: read again only after Link UI (set-up reads once).
    _linked: EnodeData | None = None

    # ----------------------------------------------------------- to implement

    def _flow_client(self) -> EnodeClient:
        """Return the client of this flow."""
        raise NotImplementedError

    def _flow_user_id(self) -> str:
        """Return the Enode user id of this flow."""
        raise NotImplementedError

    def _suggests_charger(self) -> bool:
        """Return whether to recommend a charger after a capable vehicle (the user may decline)."""
        return True

    async def _async_link_finished(self, assets: list[Asset]) -> ConfigFlowResult:
        """Finish the flow after linking; ``assets`` are every asset the user has linked."""
        raise NotImplementedError

    # ------------------------------------------------------------------ steps

    async def async_step_asset_types(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Choose the types of devices to link (multi-type linking)."""
        errors: dict[str, str] = {}
        if user_input is not None:
            chosen = [AssetType(value) for value in user_input[CONF_ASSET_TYPES]]
            if chosen:
                self._asset_types = [
                    asset_type for asset_type in ASSET_TYPES if asset_type in chosen
                ]
                self._relink_asset_id = None
                return await self.async_step_vendor()
            errors[CONF_ASSET_TYPES] = "no_asset_types"
        return self.async_show_form(
            step_id="asset_types",
            data_schema=vol.Schema(
                {
                    vol.Required(CONF_ASSET_TYPES, default=[str(AssetType.VEHICLE)]): (
                        SelectSelector(
                            SelectSelectorConfig(
                                options=[str(asset_type) for asset_type in ASSET_TYPES],
                                multiple=True,
                                mode=SelectSelectorMode.LIST,
                                translation_key=ASSET_TYPE_SELECTOR,
                            )
                        )
                    )
                }
            ),
            errors=errors,
        )

    async def async_step_vendor(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Choose the brand, or leave the choice to Link UI."""
        errors: dict[str, str] = {}
        try:
            integrations = await self._flow_client().list_integrations(self._asset_types)
        except EnodeError as err:
            LOGGER.debug("Could not list the Enode integrations: %s", err)
            integrations = []
            errors["base"] = "integrations_unavailable"
        vendors = vendors_supporting(integrations, self._asset_types)
        if user_input is not None:
            choice = user_input[CONF_VENDOR]
            if choice == VENDOR_IN_LINK_UI:
                self._vendor = None
                return await self.async_step_link()
            integration = vendors.get(choice)
            if integration is None:
                errors[CONF_VENDOR] = "vendor_unavailable"
            elif integration.linking_status is LinkingStatus.OUTAGE:
                errors[CONF_VENDOR] = "vendor_outage"
            else:
                self._vendor = integration.vendor
                return await self.async_step_link()
        texts = await async_texts(self.hass)
        type_names = [texts.asset_type(str(asset_type)) for asset_type in self._asset_types]
        return self.async_show_form(
            step_id="vendor",
            data_schema=vol.Schema(
                {
                    vol.Required(CONF_VENDOR, default=VENDOR_IN_LINK_UI): SelectSelector(
                        SelectSelectorConfig(
                            options=vendor_options(texts, list(vendors.values())),
                            mode=SelectSelectorMode.DROPDOWN,
                            translation_key=VENDOR_SELECTOR,
                        )
                    )
                }
            ),
            errors=errors,
            description_placeholders={
                "asset_types": ", ".join(type_names),
                "outages": outage_note(texts, list(vendors.values())),
                "charger_note": charger_note(texts, self._asset_types),
            },
        )

    async def async_step_link(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Open Link UI (external step); the callback view resumes the flow here."""
        if user_input is not None:
            result, self._link_error = async_link_ui_returned(self, user_input, "linked")
            return result
        request: LinkSessionRequest
        if self._relink_asset_id is not None:
            request = RelinkRequest(asset_id=self._relink_asset_id)
        else:
            if (known := await self._async_linked_assets()) is None:
                return self.async_abort(reason="cannot_connect")
            self._known_asset_ids = frozenset(asset.id for asset in known)
            if self._assets_before_flow is None:
                self._assets_before_flow = self._known_asset_ids
            request = LinkRequest(
                user_id=self._flow_user_id(), asset_types=self._asset_types, vendor=self._vendor
            )
        self._linked = None  # Link UI may link more
        return await async_open_link_ui(
            self, self._flow_client(), request, target=self._link_target
        )

    async def _async_linked_assets(self) -> list[Asset] | None:
        """Return the devices the flow's Enode user has linked; None (logged) if unreadable.

        Read once per visit to Link UI: the steps after it reuse the read.
        """
        if self._linked is None:
            try:
                self._linked = await async_fetch_user_assets(
                    self._flow_client(), self._flow_user_id()
                )
            except EnodeError as err:
                LOGGER.warning("Could not read the linked Enode devices: %s", err)
                return None
        return list(self._linked.iter_assets())

    async def async_step_link_failed(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Explain that Link UI was left before linking; offer to retry or to stop."""
        error = self._link_error or {}
        return self.async_show_menu(
            step_id="link_failed",
            menu_options=["link", "link_abort"],
            description_placeholders={
                LINK_ERROR: error.get(LINK_ERROR, "-"),
                LINK_REASON: error.get(LINK_REASON, ""),
            },
        )

    async def async_step_link_cancelled(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Say that the user cancelled in Link UI; offer to retry or to stop."""
        return self.async_show_menu(step_id="link_cancelled", menu_options=["link", "link_abort"])

    async def async_step_link_abort(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Stop after Link UI was left."""
        return self.async_abort(reason="link_cancelled")

    async def async_step_linked(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Link UI finished: find the linked devices; offer the charger; finish."""
        if (assets := await self._async_linked_assets()) is None:
            return self.async_abort(reason="cannot_connect")
        if self._relink_asset_id is not None:
            return await self._async_link_finished(assets)
        new_assets = [asset for asset in assets if asset.id not in self._known_asset_ids]
        if not new_assets:
            return await self.async_step_no_devices()
        new_vehicles = [asset for asset in new_assets if isinstance(asset, Vehicle)]
        has_charger = any(isinstance(asset, Charger) for asset in assets)
        if new_vehicles and not has_charger:
            # Seen without a charger: whether each needs one (for unlinking it later).
            reliance = await async_get_charger_reliance(self.hass)
            for vehicle in new_vehicles:
                reliance.async_learn(vehicle)
        if new_vehicles and not has_charger and not self._charger_offered:
            self._charger_offered = True
            incapable = [v for v in new_vehicles if not vehicle_controls_charging(v)]
            self._onboarding_vehicle = incapable[0] if incapable else new_vehicles[0]
            if incapable:
                return await self.async_step_charger_required()
            if self._suggests_charger():
                return await self.async_step_charger_recommended()
        return await self._async_link_finished(assets)

    async def async_step_no_devices(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Nothing new was linked: choose device types again, or stop."""
        return self.async_show_menu(
            step_id="no_devices", menu_options=["asset_types", "link_abort"]
        )

    async def async_step_charger_required(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """The vehicle cannot control charging alone: linking the charger is required for it."""
        return self._async_show_charger_menu("charger_required")

    async def async_step_charger_recommended(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """The vehicle controls charging itself: linking the charger is recommended."""
        return self._async_show_charger_menu("charger_recommended")

    @callback
    def _async_show_charger_menu(self, step_id: str) -> ConfigFlowResult:
        """Offer to link the charger next, or to skip it."""
        vehicle = self._onboarding_vehicle
        return self.async_show_menu(
            step_id=step_id,
            menu_options=["charger_link", "charger_skip"],
            description_placeholders={"vehicle": device_name(vehicle) if vehicle else "-"},
        )

    async def async_step_charger_link(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Link the home charger next (contextual onboarding)."""
        self._asset_types = [AssetType.CHARGER]
        self._relink_asset_id = None
        return await self.async_step_vendor()

    async def async_step_charger_skip(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Skip linking a charger."""
        if (assets := await self._async_linked_assets()) is None:
            return self.async_abort(reason="cannot_connect")
        return await self._async_link_finished(assets)

    @callback
    def async_remove(self) -> None:
        """Forget the flow's pending link sessions."""
        async_forget_flow(self.hass, self.flow_id)
