"""The real `codesm` command in a real terminal (tmux), against the scripted LLM server."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.support.scripted_llm import ScriptedLLMServer, Turn

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")

Screen = Callable[[], str]


def tmux(*args: str) -> str:
    done = subprocess.run(["tmux", *args], capture_output=True, text=True, check=True, timeout=10)
    return done.stdout


@pytest.fixture
def terminal(tmp_path: Path, scripted_llm: ScriptedLLMServer) -> Iterator[tuple[str, Path]]:
    """A detached 120x40 tmux session running `codesm WS` with all user state in tmp_path."""
    workspace = tmp_path / "ws"
    workspace.mkdir()
    (workspace / "notes.md").write_text("# notes\n")
    env = {
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
        "HOME": str(tmp_path / "home"),
        "ANTHROPIC_API_KEY": "sk-ant-test-key",
        "ANTHROPIC_BASE_URL": scripted_llm.base_url,
        "TERM": "xterm-256color",
        "PATH": os.environ.get("PATH", ""),
    }
    exports = " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items())
    command = (
        f"env -i {exports} {shlex.quote(sys.executable)} -m codesm {shlex.quote(str(workspace))}"
    )
    name = f"codesm-test-{uuid.uuid4().hex[:8]}"
    tmux("new-session", "-d", "-s", name, "-x", "120", "-y", "40", "-c", str(tmp_path), command)
    try:
        yield name, workspace
    finally:
        subprocess.run(["tmux", "kill-session", "-t", name], capture_output=True, check=False)


def wait_for_screen(name: str, text: str, timeout: float = 20.0) -> str:
    deadline = time.monotonic() + timeout
    screen = ""
    while time.monotonic() < deadline:
        screen = tmux("capture-pane", "-p", "-t", name)
        if text in screen:
            return screen
        time.sleep(0.2)
    raise AssertionError(f"{text!r} never appeared; the screen was:\n{screen}")


def test_codesm_in_a_terminal_opens_the_tui_and_answers_a_prompt(
    terminal: tuple[str, Path], scripted_llm: ScriptedLLMServer
) -> None:
    scripted_llm.script(Turn(text="Hello from the scripted model."), Turn(text="Terminal title"))
    name, _ = terminal
    wait_for_screen(name, "Ask codesm")
    assert "SMART" in wait_for_screen(name, "review")
    tmux("send-keys", "-t", name, "-l", "hello there")
    tmux("send-keys", "-t", name, "Enter")
    screen = wait_for_screen(name, "Hello from the scripted model.")
    assert "hello there" in screen
    wait_for_screen(name, "Terminal title")
    tmux("send-keys", "-t", name, "Tab")
    wait_for_screen(name, "RUSH")
    tmux("send-keys", "-t", name, "C-c")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if subprocess.run(["tmux", "has-session", "-t", name], capture_output=True).returncode:
            break
        time.sleep(0.2)
    else:
        raise AssertionError("codesm did not quit on Ctrl+C")


def test_an_at_mention_completes_a_file_name_from_the_workspace(
    terminal: tuple[str, Path],
) -> None:
    name, _ = terminal
    wait_for_screen(name, "Ask codesm")
    tmux("send-keys", "-t", name, "-l", "look at @nots")
    wait_for_screen(name, "notes.md")
    tmux("send-keys", "-t", name, "Tab")
    wait_for_screen(name, "look at @notes.md")
