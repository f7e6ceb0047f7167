"""Prism (Stoplight's OpenAPI mock server) as a local Customer.io, installed into the project on first use.

Prism is an npm package, so Node.js >= 18 is the only thing this needs from the system; the package itself goes into
the git-ignored ``.tools/prism`` so no global npm state is touched. Every subprocess here is started from an argument
list, never through a shell, so paths with spaces or odd characters are safe on every platform.

Prism validates requests by default (422 with a problem+json body for a bad body or parameter, 401 for missing or
wrong-scheme credentials) and answers from the spec's examples. It serves each operation at the spec's path *without*
the server URL's path prefix, so Pipelines (server ``https://cdp.customer.io/v1``) is mocked at ``/identify``, not
``/v1/identify``: the mock base URL for every API is the bare ``http://127.0.0.1:<port>``.

``python -m tests.support.prism`` (``make mock``) starts all three APIs and prints their base URLs until Ctrl-C.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from types import TracebackType
from typing import IO

ROOT = Path(__file__).resolve().parents[2]
PRISM_DIR = ROOT / ".tools" / "prism"
PRISM_PACKAGE = "@stoplight/prism-cli"
PRISM_MAJOR = 5
MIN_NODE = (18, 0)
DEFAULT_SPECS_DIR = ROOT / "specs" / "normalized"

# API short name (as in codegen.apis) -> normalized spec file name.
SPEC_FILES: Mapping[str, str] = {
    "app": "journeys-app.json",
    "track": "journeys-track.json",
    "pipelines": "pipelines.json",
}

_WINDOWS = os.name == "nt"


class PrismUnavailable(RuntimeError):
    """Prism cannot be installed or started here; ``str()`` is a one-line reason fit for a skip message."""


def _prism_bin() -> Path:
    return PRISM_DIR / "node_modules" / ".bin" / ("prism.cmd" if _WINDOWS else "prism")


def node_version() -> tuple[int, ...] | None:
    """The installed Node.js version, or None when there is no usable ``node`` on PATH."""
    node = shutil.which("node")
    if node is None:
        return None
    try:
        out = subprocess.run([node, "--version"], capture_output=True, text=True, timeout=30, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    try:
        return tuple(int(part) for part in out.strip().lstrip("v").split(".")[:3])
    except ValueError:
        return None


def check_node() -> None:
    version = node_version()
    wanted = ".".join(map(str, MIN_NODE))
    if version is None:
        raise PrismUnavailable(f"Node.js >= {wanted} is required for the Prism mock server, but `node` was not found")
    if version < MIN_NODE:
        found = ".".join(map(str, version))
        raise PrismUnavailable(f"Node.js >= {wanted} is required for the Prism mock server, found {found}")


def _installed_major() -> int | None:
    manifest = PRISM_DIR / "node_modules" / "@stoplight" / "prism-cli" / "package.json"
    try:
        version = json.loads(manifest.read_text())["version"]
        return int(str(version).split(".")[0])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def ensure_prism() -> Path:
    """Return the path of the Prism executable, installing Prism 5.x into ``.tools/prism`` when it is missing."""
    check_node()
    binary = _prism_bin()
    if binary.exists() and _installed_major() == PRISM_MAJOR:
        return binary
    npm = shutil.which("npm")
    if npm is None:
        raise PrismUnavailable("npm is required to install the Prism mock server, but `npm` was not found")
    PRISM_DIR.mkdir(parents=True, exist_ok=True)
    cmd = [npm, "install", "--prefix", str(PRISM_DIR), f"{PRISM_PACKAGE}@{PRISM_MAJOR}", "--no-audit", "--no-fund"]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=600, check=False)
    if result.returncode != 0 or not binary.exists():
        tail = (result.stderr or result.stdout).strip().splitlines()[-1:] or ["no output"]
        raise PrismUnavailable(f"`npm install {PRISM_PACKAGE}@{PRISM_MAJOR}` failed: {tail[0]}")
    return binary


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def _answers(host: str, port: int) -> bool:
    """True once an HTTP server answers on host:port; any status counts (Prism says 404 for unknown paths)."""
    conn = http.client.HTTPConnection(host, port, timeout=2)
    try:
        conn.request("GET", "/__prism_ready__")
        conn.getresponse().read()
        return True
    except (OSError, http.client.HTTPException):
        return False
    finally:
        conn.close()


class PrismServer:
    """``prism mock <spec>`` on 127.0.0.1 and a free port, for the duration of a ``with`` block.

    Output goes to ``log_path`` (a temporary file unless given), which is named in every startup error.
    """

    def __init__(
        self,
        spec: Path | str,
        *,
        host: str = "127.0.0.1",
        port: int | None = None,
        log_path: Path | None = None,
        startup_timeout: float = 120.0,
    ) -> None:
        self.spec = Path(spec).resolve()
        self.host = host
        self.port = port
        self.log_path = log_path
        self.startup_timeout = startup_timeout
        self._proc: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    @property
    def base_url(self) -> str:
        if self.port is None:
            raise RuntimeError("PrismServer has not been started")
        return f"http://{self.host}:{self.port}"

    def spawn(self) -> None:
        """Start the process without waiting for it; pair with :meth:`wait_ready` to start several at once."""
        if not self.spec.is_file():
            raise FileNotFoundError(f"spec not found: {self.spec} (run `python -m codegen normalize`)")
        binary = ensure_prism()
        if self.port is None:
            self.port = free_port(self.host)
        if self.log_path is None:
            fd, name = tempfile.mkstemp(prefix=f"prism-{self.spec.stem}-", suffix=".log")
            os.close(fd)
            self.log_path = Path(name)
        self._log = self.log_path.open("wb")
        cmd = [str(binary), "mock", str(self.spec), "--host", self.host, "--port", str(self.port)]
        # A session of its own lets stop() end Prism together with anything it forked.
        self._proc = subprocess.Popen(
            cmd, stdout=self._log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=not _WINDOWS
        )

    def wait_ready(self) -> None:
        proc = self._proc
        if proc is None or self.port is None:
            raise RuntimeError("PrismServer.spawn() was not called")
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                self.stop()
                code = proc.returncode
                raise PrismUnavailable(f"Prism exited with code {code} for {self.spec.name}; see {self.log_path}")
            if _answers(self.host, self.port):
                return
            time.sleep(0.1)
        self.stop()
        waited = f"{self.startup_timeout:.0f}s"
        raise PrismUnavailable(f"Prism did not answer within {waited} for {self.spec.name}; see {self.log_path}")

    def start(self) -> PrismServer:
        self.spawn()
        self.wait_ready()
        return self

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            self._signal(proc, signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._signal(proc, signal.SIGTERM if _WINDOWS else signal.SIGKILL)
                proc.wait(timeout=10)
        if self._log is not None:
            self._log.close()
            self._log = None

    @staticmethod
    def _signal(proc: subprocess.Popen[bytes], sig: int) -> None:
        with contextlib.suppress(ProcessLookupError):
            if _WINDOWS:
                proc.terminate()
            else:
                os.killpg(proc.pid, sig)

    def __enter__(self) -> PrismServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


@contextlib.contextmanager
def start_all(specs_dir: Path | str = DEFAULT_SPECS_DIR, *, log_dir: Path | None = None) -> Iterator[dict[str, str]]:
    """Serve the three normalized specs at once; yield ``{api: base_url}`` and stop them all on exit."""
    specs_dir = Path(specs_dir)
    servers = {
        api: PrismServer(specs_dir / name, log_path=None if log_dir is None else log_dir / f"prism-{api}.log")
        for api, name in SPEC_FILES.items()
    }
    try:
        # Spawn all before waiting on any: Prism's startup (parsing and dereferencing the spec) is the slow part.
        for server in servers.values():
            server.spawn()
        for server in servers.values():
            server.wait_ready()
        yield {api: server.base_url for api, server in servers.items()}
    finally:
        for server in servers.values():
            server.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.support.prism", description=__doc__.splitlines()[0])
    parser.add_argument("--specs-dir", type=Path, default=DEFAULT_SPECS_DIR)
    parser.add_argument("--log-dir", type=Path, default=None, help="where to put prism-<api>.log (default: temp)")
    parser.add_argument("--install-only", action="store_true", help="install Prism if missing, print its path, exit")
    args = parser.parse_args(argv)
    # `make` and CI stop a job with SIGTERM; turning it into KeyboardInterrupt runs the cleanup that stops Prism.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        if args.install_only:
            print(ensure_prism())
            return 0
        if args.log_dir is not None:
            args.log_dir.mkdir(parents=True, exist_ok=True)
        with start_all(args.specs_dir, log_dir=args.log_dir) as urls:
            for api, url in urls.items():
                print(f"{api:<10} {url}")
            print("Prism is serving the Customer.io mocks; Ctrl-C to stop.", flush=True)
            with contextlib.suppress(KeyboardInterrupt):
                while True:
                    time.sleep(3600)
    except PrismUnavailable as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
