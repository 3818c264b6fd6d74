"""X's answers translated, once, into the closed ErrorKind set with a plain-language message.

Documented shapes (docs/networks.md, X section, lists the sources):

- API errors (v2) are problem documents: ``{"title", "detail", "type", "status"}``, or
  ``{"errors": [{"message", "code"}]}`` on older paths; 429 carries ``x-rate-limit-reset``
  (Unix seconds).
- The token endpoint answers OAuth errors (RFC 6749 §5.2): ``{"error", "error_description"}``.
"""

from __future__ import annotations

from datetime import datetime

from integrations import http_answers
from postflow.providers import ErrorKind, ProviderError

#: When X gives no hint at all about how long to wait after a 429.
DEFAULT_RATE_LIMIT_WAIT_SECONDS = 60.0
#: How long to wait after a 5xx or a network fault before trying again.
SERVER_ERROR_WAIT_SECONDS = http_answers.SERVER_ERROR_WAIT_SECONDS
DUPLICATE_MARKER = "duplicate content"
RAW_LIMIT = 500


def problem_text(body: str) -> str:
    """The most specific human text in an X error body, or ``""``."""
    data = http_answers.json_object(body)
    text = http_answers.first_text(data, "detail", "error_description", "title")
    errors = data.get("errors")
    if not text and isinstance(errors, list) and errors and isinstance(errors[0], dict):
        text = http_answers.first_text(errors[0], "message", "detail")
    return text


oauth_error_code = http_answers.oauth_error_code


def retry_after_seconds(headers: dict[str, str], now: datetime) -> float:
    """Seconds until X's rate-limit window resets: x-rate-limit-reset (Unix seconds), else the
    24-hour user or app caps' reset, else Retry-After, else a minute."""
    for name in ("x-rate-limit-reset", "x-user-limit-24hour-reset", "x-app-limit-24hour-reset"):
        value = headers.get(name, "")
        if value.isdigit():
            return max(1.0, float(value) - now.timestamp())
    retry_after = headers.get("retry-after", "")
    if retry_after.isdigit():
        return max(1.0, float(retry_after))
    return DEFAULT_RATE_LIMIT_WAIT_SECONDS


def api_error(status: int, body: str, headers: dict[str, str], now: datetime, *,
              created_something: bool) -> ProviderError:
    """Classify a non-2xx answer from the API. ``created_something``: the request may create a
    post, so a server error after it was received leaves the outcome unknown."""
    detail = problem_text(body)
    raw = body[:RAW_LIMIT] or None
    code = str(status)
    if status == 429:
        return ProviderError(ErrorKind.RETRY_AFTER,
                             "X is rate limiting this account; PostFlow will try again when "
                             "the limit resets.", retry_after=retry_after_seconds(headers, now),
                             platform_code=code, raw=raw)
    if status == 401:
        return ProviderError(ErrorKind.REFRESH_TOKEN,
                             "X no longer accepts this account's access token.",
                             platform_code=code, raw=raw)
    if status == 403 and DUPLICATE_MARKER in detail.lower():
        return ProviderError(ErrorKind.BAD_INPUT,
                             "X refused this post because the account recently posted the same "
                             "text. Change the text to post it again.",
                             platform_code="duplicate", raw=raw)
    if status == 403:
        return ProviderError(ErrorKind.BAD_INPUT, "X refused this post"
                             + (f": {detail}" if detail else ".")
                             + " Check the account and the app's permissions on X.",
                             platform_code=code, raw=raw)
    return http_answers.status_error("X", status, detail=detail, code=code, raw=raw,
                                     created_something=created_something)


def token_error(status: int, body: str, headers: dict[str, str], now: datetime, *,
                refreshing: bool) -> ProviderError:
    """Classify a refusal from the token endpoint (code exchange or refresh)."""
    error = oauth_error_code(body)
    detail = problem_text(body)
    if status == 429 or status >= 500:
        return api_error(status, body, headers, now, created_something=False)
    if error == "invalid_client" or status == 401:
        # PostFlow's own client id or secret: an operator must fix the settings; reconnecting
        # accounts would not help, so the connection is left as it is.
        return ProviderError(ErrorKind.RETRY_AFTER,
                             "X refused PostFlow's client credentials; check "
                             "POSTFLOW_X_CLIENT_ID and POSTFLOW_X_CLIENT_SECRET.",
                             retry_after=SERVER_ERROR_WAIT_SECONDS * 10,
                             platform_code=error or str(status))
    if refreshing and (error == "invalid_grant" or
                       (error == "invalid_request" and "token" in detail.lower())):
        # A revoked grant, or a refresh token already spent (X rotates them on every refresh).
        return ProviderError(ErrorKind.RECONNECT,
                             "X no longer accepts this account's grant; reconnect it with "
                             "`postflow connect x`.", platform_code=error)
    return ProviderError(ErrorKind.BAD_INPUT, "X refused the authorization"
                         + (f": {detail}" if detail else f" (HTTP {status})."),
                         platform_code=error or str(status))


