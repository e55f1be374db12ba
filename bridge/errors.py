"""The bridge's one error hierarchy.

Every failure the bridge reports is a :class:`BridgeError` carrying what the wire needs: a
``code`` from ``ErrorCode`` in schemas/core.schema.json, a short message for a person, whether a
retry may help, and the upstream HTTP status if there was one. Each surface turns it into its
own shape in one place (a StreamChunk error, a JSON-RPC error, an MCP tool error, a CLI exit).

    BridgeError
    ├── ProviderError                 an upstream API failed
    │   ├── AuthError                 auth          401/403
    │   ├── NotFoundError             not_found     404, unknown model upstream
    │   ├── RateLimitedError          rate_limited  429 (retryable)
    │   ├── BadRequestError           bad_request   400/422
    │   ├── ContextLengthError        context_length
    │   ├── ServerError               server        5xx, 529 (retryable)
    │   ├── NetworkError              network       connect/reset (retryable)
    │   ├── UpstreamTimeout           timeout       connect, first byte, gap (retryable)
    │   └── ProtocolError             protocol      a response we cannot parse
    ├── Cancelled                     cancelled
    ├── ConfigurationError            a request the bridge cannot even start
    │   ├── UnknownProviderError      unknown_provider
    │   ├── UnknownModelError         unknown_model
    │   ├── MissingKeyError           missing_key
    │   ├── InvalidConfigError        invalid_config
    │   └── StoreUnavailableError     invalid_config  a secret store that cannot be used now
    ├── HostUnavailableError          host_unavailable
    ├── UnauthorizedError             unauthorized
    ├── ToolError                     tool_error
    └── InternalError                 internal

Messages never contain secret values; providers' own messages pass through
:func:`bridge.redact.redact` before they are wrapped.
"""

from __future__ import annotations

from typing import ClassVar

from protocol import ErrorChunk, ErrorCode


class BridgeError(Exception):
    code: ClassVar[ErrorCode] = "internal"
    default_retryable: ClassVar[bool] = False

    def __init__(self, message: str, *, status: int | None = None, retryable: bool | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.retryable = self.default_retryable if retryable is None else retryable

    def to_chunk(self) -> ErrorChunk:
        return {
            "type": "error",
            "code": self.code,
            "message": self.message,
            "retryable": self.retryable,
            "status": self.status,
        }

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code!r}, message={self.message!r}, status={self.status!r})"


class ProviderError(BridgeError):
    """``retry_after``: the seconds the provider asked us to wait before trying again, if it said
    (``Retry-After`` on a 429, 503 or 529)."""

    code: ClassVar[ErrorCode] = "server"

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        retryable: bool | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, status=status, retryable=retryable)
        self.retry_after = retry_after


class AuthError(ProviderError):
    code: ClassVar[ErrorCode] = "auth"


class NotFoundError(ProviderError):
    code: ClassVar[ErrorCode] = "not_found"


class RateLimitedError(ProviderError):
    code: ClassVar[ErrorCode] = "rate_limited"
    default_retryable = True

    def __init__(
        self, message: str, *, status: int | None = 429, retryable: bool | None = None, retry_after: float | None = None
    ) -> None:
        super().__init__(message, status=status, retryable=retryable, retry_after=retry_after)


class BadRequestError(ProviderError):
    code: ClassVar[ErrorCode] = "bad_request"


class ContextLengthError(ProviderError):
    code: ClassVar[ErrorCode] = "context_length"


class ServerError(ProviderError):
    code: ClassVar[ErrorCode] = "server"
    default_retryable = True


class NetworkError(ProviderError):
    code: ClassVar[ErrorCode] = "network"
    default_retryable = True


class UpstreamTimeout(ProviderError):
    code: ClassVar[ErrorCode] = "timeout"
    default_retryable = True


class ProtocolError(ProviderError):
    code: ClassVar[ErrorCode] = "protocol"


class Cancelled(BridgeError):
    code: ClassVar[ErrorCode] = "cancelled"

    def __init__(self, message: str = "the request was cancelled") -> None:
        super().__init__(message)


class ConfigurationError(BridgeError):
    code: ClassVar[ErrorCode] = "invalid_config"


class UnknownProviderError(ConfigurationError):
    code: ClassVar[ErrorCode] = "unknown_provider"


class UnknownModelError(ConfigurationError):
    code: ClassVar[ErrorCode] = "unknown_model"


class MissingKeyError(ConfigurationError):
    code: ClassVar[ErrorCode] = "missing_key"


class InvalidConfigError(ConfigurationError):
    code: ClassVar[ErrorCode] = "invalid_config"


class StoreUnavailableError(ConfigurationError):
    """A secret store cannot be used now (no keychain, a locked one, one that does not answer);
    the message says why and what to do."""

    code: ClassVar[ErrorCode] = "invalid_config"


class HostUnavailableError(BridgeError):
    code: ClassVar[ErrorCode] = "host_unavailable"
    default_retryable = True


class UnauthorizedError(BridgeError):
    code: ClassVar[ErrorCode] = "unauthorized"


class ToolError(BridgeError):
    code: ClassVar[ErrorCode] = "tool_error"


class InternalError(BridgeError):
    code: ClassVar[ErrorCode] = "internal"


_BY_CODE: dict[str, type[BridgeError]] = {
    cls.code: cls
    for cls in (
        AuthError, NotFoundError, RateLimitedError, BadRequestError, ContextLengthError, ServerError,
        NetworkError, UpstreamTimeout, ProtocolError, Cancelled, UnknownProviderError, UnknownModelError,
        MissingKeyError, InvalidConfigError, HostUnavailableError, UnauthorizedError, ToolError, InternalError,
    )
}  # fmt: skip


def error_class(code: str) -> type[BridgeError]:
    """The class for an ``ErrorCode`` (``InternalError`` for an unknown one)."""
    return _BY_CODE.get(code, InternalError)


def from_chunk(chunk: ErrorChunk) -> BridgeError:
    """The exception an error chunk stands for (used where a stream's error must be raised)."""
    cls = error_class(chunk["code"])
    if cls is Cancelled:
        return Cancelled(chunk["message"])
    return cls(chunk["message"], status=chunk["status"], retryable=chunk["retryable"])


def first_failure(exc: BaseException) -> BaseException:
    """The first exception inside (nested) exception groups, where a task group put the real one."""
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    return exc
