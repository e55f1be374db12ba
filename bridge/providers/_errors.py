"""The one place where provider failures become :class:`bridge.errors.BridgeError` s.

Three inputs: an HTTP status with its error body (:func:`from_response`), an error object inside
a 200 stream (:func:`from_payload`), and an exception of the HTTP client (:func:`from_transport`).
The provider's own message is kept (after :func:`bridge.redact.redact`), because "prompt is too
long: 3333404 tokens > 200000 maximum" says more than any code. Bodies come in every shape the
APIs use: ``{"error": {"message", "type", "code"}}`` (OpenAI, Anthropic, Gemini with ``status``,
OpenRouter with a numeric code), ``{"error": "…"}`` (Ollama), ``{"detail": …}`` and
``{"message": …}`` (Mistral), and HTML pages from proxies.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Mapping
from ssl import SSLError
from typing import Any
from urllib.parse import urljoin, urlsplit, urlunsplit

from bridge import errors, http
from bridge.http.request import on_this_machine
from bridge.redact import redact

RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504, 529})
_MAX_MESSAGE = 600
_CONTEXT_HINTS = re.compile(
    r"context[ _](length|window)|prompt is too long|prompt too long|maximum context|too many tokens"
    r"|input token count exceeds|exceeds the maximum number of tokens|reduce the length",
    re.IGNORECASE,
)
_CONTEXT_CODES = frozenset({"context_length_exceeded", "string_above_max_length"})
_AUTH_HINTS = re.compile(r"api[ _]key not valid|API_KEY_INVALID|invalid api key|invalid x-api-key", re.IGNORECASE)
# An error inside a stream has no HTTP status; its ``code`` (OpenAI, and the only field of a failed
# Responses API response's error) or ``type`` (Anthropic, OpenAI) says which it would have been. An
# unknown one counts as a 500, so a request the provider refused for what it is must be here: a
# 500 is retried, and the same request fails the same way each time.
_STREAM_ERROR_STATUS = {
    "authentication_error": 401, "invalid_api_key": 401, "billing_error": 402, "permission_error": 403,
    "not_found_error": 404, "model_not_found": 404, "request_too_large": 413,
    "rate_limit_error": 429, "rate_limit_exceeded": 429, "insufficient_quota": 429,
    "api_error": 500, "server_error": 500, "timeout_error": 504, "vector_store_timeout": 504, "overloaded_error": 529,
    "invalid_request_error": 400, "invalid_prompt": 400, "context_length_exceeded": 400,
    "string_above_max_length": 400, "data_residency_mismatch": 400, "bio_policy": 400,
    "misalignment_policy_violation": 400, "invalid_image": 400, "invalid_image_format": 400,
    "invalid_base64_image": 400, "invalid_image_url": 400, "invalid_image_mode": 400,
    "image_too_large": 400, "image_too_small": 400, "image_parse_error": 400,
    "image_content_policy_violation": 400, "image_file_too_large": 400, "image_file_not_found": 400,
    "unsupported_image_media_type": 400, "empty_image_file": 400, "failed_to_download_image": 400,
}  # fmt: skip


def from_response(
    provider: str, status: int, headers: Mapping[str, str], body: bytes, url: str = ""
) -> errors.BridgeError:
    """An answer that is not a success: an error status, or a redirect (3xx), which is not followed
    because the key would go with it to wherever it points (``url``: the request's, to resolve a
    relative ``Location``)."""
    if status < 400:
        return _redirected(provider, status, headers, url)
    payload = _json_or_none(body)
    message = _message(payload) if payload is not None else None
    if message is None:
        message = _non_json_summary(status, headers, body)
    return _classify(provider, status, message, payload, retry_after(headers, payload))


def _redirected(provider: str, status: int, headers: Mapping[str, str], url: str) -> errors.InvalidConfigError:
    location = {k.lower(): v for k, v in headers.items()}.get("location", "").strip()
    target = urlsplit(urljoin(url, location) if location else "")
    if target.scheme in ("http", "https") and target.hostname:  # shown without user, password, query or fragment
        where = urlunsplit((target.scheme, target.netloc.rpartition("@")[2], target.path, "", ""))
        points = f" to {redact(where)[:200]}"
    else:
        points = ""
    return errors.InvalidConfigError(
        f"{provider}: the server redirected the request ({status}){points}; the bridge does not follow "
        "redirects (the key would go along): set api_base to the address the provider serves its API at",
        status=status,
    )


def from_payload(provider: str, payload: Mapping[str, Any]) -> errors.BridgeError:
    """An error object that arrived inside a stream, after the HTTP status said 200."""
    error = payload.get("error", payload)
    status: int | None = None
    if isinstance(error, Mapping):
        for candidate in (error.get("code"), error.get("status")):
            if isinstance(candidate, int) and 400 <= candidate < 600:
                status = candidate
        names = [n for n in (error.get("code"), error.get("type")) if isinstance(n, str)]  # code: more specific
        status = status or next((_STREAM_ERROR_STATUS[n] for n in names if n in _STREAM_ERROR_STATUS), None)
    message = _message(payload) or "the provider reported an error in the stream"
    return _classify(provider, status or 500, message, payload, None, in_stream=True)


def from_transport(provider: str, exc: http.HTTPError) -> errors.BridgeError:
    """Map the HTTP client's exceptions, most specific first."""
    where = _where(exc)
    detail = redact(str(exc)) or type(exc).__name__
    if isinstance(exc, http.ConnectTimeout):
        return errors.UpstreamTimeout(f"{provider}: timed out connecting to {where}")
    if isinstance(exc, http.Timeout):
        return errors.UpstreamTimeout(f"{provider}: timed out talking to {where}")
    if isinstance(exc, http.ConnectError):
        return errors.NetworkError(f"{provider}: cannot connect to {where}: {detail}{_local_hint(provider, exc)}")
    if isinstance(exc, http.InvalidRequest):  # a base URL, proxy or key that cannot go into a request
        return errors.InvalidConfigError(f"{provider}: {detail}")
    return errors.NetworkError(f"{provider}: the connection to {where} failed: {detail}")


def retry_after(headers: Mapping[str, str], payload: Any = None) -> float | None:
    """Seconds to wait as the server asked: ``retry-after-ms``, ``retry-after`` (seconds or an HTTP
    date), or Gemini's ``RetryInfo.retryDelay`` (``"48s"``) in the error body."""
    lowered = {k.lower(): v for k, v in headers.items()}
    if (value := lowered.get("retry-after-ms")) is not None:
        try:
            return max(float(value) / 1000, 0.0)
        except ValueError:
            pass
    if (value := lowered.get("retry-after")) is not None:
        try:
            return max(float(value), 0.0)
        except ValueError:
            try:
                import email.utils  # only for an HTTP-date Retry-After: ~20 ms of start-up otherwise

                when = email.utils.parsedate_to_datetime(value)
            except (TypeError, ValueError):
                return None
            return max(when.timestamp() - time.time(), 0.0)
    error = payload.get("error") if isinstance(payload, Mapping) else None
    for detail in error.get("details", []) if isinstance(error, Mapping) else []:
        delay = detail.get("retryDelay") if isinstance(detail, Mapping) else None
        if isinstance(delay, str) and delay.endswith("s"):
            try:
                return max(float(delay[:-1]), 0.0)
            except ValueError:
                pass
    return None


def _classify(
    provider: str, status: int, message: str, payload: Any, delay: float | None, *, in_stream: bool = False
) -> errors.BridgeError:
    """``status`` picks the class; an in-stream error's status is inferred, so the chunk carries none."""
    text = f"{provider} ({'error in stream' if in_stream else status}): {redact(message)[:_MAX_MESSAGE]}"
    code = _error_code(payload)
    error = _pick_class(status, message, code, payload)
    retryable = status in RETRYABLE_STATUSES if error is errors.ServerError else None
    # a 503 or 529 may say when to come back, as a 429 does
    return error(text, status=None if in_stream else status, retryable=retryable, retry_after=delay)


def _pick_class(status: int, message: str, code: str | None, payload: Any) -> type[errors.ProviderError]:
    if status == 403 and _moderated(payload):
        return errors.BadRequestError
    if status in (401, 403) or (status == 400 and _AUTH_HINTS.search(f"{message} {payload}")):
        return errors.AuthError
    if status == 404:
        return errors.NotFoundError
    if status == 429:
        return errors.RateLimitedError
    if status == 408:
        return errors.UpstreamTimeout
    if status >= 500:
        return errors.ServerError
    if code in _CONTEXT_CODES or _CONTEXT_HINTS.search(message):
        return errors.ContextLengthError
    return errors.BadRequestError


def _json_or_none(body: bytes) -> Any:
    try:
        return json.loads(body)
    except ValueError:
        return None


def _message(payload: Any) -> str | None:
    if isinstance(payload, list) and payload:  # Gemini's JSON-array stream wraps errors in a list
        return _message(payload[0])
    if not isinstance(payload, Mapping):
        return None
    error = payload.get("error")
    if isinstance(error, str):
        return error
    if isinstance(error, Mapping) and isinstance(error.get("message"), str):
        return str(error["message"]) + _upstream_detail(error.get("metadata"))
    detail = payload.get("detail")
    if isinstance(detail, str):
        return detail
    if isinstance(detail, list):  # FastAPI-style validation errors
        return "; ".join(str(d.get("msg", d)) if isinstance(d, Mapping) else str(d) for d in detail)
    if isinstance(payload.get("message"), str):
        return str(payload["message"])
    return None


def _upstream_detail(metadata: Any) -> str:
    """What a router's error says beyond its own message (OpenRouter's ``metadata``): the upstream
    provider's error (``raw``, often a JSON body in a string) and moderation's ``reasons``. Without
    it "Provider returned error" is all a user learns, and a context overflow looks like any 400."""
    if not isinstance(metadata, Mapping):
        return ""
    raw, reasons, source = metadata.get("raw"), metadata.get("reasons"), metadata.get("provider_name")
    if isinstance(raw, str):
        detail = _message(_json_or_none(raw.encode())) or raw
    elif isinstance(raw, Mapping):
        detail = _message(raw) or json.dumps(raw)
    elif isinstance(reasons, list) and reasons:
        detail = "flagged by moderation: " + ", ".join(str(r) for r in reasons)
    else:
        return ""
    return f" ({source}: {detail})" if isinstance(source, str) and source else f" ({detail})"


def _moderated(payload: Any) -> bool:
    """A router's moderation refused the input (OpenRouter: a 403 whose metadata says why): the
    key is fine, and the user must not be told otherwise."""
    error = payload.get("error") if isinstance(payload, Mapping) else None
    metadata = error.get("metadata") if isinstance(error, Mapping) else None
    return isinstance(metadata, Mapping) and ("reasons" in metadata or "flagged_input" in metadata)


def _error_code(payload: Any) -> str | None:
    error = payload.get("error") if isinstance(payload, Mapping) else None
    code = error.get("code") if isinstance(error, Mapping) else None
    return code if isinstance(code, str) else None


def _non_json_summary(status: int, headers: Mapping[str, str], body: bytes) -> str:
    """An HTML error page from a proxy, or plain text: say what it was, without dumping markup."""
    text = body.decode("utf-8", "replace")
    content_type = {k.lower(): v for k, v in headers.items()}.get("content-type", "")
    if "html" in content_type or text.lstrip()[:1] == "<":
        title = re.search(r"<title[^>]*>(.*?)</title>", text, re.IGNORECASE | re.DOTALL)
        summary = " ".join(title.group(1).split()) if title else "no title"
        return f"HTTP {status} with an HTML page ({summary})"
    return " ".join(text.split())[:_MAX_MESSAGE] or f"HTTP {status} with an empty body"


def _where(exc: http.HTTPError) -> str:
    return exc.origin or "the provider"


def _local_hint(provider: str, exc: http.ConnectError) -> str:
    """For a connection to this machine that could not be made (Ollama, a local proxy; a refusal on
    each address of ``localhost`` is one ``OSError`` of them all): what to do about it."""
    refused = isinstance(exc.__cause__, OSError) and not isinstance(exc.__cause__, SSLError)
    if not refused or not exc.origin or not on_this_machine(exc.origin):
        return ""
    return (
        f"; nothing listens there: start the {provider} server, or point the bridge at another with "
        f"`openllm-bridge config set-provider {provider} --api-base URL`"
    )
