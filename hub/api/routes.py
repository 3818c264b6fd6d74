"""Every API route, in the order the reference lists them."""

from __future__ import annotations

from hub.api import posts, resources, webhooks
from hub.api.table import ApiRoute

API_ROUTES: tuple[ApiRoute, ...] = (*posts.ROUTES, *resources.ROUTES, *webhooks.ROUTES)
