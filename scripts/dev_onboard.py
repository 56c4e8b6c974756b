"""Prepare the development Home Assistant started by scripts/develop.

On the first start it completes onboarding with the user "dev" (password "dev") and turns on
advanced mode for that user, so the Enode config flow offers the custom API and token URLs of the
local simulator. Then it prints what to enter in the config flow. It only talks to the two local
servers it is given.
"""

from __future__ import annotations

import argparse
import asyncio
import sys

import aiohttp

USERNAME = "dev"
PASSWORD = "dev"  # a local development account, documented in the README
# Finishing onboarding adds these integrations, which go to the internet (api.met.no,
# radio-browser.info, Google): offline they fail and retry forever ("Failed setup, will retry" on
# the integrations page). The development instance removes them again: it talks to the simulator.
ONLINE_ONBOARDING_DOMAINS = ("met", "radio_browser", "google_translate")


async def _wait_until_up(session: aiohttp.ClientSession, url: str, wait: float = 180) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait
    while True:
        try:
            async with session.get(url) as resp:
                if resp.status < 500:
                    return
        except aiohttp.ClientError:
            pass
        if loop.time() > deadline:
            raise TimeoutError(f"{url} did not answer within {wait:.0f} s")
        await asyncio.sleep(1)


async def _onboard(session: aiohttp.ClientSession, ha_url: str) -> str | None:
    """Create the dev user if Home Assistant is not onboarded yet; return an access token for it."""
    client_id = f"{ha_url}/"
    async with session.get(f"{ha_url}/api/onboarding") as resp:
        steps = {step["step"]: step["done"] for step in await resp.json()}
    if steps.get("user"):
        return None
    async with session.post(
        f"{ha_url}/api/onboarding/users",
        json={
            "client_id": client_id,
            "name": "Developer",
            "username": USERNAME,
            "password": PASSWORD,
            "language": "en",
        },
    ) as resp:
        resp.raise_for_status()
        auth_code = (await resp.json())["auth_code"]
    async with session.post(
        f"{ha_url}/auth/token",
        data={"grant_type": "authorization_code", "code": auth_code, "client_id": client_id},
    ) as resp:
        resp.raise_for_status()
        token: str = (await resp.json())["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    for step, body in (
        ("core_config", {}),
        ("analytics", {}),
        ("integration", {"client_id": client_id, "redirect_uri": f"{ha_url}/?auth_callback=1"}),
    ):
        async with session.post(f"{ha_url}/api/onboarding/{step}", json=body, headers=headers):
            pass
    ws_url = ha_url.replace("http", "ws", 1) + "/api/websocket"
    async with session.ws_connect(ws_url) as ws:
        await ws.receive_json()
        await ws.send_json({"type": "auth", "access_token": token})
        await ws.receive_json()
        await ws.send_json(
            {
                "id": 1,
                "type": "frontend/set_user_data",
                "key": "core",
                "value": {"showAdvanced": True},
            }
        )
        await ws.receive_json()
    await _remove_online_integrations(session, ha_url, headers)
    return token


async def _remove_online_integrations(
    session: aiohttp.ClientSession, ha_url: str, headers: dict[str, str], wait: float = 15
) -> None:
    """Remove the internet integrations onboarding adds (it adds them in the background)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait
    remaining = set(ONLINE_ONBOARDING_DOMAINS)
    url = f"{ha_url}/api/config/config_entries/entry"
    while remaining and loop.time() < deadline:
        async with session.get(url, headers=headers) as resp:
            resp.raise_for_status()
            entries = await resp.json()
        for entry in entries:
            if entry["domain"] in remaining:
                async with session.delete(f"{url}/{entry['entry_id']}", headers=headers) as resp:
                    resp.raise_for_status()
                remaining.discard(entry["domain"])
        if remaining:
            await asyncio.sleep(0.5)


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--ha-url", required=True)
    parser.add_argument("--simulator-url", required=True)
    args = parser.parse_args()
    async with aiohttp.ClientSession() as session:
        await _wait_until_up(session, f"{args.simulator_url}/health/ready")
        await _wait_until_up(session, f"{args.ha_url}/api/onboarding")
        created = await _onboard(session, args.ha_url)
    note = ", just created" if created else ""
    print(
        f"""
Home Assistant:   {args.ha_url}  (user "{USERNAME}", password "{PASSWORD}"{note})
Enode simulator:  {args.simulator_url}

Add the integration: Settings > Devices & services > Add integration > Enode, then
  environment:     Custom (advanced mode is on for "{USERNAME}")
  API URL:         {args.simulator_url}
  token URL:       {args.simulator_url}/oauth2/token
  client ID:       demo-client
  client secret:   demo-secret
and sign in to a brand's virtual account in the simulator's Link UI (its sign-in page shows the demo
accounts). Ctrl-C stops Home Assistant and the simulator.
""",
        flush=True,
    )
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
