from __future__ import annotations

import json
from pathlib import Path

from codesm.agent.events import ApprovalRequested, ToolCallFinished, ToolCallStarted
from codesm.agent.transcript import validate_transcript
from tests.support.agent_harness import Harness, agent_harness
from tests.support.scripted_llm import ScriptedLLMServer, ToolCallSpec, Turn


def batch(*calls: tuple[str, dict[str, object]]) -> ToolCallSpec:
    return ToolCallSpec("batch", {"calls": [{"tool": t, "arguments": a} for t, a in calls]})


async def finished(h: Harness) -> list[ToolCallFinished]:
    return [s.event for s in await h.events() if isinstance(s.event, ToolCallFinished)]


async def test_a_batch_runs_its_calls_and_labels_each_result(
    tmp_path: Path, scripted_llm: ScriptedLLMServer
) -> None:
    scripted_llm.script(
        Turn(tool_calls=[batch(("read", {"path": "a.txt"}), ("ls", {}), ("nope", {}))]),
        Turn(text="Done."),
    )
    async with agent_harness(tmp_path, scripted_llm) as h:
        (h.root / "a.txt").write_text("alpha\n")
        outcome = await h.agent.run_turn("look")
        results = await finished(h)
        started = [s.event for s in await h.events() if isinstance(s.event, ToolCallStarted)]
        history = await h.agent.history()
    assert outcome.status == "completed"
    assert len(results) == 1 and len(started) == 1
    content = results[0].content
    assert content.startswith("Ran 3 calls in parallel: 2 ok, 1 failed.")
    assert '## 1. read {"path": "a.txt"} -> ok' in content and "alpha" in content
    assert "## 2. ls {} -> ok" in content and "a.txt" in content
    assert "## 3. nope {} -> error" in content and "Unknown tool" in content
    validate_transcript(history)


async def test_inner_calls_go_through_the_permission_engine(
    tmp_path: Path, scripted_llm: ScriptedLLMServer
) -> None:
    scripted_llm.script(
        Turn(tool_calls=[batch(("bash", {"command": "touch made"}), ("read", {"path": "a.txt"}))]),
        Turn(text="Done."),
    )
    async with agent_harness(tmp_path, scripted_llm, permission_mode="review") as h:
        (h.root / "a.txt").write_text("alpha\n")
        await h.agent.run_turn("go")
        content = (await finished(h))[0].content
        asks = [s.event for s in await h.events() if isinstance(s.event, ApprovalRequested)]
    assert not (h.root / "made").exists()
    assert "## 1. bash" in content and "-> error" in content and "Not approved" in content
    assert "## 2. read" in content and "alpha" in content
    assert [a.call_id.rsplit(".", 1)[1] for a in asks] == ["1"]


async def test_an_allowed_inner_edit_is_applied_like_a_direct_one(
    tmp_path: Path, scripted_llm: ScriptedLLMServer
) -> None:
    scripted_llm.script(
        Turn(tool_calls=[ToolCallSpec("read", {"path": "a.txt"})]),
        Turn(
            tool_calls=[
                batch(("edit", {"path": "a.txt", "old_string": "alpha", "new_string": "beta"}))
            ]
        ),
        Turn(text="Done."),
    )
    async with agent_harness(tmp_path, scripted_llm, permission_mode="auto-edit") as h:
        (h.root / "a.txt").write_text("alpha\n")
        await h.agent.run_turn("edit")
        assert (h.root / "a.txt").read_text() == "beta\n"


async def test_a_batch_inside_a_batch_is_refused(
    tmp_path: Path, scripted_llm: ScriptedLLMServer
) -> None:
    inner = {"calls": [{"tool": "ls", "arguments": {}}]}
    scripted_llm.script(
        Turn(tool_calls=[batch(("batch", inner), ("ls", {}))]),
        Turn(text="Done."),
    )
    async with agent_harness(tmp_path, scripted_llm) as h:
        await h.agent.run_turn("nest")
        content = (await finished(h))[0].content
    assert "## 1. batch" in content and "a batch cannot contain a batch" in content
    assert "## 2. ls {} -> ok" in content


async def test_a_patch_onto_a_protected_path_asks_even_in_auto_edit(
    tmp_path: Path, scripted_llm: ScriptedLLMServer
) -> None:
    text = "*** Begin Patch\n*** Add File: .git/hooks/pre-commit\n+echo owned\n*** End Patch\n"
    scripted_llm.script(
        Turn(tool_calls=[ToolCallSpec("patch", {"patch_text": text})]), Turn(text="Done.")
    )
    async with agent_harness(tmp_path, scripted_llm, permission_mode="auto-edit") as h:
        await h.agent.run_turn("hook")
        result = (await finished(h))[0]
    assert result.is_error
    assert not (h.root / ".git" / "hooks" / "pre-commit").exists()


def test_the_batch_schema_lists_calls_of_tool_and_arguments() -> None:
    from codesm.agent.tools.batch import BatchParams
    from codesm.agent.tools.registry import input_schema

    schema = input_schema(BatchParams)
    item = schema["properties"]["calls"]["items"]
    assert schema["properties"]["calls"]["maxItems"] == 10
    assert set(item["properties"]) == {"tool", "arguments"}
    json.dumps(schema)
