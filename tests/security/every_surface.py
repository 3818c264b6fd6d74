"""A hub with every surface switched on (X, Facebook, LinkedIn, Slack events and install,
Discord's interactions and install) on an https public URL, for the tests that look at all its
routes and pages."""

from __future__ import annotations

from pathlib import Path

from postflow.config import Settings
from tests.conftest import TEST_SECRET_KEY


def every_surface_settings(data_dir: Path) -> Settings:
    """Settings whose hub serves every route; no network is called before a valid state."""
    return Settings(
        data_dir=data_dir, secret_key=TEST_SECRET_KEY, http_port=0,  # type: ignore[arg-type]
        public_url="https://postflow.example", x_client_id="x-client",
        x_client_secret="x-secret", facebook_app_id="fb-app",  # type: ignore[arg-type]
        facebook_app_secret="fb-secret", linkedin_client_id="li-client",  # type: ignore[arg-type]
        linkedin_client_secret="li-secret",  # type: ignore[arg-type]
        slack_signing_secret="signing-secret", slack_client_id="slack-client",  # type: ignore[arg-type]
        slack_client_secret="slack-secret",  # type: ignore[arg-type]
        slack_api_url="http://127.0.0.1:9/",
        # A valid Ed25519 public key nobody holds the private half of (RFC 8032's test 1).
        discord_public_key="d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
        discord_api_url="http://127.0.0.1:9", discord_application_id="777000000000000001",
        discord_client_secret="discord-secret",  # type: ignore[arg-type]
        ses_sns_topic_arn="arn:aws:sns:eu-west-1:123456789012:postflow-ses")
