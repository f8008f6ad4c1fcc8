"""`codesm -x` end to end: the real command in a subprocess, talking to the scripted LLM server
through the real Anthropic SDK, with all user state in a temp dir."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.support.scripted_llm import ScriptedLLMServer, ToolCallSpec, Turn, UsageSpec

CodesmRun = Callable[..., subprocess.CompletedProcess[str]]

# The fields claude-agent-sdk's parser requires on a result line.
RESULT_FIELDS = {"subtype", "duration_ms", "duration_api_ms", "is_error", "num_turns", "session_id"}


@pytest.fixture
def codesm(tmp_path: Path, scripted_llm: ScriptedLLMServer) -> CodesmRun:
    workspace = tmp_path / "ws"
    workspace.mkdir()
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.endswith(("_API_KEY", "_BASE_URL")) and key != "OLLAMA_HOST"
    }
    env.update(
        XDG_CONFIG_HOME=str(tmp_path / "config"),
        XDG_DATA_HOME=str(tmp_path / "data"),
        XDG_CACHE_HOME=str(tmp_path / "cache"),
        HOME=str(tmp_path / "home"),
        ANTHROPIC_API_KEY="sk-ant-test-key",
        ANTHROPIC_BASE_URL=scripted_llm.base_url,
    )

    def run(*args: str, stdin: str = "", extra_env: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
        return subprocess.run(
            [sys.executable, "-m", "codesm", *args],
            input=stdin,
            capture_output=True,
            text=True,
            cwd=workspace,
            env={**env, **(extra_env or {})},
            timeout=60,
            check=False,
        )

    return run


def lines(stdout: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in stdout.splitlines()]


def test_execute_prints_the_last_answer_and_exits_zero(
    codesm: CodesmRun, scripted_llm: ScriptedLLMServer
) -> None:
    scripted_llm.script(Turn(text="The answer is 42."))
    done = codesm("-x", "what is the answer?")
    assert done.returncode == 0, done.stderr
    assert done.stdout == "The answer is 42.\n"


def test_prompt_is_read_from_stdin_when_piped(
    codesm: CodesmRun, scripted_llm: ScriptedLLMServer
) -> None:
    scripted_llm.script(Turn(text="piped reply"))
    done = codesm("-x", stdin="a prompt from a pipe\n")
    assert done.returncode == 0, done.stderr
    assert done.stdout == "piped reply\n"
    sent = scripted_llm.completion_requests()[0].body["messages"][0]
    assert "a prompt from a pipe" in json.dumps(sent)


def test_piped_stdin_and_stdout_imply_execute_mode(
    codesm: CodesmRun, scripted_llm: ScriptedLLMServer
) -> None:
    scripted_llm.script(Turn(text="implied"))
    done = codesm(stdin="hello\n")
    assert done.returncode == 0, done.stderr
    assert done.stdout == "implied\n"


def test_missing_prompt_is_a_clear_error(codesm: CodesmRun) -> None:
    done = codesm("-x")
    assert done.returncode == 1
    assert "needs a prompt" in done.stderr
    assert done.stdout == ""


def test_no_provider_configured_is_a_clear_error_naming_the_variables(codesm: CodesmRun) -> None:
    done = codesm("-x", "hi", extra_env={"ANTHROPIC_API_KEY": ""})
    assert done.returncode == 1
    assert "ANTHROPIC_API_KEY" in done.stderr
    assert done.stdout == ""


def test_stream_json_emits_claude_code_shapes(
    codesm: CodesmRun, scripted_llm: ScriptedLLMServer
) -> None:
    scripted_llm.script(
        Turn(
            text="Listing.",
            tool_calls=[ToolCallSpec("ls", {"path": "."})],
            usage=UsageSpec(input_tokens=100, output_tokens=10, cache_read_tokens=20),
        ),
        Turn(text="Done.", usage=UsageSpec(input_tokens=150, output_tokens=5)),
    )
    done = codesm("-x", "list files", "--stream-json")
    assert done.returncode == 0, done.stderr
    out = lines(done.stdout)
    assert [o["type"] for o in out] == ["system", "assistant", "user", "assistant", "result"]
    init, first, tool, _, result = out
    assert init["subtype"] == "init" and "ls" in init["tools"]  # type: ignore[operator]
    message = first["message"]
    assert isinstance(message, dict)
    assert [b["type"] for b in message["content"]] == ["text", "tool_use"]
    assert message["usage"]["cache_read_input_tokens"] == 20
    assert tool["message"]["content"][0]["tool_use_id"] == message["content"][1]["id"]  # type: ignore[index]
    assert set(result) >= RESULT_FIELDS
    assert result["subtype"] == "success" and result["result"] == "Done."
    assert result["num_turns"] == 2
    assert result["usage"]["input_tokens"] == 250  # type: ignore[index]
    assert result["total_cost_usd"] > 0  # type: ignore[operator]
    assert len({o["session_id"] for o in out}) == 1


def test_partial_messages_add_stream_events(
    codesm: CodesmRun, scripted_llm: ScriptedLLMServer
) -> None:
    scripted_llm.script(Turn(text="streamed text"))
    done = codesm("-x", "hi", "--stream-json", "--include-partial-messages")
    assert done.returncode == 0, done.stderr
    deltas = [o for o in lines(done.stdout) if o["type"] == "stream_event"]
    text = "".join(d["event"]["delta"]["text"] for d in deltas)  # type: ignore[index]
    assert text == "streamed text"


def test_thinking_only_appears_when_asked(
    codesm: CodesmRun, scripted_llm: ScriptedLLMServer
) -> None:
    scripted_llm.script(Turn(thinking="pondering", text="a"), Turn(thinking="pondering", text="b"))
    plain = lines(codesm("-x", "hi", "--stream-json").stdout)
    assert "pondering" not in json.dumps(plain)
    thinking = lines(codesm("-x", "hi", "--stream-json", "--stream-json-thinking").stdout)
    blocks = thinking[1]["message"]["content"]  # type: ignore[index]
    assert blocks[0]["type"] == "thinking" and blocks[0]["thinking"] == "pondering"


def test_stream_json_input_runs_one_turn_per_line(
    codesm: CodesmRun, scripted_llm: ScriptedLLMServer
) -> None:
    scripted_llm.script(Turn(text="one"), Turn(text="two"))
    stdin = "".join(
        json.dumps({"type": "user", "message": {"role": "user", "content": text}}) + "\n"
        for text in ("first", "second")
    )
    done = codesm("-x", "--stream-json-input", stdin=stdin)
    assert done.returncode == 0, done.stderr
    out = lines(done.stdout)
    assert [o["message"]["content"][0]["text"] for o in out if o["type"] == "assistant"] == [  # type: ignore[index]
        "one",
        "two",
    ]
    second_request = scripted_llm.completion_requests()[1].body["messages"]
    assert len(second_request) == 3


def test_continue_resumes_the_latest_session(
    codesm: CodesmRun, scripted_llm: ScriptedLLMServer
) -> None:
    scripted_llm.script(Turn(text="remembered"), Turn(text="yes"))
    first = lines(codesm("-x", "remember blue", "--stream-json").stdout)
    second = lines(codesm("-x", "what colour?", "--stream-json", "--continue").stdout)
    assert first[0]["session_id"] == second[0]["session_id"]
    history = json.dumps(scripted_llm.completion_requests()[1].body["messages"])
    assert "remember blue" in history


def test_unknown_session_id_is_an_error(codesm: CodesmRun) -> None:
    done = codesm("-x", "hi", "--session", "nope")
    assert done.returncode == 1
    assert "no session with id 'nope'" in done.stderr


def test_headless_review_mode_denies_a_write_and_says_so(
    codesm: CodesmRun, scripted_llm: ScriptedLLMServer, tmp_path: Path
) -> None:
    scripted_llm.script(
        Turn(tool_calls=[ToolCallSpec("write", {"path": "out.txt", "content": "x"})]),
        Turn(text="Could not write."),
    )
    done = codesm("-x", "write out.txt")
    assert done.returncode == 0, done.stderr
    assert not (tmp_path / "ws" / "out.txt").exists()
    assert "non-interactive" in json.dumps(scripted_llm.completion_requests()[1].body["messages"])


def test_dangerously_allow_all_lets_the_write_through(
    codesm: CodesmRun, scripted_llm: ScriptedLLMServer, tmp_path: Path
) -> None:
    scripted_llm.script(
        Turn(tool_calls=[ToolCallSpec("write", {"path": "out.txt", "content": "x\n"})]),
        Turn(text="Written."),
    )
    done = codesm("-x", "write out.txt", "--dangerously-allow-all")
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "ws" / "out.txt").read_text() == "x\n"


def test_a_failed_turn_exits_non_zero_with_a_result_line(
    codesm: CodesmRun, scripted_llm: ScriptedLLMServer
) -> None:
    from tests.support.scripted_llm import Fault

    scripted_llm.script(Fault("401", message="invalid x-api-key"))
    done = codesm("-x", "hi", "--stream-json")
    assert done.returncode == 1
    result = lines(done.stdout)[-1]
    assert result["type"] == "result" and result["is_error"] is True
    assert result["subtype"] == "error_during_execution"
    assert "sk-ant-test-key" not in done.stdout + done.stderr
