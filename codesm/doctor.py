"""`codesm doctor`: a quick, honest report of what works on this machine."""

from __future__ import annotations

import json
import os
import platform
import shutil
import sys
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal

import httpx

from codesm import __version__, paths

Status = Literal["ok", "warn", "fail"]

PROVIDER_KEYS = {
    "anthropic": "ANTHROPIC_API_KEY",
    "openai": "OPENAI_API_KEY",
    "openrouter": "OPENROUTER_API_KEY",
    "gemini": "GEMINI_API_KEY",
}
CHROMIUM_PATHS = ("/usr/bin/chromium", "/usr/lib/chromium/chromium")


@dataclass(frozen=True)
class Check:
    name: str
    status: Status
    detail: str


def check_python() -> Check:
    ok = sys.version_info >= (3, 11)
    return Check(
        "python",
        "ok" if ok else "fail",
        f"{platform.python_implementation()} {platform.python_version()} ({sys.executable})",
    )


def check_native() -> Check:
    """Import the Rust core and prove walk + grep honour .gitignore on a scratch tree."""
    try:
        from codesm import _native
    except ImportError as exc:
        return Check("native core", "fail", f"codesm._native does not import: {exc}")
    with tempfile.TemporaryDirectory(prefix="codesm-doctor-") as tmp:
        root = Path(tmp)
        (root / ".gitignore").write_text("ignored.txt\n")
        (root / "kept.txt").write_text("needle\n")
        (root / "ignored.txt").write_text("needle\n")
        files = _native.walk(tmp)
        found = _native.grep("needle", tmp).files
    if files != ["kept.txt"] or found != ["kept.txt"]:
        return Check("native core", "fail", f"gitignore not honoured: walk={files} grep={found}")
    return Check("native core", "ok", f"codesm._native {_native.__version__}: walk and grep work")


def check_dirs() -> list[Check]:
    checks = []
    for label, directory in (
        ("config dir", paths.config_dir()),
        ("data dir", paths.data_dir()),
        ("cache dir", paths.cache_dir()),
    ):
        writable = _nearest_existing(directory)
        ok = os.access(writable, os.W_OK)
        checks.append(Check(label, "ok" if ok else "fail", str(directory)))
    return checks


def _nearest_existing(path: Path) -> Path:
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def check_providers() -> list[Check]:
    checks = []
    for provider, var in PROVIDER_KEYS.items():
        present = bool(os.environ.get(var))
        detail = f"{var} is set" if present else f"{var} not set"
        checks.append(Check(f"provider {provider}", "ok" if present else "warn", detail))
    host = os.environ.get("OLLAMA_HOST", "http://127.0.0.1:11434")
    if "://" not in host:
        host = f"http://{host}"
    try:
        response = httpx.get(f"{host.rstrip('/')}/api/tags", timeout=0.5)
        models = [m.get("name", "?") for m in response.json().get("models", [])]
        checks.append(Check("provider ollama", "ok", f"{host} reachable, models: {models}"))
    except (httpx.HTTPError, ValueError):
        checks.append(Check("provider ollama", "warn", f"{host} not reachable"))
    return checks


def check_chromium() -> Check:
    for candidate in CHROMIUM_PATHS:
        if os.access(candidate, os.X_OK):
            return Check("chromium (browser tests)", "ok", candidate)
    found = shutil.which("chromium")
    if found:
        return Check("chromium (browser tests)", "ok", found)
    return Check("chromium (browser tests)", "warn", "not installed (apt-get install chromium)")


def run_checks() -> list[Check]:
    return [
        Check("codesm", "ok", __version__),
        check_python(),
        check_native(),
        *check_dirs(),
        *check_providers(),
        check_chromium(),
    ]


def render_report(checks: list[Check], *, as_json: bool) -> str:
    if as_json:
        return json.dumps([asdict(c) for c in checks], indent=2)
    marks = {"ok": "ok  ", "warn": "warn", "fail": "FAIL"}
    width = max(len(c.name) for c in checks)
    return "\n".join(f"[{marks[c.status]}] {c.name.ljust(width)}  {c.detail}" for c in checks)


LOCAL_SERVERS: tuple[tuple[str, str, str], ...] = (
    ("ollama", "http://127.0.0.1:11434", "/api/tags"),
    ("openai-compatible", "http://127.0.0.1:1234", "/v1/models"),
    ("openai-compatible", "http://127.0.0.1:8080", "/v1/models"),
)
"""(provider, base URL, model list path) of local servers on their default loopback ports:
Ollama, then LM Studio (1234) and llama.cpp's server (8080), both OpenAI-compatible."""


@dataclass(frozen=True)
class LocalServer:
    provider: str
    base_url: str
    models: list[str]


def detect_local_servers(timeout: float = 0.3) -> list[LocalServer]:
    """The local model servers answering on their default ports, with the models they list."""
    found = []
    for provider, base_url, path in LOCAL_SERVERS:
        try:
            response = httpx.get(base_url + path, timeout=timeout)
            response.raise_for_status()
            body = response.json()
        except (httpx.HTTPError, ValueError):
            continue
        entries = (
            body.get("models" if provider == "ollama" else "data", [])
            if isinstance(body, dict)
            else []
        )
        names = [str(m.get("name") or m.get("id") or "?") for m in entries if isinstance(m, dict)]
        found.append(LocalServer(provider, base_url, names[:20]))
    return found
