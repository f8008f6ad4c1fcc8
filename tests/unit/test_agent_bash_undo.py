from __future__ import annotations

from pathlib import Path

from codesm.agent.events import ChangeApplied
from codesm.agent.ops import UndoChange
from tests.support.agent_harness import agent_harness
from tests.support.scripted_llm import ScriptedLLMServer, ToolCallSpec, Turn


async def test_files_a_command_writes_are_journaled_and_can_be_undone(
    tmp_path: Path, scripted_llm: ScriptedLLMServer
) -> None:
    scripted_llm.script(
        Turn(
            tool_calls=[ToolCallSpec("bash", {"command": "echo new > made.txt && echo x >> a.txt"})]
        ),
        Turn(text="Done."),
    )
    async with agent_harness(
        tmp_path, scripted_llm, permission_mode="allow-all", snapshots=True
    ) as h:
        (h.root / "a.txt").write_text("original\n")
        outcome = await h.agent.run_turn("run it")
        assert (h.root / "made.txt").read_text() == "new\n"
        applied = [s.event for s in await h.events() if isinstance(s.event, ChangeApplied)]
        assert len(applied) == 1
        assert sorted(applied[0].paths) == ["a.txt", "made.txt"]
        await h.agent.handle(UndoChange(change_id=applied[0].change_id))
        assert not (h.root / "made.txt").exists()
        assert (h.root / "a.txt").read_text() == "original\n"
    assert outcome.status == "completed"


async def test_read_only_allowlisted_commands_take_no_snapshot(
    tmp_path: Path, scripted_llm: ScriptedLLMServer
) -> None:
    scripted_llm.script(
        Turn(tool_calls=[ToolCallSpec("bash", {"command": "ls"})]),
        Turn(text="Listed."),
    )
    async with agent_harness(tmp_path, scripted_llm, permission_mode="review", snapshots=True) as h:
        outcome = await h.agent.run_turn("list")
        types = await h.types()
    assert outcome.status == "completed"
    assert "change_applied" not in types
    assert (
        not any((tmp_path / "xdg").glob("**/snapshots/*")) if (tmp_path / "xdg").exists() else True
    )
