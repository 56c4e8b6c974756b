"""The timing benchmarks run only in ``scripts/bench`` (which sets ``ENODE_BENCH_OUT``)."""

from __future__ import annotations

import os

import pytest

from benchmarks.measure import BENCH_OUT_ENV


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Skip the benchmarks unless ``scripts/bench`` runs them."""
    if os.environ.get(BENCH_OUT_ENV):
        return
    skip = pytest.mark.skip(reason="timing benchmark: scripts/bench runs it")
    for item in items:
        if "tests/bench/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Enable the custom integration in every benchmark."""
