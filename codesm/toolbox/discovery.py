"""Finding toolbox executables and asking each to describe itself (`TOOLBOX_ACTION=describe`)."""

from __future__ import annotations

import json
import os
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from codesm import paths
from codesm.config.settings import Settings

TOOL_PREFIX = "tb__"
DESCRIBE_TIMEOUT_S = 10.0
MAX_DESCRIPTION = 4000
_NAME = re.compile(r"^[A-Za-z0-9_-]{1,48}$")
_SKIPPED_SUFFIXES = ("~", ".bak", ".swp", ".orig", ".md", ".txt", ".json")


@dataclass(frozen=True)
class ToolboxSpec:
    """One executable's self-description; `name` is what the model sees (`tb__...`)."""

    name: str
    description: str
    input_schema: dict[str, Any]
    executable: Path


@dataclass(frozen=True)
class ToolboxProblem:
    executable: Path
    reason: str


@dataclass(frozen=True)
class Discovery:
    directory: Path
    specs: list[ToolboxSpec] = field(default_factory=list)
    problems: list[ToolboxProblem] = field(default_factory=list)


def default_toolbox_dir() -> Path:
    return paths.config_dir() / "tools"


def toolbox_dir(settings: Settings) -> Path:
    """`codesm.toolbox.path` (with `~` expanded), else `<config dir>/tools`."""
    if settings.toolbox_path:
        return Path(settings.toolbox_path).expanduser()
    return default_toolbox_dir()


def _executables(directory: Path) -> list[Path]:
    try:
        entries = sorted(directory.iterdir())
    except (FileNotFoundError, NotADirectoryError):
        return []
    return [
        entry
        for entry in entries
        if not entry.name.startswith(".")
        and not entry.name.endswith(_SKIPPED_SUFFIXES)
        and entry.is_file()
        and os.access(entry, os.X_OK)
    ]


def _schema(data: dict[str, Any]) -> dict[str, Any]:
    raw = data.get("inputSchema", data.get("input_schema", data.get("parameters")))
    if raw is None:
        return {"type": "object", "properties": {}}
    if not isinstance(raw, dict) or raw.get("type", "object") != "object":
        raise ValueError("inputSchema must be a JSON schema of type object")
    schema = {str(k): v for k, v in raw.items() if k not in ("$schema", "title")}
    schema.setdefault("type", "object")
    schema.setdefault("properties", {})
    return schema


def describe_executable(executable: Path, *, timeout_s: float = DESCRIBE_TIMEOUT_S) -> ToolboxSpec:
    """Run `executable` with `TOOLBOX_ACTION=describe`; raises ValueError saying what is wrong."""
    env = {**os.environ, "TOOLBOX_ACTION": "describe"}
    try:
        done = subprocess.run(
            [str(executable)],
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout_s,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise ValueError(f"describe took longer than {timeout_s:g}s") from exc
    except OSError as exc:
        raise ValueError(f"cannot run it: {exc.strerror or exc}") from exc
    if done.returncode != 0:
        tail = done.stderr.strip().splitlines()[-1:] or [""]
        raise ValueError(f"describe exited with status {done.returncode} {tail[0]}".rstrip())
    try:
        data = json.loads(done.stdout)
    except ValueError as exc:
        raise ValueError(f"describe did not print JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise ValueError("describe must print a JSON object")
    name = data.get("name") or executable.stem
    if not isinstance(name, str) or not _NAME.match(name):
        raise ValueError(f"invalid tool name {name!r}: use letters, digits, _ and - (max 48)")
    description = data.get("description")
    if not isinstance(description, str) or not description.strip():
        raise ValueError("describe must give a non-empty description")
    return ToolboxSpec(
        name=TOOL_PREFIX + name,
        description=description.strip()[:MAX_DESCRIPTION],
        input_schema=_schema(data),
        executable=executable,
    )


def discover(directory: Path) -> Discovery:
    """Every executable in `directory` that describes itself; the others as problems."""
    found = Discovery(directory)
    seen: set[str] = set()
    for executable in _executables(directory):
        try:
            spec = describe_executable(executable)
        except ValueError as exc:
            found.problems.append(ToolboxProblem(executable, str(exc)))
            continue
        if spec.name in seen:
            found.problems.append(ToolboxProblem(executable, f"duplicate tool name {spec.name}"))
            continue
        seen.add(spec.name)
        found.specs.append(spec)
    return found
