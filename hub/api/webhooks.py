"""``/v1/webhooks``: outbound webhook endpoints (CRUD, deliveries, replay).

The place for their routes: add :class:`~hub.api.table.ApiRoute` entries to :data:`ROUTES`
with the ``webhooks:read`` / ``webhooks:write`` scopes, thin handlers over the core's use cases;
they are served and documented (OpenAPI) like every other route, with no other change.
"""

from __future__ import annotations

from hub.api.table import ApiRoute

ROUTES: tuple[ApiRoute, ...] = ()
