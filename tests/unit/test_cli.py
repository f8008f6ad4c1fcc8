from __future__ import annotations

import json
import os
import pty
import subprocess
import sys

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


def test_bare_codesm_in_a_terminal_says_the_tui_is_not_built_yet() -> None:
    # A real terminal on both ends: otherwise codesm (rightly) assumes execute mode.
    controller, terminal = pty.openpty()
    try:
        done = subprocess.run(
            [sys.executable, "-m", "codesm"],
            stdin=terminal,
            stdout=terminal,
            stderr=subprocess.PIPE,
            timeout=60,
            check=False,
        )
    finally:
        os.close(terminal)
        os.close(controller)
    assert done.returncode == 2
    assert b"terminal UI is not built yet" in done.stderr


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
