"""What the config entries of one Enode client share while Home Assistant runs.

Every config entry is one Enode user, but several entries can use the same Enode client (client
id and secret). They share, per client:

- one API client, so one access token: the config flow that verified the credentials, the entry
  it creates and a set-up retried after an error all use one token instead of fetching a new one
  each time (README "Performance": one token per set-up);
- the client's rate limit: after a 429 nobody asks Enode again before its ``Retry-After`` has
  passed (a set-up retried by Home Assistant fails at once, without a request) and the limit is
  logged once;
- (``webhook.py``) one webhook, whose deliveries carry every user's events and are routed to
  the entry of each event's user.

A hub lives as long as Home Assistant runs (a failed set-up unloads the entry, and the retry must
still see the token and the rate limit).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from homeassistant.const import CONF_CLIENT_ID, CONF_CLIENT_SECRET, EVENT_HOMEASSISTANT_STOP
from homeassistant.core import CALLBACK_TYPE, Event, HomeAssistant, callback
from homeassistant.helpers.event import async_call_later
from homeassistant.util import dt as dt_util
from homeassistant.util.hass_dict import HassKey

from .api import EnodeClient
from .const import CONF_API_URL, CONF_ENVIRONMENT, CONF_TOKEN_URL, DOMAIN, LOGGER
from .helpers import create_client

type ClientGroup = tuple[str, str, str, str]
type ClientKey = tuple[str, str, str, str, str]

_HUBS: HassKey[dict[ClientKey, EnodeHub]] = HassKey(f"{DOMAIN}_hubs")


def client_group(data: Mapping[str, Any]) -> ClientGroup:
    """Return which Enode client an entry uses: environment, URLs and client id (its webhooks
    are the client's, whatever secret an entry holds)."""
    return (
        str(data.get(CONF_ENVIRONMENT, "")),
        str(data.get(CONF_API_URL, "")),
        str(data.get(CONF_TOKEN_URL, "")),
        str(data.get(CONF_CLIENT_ID, "")),
    )


def client_key(data: Mapping[str, Any]) -> ClientKey:
    """Return what one API client (one token) serves: the client and its secret."""
    return (*client_group(data), str(data[CONF_CLIENT_SECRET]))


class EnodeHub:
    """The shared state of one Enode client (see the module docstring)."""

    def __init__(self, hass: HomeAssistant, client: EnodeClient) -> None:
        """Initialize the hub of a client."""
        self.hass = hass
        self.client = client
        # Anything else a feature shares per client (kept by the feature that owns it).
        self.extras: dict[str, Any] = {}
        # While set, Enode's Retry-After has not passed: the timer that ends the limit.
        self._rate_limit_end: CALLBACK_TYPE | None = None
        self._rate_limited_until: datetime | None = None
        self._rate_limit_logged = False
        self._unsub_stop: CALLBACK_TYPE | None = None

    @property
    def rate_limited(self) -> bool:
        """Return whether Enode's Retry-After has not passed yet (nobody asks Enode now)."""
        return self._rate_limit_end is not None

    def rate_limit_remaining(self) -> float:
        """Return the seconds until Enode may be asked again (0 when it may now)."""
        if self._rate_limited_until is None or not self.rate_limited:
            return 0.0
        return max(0.0, (self._rate_limited_until - dt_util.utcnow()).total_seconds())

    @callback
    def async_rate_limited(self, wait: float) -> bool:
        """Record a 429 (no request for ``wait`` seconds); return whether it is news to log."""
        until = dt_util.utcnow() + timedelta(seconds=wait)
        if (
            self._rate_limited_until is None
            or not self.rate_limited
            or until > self._rate_limited_until
        ):
            self._async_cancel_rate_limit()
            self._rate_limited_until = until
            self._rate_limit_end = async_call_later(self.hass, wait, self._async_rate_limit_over)
            if self._unsub_stop is None:
                self._unsub_stop = self.hass.bus.async_listen_once(
                    EVENT_HOMEASSISTANT_STOP, self._async_stop
                )
        news = not self._rate_limit_logged
        self._rate_limit_logged = True
        return news

    @callback
    def async_rate_limit_lifted(self) -> None:
        """A request succeeded: the limit is over (logged once, if it was logged)."""
        self._async_cancel_rate_limit()
        if self._rate_limit_logged:
            self._rate_limit_logged = False
            LOGGER.info("Enode rate limit lifted")

    @callback
    def _async_rate_limit_over(self, _now: datetime) -> None:
        """Enode's Retry-After has passed: it may be asked again."""
        self._rate_limit_end = None

    @callback
    def _async_cancel_rate_limit(self) -> None:
        if self._rate_limit_end is not None:
            self._rate_limit_end()
            self._rate_limit_end = None

    @callback
    def _async_stop(self, _event: Event) -> None:
        """Home Assistant stops: no timer outlives it."""
        self._unsub_stop = None
        self._async_cancel_rate_limit()


def async_get_hub(hass: HomeAssistant, data: Mapping[str, Any]) -> EnodeHub:
    """Return the hub of a config entry's Enode client (created the first time)."""
    hubs = hass.data.setdefault(_HUBS, {})
    key = client_key(data)
    if (hub := hubs.get(key)) is None:
        hub = hubs[key] = EnodeHub(hass, create_client(hass, data))
    return hub
