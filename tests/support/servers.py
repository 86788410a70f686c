"""The servers tests start on 127.0.0.1, and the checks that a served store still answers right.

* :class:`AppClient`: ``create_app`` in the test process, called through an ASGI client (no
  socket, no thread): for route tests — what a route answers, not how a server behaves.
* :class:`LiveServer`: ``create_app`` under uvicorn in a thread of the test process (quick to
  start; the test can reach ``app.state``, its store and its query runner).
* :class:`Served`: ``policykg serve`` (or uvicorn's own CLI over ``from_environment``) in a
  process of its own, as a user starts it: its log is what an operator would read, and a crash
  in it cannot take the tests down.
* :class:`OxigraphServer`: ``oxigraph serve``, the remote store.
* :class:`Listener`: a loopback port standing in for "the web"; it counts connections.

Nothing here imports :mod:`support.common` (it imports this).
"""

from __future__ import annotations

import hashlib
import os
import resource
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

#: The ``policykg`` entry point of this virtual environment, as a user runs it.
POLICYKG = shutil.which("policykg", path=str(Path(sys.executable).parent)) or "policykg"
#: The ``oxigraph`` server binary (policykg's [test] extra), or None.
OXIGRAPH = shutil.which(
    "oxigraph", path=os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
)
COUNT_TASKS = "SELECT (COUNT(?t) AS ?n) WHERE { ?t a pkg:Task }"

#: Runs ``argv[1:]`` with SIGINT and SIGTERM at their default disposition. A job started with
#: ``&`` from a script (``nohup bash .ci/run &``) inherits SIGINT as *ignored*, and an ignored
#: disposition survives exec: a test that sends Ctrl+C to a child must set it itself, or its
#: result depends on how the test run was launched. (No preexec_fn: the test process has threads.)
_DEFAULT_SIGNALS = (
    "import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); "
    "signal.signal(signal.SIGTERM, signal.SIG_DFL); os.execv(sys.argv[1], sys.argv[1:])"
)


def with_default_signals(command: list[str]) -> list[str]:
    """``command`` run so that Ctrl+C and SIGTERM reach it however the tests were started."""
    return [sys.executable, "-c", _DEFAULT_SIGNALS, *command]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_until(ready, what: str, *, alive, timeout: float = 60.0, log=lambda: "") -> None:
    """Poll ``ready()`` until it is true; fail with ``what`` if ``alive()`` turns false or time runs out."""
    deadline = time.monotonic() + timeout
    while not ready():
        if not alive() or time.monotonic() > deadline:
            raise RuntimeError(f"{what} did not start:\n{log()[-3000:]}")
        time.sleep(0.05)


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.TransportError:
        return False


# -- policykg, in the test process ----------------------------------------------------------------


class AppClient:
    """``create_app`` over ``store_path``, called in process through Starlette's test client.

    ``get``/``post``/``delete`` take a path and return an ``httpx.Response``, as a request to a
    server would. Process-level behaviour (sockets, slow clients, signals, limits a server
    enforces on connections) stays with :class:`LiveServer` and :class:`Served`.
    """

    def __init__(self, store_path: Path | str, **settings) -> None:
        from fastapi.testclient import TestClient

        from policykg.api.app import create_app
        from policykg.settings import load_settings

        self.settings = load_settings(environ={}, store=str(store_path), **settings)
        self.app = create_app(self.settings)
        self.client = TestClient(self.app, base_url="http://127.0.0.1")
        self.client.__enter__()  # runs the app's startup: its store and query runner

    @property
    def store(self):
        return self.app.state.store

    def get(self, path: str, **kwargs) -> httpx.Response:
        return self.client.get(path, **kwargs)

    def post(self, path: str, **kwargs) -> httpx.Response:
        return self.client.post(path, **kwargs)

    def delete(self, path: str, **kwargs) -> httpx.Response:
        return self.client.delete(path, **kwargs)

    def close(self) -> None:
        self.client.__exit__(None, None, None)


class LiveServer:
    """uvicorn serving ``create_app`` in a thread on a free loopback port."""

    def __init__(self, store_path: Path | str, **settings) -> None:
        import uvicorn

        from policykg.api.app import create_app
        from policykg.settings import load_settings

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.settings = load_settings(environ={}, store=str(store_path), port=self.port, **settings)
        self.app = create_app(self.settings)
        config = uvicorn.Config(self.app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="on")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True, name=f"uvicorn-{self.port}")
        self.thread.start()
        _wait_until(lambda: self.server.started, "uvicorn", alive=self.thread.is_alive, timeout=30)

    @property
    def store(self):
        return self.app.state.store

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(15)
        self.app.state.runner.close()


# -- policykg, in a process of its own ------------------------------------------------------------


class Served:
    """``policykg serve`` (or, with ``log_level``, uvicorn's own CLI over
    ``policykg.api.app:from_environment``) over ``store`` in its own process on 127.0.0.1.

    stdout and stderr go to ``log``: what an operator's log would hold. ``memory`` caps the
    process's address space, so a test that finds a memory bomb fails instead of taking the
    machine down with it. At start it records the right answer to the ordinary query
    (``tasks``) and the store's digest (``digest``), while nothing hostile has run yet.
    """

    def __init__(
        self,
        store: Path,
        log: Path,
        *,
        env: dict[str, str],
        log_level: str | None = None,
        memory: int | None = None,
        digest: bool = True,
    ) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log
        clean = {k: v for k, v in os.environ.items() if not k.startswith("POLICYKG_")}
        full_env = {
            **clean,
            "POLICYKG_STORE": str(store),
            "POLICYKG_HOST": "127.0.0.1",
            "POLICYKG_PORT": str(self.port),
            **env,
        }
        if log_level is None:
            command = [POLICYKG, "serve"]
        else:
            command = [
                sys.executable,
                "-m",
                "uvicorn",
                "--factory",
                "policykg.api.app:from_environment",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--log-level",
                log_level,
            ]
        with open(log, "wb") as out:
            self.proc = subprocess.Popen(
                with_default_signals(command),
                stdout=out,
                stderr=subprocess.STDOUT,
                env=full_env,
                start_new_session=True,
            )
        if memory:  # set from outside (no preexec_fn in a threaded process); the workers inherit it
            resource.prlimit(self.proc.pid, resource.RLIMIT_AS, (memory, memory))
        try:
            _wait_until(lambda: _answers(self.url + "/health"), "policykg serve", alive=self.alive, log=self.log)
        except RuntimeError:
            self.stop()
            raise
        self.tasks = task_count(self)
        assert self.tasks >= 8
        # the store as it must stay (not where replies are capped below the whole store's size)
        self.digest = store_digest(self) if digest else None

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def alive(self) -> bool:
        return self.proc.poll() is None

    def peak_rss_kb(self) -> int:
        """The server process's peak resident memory so far (VmHWM), in kB."""
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
        raise AssertionError("no VmHWM in /proc")

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)  # the server and its query workers
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)


# -- what a served store answers ------------------------------------------------------------------


def task_count(server) -> int:
    """The ordinary query over HTTP: how many tasks the store holds."""
    r = httpx.get(server.url + "/sparql", params={"query": COUNT_TASKS}, timeout=30)
    assert r.status_code == 200, r.text
    return int(r.json()["results"]["bindings"][0]["n"]["value"])


def assert_serves(server: Served) -> None:
    """The server is up and gives the next ordinary query its right answer."""
    assert server.alive(), server.log()[-3000:]
    assert task_count(server) == server.tasks


def store_digest(server) -> tuple[int, str]:
    """Every quad of the store, counted and hashed, as the server reads them (over HTTP: the
    server holds the store's lock, so this is the only way in while it runs)."""
    r = httpx.get(
        server.url + "/sparql",
        params={"query": "SELECT ?g ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } }"},
        headers={"accept": "text/tab-separated-values"},
        timeout=30,
    )
    assert r.status_code == 200 and "x-policykg-truncated" not in r.headers, r.text[:300]
    lines = sorted(r.text.splitlines()[1:])
    return len(lines), hashlib.sha256("\n".join(lines).encode()).hexdigest()


# -- the remote store -----------------------------------------------------------------------------


def start_oxigraph(location: Path) -> tuple[subprocess.Popen, str]:
    """`oxigraph serve` on a free loopback port; returns the process and its base URL."""
    port = free_port()
    proc = subprocess.Popen(
        [OXIGRAPH, "serve", "--location", str(location), "--bind", f"127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until(
            lambda: _answers(base + "/query?query=ASK%7B%7D"),
            "oxigraph serve",
            timeout=30,
            alive=lambda: proc.poll() is None,
            log=lambda: proc.stderr.read().decode(errors="replace") if proc.poll() is not None else "",
        )
    except RuntimeError:
        proc.kill()
        raise
    return proc, base


class OxigraphServer:
    """`oxigraph serve` over one data folder that outlives kills and restarts (each on a new port).

    Skips the test where the binary is missing (it is in policykg's [test] extra)."""

    def __init__(self, folder: Path) -> None:
        if OXIGRAPH is None:
            pytest.skip(
                "the `oxigraph` server binary is missing: pip install 'oxigraph>=0.5.1,<0.6' "
                "(it is in policykg's [test] extra)"
            )
        self.folder = folder
        self.start()

    def start(self) -> None:
        self.proc, self.base = start_oxigraph(self.folder)
        self.url = self.base + "/query"

    def kill(self) -> None:
        self.proc.kill()
        self.proc.wait(30)

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.kill()

    def store(self):
        from policykg.graph.store.remote import RemoteStore

        return RemoteStore(self.url)


# -- the web --------------------------------------------------------------------------------------


class Listener:
    """A loopback TCP listener that counts connections."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.hits = 0
        self._stop = False
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while not self._stop:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.hits += 1
            conn.close()

    def close(self) -> None:
        self._stop = True
        self.thread.join(2)
        self.sock.close()
