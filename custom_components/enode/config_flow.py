"""Config, reauth, reconfigure and options flows for Enode.

The config flow takes the client credentials, then links devices with the linking steps it shares
with the options flow (``link_flow.py``: device types, brand, Link UI, charger onboarding). The
options flow links more devices, relinks one, or sets a charger's charging location.
"""

from __future__ import annotations

from collections.abc import Mapping
import os
from typing import Any

from homeassistant.config_entries import (
    ConfigEntryState,
    ConfigFlow,
    ConfigFlowResult,
    OptionsFlow,
)
from homeassistant.const import CONF_CLIENT_ID, CONF_CLIENT_SECRET, UnitOfTime
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import instance_id
from homeassistant.helpers.selector import (
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectOptionDict,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)
import voluptuous as vol

from .api import (
    Asset,
    AssetBase,
    AssetType,
    Charger,
    EnodeClient,
    EnodeError,
    Environment,
)
from .const import (
    CONF_API_URL,
    CONF_AUTO_TITLE,
    CONF_BACKFILL_DAYS,
    CONF_ENVIRONMENT,
    CONF_SUGGEST_CHARGER,
    CONF_TOKEN_URL,
    CONF_USER_ID,
    DEFAULT_BACKFILL_DAYS,
    DOMAIN,
    LOGGER,
    MAX_BACKFILL_DAYS,
)
from .coordinator import async_hand_off
from .entity import device_name
from .helpers import flow_error
from .hub import async_get_hub
from .link import LinkTarget
from .link_flow import EnodeLinkFlow, entry_title
from .locations import (
    HOME_ZONE,
    LocationError,
    async_assign_charging_location,
    async_location_choices,
)
from .models import EnodeConfigEntry, EnodeData
from .pairing import ChargerReliance, async_get_charger_reliance
from .repairs import async_stop_suggesting_charger
from .texts import Texts, async_texts

CONF_DEVICE = "device"
CONF_CHARGER = "charger"
CONF_LOCATION = "location"

ENVIRONMENTS = [Environment.PRODUCTION, Environment.SANDBOX]

# The local simulator's port, for the URL hints of the custom environment: scripts/develop sets
# SIMULATOR_PORT for Home Assistant and the simulator alike (the simulator's default is 8234).
SIMULATOR_PORT_ENV = "SIMULATOR_PORT"
DEFAULT_SIMULATOR_PORT = 8234


def simulator_placeholders() -> dict[str, str]:
    """Return the description placeholders naming the simulator's URLs (SIMULATOR_PORT)."""
    port = os.environ.get(SIMULATOR_PORT_ENV, "").strip()
    if not port.isdigit() or not 0 < int(port) < 65536:
        port = str(DEFAULT_SIMULATOR_PORT)
    url = f"http://127.0.0.1:{int(port)}"
    return {"simulator_url": url, "simulator_token_url": f"{url}/oauth2/token"}


def unique_id_for(environment: str, client_id: str, user_id: str) -> str:
    """Return the unique id of a config entry: one Enode user of one client."""
    return f"{environment}_{client_id}_{user_id}"


async def async_default_user_id(hass: HomeAssistant) -> str:
    """Return the Enode user id derived from this Home Assistant instance (stable)."""
    return f"home-assistant-{await instance_id.async_get(hass)}"


async def async_verify(hass: HomeAssistant, data: Mapping[str, Any]) -> str | None:
    """Verify the client credentials; return a form error key, or None when they work."""
    try:
        # The hub's client: its token serves the entry this flow creates too.
        await async_get_hub(hass, data).client.verify_credentials()
    except EnodeError as err:
        LOGGER.debug("Enode did not accept the credentials: %s", err)
        return flow_error(err)
    except Exception as err:
        LOGGER.exception("Unexpected error while verifying the Enode credentials")
        return flow_error(err)
    return None


def device_selector(assets: Mapping[str, AssetBase]) -> SelectSelector:
    """Return a drop-down of devices by name (the values are their asset ids)."""
    return SelectSelector(
        SelectSelectorConfig(
            options=[
                SelectOptionDict(value=asset_id, label=device_name(asset))
                for asset_id, asset in assets.items()
            ],
            mode=SelectSelectorMode.DROPDOWN,
        )
    )


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
    def async_get_options_flow(config_entry: EnodeConfigEntry) -> EnodeOptionsFlow:
        """Return the options flow."""
        return EnodeOptionsFlow()

    def _flow_client(self) -> EnodeClient:
        """Return the client for the verified credentials."""
        if self._client is None:
            self._client = async_get_hub(self.hass, self._data).client
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
            description_placeholders=simulator_placeholders(),
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
        """Create the entry, titled with the linked devices (the title follows them later; its
        set-up reuses their read)."""
        if self._linked is not None and self.unique_id is not None:
            async_hand_off(self.hass, self.unique_id, self._linked)
        title = entry_title(assets)
        return self.async_create_entry(title=title, data={**self._data, CONF_AUTO_TITLE: title})

    async def async_step_reauth(self, entry_data: Mapping[str, Any]) -> ConfigFlowResult:
        """The client secret was rejected."""
        return await self.async_step_reauth_confirm()

    async def async_step_reauth_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Enter a new client secret (the client id must stay the same)."""
        entry = self._get_reauth_entry()
        errors: dict[str, str] = {}
        client_id = entry.data[CONF_CLIENT_ID]
        if user_input is not None:
            client_id = user_input[CONF_CLIENT_ID].strip()
            data = {**entry.data, CONF_CLIENT_SECRET: user_input[CONF_CLIENT_SECRET]}
            if client_id != entry.data[CONF_CLIENT_ID]:
                # Another client is another Enode account: say so and let the user correct it
                # (an abort would end the reauth while the entry stays unusable).
                errors[CONF_CLIENT_ID] = "account_mismatch"
            elif (error := await async_verify(self.hass, data)) is None:
                return self.async_update_reload_and_abort(
                    entry, data_updates={CONF_CLIENT_SECRET: user_input[CONF_CLIENT_SECRET]}
                )
            else:
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
            data_schema=self.add_suggested_values_to_schema(schema, {CONF_CLIENT_ID: client_id}),
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
            description_placeholders=simulator_placeholders(),
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

    def _suggests_charger(self) -> bool:
        """Return False once the user declined a charger (dismissed, or unlinked one)."""
        return self.config_entry.options.get(CONF_SUGGEST_CHARGER, True) is not False

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Show what can be done."""
        if self.config_entry.state is not ConfigEntryState.LOADED:
            return self.async_abort(reason="not_loaded")
        return self.async_show_menu(
            step_id="init",
            menu_options=[
                "asset_types",
                "relink",
                "charging_location",
                "unlink_charger",
                "energy",
            ],
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

    async def async_step_energy(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Choose how many days of history the first statistics import brings."""
        if user_input is not None:
            days = int(user_input[CONF_BACKFILL_DAYS])
            return self.async_create_entry(
                data={**self.config_entry.options, CONF_BACKFILL_DAYS: days}
            )
        current = self.config_entry.options.get(CONF_BACKFILL_DAYS, DEFAULT_BACKFILL_DAYS)
        schema = vol.Schema(
            {
                vol.Required(CONF_BACKFILL_DAYS, default=current): NumberSelector(
                    NumberSelectorConfig(
                        min=1,
                        max=MAX_BACKFILL_DAYS,
                        step=1,
                        mode=NumberSelectorMode.BOX,
                        unit_of_measurement=UnitOfTime.DAYS,
                    )
                ),
            }
        )
        return self.async_show_form(step_id="energy", data_schema=schema)

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
            data_schema=vol.Schema({vol.Required(CONF_DEVICE): device_selector(assets)}),
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
                vol.Required(CONF_CHARGER): device_selector(data.chargers),
                vol.Required(CONF_LOCATION, default=HOME_ZONE): SelectSelector(
                    SelectSelectorConfig(
                        options=await async_location_choices(self.hass, locations),
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

    async def async_step_unlink_charger(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Choose the charger to unlink (seed 004: users can unlink their chargers)."""
        chargers = self.config_entry.runtime_data.coordinator.data.chargers
        if not chargers:
            return self.async_abort(reason="no_chargers")
        if user_input is not None or len(chargers) == 1:
            self._charger_id = user_input[CONF_CHARGER] if user_input else next(iter(chargers))
            return await self.async_step_unlink_charger_confirm()
        return self.async_show_form(
            step_id="unlink_charger",
            data_schema=vol.Schema({vol.Required(CONF_CHARGER): device_selector(chargers)}),
        )

    async def async_step_unlink_charger_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Say what unlinking changes, then unlink the charger's brand account at Enode.

        Enode unlinks a brand's chargers together (``DELETE /users/{id}/vendors/{vendor}/
        charger``; it has no per-asset unlink). Afterwards Home Assistant stops suggesting a
        charger (linking one stays in these options); a vehicle that needs one gets its
        mandatory repair again.
        """
        runtime = self.config_entry.runtime_data
        data = runtime.coordinator.data
        charger = data.chargers.get(self._charger_id or "")
        if charger is None:
            return self.async_abort(reason="no_chargers")
        removed = [other for other in data.chargers.values() if other.vendor == charger.vendor]
        errors: dict[str, str] = {}
        if user_input is not None:
            try:
                await runtime.client.disconnect_vendor(
                    runtime.coordinator.user_id, str(charger.vendor), str(AssetType.CHARGER)
                )
            except EnodeError as err:
                LOGGER.warning("Could not unlink the charger: %s", err)
                errors["base"] = "cannot_connect"
            else:
                async_stop_suggesting_charger(self.hass, self.config_entry)
                await runtime.coordinator.async_refresh()
                return self.async_abort(
                    reason="charger_unlinked",
                    description_placeholders={"devices": entry_title(removed)},
                )
        texts = await async_texts(self.hass)
        return self.async_show_form(
            step_id="unlink_charger_confirm",
            data_schema=vol.Schema({}),
            errors=errors,
            description_placeholders={
                "charger": device_name(charger),
                "consequences": unlink_consequences(
                    texts, data, await async_get_charger_reliance(self.hass), removed
                ),
            },
        )


# What the unlink confirmation says of a vehicle, by whether it needs a charger (None: unknown).
UNLINK_NEEDS = "unlink_needs"
UNLINK_ALONE = "unlink_alone"
UNLINK_UNKNOWN = "unlink_unknown"
UNLINK_SENTENCES: dict[bool | None, str] = {
    True: UNLINK_NEEDS,
    False: UNLINK_ALONE,
    None: UNLINK_UNKNOWN,
}


def unlink_consequences(
    texts: Texts, data: EnodeData, reliance: ChargerReliance, removed: list[Charger]
) -> str:
    """Return what unlinking ``removed`` changes, as Markdown paragraphs (seed 004).

    A vehicle that needs a charger loses charging control and smart charging and is asked for a
    charger again; one that controls charging itself keeps it, less reliably. A vehicle Home
    Assistant never saw without a charger may be either.
    """
    paragraphs: list[str] = []
    if len(removed) > 1:
        paragraphs.append(
            texts.common(
                "unlink_whole_brand",
                brand=str(removed[0].information.brand or removed[0].vendor).title(),
                chargers=entry_title(removed),
            )
        )
    if len(data.chargers) > len(removed):
        paragraphs.append(texts.common("unlink_others_remain"))
        return "\n\n".join(paragraphs)
    # By what Home Assistant saw of each vehicle without a charger: needs one, can do without,
    # or never seen without one.
    groups: dict[bool | None, list[str]] = {True: [], False: [], None: []}
    for vehicle in data.vehicles.values():
        groups[reliance.needs_charger(vehicle.id)].append(device_name(vehicle))
    for needs, names in groups.items():
        if names:
            sentence = UNLINK_SENTENCES[needs]
            paragraphs.append(texts.common(sentence, vehicles=", ".join(sorted(names))))
    paragraphs.append(texts.common("unlink_no_more_suggestions"))
    return "\n\n".join(paragraphs)
