"""The control operations the fault suite needs (issue 12): rotated secrets, inactive webhooks."""

from __future__ import annotations

import pytest

from enode_simulator import ApiError, Simulator

from .conftest import Api


async def test_rotate_client_secret(simulator: Simulator, api: Api) -> None:
    """After a rotation the old secret is refused and the old tokens no longer work."""
    await api.fetch_token()
    old_token = api.token
    status, _ = await api.control("rotate_client_secret", secret="brand-new-secret")
    assert status == 200
    assert simulator.client_secret == "brand-new-secret"
    assert not simulator.state.token_valid(old_token or "")
    assert simulator.state.issue_token(simulator.client_id, "demo-secret") is None
    assert simulator.state.issue_token(simulator.client_id, "brand-new-secret") is not None
    with pytest.raises(ApiError):
        simulator.call_control("rotate_client_secret", {"secret": ""})


async def test_set_webhook_active(simulator: Simulator, api: Api) -> None:
    """Deactivating drops the pending events and stops deliveries; reactivating resumes them."""
    hook = simulator.webhooks.create({"url": "http://127.0.0.1:9/hook", "secret": "s" * 10})
    simulator.webhooks.emit({"event": "user:vehicle:updated"})
    assert hook.pending
    status, _ = await api.control("set_webhook_active", active=False)
    assert status == 200
    assert not hook.is_active
    assert hook.pending == []
    simulator.webhooks.emit({"event": "user:vehicle:updated"})
    assert hook.pending == []
    assert await simulator.flush_webhooks() == []
    status, _ = await api.control("set_webhook_active", active=True, webhook_id=hook.id)
    assert status == 200
    assert hook.is_active
    status, _ = await api.control("set_webhook_active", active=False, webhook_id="nope")
    assert status == 404


async def test_fault_detail(simulator: Simulator, api: Api) -> None:
    """An injected fault can carry the Problem detail a test needs."""
    await api.fetch_token()
    simulator.inject_fault(status=503, detail="Something specific.")
    status, problem = await api.get("/users/demo-user")
    assert status == 503
    assert problem["detail"] == "Something specific."
    assert simulator.snapshot()["faults"] == []
