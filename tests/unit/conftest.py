"""Fixtures for the unit tests: trees, a clean HOME and ripgrep for the tests of the Rust core
(`codesm._native`), a tool workspace, and a TestClient on a web test module's `web` app."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.unit.native_support import Rg, TreeSpec, write_tree
from tests.unit.tool_support import Workspace, make_workspace

if TYPE_CHECKING:
    from starlette.testclient import TestClient

    from tests.unit.web_support import WebApp

MakeTree = Callable[..., Path]
RunIsolated = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture(autouse=True)
def hermetic_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point HOME and XDG_CONFIG_HOME at an empty temp dir so no global gitignore leaks in.

    The native core reads the environment when it builds a walker, as ripgrep does, so both see
    the same (empty) global configuration unless a test writes one.
    """
    home = tmp_path / "home"
    (home / ".config").mkdir(parents=True)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    for var in ("GIT_DIR", "GIT_WORK_TREE", "RIPGREP_CONFIG_PATH"):
        monkeypatch.delenv(var, raising=False)
    return home


@pytest.fixture
def make_tree(tmp_path: Path) -> MakeTree:
    """Factory: `make_tree({"a.txt": "hi\\n", b"\\xff": b"\\0", "l": Symlink("a.txt")}, git=True)`.

    Each call makes a fresh root under `tmp_path` (never inside HOME); `git=True` runs `git init`.
    """
    counter = 0

    def make(spec: TreeSpec, *, git: bool = False) -> Path:
        nonlocal counter
        counter += 1
        root = tmp_path / f"tree{counter}"
        root.mkdir()
        if git:
            subprocess.run(["git", "init", "-q", str(root)], check=True)
        return write_tree(root, spec)

    return make


@pytest.fixture
def rg() -> Rg:
    exe = shutil.which("rg")
    if exe is None:
        pytest.skip("ripgrep (`rg`) is not installed; it is the oracle for walk/grep/glob")
    return Rg(exe)


@pytest.fixture
def run_isolated() -> RunIsolated:
    """Run Python code in a child process with a hard timeout, so a hang cannot stall the suite.

    A Rust loop that never gives the GIL back would not be stopped by pytest-timeout's signal
    method; a child process can always be killed.
    """

    def run(code: str, timeout: float = 20) -> subprocess.CompletedProcess[str]:
        try:
            return subprocess.run(
                [sys.executable, "-c", textwrap.dedent(code)],
                capture_output=True,
                text=True,
                timeout=timeout,
                check=False,
                env=dict(os.environ),
            )
        except subprocess.TimeoutExpired:
            pytest.fail(f"native call did not finish within {timeout}s (a hang?)")

    return run


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    """A fresh workspace with a real tool context (see `tests/unit/tool_support.py`)."""
    return make_workspace(tmp_path)


@pytest.fixture
def client(web: WebApp) -> Iterator[TestClient]:
    """A TestClient on the app of the module's `web` fixture, running its lifespan (so its
    runtime) for the whole test."""
    from tests.unit.web_support import client_for  # the web app only for the tests that use it

    with client_for(web) as test_client:
        yield test_client
