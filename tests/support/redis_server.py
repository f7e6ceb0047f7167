"""A throwaway ``redis-server`` on 127.0.0.1 and a free port, started by the tests (and the fleet benchmark).

Nothing is persisted (no RDB, no AOF, a temporary working directory). ``make test`` installs Debian's redis-server
when it is missing and the machine allows it; without it the ``redis_server`` fixture skips with ``REDIS_HINT``.
``kill()`` and ``freeze()`` / ``thaw()`` (SIGKILL, SIGSTOP/SIGCONT) let tests fail the store mid-run.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator

import pytest

__all__ = ["REDIS_HINT", "RedisServer", "find_redis_server", "redis_server"]

REDIS_HINT = "redis-server not found: run `make test` as root (it apt-get installs redis-server) or install it yourself"


def find_redis_server() -> str | None:
    found = shutil.which("redis-server")
    if found is None and os.access("/usr/bin/redis-server", os.X_OK):
        found = "/usr/bin/redis-server"
    return found


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class RedisServer:
    def __init__(self, binary: str) -> None:
        self.binary = binary
        self.port = 0
        self.process: subprocess.Popen[bytes] | None = None
        self._dir = tempfile.TemporaryDirectory(prefix="aiocustomerio-redis-")

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        for _ in range(5):  # another process may take the free port between the probe and redis binding it
            self.port = _free_port()
            self.process = subprocess.Popen(
                [
                    *(self.binary, "--bind", "127.0.0.1", "--port", str(self.port), "--save", "", "--appendonly"),
                    *("no", "--dir", self._dir.name, "--loglevel", "warning", "--daemonize", "no"),
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            if self._wait_ready():
                return self
            self.kill()
        raise RuntimeError(f"{self.binary} did not start")

    def _wait_ready(self, timeout: float = 5.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                return False
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                    sock.sendall(b"PING\r\n")
                    if sock.recv(16).startswith(b"+PONG"):
                        return True
            except OSError:
                pass
            time.sleep(0.02)
        return False

    def list_keys(self, pattern: str = "*") -> list[str]:
        """The keys present now ."""
        import redis

        client = redis.Redis(host="127.0.0.1", port=self.port, decode_responses=True)
        try:
            return sorted(str(key) for key in client.scan_iter(match=pattern))
        finally:
            client.close()

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGCONT)
            self.process.kill()
            self.process.wait(timeout=10)

    def freeze(self) -> None:
        """SIGSTOP: the port stays open and accepts connections, but nothing answers (a stalled Redis)."""
        assert self.process is not None
        self.process.send_signal(signal.SIGSTOP)

    def thaw(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGCONT)

    def close(self) -> None:
        self.kill()
        self._dir.cleanup()


@pytest.fixture
def redis_server() -> Iterator[RedisServer]:
    """A fresh redis-server per test (starting one takes a few milliseconds)."""
    binary = find_redis_server()
    if binary is None:
        pytest.skip(REDIS_HINT)
    server = RedisServer(binary).start()
    try:
        yield server
    finally:
        server.close()
