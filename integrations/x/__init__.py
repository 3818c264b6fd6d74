"""X (formerly Twitter): OAuth 2.0 with PKCE, posts and threads through the v2 API."""

from integrations.x.provider import XConfig, XProvider

__all__ = ["XConfig", "XProvider"]
