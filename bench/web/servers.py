"""Server processes for the web benchmarks: start, authenticate, control, measure.

`codesm web` runs as `bench.web.host` (the real `serve()` plus a control channel) or as the real
CLI (W5, W6); the peer is `bench.web.bare`. User state goes to a temporary HOME/XDG tree so a
benchmark never touches the user's database.
"""

from __future__ import annotations

import json
import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

from bench.web.control import REPLY_PREFIX

REPO_ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT_S = 60.0
CONTROL_TIMEOUT_S = 600.0
CLK_TCK = os.sysconf("SC_CLK_TCK")


def isolated_env(home: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.endswith(("_API_KEY", "_BASE_URL"))}
    env.pop("OLLAMA_HOST", None)
    env.pop("CODESM_WEB_TOKEN", None)
    env.update(
        {
            "HOME": str(home),
            "XDG_CONFIG_HOME": str(home / ".config"),
            "XDG_DATA_HOME": str(home / ".local/share"),
            "XDG_STATE_HOME": str(home / ".local/state"),
            "XDG_CACHE_HOME": str(home / ".cache"),
            "PYTHONUNBUFFERED": "1",
            "PYTHONPATH": os.pathsep.join(
                filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")])
            ),
        }
    )
    env.update(extra or {})
    return env


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def rss_kb(pid: int) -> int:
    with open(f"/proc/{pid}/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def cpu_ns(pid: int) -> int:
    """user + sys of a process (10 ms ticks: use over whole trials, not single requests)."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
        fields = fh.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * 1_000_000_000 // CLK_TCK


def wait_healthy(base_url: str, timeout_s: float = START_TIMEOUT_S) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base_url}/healthz", timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.005)
    raise TimeoutError(f"{base_url}/healthz did not answer in {timeout_s:.0f} s")


@dataclass
class ServerProcess:
    """A started server with its control channel (replies queued by a reader thread)."""

    process: subprocess.Popen[str]
    base_url: str = ""
    token: str = ""
    replies: queue.Queue[dict[str, Any]] = field(default_factory=queue.Queue)
    banner: list[str] = field(default_factory=list)
    reader: threading.Thread | None = None

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def port(self) -> int:
        return urlsplit(self.base_url).port or 0

    def call(self, op: str, **args: Any) -> dict[str, Any]:
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps({"op": op, **args}) + "\n")
        self.process.stdin.flush()
        answer = self.replies.get(timeout=CONTROL_TIMEOUT_S)
        if "error" in answer:
            raise RuntimeError(f"{op}: {answer['error']}")
        return answer

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        if self.reader is not None:
            self.reader.join(timeout=10)  # it ends at EOF; then its pipe can be closed
        for pipe in (self.process.stdin, self.process.stdout):
            if pipe is not None:
                pipe.close()

    def read_output(self, banner_seen: threading.Event) -> None:
        self.reader = threading.Thread(target=self._pump, args=(banner_seen,), daemon=True)
        self.reader.start()

    def _pump(self, banner_seen: threading.Event) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            if line.startswith(REPLY_PREFIX):
                self.replies.put(json.loads(line[len(REPLY_PREFIX) :]))
            else:
                self.banner.append(line.rstrip("\n"))
                if line.startswith("codesm web: http://"):
                    url = line.removeprefix("codesm web: ").strip()
                    parts = urlsplit(url)
                    self.base_url = f"{parts.scheme}://{parts.netloc}"
                    self.token = parse_qs(parts.query)["token"][0]
                    banner_seen.set()
        banner_seen.set()


def _spawn(argv: list[str], env: dict[str, str], cwd: Path) -> ServerProcess:
    process = subprocess.Popen(
        argv,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
        cwd=cwd,
    )
    return ServerProcess(process)


def start_codesm_host(
    workspace: Path, home: Path, extra_env: dict[str, str] | None = None
) -> ServerProcess:
    """`codesm web` (through `serve()`) on a free port, with the control channel."""
    server = _spawn(
        [sys.executable, "-m", "bench.web.host", str(workspace)],
        isolated_env(home, extra_env),
        workspace,
    )
    seen = threading.Event()
    server.read_output(seen)
    if not seen.wait(START_TIMEOUT_S) or not server.base_url:
        server.stop()
        raise RuntimeError(f"codesm web did not start: {server.banner}")
    wait_healthy(server.base_url)
    return server


def start_bare(home: Path) -> ServerProcess:
    port = free_port()
    server = _spawn(
        [sys.executable, "-m", "bench.web.bare", str(port)], isolated_env(home), REPO_ROOT
    )
    server.base_url = f"http://127.0.0.1:{port}"
    server.read_output(threading.Event())
    server.replies.get(timeout=START_TIMEOUT_S)  # {"port": ...}
    wait_healthy(server.base_url)
    return server


@dataclass
class OwnerSession:
    """The owner's cookie and CSRF token for a codesm server, and WebSocket connect arguments."""

    base_url: str
    port: int
    cookie: str
    csrf: str

    @classmethod
    def login(cls, server: ServerProcess) -> OwnerSession:
        with httpx.Client(base_url=server.base_url, follow_redirects=False) as http:
            http.get(f"/?token={server.token}")
            page = http.get("/")
            csrf = re.search(r'name="csrf-token" content="([^"]+)"', page.text)
            name = f"codesm_owner_{server.port}"
            if csrf is None or name not in http.cookies:
                raise RuntimeError("could not log in to codesm web")
            return cls(server.base_url, server.port, f"{name}={http.cookies[name]}", csrf.group(1))

    def http(self) -> httpx.Client:
        return httpx.Client(base_url=self.base_url, headers={"cookie": self.cookie}, timeout=60)

    def ws_url(self, session_id: str) -> str:
        return f"ws://127.0.0.1:{self.port}/ws/s/{session_id}"

    def ws_args(self) -> dict[str, Any]:
        return {
            "origin": self.base_url,
            "additional_headers": {"Cookie": self.cookie},
            "max_size": None,
            "open_timeout": 30,
        }
