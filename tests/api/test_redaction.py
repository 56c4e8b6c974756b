"""The client never writes the Enode user id into a log line or an error message (issue 12).

Paths like ``/users/{userId}/vehicles`` appear in the client's debug lines (retries, a rejected
token) and in its errors (timeouts, connection errors, malformed bodies), which the integration
logs at ERROR when a refresh fails. The user id is personal data (diagnostics redact it): those
paths show ``/users/***/...`` instead.
"""

from __future__ import annotations

import logging

import pytest

from custom_components.enode.api import EnodeError

from .conftest import SimFactory, make_client

USER = "5a0b4c1e-secret-user"


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        (f"/users/{USER}", "/users/***"),
        (f"/users/{USER}/vehicles", "/users/***/vehicles"),
        (f"/users/{USER}/vendors/TESLA/vehicle", "/users/***/vendors/TESLA/vehicle"),
        ("/vehicles/v1", "/vehicles/v1"),
        ("/users", "/users"),
    ],
)
def test_loggable_path(path: str, expected: str) -> None:
    """The segment after ``users`` is masked; other paths are kept."""
    from custom_components.enode.api.client import loggable_path

    assert loggable_path(path) == expected


@pytest.mark.parametrize(
    "fault",
    [
        {"status": 503, "count": 10},
        {"latency": 0.5, "count": 10},
        {"malformed": True, "count": 10},
    ],
    ids=["5xx", "timeout", "malformed"],
)
async def test_user_id_not_in_errors_or_logs(
    sim_factory: SimFactory, caplog: pytest.LogCaptureFixture, fault: dict[str, object]
) -> None:
    """Retries, timeouts and malformed bodies on a user's path: no user id anywhere."""
    sim = await sim_factory({"extends": "demo", "defaultUser": USER})
    caplog.set_level(logging.DEBUG, logger="custom_components.enode")
    async with make_client(sim, request_timeout=0.2, max_retries=2) as client:
        await client.verify_credentials()
        sim.inject_fault(path_prefix=f"/users/{USER}", **fault)  # type: ignore[arg-type]
        with pytest.raises(EnodeError) as err:
            await client.list_vehicles(USER)
    assert USER not in str(err.value)
    assert USER not in caplog.text
    assert "/users/***/vehicles" in str(err.value) + caplog.text


async def test_user_id_not_in_token_refresh_log(
    sim_factory: SimFactory, caplog: pytest.LogCaptureFixture
) -> None:
    """A token rejected on a user's path is refreshed once; the debug line has no user id."""
    sim = await sim_factory({"extends": "demo", "defaultUser": USER})
    caplog.set_level(logging.DEBUG, logger="custom_components.enode")
    async with make_client(sim) as client:
        await client.list_vehicles(USER)
        sim.revoke_tokens()
        await client.list_vehicles(USER)
    assert "Token rejected on GET /users/***/vehicles" in caplog.text
    assert USER not in caplog.text
