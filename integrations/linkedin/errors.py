"""LinkedIn's answers translated, once, into the closed ErrorKind set with a plain-language message.

Documented shapes (docs/networks.md, LinkedIn section, lists the sources):

- API errors are ``{"message", "serviceErrorCode", "status"}``; a duplicate post is a 422 whose
  message reads "Content is a duplicate of urn:li:share:..." (``errorDetails.inputErrors[].code``
  ``DUPLICATE_POST``); a 401 says whether the token expired or was revoked.
- The token endpoint answers OAuth errors (RFC 6749 §5.2): ``{"error", "error_description"}``.
"""

from __future__ import annotations

from integrations import http_answers
from postflow.providers import ErrorKind, ProviderError

#: When LinkedIn gives no Retry-After with a 429 (its daily limits reset at midnight UTC).
DEFAULT_RATE_LIMIT_WAIT_SECONDS = 60.0
#: How long to wait after a 5xx or a network fault before trying again.
SERVER_ERROR_WAIT_SECONDS = http_answers.SERVER_ERROR_WAIT_SECONDS
#: How long to wait when PostFlow's own settings are wrong (client credentials, API version).
OPERATOR_FIX_WAIT_SECONDS = 300.0
DUPLICATE_MARKERS = ("duplicate", "DUPLICATE_POST")
RAW_LIMIT = 500


def error_text(body: str) -> str:
    """The most specific human text in a LinkedIn error body, or ``""``."""
    return http_answers.first_text(http_answers.json_object(body), "message",
                                   "error_description")


oauth_error_code = http_answers.oauth_error_code


def retry_after_seconds(headers: dict[str, str]) -> float:
    """Retry-After in seconds when LinkedIn sends it, else a minute."""
    value = headers.get("retry-after", "")
    return max(1.0, float(value)) if value.isdigit() else DEFAULT_RATE_LIMIT_WAIT_SECONDS


def api_error(status: int, body: str, headers: dict[str, str], *,
              created_something: bool) -> ProviderError:
    """Classify a non-2xx answer from the API. ``created_something``: the request may create a
    post, so a server error after it was received leaves the outcome unknown."""
    detail = error_text(body)
    raw = body[:RAW_LIMIT] or None
    code = str(status)
    if status == 429:
        return ProviderError(ErrorKind.RETRY_AFTER,
                             "LinkedIn is throttling this account or app; PostFlow will try "
                             "again later.", retry_after=retry_after_seconds(headers),
                             platform_code=code, raw=raw)
    if status == 401 and "revoked" in detail.lower():
        return ProviderError(ErrorKind.RECONNECT,
                             "The LinkedIn member revoked PostFlow's access; reconnect the "
                             "account with `postflow connect linkedin`.",
                             platform_code="revoked", raw=raw)
    if status == 401:
        # Expired (or otherwise refused): a refresh is tried; without a refresh token the
        # refresh itself says the account must be reconnected.
        return ProviderError(ErrorKind.REFRESH_TOKEN,
                             "LinkedIn no longer accepts this account's access token.",
                             platform_code=code, raw=raw)
    if status == 422 and any(marker.lower() in body.lower() for marker in DUPLICATE_MARKERS):
        return ProviderError(ErrorKind.BAD_INPUT,
                             "LinkedIn refused this post because the account already posted "
                             "the same content. Change the text to post it again.",
                             platform_code="duplicate", raw=raw)
    if status == 403:
        return ProviderError(ErrorKind.BAD_INPUT,
                             "LinkedIn refused this post: the account lacks the permission "
                             "(the app's products and scopes, or the member's role on the Page)"
                             + (f" ({detail})" if detail else "") + ".",
                             platform_code=code, raw=raw)
    if status == 426:
        return ProviderError(ErrorKind.RETRY_AFTER,
                             "LinkedIn no longer serves the API version PostFlow asks for; "
                             "set POSTFLOW_LINKEDIN_API_VERSION to a current YYYYMM version.",
                             retry_after=OPERATOR_FIX_WAIT_SECONDS, platform_code=code, raw=raw)
    return http_answers.status_error("LinkedIn", status, detail=detail, code=code, raw=raw,
                                     created_something=created_something)


def token_error(status: int, body: str, headers: dict[str, str], *,
                refreshing: bool) -> ProviderError:
    """Classify a refusal from the token endpoint (code exchange or refresh). Never carries the
    body: a token answer may hold secrets."""
    error = oauth_error_code(body)
    detail = error_text(body)
    if status == 429 or status >= 500:
        return api_error(status, "", headers, created_something=False)
    if error == "invalid_client" or status == 401:
        return ProviderError(ErrorKind.RETRY_AFTER,
                             "LinkedIn refused PostFlow's client credentials; check "
                             "POSTFLOW_LINKEDIN_CLIENT_ID and POSTFLOW_LINKEDIN_CLIENT_SECRET.",
                             retry_after=OPERATOR_FIX_WAIT_SECONDS,
                             platform_code=error or str(status))
    if refreshing and error in ("invalid_grant", "invalid_request"):
        # The refresh token expired (its life is fixed at the first consent) or was revoked.
        return ProviderError(ErrorKind.RECONNECT,
                             "LinkedIn no longer accepts this account's grant; reconnect it "
                             "with `postflow connect linkedin`.", platform_code=error)
    return ProviderError(ErrorKind.BAD_INPUT, "LinkedIn refused the authorization"
                         + (f": {detail}" if detail else f" (HTTP {status})."),
                         platform_code=error or str(status))


