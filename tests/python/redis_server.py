"""A redis-server of our own on a free 127.0.0.1 port, stopped by PID: what the Python tests'
fixtures and the Python benchmarks (``bench/python``) both start. Free of pytest, so a plain
script can use it; the caller decides what a missing binary means (fail, skip or exit)."""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time


class RedisServerMissing(RuntimeError):
    """``redis-server`` is not on PATH (``make setup`` installs it)."""


class RedisServer:
    """A redis-server of our own on 127.0.0.1, with its URL; ready (answers PING) once built."""

    def __init__(self, prefix: str = "redkit-redis-", binary: str | None = None) -> None:
        """``binary``: another server speaking redis-server's command line (redkit-server);
        it gets only ``--port`` and ``--bind``."""
        self.dir = tempfile.mkdtemp(prefix=prefix)
        self.port = free_port()
        listen = ["--port", str(self.port), "--bind", "127.0.0.1"]
        if binary is None:
            binary = shutil.which("redis-server")
            if binary is None:
                raise RedisServerMissing("redis-server is not installed (make setup installs it)")
            listen += ["--save", "", "--appendonly", "no", "--dir", self.dir]
        self.process = subprocess.Popen(
            [binary, *listen],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.url = f"redis://127.0.0.1:{self.port}"
        deadline = time.monotonic() + 10
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as s:
                    s.sendall(b"PING\r\n")
                    if s.recv(16).startswith(b"+PONG"):
                        break
            except OSError:
                pass
            if time.monotonic() > deadline or self.process.poll() is not None:
                self.stop()
                raise RuntimeError(f"{binary} did not start on port {self.port}")
            time.sleep(0.02)

    def flush(self) -> None:
        with socket.create_connection(("127.0.0.1", self.port), timeout=2) as s:
            s.sendall(b"FLUSHALL\r\n")
            s.recv(16)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        shutil.rmtree(self.dir, ignore_errors=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
