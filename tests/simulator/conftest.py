"""Helpers for the simulator tests: raw aiohttp requests with a bearer token."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any

import aiohttp
import pytest

from enode_simulator import Simulator


class Api:
    """A tiny raw HTTP helper (no client library): token + JSON requests."""

    def __init__(self, session: aiohttp.ClientSession, sim: Simulator) -> None:
        self.session = session
        self.sim = sim
        self.token: str | None = None

    async def fetch_token(self) -> str:
        async with self.session.post(
            self.sim.token_url,
            data={"grant_type": "client_credentials"},
            auth=aiohttp.BasicAuth(self.sim.client_id, self.sim.client_secret),
        ) as resp:
            assert resp.status == 200, await resp.text()
            body = await resp.json()
        self.token = body["access_token"]
        return self.token

    async def request(
        self, method: str, path: str, *, json: Any = None, params: Any = None, auth: bool = True
    ) -> tuple[int, Any]:
        headers = {"Enode-Version": "2024-10-01"}
        if auth:
            if self.token is None:
                await self.fetch_token()
            headers["Authorization"] = f"Bearer {self.token}"
        async with self.session.request(
            method, self.sim.base_url + path, json=json, params=params, headers=headers
        ) as resp:
            text = await resp.text()
            if not text:
                return resp.status, None
            try:
                return resp.status, await resp.json(content_type=None)
            except ValueError:
                return resp.status, text

    async def get(self, path: str, **kwargs: Any) -> tuple[int, Any]:
        return await self.request("GET", path, **kwargs)

    async def post(self, path: str, json: Any = None, **kwargs: Any) -> tuple[int, Any]:
        return await self.request("POST", path, json=json, **kwargs)

    async def put(self, path: str, json: Any = None, **kwargs: Any) -> tuple[int, Any]:
        return await self.request("PUT", path, json=json, **kwargs)

    async def delete(self, path: str, **kwargs: Any) -> tuple[int, Any]:
        return await self.request("DELETE", path, **kwargs)

    async def control(self, operation: str, **arguments: Any) -> tuple[int, Any]:
        return await self.request("POST", f"/_simulator/{operation}", json=arguments, auth=False)


@pytest.fixture
async def http() -> AsyncGenerator[aiohttp.ClientSession]:
    """A plain aiohttp session."""
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
async def api(simulator: Simulator, http: aiohttp.ClientSession) -> Api:
    """Raw API access to the demo simulator."""
    return Api(http, simulator)
