"""The temporary Prefect server of a command run with no Prefect server configured.

With no ``PREFECT_API_URL``, Prefect starts a temporary server for the process at its first flow
call: it imports its whole server application in the calling process only to reach the class that
starts it (about 2 s), then starts a ``uvicorn`` subprocess that imports the same application
again (3.5-4 s) while the caller waits, its own imports long done. ``shopreport`` starts that same
subprocess (the command line and environment of Prefect's ``SubprocessASGIServer``) as the first
thing a flow command does, before it imports Prefect, so that the server starts while the command
imports its modules and checks its arguments, and waits for it just before the first flow
(``flows/cli.py``: ``run``, ``main``, ``_prefect``). Prefect then sees a ``PREFECT_API_URL`` and
starts nothing. The wait is filled with work that would otherwise come after it (``wait``'s
``meanwhile``: the inbox's files read for the ingest), and the server's first API request, which
builds its routes, is sent from a thread as soon as it answers (``first_request``). The server stops when the command ends, as Prefect's
does, and also when the command is killed (Prefect's is left running then).

Nothing here imports Prefect: ``start`` must cost nothing but a process start.
"""

from __future__ import annotations

import atexit
import functools
import http.client
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path

# the values Prefect's settings read as false (pydantic's booleans)
_FALSE = {"0", "false", "f", "no", "n", "off"}
PORT_IN_USE = 3  # uvicorn's exit status when it cannot start (its port taken, among others)
STOP_WAIT_S = 5.0
PR_SET_PDEATHSIG = 1  # prctl(2)


class ServerNotStarted(RuntimeError):
    """The temporary server did not answer in time, or exited."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def healthy(port: int, timeout: float = 1.0) -> bool:
    """Does the Prefect API on this port answer its health check?"""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("GET", "/api/health")
        return connection.getresponse().status == 200
    except OSError:
        return False
    finally:
        connection.close()


def first_request(port: int) -> None:
    """Ask the server its version, as a Prefect client does first. Prefect's server builds its
    API's routes at the first request that is not a health check (0.2-0.25 s here); asked from a
    thread as soon as it answers, it does that while the command prepares its flow run."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", "/api/admin/version")
        connection.getresponse().read()
    except (OSError, http.client.HTTPException):
        pass  # the client's own request will say what is wrong
    finally:
        connection.close()


def _end_with_parent(prctl, parent: int) -> None:
    """In the server process before it starts (Linux): the kernel sends it SIGTERM when the
    command's process ends, killed (SIGKILL, a crash) too, so that no server is left behind.
    (Prefect's own temporary server outlives a killed process.) It runs between fork and exec:
    nothing is imported or looked up here (``prctl`` is found beforehand)."""
    prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != parent:  # it ended before the line above
        os._exit(1)


def _prctl():
    import ctypes

    return ctypes.CDLL(None, use_errno=True).prctl


def wanted(environ: os._Environ | dict[str, str]) -> bool:
    """Whether the environment leaves Prefect to start a temporary server: no API URL, and the
    temporary server allowed. (A Prefect profile or ``prefect.toml`` may still name a server;
    ``TemporaryServer.use`` checks Prefect's own settings before the first flow.)"""
    if environ.get("PREFECT_API_URL", "").strip():
        return False
    for name in ("PREFECT_SERVER_EPHEMERAL_ENABLED", "PREFECT_SERVER_ALLOW_EPHEMERAL_MODE"):
        if environ.get(name, "").strip().lower() in _FALSE:
            return False
    return find_spec("uvicorn") is not None


@dataclass
class TemporaryServer:
    """A Prefect API server in a subprocess on 127.0.0.1, for the life of this process."""

    port: int = 0
    process: subprocess.Popen | None = None
    started: float = 0.0
    used: bool = False  # ``use`` has run

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api"

    @classmethod
    def start(cls) -> TemporaryServer:
        """Start the server process and return at once; ``use`` waits for it."""
        server = cls()
        server._launch()
        # registered before Prefect's own exit handlers, so it runs after them: the run's last log
        # lines and events reach the server before it stops
        atexit.register(server.stop)
        return server

    def _launch(self) -> None:
        spec = find_spec("prefect")
        app_dir = Path(next(iter(spec.submodule_search_locations))).parent  # where Prefect is installed
        self.port = free_port()
        self.started = time.perf_counter()
        # Prefect's SubprocessASGIServer: the API only, no UI, the services of a temporary server
        self.process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "--app-dir", str(app_dir), "--factory",
             "prefect.server.api.server:create_app", "--host", "127.0.0.1", "--port", str(self.port),
             "--log-level", "error", "--lifespan", "on"],
            env={**os.environ, "PREFECT_UI_ENABLED": "0", "PREFECT__SERVER_EPHEMERAL": "1",
                 "PREFECT__SERVER_FINAL": "1"},
            preexec_fn=functools.partial(_end_with_parent, _prctl(), os.getpid()) if sys.platform == "linux" else None)

    def wait(self, timeout: float, meanwhile: Iterator[object] | None = None) -> None:
        """Until the server answers its health check; a port taken meanwhile means a new port.
        ``meanwhile``: work to do while the server starts, one step between two health checks
        instead of a pause; what is left of it when the server answers is dropped (closed), and
        a step that raises ends it (the work it stood for is done later, where it is needed)."""
        deadline = time.perf_counter() + timeout
        attempts = 1
        try:
            while not healthy(self.port, timeout=max(0.1, min(1.0, deadline - time.perf_counter()))):
                status = self.process.poll()
                if status == PORT_IN_USE and not port_free(self.port) and attempts < 5:  # taken meanwhile
                    attempts += 1
                    self._launch()
                elif status is not None:
                    self.process = None
                    raise ServerNotStarted(f"the temporary Prefect server exited with status {status} before "
                                           f"it answered (its messages are above); set PREFECT_API_URL to "
                                           f"a running server (`prefect server start`) to do without it")
                elif time.perf_counter() > deadline:
                    self.stop()
                    raise ServerNotStarted(
                        f"the temporary Prefect server on port {self.port} did not answer within {timeout:.0f} s "
                        f"(PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS); set PREFECT_API_URL to a running "
                        f"server (`prefect server start`) to do without it")
                if meanwhile is not None:
                    try:
                        next(meanwhile)
                        continue
                    except Exception:  # noqa: BLE001 - StopIteration (all done) or a failed step
                        meanwhile = None
                time.sleep(0.05)
        finally:
            close = getattr(meanwhile, "close", None)
            if close is not None:
                close()

    def use(self, meanwhile: Iterator[object] | None = None) -> bool:
        """Point Prefect at this server, once it answers (doing ``meanwhile``'s steps while it
        starts: ``wait``); or stop it if Prefect's settings (a profile, ``prefect.toml``) name a
        server or forbid a temporary one. Call it after Prefect is imported and before the first
        flow. Returns whether Prefect now uses this server."""
        import prefect.context
        from prefect.settings import (PREFECT_API_URL, PREFECT_SERVER_EPHEMERAL_ENABLED,
                                      PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS)

        self.used = True
        if PREFECT_API_URL.value() or not PREFECT_SERVER_EPHEMERAL_ENABLED.value():
            self.stop()
            return False
        self.wait(float(PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS.value()), meanwhile)
        threading.Thread(target=first_request, args=(self.port,), name="shopreport-server-warm-up", daemon=True).start()
        os.environ["PREFECT_API_URL"] = self.api_url  # for the settings and for child processes
        # no "View at <UI link>" lines: this server serves no UI (Prefect's temporary one neither)
        os.environ.setdefault("PREFECT_UI_URL", "")
        prefect.context.refresh_global_settings_context()
        print(f"shopreport: a temporary Prefect server for this command on {self.api_url.removesuffix('/api')} "
              f"(ready in {time.perf_counter() - self.started:.1f} s; it stops with the command; set "
              f"PREFECT_API_URL to use a running server)", file=sys.stderr, flush=True)
        return True

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=STOP_WAIT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
