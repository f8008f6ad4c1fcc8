"""`codesm init`: draft an `AGENTS.md` from what the project shows (build files, test commands,
layout), for the user to edit. Pure reading; the CLI decides whether to write."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path
from typing import Any

__all__ = ["draft_agents_md"]

SKIP_DIRS = {"node_modules", "target", "dist", "build", "__pycache__", "venv", "env", "out"}
KNOWN_DIRS = {
    "src": "source code",
    "lib": "library code",
    "tests": "tests",
    "test": "tests",
    "docs": "documentation",
    "scripts": "helper scripts",
    "bench": "benchmarks",
    "benches": "benchmarks",
    "examples": "examples",
    "native": "native (Rust) code",
    "cmd": "command entry points",
    "pkg": "packages",
    "internal": "internal packages",
    "static": "static assets",
    "templates": "templates",
}
_MAKE_TARGET = re.compile(r"^([A-Za-z0-9][A-Za-z0-9_.-]*):(?!=)", re.MULTILINE)


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


def _python(root: Path, commands: dict[str, str], facts: list[str]) -> str | None:
    text = _read(root / "pyproject.toml")
    if not text:
        return None
    try:
        data: dict[str, Any] = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        data = {}
    project = data.get("project", {})
    tool = data.get("tool", {})
    runner = "uv run " if (root / "uv.lock").exists() else ""
    commands.setdefault("Install", "uv sync" if runner else 'pip install -e ".[dev]"')
    if "pytest" in tool or (root / "tests").is_dir() or "pytest" in text:
        commands.setdefault("Test", f"{runner}pytest")
    if "ruff" in tool or "ruff" in text:
        commands.setdefault("Lint", f"{runner}ruff check . && {runner}ruff format --check .")
    if "mypy" in tool:
        commands.setdefault("Type check", f"{runner}mypy")
    if "maturin" in text:
        facts.append("Python package with a Rust extension built by maturin.")
    python = project.get("requires-python")
    if python:
        facts.append(f"Python {python}.")
    name = project.get("name")
    return str(project.get("description") or "") or (str(name) if name else None)


def _node(root: Path, commands: dict[str, str]) -> str | None:
    text = _read(root / "package.json")
    if not text:
        return None
    try:
        data = json.loads(text)
    except ValueError:
        return None
    manager = "npm"
    for lock, name in (("pnpm-lock.yaml", "pnpm"), ("yarn.lock", "yarn"), ("bun.lockb", "bun")):
        if (root / lock).exists():
            manager = name
    commands.setdefault("Install", f"{manager} install")
    scripts = data.get("scripts", {}) if isinstance(data, dict) else {}
    for script, label in (
        ("build", "Build"),
        ("test", "Test"),
        ("lint", "Lint"),
        ("typecheck", "Type check"),
        ("dev", "Run"),
    ):
        if isinstance(scripts, dict) and script in scripts:
            commands.setdefault(label, f"{manager} run {script}")
    return str(data.get("description") or "") or None if isinstance(data, dict) else None


def _others(root: Path, commands: dict[str, str], facts: list[str]) -> None:
    if (root / "Cargo.toml").exists():
        commands.setdefault("Build", "cargo build")
        commands.setdefault("Test", "cargo test")
        commands.setdefault("Lint", "cargo clippy -- -D warnings && cargo fmt --check")
        facts.append("Rust crates (Cargo).")
    if (root / "go.mod").exists():
        commands.setdefault("Build", "go build ./...")
        commands.setdefault("Test", "go test ./...")
        commands.setdefault("Lint", "go vet ./...")
        facts.append("Go module.")
    makefile = _read(root / "Makefile")
    targets = [t for t in _MAKE_TARGET.findall(makefile) if not t.startswith(".")]
    for target, label in (
        ("build", "Build"),
        ("test", "Test"),
        ("lint", "Lint"),
        ("check", "Check"),
    ):
        if target in targets:
            commands[label] = f"make {target}"
    if (root / ".github" / "workflows").is_dir():
        facts.append("CI runs in GitHub Actions (`.github/workflows/`).")


def _layout(root: Path) -> list[str]:
    lines: list[str] = []
    try:
        entries = sorted(root.iterdir())
    except OSError:
        return lines
    for entry in entries:
        if entry.name.startswith(".") or entry.name in SKIP_DIRS or not entry.is_dir():
            continue
        if (entry / "__init__.py").exists():
            what = "Python package"
        else:
            what = KNOWN_DIRS.get(entry.name, "")
        lines.append(f"- `{entry.name}/`" + (f": {what}" if what else ""))
        if len(lines) >= 25:
            break
    return lines


def draft_agents_md(root: Path) -> str:
    """The draft text; sections without findings say what to fill in."""
    commands: dict[str, str] = {}
    facts: list[str] = []
    summary = _python(root, commands, facts)
    summary = _node(root, commands) or summary
    _others(root, commands, facts)
    parts = [
        "# AGENTS.md",
        "",
        f"Guidance for AI coding agents working in {root.name}. Drafted by `codesm init`: edit "
        "it to say what a new teammate should know.",
        "",
        "## Project",
        "",
        summary or "(Describe what this project does.)",
        *([""] + [f"- {fact}" for fact in facts] if facts else []),
        "",
        "## Commands",
        "",
        *(
            [f"- {label}: `{cmd}`" for label, cmd in commands.items()]
            or ["(Add build/test commands.)"]
        ),
        "",
        "Run the tests and linters before calling a change done.",
        "",
        "## Layout",
        "",
        *(_layout(root) or ["(Describe the main folders.)"]),
        "",
        "## Conventions",
        "",
        "- (Code style, naming, error handling, how to write tests.)",
        "- (What never to change without asking.)",
        "",
    ]
    return "\n".join(parts)
