"""What every browser test stands on: Chromium, and a real `codesm web` started on a random
loopback port for the test's workspace, with its own home (so its own database and settings)
and, unless a test module says otherwise, the scripted LLM server as its Anthropic provider.

A module changes its setup by overriding a fixture of the same name: `workspace` for other files,
`server_env` for another provider (or none), `server` for other command-line options."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.support.scripted_llm import ScriptedLLMServer
from tests.web_live_server import LiveServer, live_server

if TYPE_CHECKING:
    from playwright.sync_api import Browser


@pytest.fixture
def browser() -> Iterator[Browser]:
    # Imported here, not above: the test modules skip themselves when playwright is missing,
    # and a conftest that failed to import would turn those skips into errors.
    from tests.e2e.browser_support import chromium

    with chromium() as launched:
        yield launched


@pytest.fixture
def home_env(tmp_path: Path) -> dict[str, str]:
    """The environment of a server with a home of its own and no model provider configured."""
    home = tmp_path / "home"
    home.mkdir()
    return {
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_DATA_HOME": str(home / ".local" / "share"),
        "XDG_STATE_HOME": str(home / ".local" / "state"),
        "XDG_CACHE_HOME": str(home / ".cache"),
    }


@pytest.fixture
def server_env(home_env: dict[str, str], scripted_llm: ScriptedLLMServer) -> dict[str, str]:
    """The server's environment: its own home, and the scripted LLM server as Anthropic."""
    return {
        **home_env,
        "ANTHROPIC_API_KEY": "sk-ant-test",
        "ANTHROPIC_BASE_URL": scripted_llm.base_url,
    }


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """A small project: a Python file in a folder and a three-line text file at the top."""
    root = tmp_path / "my-project"
    (root / "src").mkdir(parents=True)
    (root / "src" / "app.py").write_text('def greet(name):\n    return f"Hello, {name}"\n')
    (root / "notes.txt").write_text("alpha\nbeta\ngamma\n")
    return root


@pytest.fixture
def server(workspace: Path, server_env: dict[str, str]) -> Iterator[LiveServer]:
    """`codesm web` running on `workspace`; killed at the end of the test."""
    with live_server(workspace, env_overrides=server_env) as running:
        yield running
