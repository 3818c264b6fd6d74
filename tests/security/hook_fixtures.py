"""The hub fixtures of tests/hub (the real app on loopback, an organization, a hook, a signing
sender), for the security tests of hooks; imported by each module that uses them."""

from __future__ import annotations

from tests.hub.conftest import (  # noqa: F401 - fixtures, found by pytest by name
    broker,
    client,
    hook,
    org,
    queue,
    sandbox,
    sender,
)
