"""LinkedIn: OAuth 2.0, the member and their Pages, text and image posts (Posts, Images APIs)."""

from integrations.linkedin.provider import LinkedInConfig, LinkedInProvider

__all__ = ["LinkedInConfig", "LinkedInProvider"]
