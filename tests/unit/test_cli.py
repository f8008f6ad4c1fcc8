from __future__ import annotations

import contextlib
import fcntl
import json
import os
import pty
import select
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

from click.testing import CliRunner

from codesm import __version__
from codesm.cli import main


def test_version_prints_the_package_version() -> None:
    result = CliRunner().invoke(main, ["--version"])
    assert result.exit_code == 0
    assert result.output.strip() == f"codesm, version {__version__}"


def test_help_lists_the_doctor_command() -> None:
    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0
    assert "doctor" in result.output


def test_bare_codesm_in_a_terminal_opens_the_tui_on_the_directory_and_ctrl_c_quits(
    tmp_path: Path,
) -> None:
    # A real terminal on both ends: otherwise codesm (rightly) assumes execute mode.
    workspace = tmp_path / "project"
    workspace.mkdir()
    controller, terminal = pty.openpty()
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
    process = subprocess.Popen(
        [sys.executable, "-m", "codesm", str(workspace)],
        stdin=terminal,
        stdout=terminal,
        stderr=terminal,  # Textual draws on stderr
    )
    os.close(terminal)
    seen = b""
    try:
        deadline = time.monotonic() + 30
        while b"project" not in seen or b"Ask codesm" not in seen:
            assert time.monotonic() < deadline, f"the TUI did not draw; it printed {seen[-2000:]!r}"
            ready, _, _ = select.select([controller], [], [], 0.5)
            if ready:
                seen += os.read(controller, 65536)
        os.write(controller, b"\x03")
        returncode = process.wait(timeout=20)
        # Keep draining so the child never blocks on a full terminal buffer while exiting.
        with contextlib.suppress(OSError):
            while select.select([controller], [], [], 0.1)[0]:
                os.read(controller, 65536)
    finally:
        if process.poll() is None:
            process.kill()
        os.close(controller)
    assert returncode == 0


def test_bare_codesm_with_piped_io_and_no_prompt_is_an_error() -> None:
    result = CliRunner().invoke(main, [], input="")
    assert result.exit_code == 1
    assert "needs a prompt" in result.stderr


def test_installed_console_script_runs() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "codesm", "--version"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert __version__ in done.stdout


def test_doctor_reports_native_core_and_isolated_dirs(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "cfg"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("OLLAMA_HOST", "http://127.0.0.1:9")  # discard port: nothing listens
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-real-key")
    result = CliRunner().invoke(main, ["doctor", "--json"])
    checks = {c["name"]: c for c in json.loads(result.output)}
    assert checks["native core"]["status"] == "ok", checks["native core"]
    assert checks["config dir"]["detail"] == str(tmp_path / "cfg" / "codesm")
    assert checks["data dir"]["detail"] == str(tmp_path / "data" / "codesm")
    assert checks["provider openai"]["status"] == "ok"
    assert checks["provider anthropic"]["status"] == "warn"
    assert checks["provider ollama"]["status"] == "warn"
    assert "sk-test-not-a-real-key" not in result.output
    assert result.exit_code == 0


def test_doctor_text_report_has_one_line_per_check() -> None:
    result = CliRunner().invoke(main, ["doctor"])
    lines = result.output.strip().splitlines()
    assert any(line.startswith("[ok  ] native core") for line in lines)
    assert all(line.startswith("[") for line in lines)
