"""Fixtures for the acceptance tests: ``demo_server`` is ``commons serve`` on the demo
community, built by ``commons demo`` as ``make run`` does (with its demo logins). For other
setups use ``live_server.start_server`` directly."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.acceptance.live_server import Server, start_server


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    data = tmp_path_factory.mktemp("acceptance") / "data"
    with start_server(data, setup=[["demo"]]) as server:
        yield server
