"""fakeredis-compatible test doubles: redis-py clients whose connections talk to an in-process
redkit simulator instead of a socket.

    from redkit.testing import FakeRedis, FakeServer

    server = FakeServer(manual_clock=True)
    r = FakeRedis(server=server, decode_responses=True)
    r.set("k", "v", ex=10)
    server.advance(11)                    # the virtual clock: k has expired
    assert r.get("k") is None

``FakeRedis``, ``FakeStrictRedis`` and ``FakeAsyncRedis`` are redis-py's ``Redis``,
``StrictRedis`` and ``redis.asyncio.Redis`` with one change: their connection pool makes
``FakeConnection`` / ``FakeAsyncConnection``, subclasses of redis-py's own ``Connection`` classes
whose socket is a ``redkit._native.WireConnection``. Replies are the bytes redis-server would send,
so pipelines, MULTI/EXEC with WATCH, pub/sub, RESP3 (``protocol=3``, redis-py 8's default),
``decode_responses`` and client-side errors behave as against a server. On the sync connection a
fast path spares redis-py's RESP packing and parsing (most of a fake command's cost): a command's
arguments go to the simulator as they are, and a reply comes back as the Python value redis-py's
own parser would have made of those bytes (its error classes, its decoding), built natively;
wherever that could differ (an argument only redis-py's encoder can judge, a RESP3 push, hiredis)
redis-py packs and parses as usual. What the simulator answers is what redis-py sees: ``eval``,
``evalsha``, ``register_script``, ``fcall`` and redis-py's ``Lock`` (whose release, extend and
reacquire are Lua scripts) run their Lua on the simulator, as on Redis 7.0.15.

Constructor arguments are redis-py's plus fakeredis's ``server=`` (a ``FakeServer``: clients
that share one see the same data; without one a client gets a server of its own, or the one
registered for ``host``/``port`` when they are given, as fakeredis does), ``version=`` and
``lua_modules=`` (accepted and ignored: the simulator's Lua has the libraries Redis 7.0.15 has),
``server_type=`` (only ``"redis"``) and ``connected=`` (sets the server's ``connected``). Fake
clients do not retry a failed command unless given ``retry=``: there is no network to recover,
and a read that timed out would only time out again.

Waiting: a read waits for the simulator at most the client's ``socket_timeout`` (redis-py's default
is 5 s), then redis-py raises ``TimeoutError`` as on a real socket. A client with
``socket_timeout=None`` waits at most ``FakeServer.max_block`` seconds of real time (5 by default)
instead of forever: a ``BLPOP k 0`` on a manual clock that nothing serves fails the test with
``TimeoutError`` rather than hanging it. Blocking commands with a timeout on a manual clock time out
when the clock is advanced (from another thread, or an asyncio task) past their timeout.

``server.connected = False`` makes every client of the server fail its next command with
redis-py's ``ConnectionError`` (and refuses reconnections) until it is set back to True; the data
stays.

Only this module needs redis-py (``pip install 'redkit[fake]'``); ``import redkit`` does not.
"""

from __future__ import annotations

import asyncio
import codecs
import datetime
import errno
import socket
import threading
import time
from typing import Any, ClassVar, Optional, Union

try:
    import redis
    import redis.asyncio
    from redis._parsers import _RESP2Parser, _RESP3Parser
    from redis._parsers.socket import SocketBuffer
    from redis.backoff import NoBackoff
    from redis.retry import Retry
except ImportError as _error:  # pragma: no cover - exercised without redis installed
    raise ImportError(
        "redkit.testing needs redis-py (redis>=5): pip install 'redkit[fake]'"
    ) from _error

from ._native import Client, PackedCommands, Simulator, WireConnection

try:  # redis-py 8 (only _FakeConnectionPool, made for redis-py 8.1, uses them)
    from redis.event import AfterConnectionReleasedEvent
    from redis.observability.providers import get_observability_instance
except ImportError:  # pragma: no cover - older redis-py keeps its own pool
    pass

__all__ = [
    "FakeAsyncConnection",
    "FakeAsyncRedis",
    "FakeConnection",
    "FakeRedis",
    "FakeServer",
    "FakeStrictRedis",
]

_Seconds = Union[int, float, datetime.timedelta]


class FakeServer:
    """One simulated Redis server (a ``redkit.Simulator``) that fake clients connect to.

    ``manual_clock=True`` freezes time until ``advance(seconds)``; ``simulator=`` wraps an
    existing simulator (shared with ``redkit`` clients made by ``server.client()``).
    """

    _by_address: ClassVar[dict[tuple[str, int], FakeServer]] = {}
    _registry_lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(
        self,
        *,
        manual_clock: bool = False,
        start: Union[int, float, datetime.datetime, None] = None,
        simulator: Optional[Simulator] = None,
        version: Any = None,
        max_block: float = 5.0,
    ) -> None:
        if simulator is not None and (manual_clock or start is not None):
            raise ValueError("pass either simulator= or manual_clock/start, not both")
        self.simulator: Simulator = simulator if simulator is not None else Simulator(manual_clock, start)
        self.version = version
        self.max_block = max_block
        self._connected = True

    @classmethod
    def for_address(cls, host: str, port: int = 6379) -> FakeServer:
        """The server fake clients given this ``host``/``port`` share (made on first use)."""
        with cls._registry_lock:
            server = cls._by_address.get((host, int(port)))
            if server is None:
                server = cls._by_address[(host, int(port))] = cls()
            return server

    @property
    def connected(self) -> bool:
        """False makes the next command of every client fail with ``ConnectionError``."""
        return self._connected

    @connected.setter
    def connected(self, value: bool) -> None:
        self._connected = bool(value)

    def advance(self, seconds: _Seconds) -> None:
        """Moves the manual clock forward (keys expire, blocked commands time out)."""
        self.simulator.advance(seconds)

    def now(self) -> float:
        """The server's time in seconds since the epoch."""
        return self.simulator.now()

    def client(self) -> Client:
        """A ``redkit.Client`` of this server (the redkit patterns on the same data)."""
        return self.simulator.client()

    def _open(self) -> WireConnection:
        if not self._connected:
            raise ConnectionRefusedError(errno.ECONNREFUSED, "Connection refused (FakeServer.connected is False)")
        return WireConnection(self.simulator)

    def _check(self) -> None:
        if not self._connected:
            raise ConnectionResetError(errno.ECONNRESET, "Connection reset by peer (FakeServer.connected is False)")

    def __repr__(self) -> str:
        return f"FakeServer({self.simulator!r}, connected={self._connected})"


class _FakeSocket:
    """What redis-py's sync parsers read from and write to: a ``WireConnection`` with socket
    timeouts (``settimeout``) turned into bounded waits."""

    def __init__(self, server: FakeServer) -> None:
        self._server = server
        self._wire = server._open()
        self._timeout: Optional[float] = None
        #: Bytes went to redis-py's parser buffer: replies are read from there until it is empty.
        self._buffered = False

    def settimeout(self, timeout: Optional[float]) -> None:
        self._timeout = timeout

    def gettimeout(self) -> Optional[float]:
        return self._timeout

    def setsockopt(self, *args: Any) -> None:
        pass

    def sendall(self, data: Any) -> None:
        self._server._check()
        self._wire.send(bytes(data))

    def recv(self, bufsize: int, flags: int = 0) -> bytes:
        self._server._check()
        timeout = self._timeout if self._timeout is not None else self._server.max_block
        peek = bool(flags & socket.MSG_PEEK)
        data = self._wire.read(bufsize, timeout, peek)
        if data is None:
            raise socket.timeout("timed out")
        if data and not peek:
            self._buffered = True
        return data

    def recv_into(self, buffer: Any, nbytes: int = 0, flags: int = 0) -> int:
        view = memoryview(buffer).cast("B")
        data = self.recv(nbytes or len(view), flags)
        view[: len(data)] = data
        return len(data)

    def getsockname(self) -> tuple[str, int]:
        return ("127.0.0.1", 0)

    def shutdown(self, how: int) -> None:
        pass

    def close(self) -> None:
        self._wire.close()


def _is_utf8(encoding: str) -> bool:
    try:
        return codecs.lookup(encoding).name == "utf-8"
    except LookupError:  # redis-py raises it when it encodes or decodes
        return False


class FakeConnection(redis.Connection):
    """redis-py's ``Connection`` over a ``FakeServer`` instead of a TCP socket.

    The fast path: a command's arguments go to the simulator as they are (``send_command``,
    ``pack_commands`` + ``send_packed_command`` for pipelines and transactions), not packed into
    RESP for the simulator to parse again, and ``read_response`` takes the reply as the Python
    value redis-py's parser would have made of its bytes (``WireConnection.reply``), built
    natively. Wherever that could differ from redis-py — an argument redis-py's encoder must
    judge, a RESP3 push, hiredis, a health check, bytes already in the parser's buffer — the
    connection does what redis-py's ``Connection`` does, on the same wire.
    """

    def __init__(self, *, server: FakeServer, **kwargs: Any) -> None:
        self.server = server
        super().__init__(**kwargs)
        #: Arguments are packed natively only when str arguments are UTF-8 for redis-py too.
        self._fast_args = _is_utf8(self.encoder.encoding)

    def _connect(self) -> Any:
        sock = _FakeSocket(self.server)
        sock.settimeout(self.socket_timeout)
        parser = self._parser
        if type(parser) in (_RESP2Parser, _RESP3Parser):
            encoder = self.encoder
            sock._wire.configure(
                resp3=type(parser) is _RESP3Parser,
                decode=encoder.decode if encoder.decode_responses else None,
                utf8=_is_utf8(encoder.encoding),
                parse_error=parser.parse_error,
                connection_error=redis.ConnectionError,
            )
        return sock

    def activate_maint_notifications_handling_if_enabled(self, *args: Any, **kwargs: Any) -> None:
        # redis-py 8 resolves the host to decide on maintenance notifications; a fake has none.
        return None

    def _fast_sock(self) -> Optional[_FakeSocket]:
        """The socket when a command may skip packing: connected, no health check due, the
        server up (else redis-py's own path raises its errors)."""
        sock = self._sock
        if sock is None or not self._fast_args or self.health_check_interval or not self.server._connected:
            return None
        return sock  # type: ignore[no-any-return]

    def send_command(self, *args: Any, **kwargs: Any) -> None:
        sock = self._fast_sock()
        if sock is None or not sock._wire.send_command(args):
            super().send_command(*args, **kwargs)

    def pack_commands(self, commands: Any) -> Any:
        commands = list(commands)
        packed = WireConnection.pack_commands(commands) if self._fast_args else None
        return packed if packed is not None else super().pack_commands(commands)

    def send_packed_command(self, command: Any, check_health: bool = True) -> None:
        if isinstance(command, PackedCommands):
            sock = self._fast_sock()
            if sock is not None and sock._wire.send_packed(command):
                return
            command = list(command)
        super().send_packed_command(command, check_health)

    def read_response(self, disable_decoding: bool = False, **kwargs: Any) -> Any:
        sock = self._sock
        if sock is not None and not sock._buffered:
            try:
                response = sock._wire.reply(disable_decoding)
            except BaseException:
                # A ConnectionError reply or a decoding error, as redis-py's parser raises them.
                if kwargs.get("disconnect_on_error", True):
                    self.disconnect()
                raise
            if response is not NotImplemented:
                if self.health_check_interval:
                    self.next_health_check = time.monotonic() + self.health_check_interval
                if isinstance(response, redis.ResponseError):
                    try:
                        raise response
                    finally:
                        del response  # avoid creating ref cycles (as redis-py)
                return response
        try:
            return super().read_response(disable_decoding, **kwargs)
        finally:
            sock = self._sock
            if sock is not None and sock._buffered:
                buffer = getattr(self._parser, "_buffer", None)
                sock._buffered = not isinstance(buffer, SocketBuffer) or buffer.unread_bytes() > 0

    def can_read(self, timeout: float = 0) -> bool:
        # The pool asks before every command whether stale bytes wait; answering from the wire
        # directly spares the socket-timeout exception a real socket's answer costs.
        sock = self._sock
        if timeout == 0 and sock is not None and not sock._buffered and self.server._connected:
            state = sock._wire.poll()
            if state != 2:  # at end of stream, redis-py's parser raises its error
                return state == 1
        return bool(super().can_read(timeout))

    def repr_pieces(self) -> list[tuple[str, Any]]:
        return [("server", self.server), ("db", self.db)]


class _FakeWriter:
    """The ``asyncio.StreamWriter`` side of a fake async connection: writes go to the wire, and
    what the wire answers is fed to the connection's ``StreamReader`` at once or, when it comes
    later (a blocked command served, a pub/sub message), by a watcher task."""

    def __init__(self, wire: WireConnection, reader: asyncio.StreamReader, conn: FakeAsyncConnection) -> None:
        self._wire = wire
        self._reader = reader
        self._conn = conn
        self._closed = False
        self._blocked_since = 0
        self._watcher = asyncio.get_running_loop().create_task(self._watch())

    def _deliver(self) -> bool:
        """Feeds the reader what the wire has; False at end of stream."""
        data = self._wire.read(1 << 30, 0)
        if data is None:
            return True
        if data:
            self._reader.feed_data(data)
            return True
        if not self._reader.at_eof():
            self._reader.feed_eof()
        return False

    async def _watch(self) -> None:
        while not self._closed:
            await self._wire.readable()
            if self._closed or not self._deliver():
                return

    def write(self, data: bytes) -> None:
        self.writelines([data])

    def writelines(self, chunks: Any) -> None:
        if self._closed:
            raise ConnectionResetError(errno.ECONNRESET, "Connection closed")
        self._conn.server._check()
        self._wire.send(b"".join(bytes(c) for c in chunks))
        self._deliver()
        if self._wire.blocked and self._conn.socket_timeout is None:
            # Nothing bounds this read on redis-py's side: bound it here (see the module doc).
            self._blocked_since += 1
            mark = self._blocked_since
            asyncio.get_running_loop().call_later(self._conn.server.max_block, self._expire, mark)

    def _expire(self, mark: int) -> None:
        if not self._closed and mark == self._blocked_since and self._wire.blocked:
            self._reader.set_exception(
                asyncio.TimeoutError(f"blocked for {self._conn.server.max_block} s (FakeServer.max_block)")
            )

    async def drain(self) -> None:
        pass

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return default

    def is_closing(self) -> bool:
        return self._closed

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._watcher.cancel()
            self._wire.close()

    async def wait_closed(self) -> None:
        pass


class FakeAsyncConnection(redis.asyncio.Connection):
    """redis-py's asyncio ``Connection`` over a ``FakeServer`` instead of a TCP socket."""

    def __init__(self, *, server: FakeServer, **kwargs: Any) -> None:
        self.server = server
        super().__init__(**kwargs)

    async def _connect(self) -> None:
        wire = self.server._open()
        reader = asyncio.StreamReader(limit=1 << 24)
        self._reader = reader
        self._writer = _FakeWriter(wire, reader, self)  # type: ignore[assignment]

    async def activate_maint_notifications_handling_if_enabled(self, *args: Any, **kwargs: Any) -> None:
        return None

    def repr_pieces(self) -> list[tuple[str, Any]]:
        return [("server", self.server), ("db", self.db)]


def _server_for(args: tuple[Any, ...], kwargs: dict[str, Any], server: Optional[FakeServer]) -> FakeServer:
    if server is not None:
        if not isinstance(server, FakeServer):
            raise TypeError(f"server must be a redkit.testing.FakeServer, not {type(server).__name__}")
        return server
    pool = kwargs.get("connection_pool")
    if pool is not None:
        existing = pool.connection_kwargs.get("server")
        if isinstance(existing, FakeServer):
            return existing
        return FakeServer.for_address(pool.connection_kwargs.get("host", "localhost"), pool.connection_kwargs.get("port", 6379))
    if args or "host" in kwargs or "port" in kwargs:
        host = args[0] if args else kwargs.get("host", "localhost")
        port = args[1] if len(args) > 1 else kwargs.get("port", 6379)
        return FakeServer.for_address(str(host), int(port))
    return FakeServer()


def _check_server_type(server_type: str) -> None:
    if server_type != "redis":
        raise ValueError(f"the simulator is a Redis 7 server; server_type={server_type!r} is not simulated")


def _prepare(
    args: tuple[Any, ...], kwargs: dict[str, Any], server: Optional[FakeServer], connected: Optional[bool]
) -> tuple[FakeServer, bool]:
    """Resolves the server and edits redis-py's keyword arguments; returns (server, whether a
    single connection was asked for: it is made after the pool is switched to fakes)."""
    srv = _server_for(args, kwargs, server)
    if connected is not None:
        srv.connected = connected
    if "connection_pool" not in kwargs and "retry" not in kwargs:
        kwargs["retry"] = Retry(NoBackoff(), 0)
    return srv, bool(kwargs.pop("single_connection_client", False))


def _observed() -> bool:
    """Whether redis-py's OpenTelemetry metrics are on (then its pool records them)."""
    try:
        manager = get_observability_instance().get_provider_manager()
        return manager is not None and bool(manager.config.enabled_telemetry)
    except Exception:  # noqa: BLE001 - as redis-py's recorder: metrics never break a command
        return False


class _FakeConnectionPool(redis.ConnectionPool):
    """redis-py 8.1's ``ConnectionPool`` with its get/release paths without the metric calls,
    which are no-ops unless redis-py's observability is on (then its own paths run). Connections
    are taken, checked (``can_read``), released and announced (``AfterConnectionReleasedEvent``)
    exactly as there; only the ~8 function calls per command that record nothing are spared."""

    def get_connection(self, command_name: Any = None, *keys: Any, **options: Any) -> Any:
        if _observed():
            return super().get_connection(command_name, *keys, **options)
        self._checkpid()
        with self._lock:
            try:
                connection = self._available_connections.pop()
            except IndexError:
                connection = self.make_connection()
            self._in_use_connections.add(connection)
        try:
            connection.connect()
            try:
                if connection.can_read() and self.cache is None and not self.maint_notifications_enabled():
                    raise redis.ConnectionError("Connection has data")
            except (redis.ConnectionError, redis.TimeoutError, OSError):
                connection.disconnect()
                connection.connect()
                if connection.can_read() and self.cache is None and not self.maint_notifications_enabled():
                    raise redis.ConnectionError("Connection not ready")
        except BaseException:
            self.release(connection)
            raise
        return connection

    def release(self, connection: Any) -> None:
        if _observed():
            return super().release(connection)
        self._checkpid()
        with self._lock:
            try:
                self._in_use_connections.remove(connection)
            except KeyError:
                return None
            if self.owns_connection(connection):
                if connection.should_reconnect():
                    connection.disconnect()
                self._available_connections.append(connection)
                self._event_dispatcher.dispatch(AfterConnectionReleasedEvent(connection))  # type: ignore[union-attr]
            else:
                connection.disconnect()
                if connection.pid == self.pid:
                    self._created_connections -= 1
        return None


def _adopt(pool: Any, connection_class: type, server: FakeServer) -> None:
    pool.connection_class = connection_class
    if type(pool) is redis.ConnectionPool and redis.__version__.startswith("8.1."):
        # The version whose pool _FakeConnectionPool mirrors; any other keeps redis-py's own.
        pool.__class__ = _FakeConnectionPool
    kwargs = pool.connection_kwargs
    # A unix socket's path and TLS settings mean nothing in-process (ssl=True, unix:// URLs).
    for key in [k for k in kwargs if k == "path" or k.startswith("ssl_")]:
        del kwargs[key]
    kwargs["server"] = server


class _OnFakeServer:
    """What ``FakeRedis`` and ``FakeAsyncRedis`` share: fakeredis's constructor arguments (see the
    module docs)."""

    server: FakeServer

    def __init__(
        self,
        *args: Any,
        server: Optional[FakeServer] = None,
        version: Any = None,
        connected: Optional[bool] = None,
        server_type: str = "redis",
        lua_modules: Any = None,
        **kwargs: Any,
    ) -> None:
        _check_server_type(server_type)
        self.server, single = _prepare(args, kwargs, server, connected)
        self._connect(args, kwargs, single)

    def _connect(self, args: Any, kwargs: Any, single: bool) -> None:
        """redis-py's own ``__init__`` with the pool's connections made fakes."""
        raise NotImplementedError


class FakeRedis(_OnFakeServer, redis.Redis):
    """``redis.Redis`` on a ``FakeServer`` (see the module docs for the arguments)."""

    def _connect(self, args: Any, kwargs: Any, single: bool) -> None:
        redis.Redis.__init__(self, *args, **kwargs)
        _adopt(self.connection_pool, FakeConnection, self.server)
        if single:
            # Made here, not by redis-py's __init__, which would connect before the pool is a fake's.
            try:
                self.connection = self.connection_pool.get_connection()
            except TypeError:  # redis-py < 5.3 wants a command name
                self.connection = self.connection_pool.get_connection("_")  # type: ignore[call-arg]
            self._single_connection_client = True  # redis-py >= 6
            self.single_connection_client = True  # redis-py 5


class FakeStrictRedis(FakeRedis):
    """``redis.StrictRedis`` (the same class as ``redis.Redis`` since redis-py 3) on a ``FakeServer``."""


class FakeAsyncRedis(_OnFakeServer, redis.asyncio.Redis):  # type: ignore[misc]  # redis-py's own bases differ on command_info
    """``redis.asyncio.Redis`` on a ``FakeServer`` (see the module docs for the arguments)."""

    def _connect(self, args: Any, kwargs: Any, single: bool) -> None:
        redis.asyncio.Redis.__init__(self, *args, single_connection_client=single, **kwargs)
        _adopt(self.connection_pool, FakeAsyncConnection, self.server)
