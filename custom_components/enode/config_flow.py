"""Config, options, reauth and reconfigure flows for Enode.

Linking happens in Enode's Link UI, opened as an external step; Link UI sends the browser back to
the callback view in ``link.py``, which resumes the flow. The linking steps (asset types, brand,
Link UI, charger onboarding) are shared by the config flow and the options flow.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from homeassistant.config_entries import (
    ConfigEntry,
    ConfigEntryBaseFlow,
    ConfigEntryState,
    ConfigFlow,
    ConfigFlowResult,
    OptionsFlow,
)
from homeassistant.const import CONF_CLIENT_ID, CONF_CLIENT_SECRET
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import instance_id
from homeassistant.helpers.selector import (
    SelectOptionDict,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)
from homeassistant.helpers.translation import async_get_translations
import voluptuous as vol

from .api import (
    Asset,
    AssetType,
    Charger,
    EnodeAuthenticationError,
    EnodeClient,
    EnodeConnectionError,
    EnodeError,
    Environment,
    Integration,
    LinkingStatus,
    Vehicle,
)
from .const import (
    CONF_API_URL,
    CONF_ENVIRONMENT,
    CONF_TOKEN_URL,
    CONF_USER_ID,
    DOMAIN,
    LOGGER,
)
from .coordinator import async_fetch_user_assets, async_hand_off, vehicle_controls_charging
from .entity import device_name
from .helpers import create_client
from .link import (
    LINK_ERROR,
    LINK_REASON,
    LinkTarget,
    async_forget_flow,
    async_open_link_ui,
    link_error,
    link_error_step,
)
from .models import EnodeData
from .services import (
    HOME_ZONE,
    LocationError,
    async_assign_charging_location,
    location_choice_options,
)

CONF_ASSET_TYPES = "asset_types"
CONF_VENDOR = "vendor"
CONF_DEVICE = "device"
CONF_CHARGER = "charger"
CONF_LOCATION = "location"

# The brand choice that leaves brand selection to Link UI.
VENDOR_IN_LINK_UI = "link_ui"
# At most this many device names go into an entry title.
TITLE_MAX_DEVICES = 3

SELECTOR_TEXTS = f"component.{DOMAIN}.selector"

ENVIRONMENTS = [Environment.PRODUCTION, Environment.SANDBOX]
ASSET_TYPES = list(AssetType)


async def async_selector_texts(hass: HomeAssistant) -> dict[str, str]:
    """Return this integration's selector texts in Home Assistant's language.

    The keys start with ``SELECTOR_TEXTS``; besides the selectors' options they hold the
    sentences a step puts into its description (``vendor_note``).
    """
    return await async_get_translations(hass, hass.config.language, "selector", [DOMAIN])


def unique_id_for(environment: str, client_id: str, user_id: str) -> str:
    """Return the unique id of a config entry: one Enode user of one client."""
    return f"{environment}_{client_id}_{user_id}"


async def async_default_user_id(hass: HomeAssistant) -> str:
    """Return the Enode user id derived from this Home Assistant instance (stable)."""
    return f"home-assistant-{await instance_id.async_get(hass)}"


def create_flow_client(hass: HomeAssistant, data: Mapping[str, Any]) -> EnodeClient:
    """Return a client for the credentials of a flow (on Home Assistant's session)."""
    return create_client(hass, data)


async def async_verify(hass: HomeAssistant, data: Mapping[str, Any]) -> str | None:
    """Verify the client credentials; return an error key or None."""
    client = create_flow_client(hass, data)
    try:
        await client.verify_credentials()
    except EnodeAuthenticationError:
        return "invalid_auth"
    except EnodeConnectionError:
        return "cannot_connect"
    except EnodeError:
        LOGGER.debug("Enode rejected the token request", exc_info=True)
        return "cannot_connect"
    except Exception:
        LOGGER.exception("Unexpected error while verifying the Enode credentials")
        return "unknown"
    return None


def entry_title(assets: list[Asset]) -> str:
    """Return an entry title naming the linked devices (vendor and name)."""
    names = [device_name(asset) for asset in assets]
    if not names:
        return "Enode"
    if len(names) > TITLE_MAX_DEVICES:
        shown = ", ".join(names[:TITLE_MAX_DEVICES])
        return f"{shown} +{len(names) - TITLE_MAX_DEVICES}"
    return ", ".join(names)


async def async_fetch_assets(client: EnodeClient, user_id: str) -> list[Asset]:
    """Return every asset the user has linked (one list request per linked asset type)."""
    return list((await async_fetch_user_assets(client, user_id)).iter_assets())


def _credentials_schema(*, advanced: bool, reconfigure: bool = False) -> vol.Schema:
    """Return the schema of the credentials form."""
    environments = [*ENVIRONMENTS, Environment.CUSTOM] if advanced else ENVIRONMENTS
    schema: dict[vol.Marker, Any] = {
        vol.Required(CONF_ENVIRONMENT, default=Environment.PRODUCTION): SelectSelector(
            SelectSelectorConfig(
                options=[str(env) for env in environments],
                mode=SelectSelectorMode.LIST,
                translation_key="environment",
            )
        ),
        vol.Required(CONF_CLIENT_ID): TextSelector(),
        vol.Required(CONF_CLIENT_SECRET): TextSelector(
            TextSelectorConfig(type=TextSelectorType.PASSWORD)
        ),
    }
    if advanced:
        url = TextSelector(TextSelectorConfig(type=TextSelectorType.URL))
        schema[vol.Optional(CONF_API_URL)] = url
        schema[vol.Optional(CONF_TOKEN_URL)] = url
        if not reconfigure:
            schema[vol.Optional(CONF_USER_ID)] = TextSelector()
    return vol.Schema(schema)


def _credentials_data(user_input: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """Return the entry data of the credentials form, and its errors."""
    errors: dict[str, str] = {}
    environment = Environment(user_input[CONF_ENVIRONMENT])
    data: dict[str, Any] = {
        CONF_ENVIRONMENT: str(environment),
        CONF_CLIENT_ID: user_input[CONF_CLIENT_ID].strip(),
        CONF_CLIENT_SECRET: user_input[CONF_CLIENT_SECRET],
    }
    if environment is Environment.CUSTOM:
        api_url = str(user_input.get(CONF_API_URL, "")).strip().rstrip("/")
        token_url = str(user_input.get(CONF_TOKEN_URL, "")).strip()
        if not api_url.startswith(("http://", "https://")):
            errors[CONF_API_URL] = "invalid_url"
        if not token_url.startswith(("http://", "https://")):
            errors[CONF_TOKEN_URL] = "invalid_url"
        data[CONF_API_URL] = api_url
        data[CONF_TOKEN_URL] = token_url
    return data, errors


class EnodeLinkFlow(ConfigEntryBaseFlow):
    """The linking steps shared by the config flow and the options flow.

    asset_types -> vendor -> link (external step: Link UI) -> linked, with link_failed or
    link_cancelled (retry or abort) when Link UI reports an error or a cancel, and charger
    onboarding (charger_required / charger_recommended) after a vehicle.
    """

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
                                translation_key="asset_type",
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
        wanted = {str(asset_type) for asset_type in self._asset_types}
        vendors: dict[str, Integration] = {
            integration.vendor: integration
            for integration in integrations
            if wanted <= set(integration.asset_types)
        }
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
        options = [SelectOptionDict(value=VENDOR_IN_LINK_UI, label="Enode Link UI")]
        for integration in sorted(
            vendors.values(), key=lambda item: (item.display_name or item.vendor).lower()
        ):
            label = integration.display_name or integration.vendor
            if integration.linking_status is LinkingStatus.OUTAGE:
                label = f"{label} (outage: cannot be linked now)"
            elif integration.linking_status is LinkingStatus.ELEVATED_ERROR_RATE:
                label = f"{label} (elevated error rate)"
            options.append(SelectOptionDict(value=integration.vendor, label=label))
        outages = [
            integration.display_name or integration.vendor
            for integration in vendors.values()
            if integration.linking_status is LinkingStatus.OUTAGE
        ]
        texts = await async_selector_texts(self.hass)
        type_names = [
            texts.get(f"{SELECTOR_TEXTS}.asset_type.options.{asset_type}", str(asset_type))
            for asset_type in self._asset_types
        ]
        outage_note = ""
        if outages:
            note = texts.get(f"{SELECTOR_TEXTS}.vendor_note.options.outages", "{brands}")
            outage_note = f" {note.replace('{brands}', ', '.join(sorted(outages)))}"
        return self.async_show_form(
            step_id="vendor",
            data_schema=vol.Schema(
                {
                    vol.Required(CONF_VENDOR, default=VENDOR_IN_LINK_UI): SelectSelector(
                        SelectSelectorConfig(
                            options=options,
                            mode=SelectSelectorMode.DROPDOWN,
                            translation_key="vendor",
                        )
                    )
                }
            ),
            errors=errors,
            description_placeholders={
                "asset_types": ", ".join(type_names),
                "outages": outage_note,
            },
        )

    async def async_step_link(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Open Link UI (external step); the callback view resumes the flow here."""
        if user_input is not None:
            async_forget_flow(self.hass, self.flow_id)
            self._link_error = link_error(user_input)
            return self.async_external_step_done(
                next_step_id=link_error_step(self._link_error, "linked")
            )
        client = self._flow_client()
        if self._relink_asset_id is None:
            if (known := await self._async_linked_assets()) is None:
                return self.async_abort(reason="cannot_connect")
            self._known_asset_ids = frozenset(asset.id for asset in known)
            if self._assets_before_flow is None:
                self._assets_before_flow = self._known_asset_ids
        self._linked = None  # Link UI may link more
        return await async_open_link_ui(
            self,
            client,
            target=self._link_target,
            relink_asset_id=self._relink_asset_id,
            user_id=self._flow_user_id(),
            asset_types=self._asset_types,
            vendor=self._vendor,
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
        if new_vehicles and not has_charger and not self._charger_offered:
            self._charger_offered = True
            incapable = [v for v in new_vehicles if not vehicle_controls_charging(v)]
            self._onboarding_vehicle = incapable[0] if incapable else new_vehicles[0]
            if incapable:
                return await self.async_step_charger_required()
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


class EnodeConfigFlow(EnodeLinkFlow, ConfigFlow, domain=DOMAIN):
    """Add an Enode user: credentials, then link devices in Link UI."""

    VERSION = 1
    MINOR_VERSION = 1

    _link_target = LinkTarget.CONFIG_FLOW

    def __init__(self) -> None:
        """Initialize the flow."""
        self._data: dict[str, Any] = {}
        self._client: EnodeClient | None = None
        self._asset_types = [AssetType.VEHICLE]

    @staticmethod
    @callback
    def async_get_options_flow(config_entry: ConfigEntry) -> EnodeOptionsFlow:
        """Return the options flow."""
        return EnodeOptionsFlow()

    def _flow_client(self) -> EnodeClient:
        """Return the client for the verified credentials."""
        if self._client is None:
            self._client = create_flow_client(self.hass, self._data)
        return self._client

    def _flow_user_id(self) -> str:
        """Return the Enode user id of the entry being created."""
        user_id: str = self._data[CONF_USER_ID]
        return user_id

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Enter the Enode client credentials and the environment."""
        errors: dict[str, str] = {}
        if user_input is not None:
            data, errors = _credentials_data(user_input)
            user_id = str(user_input.get(CONF_USER_ID) or "").strip()
            data[CONF_USER_ID] = user_id or await async_default_user_id(self.hass)
            if not errors:
                await self.async_set_unique_id(
                    unique_id_for(data[CONF_ENVIRONMENT], data[CONF_CLIENT_ID], data[CONF_USER_ID])
                )
                self._abort_if_unique_id_configured()
                if (error := await async_verify(self.hass, data)) is None:
                    self._data = data
                    self._client = None
                    return await self.async_step_existing()
                errors["base"] = error
        schema = _credentials_schema(advanced=self.show_advanced_options)
        return self.async_show_form(
            step_id="user",
            data_schema=self.add_suggested_values_to_schema(schema, user_input),
            errors=errors,
        )

    async def async_step_existing(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Offer to keep the devices the Enode user already has linked, if any."""
        if (assets := await self._async_linked_assets()) is None:
            return self.async_abort(reason="cannot_connect")
        if not assets:
            return await self.async_step_asset_types()
        return self.async_show_menu(
            step_id="existing",
            menu_options=["keep_existing", "asset_types"],
            description_placeholders={"devices": entry_title(assets)},
        )

    async def async_step_keep_existing(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Create the entry with the devices already linked."""
        return await self.async_step_charger_skip()

    async def _async_link_finished(self, assets: list[Asset]) -> ConfigFlowResult:
        """Create the entry, titled with the linked devices (its set-up reuses their read)."""
        if self._linked is not None and self.unique_id is not None:
            async_hand_off(self.hass, self.unique_id, self._linked)
        return self.async_create_entry(title=entry_title(assets), data=self._data)

    async def async_step_reauth(self, entry_data: Mapping[str, Any]) -> ConfigFlowResult:
        """The client secret was rejected."""
        return await self.async_step_reauth_confirm()

    async def async_step_reauth_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Enter a new client secret (the client id must stay the same)."""
        entry = self._get_reauth_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            client_id = user_input[CONF_CLIENT_ID].strip()
            await self.async_set_unique_id(
                unique_id_for(entry.data[CONF_ENVIRONMENT], client_id, entry.data[CONF_USER_ID])
            )
            self._abort_if_unique_id_mismatch(reason="account_mismatch")
            data = {**entry.data, CONF_CLIENT_SECRET: user_input[CONF_CLIENT_SECRET]}
            if (error := await async_verify(self.hass, data)) is None:
                return self.async_update_reload_and_abort(
                    entry, data_updates={CONF_CLIENT_SECRET: user_input[CONF_CLIENT_SECRET]}
                )
            errors["base"] = error
        schema = vol.Schema(
            {
                vol.Required(CONF_CLIENT_ID): TextSelector(),
                vol.Required(CONF_CLIENT_SECRET): TextSelector(
                    TextSelectorConfig(type=TextSelectorType.PASSWORD)
                ),
            }
        )
        return self.async_show_form(
            step_id="reauth_confirm",
            data_schema=self.add_suggested_values_to_schema(
                schema, {CONF_CLIENT_ID: entry.data[CONF_CLIENT_ID]}
            ),
            errors=errors,
            description_placeholders={"title": entry.title},
        )

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change the credentials or the environment; the user id and devices stay."""
        entry = self._get_reconfigure_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            data, errors = _credentials_data(user_input)
            if not errors:
                unique_id = unique_id_for(
                    data[CONF_ENVIRONMENT], data[CONF_CLIENT_ID], entry.data[CONF_USER_ID]
                )
                if unique_id != entry.unique_id and any(
                    other.unique_id == unique_id
                    for other in self._async_current_entries(include_ignore=False)
                ):
                    return self.async_abort(reason="already_configured")
                if (error := await async_verify(self.hass, data)) is None:
                    new_data = {
                        key: value
                        for key, value in entry.data.items()
                        if key not in (CONF_API_URL, CONF_TOKEN_URL)
                    }
                    new_data.update(data)
                    return self.async_update_reload_and_abort(
                        entry, unique_id=unique_id, data=new_data
                    )
                errors["base"] = error
        schema = _credentials_schema(
            advanced=self.show_advanced_options
            or entry.data.get(CONF_ENVIRONMENT) == Environment.CUSTOM,
            reconfigure=True,
        )
        return self.async_show_form(
            step_id="reconfigure",
            data_schema=self.add_suggested_values_to_schema(
                schema,
                user_input
                or {
                    key: value
                    for key, value in entry.data.items()
                    if key != CONF_CLIENT_SECRET and value is not None
                },
            ),
            errors=errors,
        )


class EnodeOptionsFlow(EnodeLinkFlow, OptionsFlow):
    """Link more devices, relink a device, set the charging location."""

    _link_target = LinkTarget.OPTIONS_FLOW

    def __init__(self) -> None:
        """Initialize the flow."""
        self._asset_types = [AssetType.VEHICLE]
        self._charger_id: str | None = None

    def _flow_client(self) -> EnodeClient:
        """Return the loaded entry's client."""
        client: EnodeClient = self.config_entry.runtime_data.client
        return client

    def _flow_user_id(self) -> str:
        """Return the entry's Enode user id."""
        user_id: str = self.config_entry.data[CONF_USER_ID]
        return user_id

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Show what can be done."""
        if self.config_entry.state is not ConfigEntryState.LOADED:
            return self.async_abort(reason="not_loaded")
        return self.async_show_menu(
            step_id="init", menu_options=["asset_types", "relink", "charging_location"]
        )

    async def _async_link_finished(self, assets: list[Asset]) -> ConfigFlowResult:
        """Refresh so new devices appear; close the flow naming what was (re)linked.

        The options do not change, so nothing reloads the entry: the refresh adds the devices
        and entities of new assets. The flow ends as an abort to show its own message instead
        of "Options successfully saved".
        """
        await self.config_entry.runtime_data.coordinator.async_refresh()
        if self._relink_asset_id is not None:
            relinked = [asset for asset in assets if asset.id == self._relink_asset_id]
            return self.async_abort(
                reason="device_relinked",
                description_placeholders={"device": entry_title(relinked)},
            )
        before = self._assets_before_flow or frozenset()
        linked = [asset for asset in assets if asset.id not in before]
        return self.async_abort(
            reason="devices_linked",
            description_placeholders={"devices": entry_title(linked), "count": str(len(linked))},
        )

    async def async_step_relink(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Choose a device to relink in Link UI."""
        assets = self.config_entry.runtime_data.coordinator.data.all_assets()
        if not assets:
            return self.async_abort(reason="no_devices")
        if user_input is not None:
            self._relink_asset_id = user_input[CONF_DEVICE]
            return await self.async_step_link()
        return self.async_show_form(
            step_id="relink",
            data_schema=vol.Schema(
                {
                    vol.Required(CONF_DEVICE): SelectSelector(
                        SelectSelectorConfig(
                            options=[
                                SelectOptionDict(value=asset_id, label=device_name(asset))
                                for asset_id, asset in assets.items()
                            ],
                            mode=SelectSelectorMode.DROPDOWN,
                        )
                    )
                }
            ),
        )

    async def async_step_charging_location(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Assign a charger to the home (or a zone, or an existing Enode Location)."""
        runtime = self.config_entry.runtime_data
        data = runtime.coordinator.data
        if not data.chargers:
            return self.async_abort(reason="no_chargers")
        errors: dict[str, str] = {}
        if user_input is not None:
            try:
                await async_assign_charging_location(
                    self.hass,
                    self.config_entry,
                    user_input[CONF_CHARGER],
                    choice=user_input[CONF_LOCATION],
                )
            except LocationError as err:
                errors["base"] = err.key
            except EnodeError as err:
                LOGGER.warning("Could not set the charging location: %s", err)
                errors["base"] = "cannot_connect"
            else:
                return self.async_create_entry(data=dict(self.config_entry.options))
        try:
            locations = await runtime.client.list_locations(runtime.coordinator.user_id)
        except EnodeError as err:
            LOGGER.debug("Could not list the Enode Locations: %s", err)
            locations = []
        schema = vol.Schema(
            {
                vol.Required(CONF_CHARGER): SelectSelector(
                    SelectSelectorConfig(
                        options=[
                            SelectOptionDict(value=charger_id, label=device_name(charger))
                            for charger_id, charger in data.chargers.items()
                        ],
                        mode=SelectSelectorMode.DROPDOWN,
                    )
                ),
                vol.Required(CONF_LOCATION, default=HOME_ZONE): SelectSelector(
                    SelectSelectorConfig(
                        options=location_choice_options(self.hass, locations),
                        mode=SelectSelectorMode.DROPDOWN,
                    )
                ),
            }
        )
        return self.async_show_form(
            step_id="charging_location",
            data_schema=self.add_suggested_values_to_schema(schema, user_input),
            errors=errors,
        )
