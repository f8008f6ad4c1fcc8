from __future__ import annotations

import asyncio
import os
import time
import tracemalloc
from pathlib import Path

import pytest

from codesm.agent.tools import ToolRegistry, ToolResult
from codesm.agent.tools.bash import BashTool
from codesm.agent.tools.shell_process import scrubbed_environment
from tests.unit.tool_support import Workspace


@pytest.fixture
def shell(ws: Workspace) -> Workspace:
    ws.registry = ToolRegistry([BashTool(spool_dir=ws.spool)])
    return ws


async def run(ws: Workspace, command: str, **kw: object) -> ToolResult:
    return await ws.call("bash", {"command": command, **kw})


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return True


async def test_a_command_returns_its_output_and_exit_code(shell: Workspace) -> None:
    result = await run(shell, "echo hello; echo oops >&2; exit 3")
    assert "hello\noops" in result.content
    assert "[exit code 3," in result.content
    assert result.metadata["exit_code"] == 3
    assert not result.is_error


async def test_the_command_runs_in_the_workspace_root_with_no_stdin(shell: Workspace) -> None:
    result = await run(shell, "pwd; cat; echo done")
    assert result.content.startswith(f"{shell.root}\ndone")


async def test_cwd_inside_the_workspace_is_used(shell: Workspace) -> None:
    (shell.root / "sub").mkdir()
    result = await run(shell, "pwd", cwd="sub")
    assert result.content.startswith(f"{shell.root / 'sub'}\n")


@pytest.mark.parametrize("cwd", ["..", "/tmp", "../..", "sub/../../x"])
async def test_cwd_outside_the_workspace_is_refused(shell: Workspace, cwd: str) -> None:
    (shell.root / "sub").mkdir()
    result = await run(shell, "touch escaped", cwd=cwd)
    assert result.is_error
    assert result.metadata["error"] in ("PathOutsideWorkspace", "PathNotFound")


async def test_cwd_that_is_a_file_is_refused(shell: Workspace) -> None:
    shell.file("f.txt", "x")
    result = await run(shell, "true", cwd="f.txt")
    assert result.metadata["error"] == "NotADirectory"


async def test_secrets_are_removed_from_the_environment(
    shell: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("ANTHROPIC_API_KEY", "OPENAI_API_KEY", "FOO_TOKEN", "DB_PASSWORD", "MY_SECRET"):
        monkeypatch.setenv(name, "canary-value")
    monkeypatch.setenv("LANG", "C.UTF-8")
    result = await run(shell, "env")
    assert "canary-value" not in result.content
    assert "PATH=" in result.content and "LANG=C.UTF-8" in result.content


def test_the_scrubbed_environment_keeps_ordinary_variables() -> None:
    env = scrubbed_environment({"PATH": "/bin", "HOME": "/h", "GITHUB_TOKEN": "t", "api_key": "k"})
    assert env["PATH"] == "/bin" and env["HOME"] == "/h"
    assert "GITHUB_TOKEN" not in env and "api_key" not in env


async def test_a_timeout_stops_the_command_and_says_so(shell: Workspace) -> None:
    started = time.monotonic()
    result = await run(shell, "echo before; sleep 30", timeout_ms=300)
    assert time.monotonic() - started < 5
    assert result.is_error and result.metadata["timed_out"] is True
    assert "before" in result.content and "timed out" in result.content


async def test_a_child_that_ignores_sigterm_is_killed_after_the_grace(shell: Workspace) -> None:
    started = time.monotonic()
    result = await run(shell, "trap '' TERM; echo $$ > pid; sleep 30", timeout_ms=300)
    elapsed = time.monotonic() - started
    assert result.metadata["timed_out"] is True
    assert 1.5 < elapsed < 6
    assert not pid_alive(int((shell.root / "pid").read_text()))


async def test_a_background_grandchild_dies_with_the_group(shell: Workspace) -> None:
    result = await run(shell, "(sleep 60 > /dev/null 2>&1 & echo $! > bg); echo started")
    assert "started" in result.content
    pid = int((shell.root / "bg").read_text())
    for _ in range(100):
        if not pid_alive(pid):
            break
        await asyncio.sleep(0.05)
    assert not pid_alive(pid)


async def test_a_grandchild_holding_the_pipe_does_not_hang_the_call(shell: Workspace) -> None:
    started = time.monotonic()
    result = await run(shell, "sleep 60 & echo $! > bg; echo quick")
    assert time.monotonic() - started < 5
    assert "quick" in result.content
    assert not pid_alive(int((shell.root / "bg").read_text()))


async def test_setting_the_cancel_event_stops_the_command(shell: Workspace) -> None:
    ctx = shell.context()
    tool = BashTool(spool_dir=shell.spool)

    async def cancel_soon() -> None:
        await asyncio.sleep(0.3)
        ctx.cancel.set()

    canceller = asyncio.create_task(cancel_soon())
    started = time.monotonic()
    result = await tool.run(tool.params(command="echo $$ > pid; sleep 30"), ctx)
    await canceller
    assert time.monotonic() - started < 5
    assert result.metadata["cancelled"] is True and result.is_error
    assert not pid_alive(int((shell.root / "pid").read_text()))


async def test_output_is_streamed_in_batches(shell: Workspace) -> None:
    ctx = shell.context()
    deltas: list[str] = []

    async def emit(text: str) -> None:
        deltas.append(text)

    ctx.emit_output = emit
    tool = BashTool(spool_dir=shell.spool)
    await tool.run(tool.params(command="for i in 1 2 3; do echo line$i; sleep 0.15; done"), ctx)
    assert "".join(deltas) == "line1\nline2\nline3\n"
    assert 2 <= len(deltas) <= 10


async def test_huge_output_keeps_memory_bounded_and_output_capped(shell: Workspace) -> None:
    tracemalloc.start()
    try:
        result = await run(shell, "yes | head -c 200M")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 16 * 1024 * 1024
    assert len(result.content.encode()) <= 50 * 1024
    assert result.metadata["output_bytes"] == 200 * 1024 * 1024
    spooled = Path(str(result.metadata["output_path"]))
    assert await asyncio.to_thread(os.path.getsize, spooled) == 200 * 1024 * 1024
    assert "omitted" in result.content and "[exit code 0," in result.content


async def test_random_bytes_are_replaced_and_flagged(shell: Workspace) -> None:
    result = await run(shell, "head -c 10000000 /dev/urandom")
    assert result.metadata["invalid_utf8"] is True
    assert "\ufffd" in result.content
    assert len(result.content.encode()) <= 52 * 1024
    result.content.encode("utf-8")


async def test_a_multibyte_character_cut_at_the_edge_is_not_flagged(shell: Workspace) -> None:
    result = await run(shell, "python3 -c \"print('é' * 400000)\"")
    assert "invalid_utf8" not in result.metadata
    assert "\ufffd" not in result.content


async def test_a_failing_snapshot_hook_is_reported_but_the_command_runs(shell: Workspace) -> None:
    ctx = shell.context()

    async def broken() -> None:
        raise RuntimeError("disk full")

    ctx.before_shell = broken
    tool = BashTool(spool_dir=shell.spool)
    result = await tool.run(tool.params(command="echo ran"), ctx)
    assert "ran" in result.content and "disk full" in result.content


async def test_the_snapshot_hook_runs_before_the_command(shell: Workspace) -> None:
    ctx = shell.context()
    seen: list[bool] = []

    async def snapshot() -> None:
        seen.append((shell.root / "made").exists())

    ctx.before_shell = snapshot
    tool = BashTool(spool_dir=shell.spool)
    await tool.run(tool.params(command="touch made"), ctx)
    assert seen == [False]


@pytest.mark.parametrize("args", [{"command": ""}, {"command": "ls", "timeout_ms": 600_001}])
async def test_bad_arguments_are_refused(shell: Workspace, args: dict[str, object]) -> None:
    result = await shell.call("bash", args)
    assert result.metadata["error"] == "InvalidArguments"
