"""The HTTP server under ``policykg serve``: uvicorn's h11 protocol with the limits it lacks.

uvicorn closes a kept-alive connection that stays idle after a response, and nothing else:
a connection that never finishes its request headers (slowloris), or never sends a byte, is
held for ever, and there is no cap on connections, so 1 100 idle sockets used up the common
1 024 open files and the server stopped accepting anybody. A client that does not read a
reply kept it in server memory for ever. :class:`GuardedProtocol` adds, per connection:

* a **header timeout** (``header_timeout``): from the moment the connection opens, or its last
  response is complete, the next request's headers must arrive within this many seconds, or the
  connection is closed. Fresh connections that send nothing are included;
* the **idle timeout** (``idle_timeout``): uvicorn's keep-alive timeout, kept;
* a **connection cap** (``max_connections``): one connection more than the cap closes, at once,
  the connection that has waited longest for its request headers (an idle socket, a slowloris);
  when every connection is in the middle of a request, the new one is closed instead. Either
  way nothing piles up: the server holds at most ``max_connections`` sockets, and an ordinary
  request (headers sent at once) is served while idle sockets come and go;
* a **write timeout** (``write_timeout``): when the client does not read and the socket's send
  buffer stays full (uvicorn's flow control pauses writing) for this many seconds, the
  connection is aborted (reset) and the rest of the reply dropped;
* a request that is not valid HTTP/1.1 (unencoded non-ASCII in the URL, a broken header) is
  answered with the project's JSON error envelope (400) instead of uvicorn's plain text.

:func:`serve` binds the port first (so a taken port is one clear error, before anything
starts), raises the soft open-file limit to the hard one, and runs uvicorn with this protocol.
"""

from __future__ import annotations

import fcntl
import json
import logging
import resource
import socket
import struct
import termios
import time
from dataclasses import dataclass
from typing import Any, ClassVar

import h11
from uvicorn.protocols.http.h11_impl import STATUS_PHRASES, H11Protocol

from policykg.errors import PolicyKGError

log = logging.getLogger("uvicorn.error")  # configured by uvicorn, like its own messages

#: How much of a request's head is kept to say what was wrong with it (the request line).
_HEAD_KEPT = 8192
#: The ioctl that tells how many bytes a TCP socket has not had acknowledged (SIOCOUTQ on Linux).
_OUTQ = getattr(termios, "TIOCOUTQ", None)
#: Seconds between two warnings that the connection cap was reached (a flood must not flood the log).
_WARN_EVERY = 10.0


@dataclass(frozen=True)
class Limits:
    header_timeout: float = 10.0
    max_connections: int = 256
    write_timeout: float = 30.0


class GuardedProtocol(H11Protocol):
    """uvicorn's h11 protocol with a header timeout, a connection cap, a write timeout and JSON
    400s. The limits are a class attribute: :func:`protocol_class` makes a subclass that carries
    them, since uvicorn builds one protocol object per connection from the class."""

    limits: ClassVar[Limits] = Limits()
    _last_warning: ClassVar[float] = 0.0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._header_timer: Any = None
        self._write_timer: Any = None
        self._unsent_then = 0
        #: loop time since when this connection waits for a request's headers; None while a
        #: request is being answered.
        self.waiting_since: float | None = None
        self._head = bytearray()

    # -- the connection cap ---------------------------------------------------------------------

    def connection_made(self, transport) -> None:
        super().connection_made(transport)
        if len(self.connections) > self.limits.max_connections and not self._make_room():
            self._warn(
                "every one of max_connections=%d connections is answering a request: "
                "a new connection was closed at once"
            )
            _reset(transport)
            return
        self._watch()

    def _make_room(self) -> bool:
        """Within the cap, or the longest-waiting idle connection closed to make room: True.
        False: every other connection is busy answering a request."""
        live = [c for c in self.connections if c is not self and not c.transport.is_closing()]
        if len(live) < self.limits.max_connections:
            return True
        idle = [c for c in live if isinstance(c, GuardedProtocol) and c.waiting_since is not None]
        if not idle:
            return False
        oldest = min(idle, key=lambda c: c.waiting_since or 0.0)
        self._warn("max_connections=%d reached: closed the connection that had waited longest for its request headers")
        oldest._close()
        return True

    def _warn(self, message: str) -> None:
        now = time.monotonic()
        if now - GuardedProtocol._last_warning >= _WARN_EVERY:
            GuardedProtocol._last_warning = now
            log.warning(message + " (see max_connections in docs/settings.md)", self.limits.max_connections)

    # -- the header timeout ---------------------------------------------------------------------

    def _busy(self) -> bool:
        return self.cycle is not None and not self.cycle.response_complete

    def _watch(self) -> None:
        """Start the header clock when the connection starts waiting for a request, stop it
        when a request's headers have arrived (uvicorn then runs a request cycle)."""
        if self.transport.is_closing() or self._busy() or self.flow.write_paused:
            # A reply still on its way out is the write timeout's to watch, not this one's
            # (uvicorn closes after a `Connection: close` reply, and a closing transport waits
            # for its buffer to be sent: without a clock, for ever if the client never reads).
            self._stop_header_clock()
            if not self._busy() and self._write_timer is None and self.transport.get_write_buffer_size():
                self._arm_write_clock()
        elif self._header_timer is None:
            self.waiting_since = self.loop.time()
            self._head.clear()
            self._header_timer = self.loop.call_later(self.limits.header_timeout, self._header_timeout)

    def _stop_header_clock(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None
        self.waiting_since = None

    def _header_timeout(self) -> None:
        self._header_timer = None
        if self.transport.is_closing():
            return
        if self._unsent():  # the last reply is still leaving (a slow reader): not idle yet
            if self._write_timer is None:
                self._arm_write_clock()
            self._header_timer = self.loop.call_later(self.limits.header_timeout, self._header_timeout)
            return
        self._close()

    def timeout_keep_alive_handler(self) -> None:
        super().timeout_keep_alive_handler()
        self._watch()

    def shutdown(self) -> None:
        super().shutdown()
        self._watch()

    def _close(self) -> None:
        """Close at once: nothing is owed to a client that has not finished a request."""
        self._stop_header_clock()
        if self.transport.get_write_buffer_size():
            _reset(self.transport)  # a reply it never read: do not wait to flush it
        else:
            self.transport.close()

    def data_received(self, data: bytes) -> None:
        if self.waiting_since is not None and len(self._head) < _HEAD_KEPT:
            self._head += data[: _HEAD_KEPT - len(self._head)]
        super().data_received(data)
        self._watch()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._watch()

    # -- the write timeout ----------------------------------------------------------------------

    def pause_writing(self) -> None:
        super().pause_writing()
        self._stop_header_clock()
        if self._write_timer is None:
            self._arm_write_clock()

    def resume_writing(self) -> None:
        super().resume_writing()
        if self._write_timer is not None:
            self._write_timer.cancel()
            self._write_timer = None
        self._watch()

    def _arm_write_clock(self) -> None:
        self._unsent_then = self._unsent()
        self._write_timer = self.loop.call_later(self.limits.write_timeout, self._write_timeout)

    def _unsent(self) -> int:
        """Bytes of the reply not yet taken by the client: in the transport's buffer, plus (on
        Linux) those in the socket's send queue that the client has not acknowledged."""
        unsent = self.transport.get_write_buffer_size()
        sock = self.transport.get_extra_info("socket")
        if sock is not None and _OUTQ is not None:
            try:
                unsent += struct.unpack("i", fcntl.ioctl(sock.fileno(), _OUTQ, b"\0\0\0\0"))[0]
            except OSError:
                pass
        return unsent

    def _write_timeout(self) -> None:
        """A reply was left unsent for write_timeout (writing paused, or a closing connection
        still flushing): reset the connection, unless the client took some of it meanwhile.
        Progress is counted in bytes acknowledged, not in writing resumed: the kernel only wakes
        a paused writer once a third of the socket's send buffer is free, which a slow but
        steady reader may take long to free."""
        self._write_timer = None
        unsent = self._unsent()
        if not unsent:
            return
        if unsent < self._unsent_then:
            self._arm_write_clock()  # progress: watch the next stretch
            return
        client = "{}:{}".format(*self.client) if self.client else "a client"
        log.warning(
            "%s took none of its reply for %g s (write_timeout): connection reset", client, self.limits.write_timeout
        )
        _reset(self.transport)

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_header_clock()
        if self._write_timer is not None:
            self._write_timer.cancel()
            self._write_timer = None
        super().connection_lost(exc)

    # -- requests that are not HTTP -------------------------------------------------------------

    def send_400_response(self, msg: str) -> None:
        from policykg.api.app import _DEFAULT_RAW, error_body

        line = bytes(self._head).split(b"\n", 1)[0]
        if any(b >= 0x80 for b in line):
            body = error_body(
                400,
                "bad_encoding",
                "the request line holds bytes that are not ASCII: a URL must be percent-encoded",
                hint="percent-encode the UTF-8 bytes, e.g. curl -G URL --data-urlencode 'q=三名工程'",
            )
        else:
            body = error_body(
                400,
                "bad_request",
                "the request is not valid HTTP/1.1 (a malformed request "
                "line or header, or headers longer than the server reads)",
                hint="send long queries by POST",
            )
        data = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")  # as JSONResponse
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(data)).encode()),
            (b"connection", b"close"),
            *_DEFAULT_RAW,
        ]
        try:
            output = self.conn.send(h11.Response(status_code=400, headers=headers, reason=STATUS_PHRASES[400]))
            output += self.conn.send(h11.Data(data=data)) or b""
            output += self.conn.send(h11.EndOfMessage()) or b""
        except h11.LocalProtocolError:  # a response was already under way: nothing more can be said
            output = b""
        self.transport.write(output)
        self.transport.close()


def _reset(transport) -> None:
    """Abort with a TCP reset: the socket and whatever it still had to send are freed at once
    (a plain close would leave the kernel trying to deliver a reply nobody reads)."""
    sock = transport.get_extra_info("socket")
    if sock is not None:
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
    transport.abort()


def protocol_class(header_timeout: float, max_connections: int, write_timeout: float) -> type[GuardedProtocol]:
    """A :class:`GuardedProtocol` subclass carrying these limits, for uvicorn's ``http=``."""
    if header_timeout <= 0 or write_timeout <= 0 or max_connections < 1:
        raise PolicyKGError(
            "header_timeout and write_timeout must be over 0 s, max_connections at least 1", hint="see docs/settings.md"
        )
    limits = Limits(header_timeout, max_connections, write_timeout)
    return type("PolicyKGProtocol", (GuardedProtocol,), {"limits": limits})


# -- starting ------------------------------------------------------------------------------------


def raise_open_file_limit() -> int:
    """Raise the soft limit on open files to the hard one (Linux's default soft limit, 1 024, is
    small for a server; the hard one is often far higher). Returns the limit in force."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = hard if hard != resource.RLIM_INFINITY else 1 << 20
    if soft == resource.RLIM_INFINITY or soft >= target:
        return soft
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        return target
    except (ValueError, OSError):
        return soft


#: glibc's mallopt option for the size from which malloc maps memory of its own (and unmaps it
#: when freed) instead of carving it from the heap.
_M_MMAP_THRESHOLD = -3


def return_freed_replies() -> bool:
    """Make every block of 128 kB or more (a reply, its copies in the transport) a mapping of
    its own that goes back to the system when freed. glibc raises that threshold as large
    blocks are freed (up to 32 MB), after which replies were carved from the heap and their
    memory stayed with the process: four 32 MB replies reset by write_timeout left 270 MB
    behind, more with each round. A fixed threshold keeps the server's memory where it was once
    replies are gone. False where the C library is not glibc."""
    import ctypes

    try:
        return bool(ctypes.CDLL(None).mallopt(_M_MMAP_THRESHOLD, 128 * 1024))
    except (OSError, AttributeError):
        return False


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on ``host:port``, or one error that names them and says how to pick
    another port (before anything else starts: the store, the workers, the "Serving" line)."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
    except socket.gaierror as exc:
        raise PolicyKGError(
            f"cannot listen on host {host!r}: {exc.strerror} (use --host 127.0.0.1, or 0.0.0.0 for every interface)"
        ) from None
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if family == socket.AF_INET6:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        sock.bind(address)
    except OSError as exc:
        sock.close()
        why = "is already in use (another server?)" if exc.errno == 98 else f"cannot be used: {exc.strerror}"
        raise PolicyKGError(
            f"port {port} on {host} {why}: choose another with `policykg serve --port N`, "
            f"or `PORT=N bash scripts/quickstart.sh`"
        ) from None
    return sock


def serve(
    app,
    sock: socket.socket,
    *,
    header_timeout: float,
    idle_timeout: float,
    max_connections: int,
    write_timeout: float,
    log_level: str,
) -> None:
    """Run ``app`` under uvicorn on the bound ``sock`` with :class:`GuardedProtocol`."""
    import gc

    import uvicorn

    # What start-up made (modules, the app, its routes) lives as long as the server: out of the
    # collector's sight, the full collections that requests' garbage sets off need not walk it.
    gc.collect()
    gc.freeze()

    # The accept loop takes up to `backlog` connections at once before any of them is seen, so
    # the backlog bounds the burst beyond max_connections: open files stay under 2 × the cap.
    config = uvicorn.Config(
        app,
        log_level=log_level,
        timeout_keep_alive=idle_timeout,  # type: ignore[arg-type]
        backlog=max(64, min(max_connections, 2048)),
        http=protocol_class(header_timeout, max_connections, write_timeout),
    )
    uvicorn.Server(config).run(sockets=[sock])
