"""`codesm update`: upgrade the installed package with pip, and say plainly when it cannot.

pip runs as `<this python> -m pip install --upgrade codesm`, so it upgrades the environment codesm
runs from. A source checkout (an editable install) is left alone unless forced: upgrading it
from the registry would replace the user's working copy with a release.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import metadata
from typing import Literal

import httpx

PACKAGE = "codesm"
UpdateStatus = Literal["updated", "current", "unreachable", "no-pip", "source", "failed"]
Runner = Callable[[Sequence[str]], subprocess.CompletedProcess[str]]

DEFAULT_INDEX = "https://pypi.org/simple"
PROBE_TIMEOUT_S = 10.0


@dataclass(frozen=True)
class UpdateResult:
    status: UpdateStatus
    message: str
    output: str = ""

    @property
    def ok(self) -> bool:
        return self.status in ("updated", "current")


def _run(command: Sequence[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(command), capture_output=True, text=True, timeout=600, check=False)


def source_checkout() -> str | None:
    """The directory of an editable (source) install of codesm, else None."""
    try:
        raw = metadata.distribution(PACKAGE).read_text("direct_url.json")
    except metadata.PackageNotFoundError:
        return None
    if not raw:
        return None
    try:
        data = json.loads(raw)
    except ValueError:
        return None
    if data.get("dir_info", {}).get("editable"):
        return str(data.get("url", "")).removeprefix("file://") or "a source checkout"
    return None


def index_url(python: str, run: Runner) -> str:
    """The index pip would use: `PIP_INDEX_URL`, pip's config, else PyPI."""
    if os.environ.get("PIP_INDEX_URL"):
        return os.environ["PIP_INDEX_URL"]
    done = run([python, "-m", "pip", "config", "get", "global.index-url"])
    configured = done.stdout.strip() if done.returncode == 0 else ""
    return configured or DEFAULT_INDEX


def probe_index(url: str) -> str | None:
    """None when the index answers for codesm; else why it cannot be reached."""
    target = url.rstrip("/") + f"/{PACKAGE}/"
    try:
        response = httpx.get(target, timeout=PROBE_TIMEOUT_S, follow_redirects=True)
    except httpx.HTTPError as exc:
        return f"{type(exc).__name__}: {exc}"
    if response.status_code >= 500:
        return f"HTTP {response.status_code}"
    return None


def _installed_version(python: str, run: Runner) -> str | None:
    done = run([python, "-c", f"import importlib.metadata as m; print(m.version({PACKAGE!r}))"])
    return done.stdout.strip() or None if done.returncode == 0 else None


def upgrade(
    *,
    python: str = sys.executable,
    run: Runner = _run,
    probe: Callable[[str], str | None] = probe_index,
    force: bool = False,
    pre: bool = False,
) -> UpdateResult:
    """Upgrade codesm in the environment of `python`."""
    checkout = source_checkout()
    if checkout is not None and not force:
        return UpdateResult(
            "source",
            f"codesm is installed from a source checkout ({checkout}); update it with "
            "`git pull` there (or pass --force to replace it with the latest release).",
        )
    if run([python, "-m", "pip", "--version"]).returncode != 0:
        return UpdateResult(
            "no-pip",
            "pip is not available in the environment codesm runs from; upgrade with the tool "
            "that installed it (`pipx upgrade codesm`, `uv tool upgrade codesm`).",
        )
    index = index_url(python, run)
    problem = probe(index)
    if problem is not None:
        return UpdateResult(
            "unreachable",
            f"could not reach the package registry {index} ({problem}); nothing was changed. "
            "Try again when online, or check PIP_INDEX_URL and proxy settings.",
        )
    before = _installed_version(python, run)
    command = [python, "-m", "pip", "install", "--upgrade", "--disable-pip-version-check",
               "--retries", "1", "--timeout", "15", PACKAGE]  # fmt: skip
    if pre:
        command.insert(4, "--pre")
    done = run(command)
    output = (done.stdout or "") + (done.stderr or "")
    if done.returncode != 0:
        return UpdateResult("failed", "pip could not upgrade codesm; its output is above.", output)
    after = _installed_version(python, run)
    if before == after:
        return UpdateResult("current", f"codesm {after} is already the latest version.", output)
    return UpdateResult("updated", f"Updated codesm {before} -> {after}.", output)
