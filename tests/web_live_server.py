"""Start a real `codesm web` process on a free loopback port and read its launch URL."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

REPO_ROOT = Path(__file__).resolve().parent.parent
STARTUP_TIMEOUT_S = 20.0
BANNER_LINES = 3


@dataclass
class LiveServer:
    process: subprocess.Popen[str]
    launch_url: str
    banner: list[str]

    @property
    def base_url(self) -> str:
        parts = urlsplit(self.launch_url)
        return f"{parts.scheme}://{parts.netloc}"

    @property
    def port(self) -> int:
        port = urlsplit(self.launch_url).port
        assert port is not None
        return port

    @property
    def token(self) -> str:
        return parse_qs(urlsplit(self.launch_url).query)["token"][0]

    def interrupt(self, timeout: float = 10.0) -> tuple[int, str, str]:
        """Ctrl+C the server; returns (exit status, rest of stdout, stderr)."""
        self.process.send_signal(signal.SIGINT)
        out, err = self.process.communicate(timeout=timeout)
        return self.process.returncode, out, err


def codesm_command() -> list[str]:
    """The venv's `codesm` script when installed, else the same entry point through Python."""
    script = Path(sys.executable).with_name("codesm")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from codesm.cli import main; main()"]


@contextmanager
def live_server(
    workspace: Path, *extra_args: str, env_overrides: Mapping[str, str] | None = None
) -> Iterator[LiveServer]:
    env = dict(os.environ)
    env.update(env_overrides or {})
    env.pop("CODESM_WEB_TOKEN", None)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    env["PYTHONUNBUFFERED"] = "1"
    process = subprocess.Popen(
        [*codesm_command(), "web", str(workspace), "--no-open", "--port", "0", *extra_args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=workspace,
    )
    try:
        banner = _read_banner(process)
        url = banner[0].removeprefix("codesm web: ").strip()
        yield LiveServer(process=process, launch_url=url, banner=banner)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate(timeout=10)
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()  # a server that died early still holds its pipes


def _read_banner(process: subprocess.Popen[str]) -> list[str]:
    """The three banner lines, read in a thread so a silent server cannot hang the test."""
    assert process.stdout is not None
    stdout = process.stdout
    lines: queue.Queue[str] = queue.Queue()

    def pump() -> None:
        for _ in range(BANNER_LINES):
            lines.put(stdout.readline())

    threading.Thread(target=pump, daemon=True).start()
    banner: list[str] = []
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while len(banner) < BANNER_LINES:
        try:
            line = lines.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            raise TimeoutError(f"codesm web printed no URL in {STARTUP_TIMEOUT_S}s") from None
        if not line:
            err = process.stderr.read() if process.stderr else ""
            raise RuntimeError(f"codesm web exited early ({process.wait()}): {err}")
        banner.append(line.rstrip("\n"))
    if not banner[0].startswith("codesm web: http://"):
        raise RuntimeError(f"unexpected first line from codesm web: {banner[0]!r}")
    return banner
