"""Facebook Pages: Facebook Login, the member picks their Pages, posts through the Graph API."""

from integrations.facebook.provider import FacebookConfig, FacebookProvider

__all__ = ["FacebookConfig", "FacebookProvider"]
