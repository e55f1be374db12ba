"""Transport failures of :mod:`bridge.http`, one tree, each naming the origin it was talking to.

    HTTPError                    a request to ``origin`` failed below the level of HTTP statuses
    ├── InvalidRequest           the request cannot be sent as given (bad URL, header, proxy URL)
    ├── ConnectError             no connection: refused, DNS, TLS handshake, proxy refused
    ├── Timeout                  the server took too long
    │   ├── ConnectTimeout       ... to accept the connection (TCP, proxy tunnel and TLS included)
    │   └── ReadTimeout          ... to answer, or between two pieces of the answer
    ├── ReadError                the connection broke: reset, closed mid-response, write failed
    └── RemoteProtocolError      what the server sent is not HTTP/1.1

``origin`` is ``scheme://host[:port]`` and the only part of a request an error carries: never a
path or query (Gemini's keys may travel in one), never a header (keys travel in them).
"""

from __future__ import annotations


class HTTPError(Exception):
    def __init__(self, message: str, origin: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.origin = origin


class InvalidRequest(HTTPError):
    pass


class ConnectError(HTTPError):
    pass


class Timeout(HTTPError):
    pass


class ConnectTimeout(Timeout):
    pass


class ReadTimeout(Timeout):
    pass


class ReadError(HTTPError):
    pass


class RemoteProtocolError(HTTPError):
    pass
