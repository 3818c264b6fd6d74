"""The one check every entry point of an organization makes: a suspended one is refused."""

from __future__ import annotations

from postflow.errors import OrganizationSuspended
from postflow.organizations import Organization


def refuse_if_suspended(org: Organization) -> None:
    """Raise :class:`OrganizationSuspended` (403) while ``org`` is suspended; its posts wait,
    nothing it sends is taken."""
    if org.suspension is None:
        return
    raise OrganizationSuspended(
        "This organization is suspended, so PostFlow takes no new requests for it; its "
        "scheduled posts wait and go out once it is resumed. Contact the people who run "
        "PostFlow.", details={"suspended_at": org.suspension.at.isoformat()})
