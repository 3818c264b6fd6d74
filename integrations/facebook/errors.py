"""Graph API answers translated, once, into the closed ErrorKind set with a plain-language message.

Every Graph API error is one documented shape (docs/networks.md, Facebook section, lists the
sources)::

    {"error": {"message", "type", "code", "error_subcode", "error_user_title",
               "error_user_msg", "fbtrace_id"}}

The ``code`` decides, not the HTTP status: Facebook answers most refusals with 400.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from integrations import http_answers
from postflow.providers import ErrorKind, ProviderError

#: How long to wait after a throttling answer that says nothing about when access comes back.
DEFAULT_RATE_LIMIT_WAIT_SECONDS = 300.0
#: How long to wait after a 5xx, a "temporary" code or a network fault before trying again.
SERVER_ERROR_WAIT_SECONDS = http_answers.SERVER_ERROR_WAIT_SECONDS
RAW_LIMIT = 500

#: The access token is no longer valid (expired, revoked, password changed, logged out).
TOKEN_CODES = frozenset({102, 190})
#: Throttling: app (4), user (17), Page (32), a method's own limit (613), app limit (341),
#: Pages rate limits (80001).
RATE_LIMIT_CODES = frozenset({4, 17, 32, 341, 613, 80001})
#: Permission denied (10) and the permission codes 200-299.
PERMISSION_CODES = frozenset({10, *range(200, 300)})
#: Temporarily blocked for policy violations (spam).
BLOCKED_CODE = 368
#: The same post twice in a row.
DUPLICATE_CODE = 506
#: "Unknown" (1, possibly downtime) and "service" (2, downtime).
UNKNOWN_CODE = 1
SERVICE_CODE = 2

#: What the 190 subcodes mean, in words a Page admin acts on.
TOKEN_SUBCODE_REASONS = {
    458: "PostFlow was removed from the Facebook account's apps",
    459: "Facebook wants the person to log in at facebook.com first (a checkpoint)",
    460: "the Facebook password was changed",
    463: "the access expired",
    464: "the Facebook account is not confirmed",
    467: "the person logged out of Facebook or the access was revoked",
}


@dataclass(frozen=True)
class GraphError:
    """The parts of a Graph API error object PostFlow reads."""

    code: int | None
    subcode: int | None
    type: str
    message: str
    fbtrace_id: str


def parse_error(body: str) -> GraphError | None:
    """The ``error`` object of a Graph API answer, or ``None`` when the body holds none."""
    error = http_answers.json_object(body).get("error")
    if not isinstance(error, dict):
        return None
    return GraphError(code=_int(error.get("code")), subcode=_int(error.get("error_subcode")),
                      type=str(error.get("type") or ""),
                      message=str(error.get("error_user_msg") or error.get("message") or ""),
                      fbtrace_id=str(error.get("fbtrace_id") or ""))


def retry_after_seconds(headers: dict[str, str]) -> float:
    """Seconds until Facebook lets the Page or app call again: the longest
    ``estimated_time_to_regain_access`` (minutes) in ``X-Business-Use-Case-Usage``, else
    ``Retry-After``, else five minutes."""
    usage = headers.get("x-business-use-case-usage", "")
    longest = 0.0
    try:
        for entries in (json.loads(usage) if usage else {}).values():
            for entry in entries if isinstance(entries, list) else []:
                minutes = entry.get("estimated_time_to_regain_access") \
                    if isinstance(entry, dict) else None
                if isinstance(minutes, int | float):
                    longest = max(longest, float(minutes) * 60)
    except (ValueError, AttributeError):
        longest = 0.0
    if longest > 0:
        return longest
    retry_after = headers.get("retry-after", "")
    if retry_after.isdigit():
        return max(1.0, float(retry_after))
    return DEFAULT_RATE_LIMIT_WAIT_SECONDS


def api_error(status: int, body: str, headers: dict[str, str], *,
              created_something: bool) -> ProviderError:
    """Classify a failed Graph API answer. ``created_something``: the request may create a
    post, so a failure after Facebook received it leaves the outcome unknown."""
    error = parse_error(body)
    raw = body[:RAW_LIMIT] or None
    if error is None or error.code is None:
        return _http_error(status, raw, created_something=created_something)
    code = str(error.code) if error.subcode is None else f"{error.code}/{error.subcode}"
    said = f" Facebook said: {error.message}" if error.message else ""
    if error.code in TOKEN_CODES or (error.type == "OAuthException" and status == 401):
        reason = TOKEN_SUBCODE_REASONS.get(error.subcode or 0, "the access is no longer valid")
        return ProviderError(ErrorKind.RECONNECT,
                             f"Facebook no longer accepts PostFlow's access to this Page: "
                             f"{reason}. Reconnect it with `postflow connect facebook`.",
                             platform_code=code, raw=raw)
    if error.code in RATE_LIMIT_CODES:
        return ProviderError(ErrorKind.RETRY_AFTER,
                             "Facebook is limiting how often PostFlow may call for this Page; "
                             "PostFlow will try again when the limit lifts.",
                             retry_after=retry_after_seconds(headers), platform_code=code,
                             raw=raw)
    if error.code in PERMISSION_CODES:
        return ProviderError(ErrorKind.RECONNECT,
                             "Facebook says PostFlow may not post to this Page: the permission "
                             "pages_manage_posts was not granted or was removed, or the person "
                             "who connected it can no longer create content there. Reconnect it "
                             f"and allow every permission asked for.{said}",
                             platform_code=code, raw=raw)
    if error.code == BLOCKED_CODE:
        return ProviderError(ErrorKind.BAD_INPUT,
                             "Facebook has temporarily blocked this Page or app from posting "
                             "for a policy reason (often spam). PostFlow does not retry, since "
                             "posting more can lengthen the block; try again later by hand."
                             + said, platform_code=code, raw=raw)
    if error.code == DUPLICATE_CODE:
        return ProviderError(ErrorKind.BAD_INPUT,
                             "Facebook refused this post because the Page just posted the same "
                             "thing. Change the text to post it again.",
                             platform_code=code, raw=raw)
    if error.code == SERVICE_CODE or (error.code == UNKNOWN_CODE and not created_something):
        return ProviderError(ErrorKind.RETRY_AFTER, "Facebook is having trouble right now."
                             + said, retry_after=SERVER_ERROR_WAIT_SECONDS, platform_code=code,
                             raw=raw)
    if error.code == UNKNOWN_CODE:
        return ProviderError(ErrorKind.UNKNOWN, "Facebook failed with an unknown error after "
                             "receiving the post; it may have been published.",
                             platform_code=code, raw=raw)
    if status >= 500:
        return _http_error(status, raw, created_something=created_something)
    return ProviderError(ErrorKind.BAD_INPUT, "Facebook refused this post"
                         + (f": {error.message}" if error.message else f" (code {code})."),
                         platform_code=code, raw=raw)


def token_error(status: int, body: str, headers: dict[str, str]) -> ProviderError:
    """Classify a refusal while exchanging the consent code or reading the Pages. Nothing is
    posted then, so nothing is ever unknown; the message never repeats the request (it holds
    the app secret)."""
    error = parse_error(body)
    if error is not None and "client secret" in error.message.lower():
        # Facebook answers a wrong app secret with code 1, which otherwise means "try again".
        return ProviderError(ErrorKind.RETRY_AFTER,
                             "Facebook refused PostFlow's app credentials; check "
                             "POSTFLOW_FACEBOOK_APP_ID and POSTFLOW_FACEBOOK_APP_SECRET.",
                             retry_after=SERVER_ERROR_WAIT_SECONDS * 10,
                             platform_code=str(error.code))
    if status >= 500 or (error is not None and error.code in RATE_LIMIT_CODES | {1, 2}):
        return api_error(status, body, headers, created_something=False)
    detail = error.message if error is not None else ""
    return ProviderError(ErrorKind.BAD_INPUT, "Facebook refused the authorization"
                         + (f": {detail}" if detail else f" (HTTP {status})."),
                         platform_code=str(error.code) if error is not None and error.code
                         else str(status))


def _http_error(status: int, raw: str | None, *, created_something: bool) -> ProviderError:
    return http_answers.status_error("Facebook", status, code=str(status), raw=raw,
                                     created_something=created_something)


def _int(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None
