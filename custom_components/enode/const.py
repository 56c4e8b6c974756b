"""Constants for the Enode integration."""

from __future__ import annotations

import logging
from typing import Final

DOMAIN: Final = "enode"
LOGGER = logging.getLogger(__package__)

# Config entry data keys (CONF_CLIENT_ID / CONF_CLIENT_SECRET come from homeassistant.const).
CONF_ENVIRONMENT: Final = "environment"
CONF_API_URL: Final = "api_url"
CONF_TOKEN_URL: Final = "token_url"
CONF_USER_ID: Final = "user_id"
# The entry title the integration made (from the linked devices): while the entry still has it,
# the title follows the devices; a title the user gave stays.
CONF_AUTO_TITLE: Final = "auto_title"

# Config entry option: whether Home Assistant suggests linking a charger to a vehicle that can
# control charging on its own (False once the user dismissed it or unlinked an optional charger).
CONF_SUGGEST_CHARGER: Final = "suggest_charger"

# Config entry option: how many days of Enode's statistics the first import brings into the
# long-term statistics (the Energy dashboard).
CONF_BACKFILL_DAYS: Final = "statistics_backfill_days"
DEFAULT_BACKFILL_DAYS: Final = 30
MAX_BACKFILL_DAYS: Final = 365

# Values of CONF_ENVIRONMENT: the api.const.Environment values ("production", "sandbox", "custom").

# Language used for intervention texts when Home Assistant's language has no Enode equivalent.
DEFAULT_INTERVENTION_LANGUAGE: Final = "en-US"

# Event fired for every final outcome (CONFIRMED / FAILED / CANCELLED) of an Enode action.
EVENT_ACTION: Final = "enode_action"
