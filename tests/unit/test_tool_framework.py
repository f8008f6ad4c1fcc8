"""The tool framework: schemas the model sees, the registry, central validation and truncation."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any, ClassVar

import pytest

from codesm.agent.tools import (
    OutputLimits,
    Params,
    Tool,
    ToolContext,
    ToolRegistry,
    ToolResult,
    create_registry,
)
from codesm.agent.tools.truncate import decode_output, sanitize_text, truncate_output
from tests.unit.tool_support import Workspace

SNAPSHOT = Path(__file__).parent / "snapshots" / "tool_schemas.json"


def current_schemas() -> dict[str, Any]:
    return {
        spec.name: {"description": spec.description, "input_schema": spec.input_schema}
        for spec in create_registry().specs()
    }


def test_every_tool_schema_matches_the_checked_in_snapshot() -> None:
    # Regenerate: python -c "from tests.unit.test_tool_framework import write_snapshot as w; w()"
    assert json.loads(SNAPSHOT.read_text()) == current_schemas()


def spool_text(path: Path) -> str:
    return path.read_text()


def write_snapshot() -> None:
    SNAPSHOT.write_text(json.dumps(current_schemas(), indent=2, sort_keys=True) + "\n")


def test_schemas_are_self_contained_without_refs() -> None:
    assert "$ref" not in json.dumps(current_schemas())


def test_every_tool_has_a_description_file() -> None:
    for tool in create_registry():
        assert len(tool.description) > 40, tool.name


def test_the_registry_refuses_duplicate_names() -> None:
    tools = list(create_registry())
    with pytest.raises(ValueError, match="duplicate"):
        ToolRegistry([*tools, tools[0]])


def test_disabled_tools_are_left_out() -> None:
    assert "write" not in create_registry(disabled={"write"}).names()


def test_read_only_tools_are_exactly_the_ones_that_touch_no_file_process_or_network() -> None:
    registry = create_registry()
    writers = {t.name for t in registry if not t.read_only}
    assert writers == {
        "write",
        "edit",
        "multiedit",
        "patch",
        "bash",
        "webfetch",
        "websearch",
        "batch",
    }


async def test_an_unknown_tool_is_an_error_listing_the_available_ones(ws: Workspace) -> None:
    result = await ws.call("Read", {"path": "x"})
    assert result.is_error
    assert result.metadata["error"] == "UnknownTool"
    assert "Did you mean read?" in result.content
    assert "grep" in result.content


async def test_json_string_arguments_are_parsed(ws: Workspace) -> None:
    ws.file("a.txt", "hi\n")
    result = await ws.call("read", '{"path": "a.txt"}')
    assert result.content == "     1\thi"


async def test_malformed_json_is_an_error_result(ws: Workspace) -> None:
    result = await ws.call("read", '{"path": "a.txt"')
    assert result.metadata["error"] == "MalformedArguments"


async def test_a_bad_argument_names_the_field(ws: Workspace) -> None:
    result = await ws.call("read", {"path": "a.txt", "offset": "ten"})
    assert result.metadata["error"] == "InvalidArguments"
    assert "- offset:" in result.content


async def test_arguments_over_one_mebibyte_are_refused(ws: Workspace) -> None:
    result = await ws.call("write", {"path": "a.txt", "content": "x" * (1024 * 1024 + 1)})
    assert result.metadata["error"] == "ArgumentsTooLarge"
    assert not (ws.root / "a.txt").exists()


class Exploding(Tool[Params]):
    name: ClassVar[str] = "explode"
    params = Params
    read_only = True

    async def run(self, params: Params, ctx: ToolContext) -> ToolResult:
        raise RuntimeError("kaboom")


class Chatty(Tool[Params]):
    name: ClassVar[str] = "chatty"
    params = Params
    read_only = True
    text = ""

    async def run(self, params: Params, ctx: ToolContext) -> ToolResult:
        return ToolResult(self.text)


async def test_a_crashing_tool_becomes_an_internal_error_result_and_is_logged(
    ws: Workspace, caplog: pytest.LogCaptureFixture
) -> None:
    ws.registry = ToolRegistry([Exploding()])
    with caplog.at_level(logging.ERROR):
        result = await ws.call("explode", {})
    assert result.is_error
    assert result.content == "Internal error in tool explode: RuntimeError: kaboom"
    assert "explode" in caplog.text


async def test_a_cancelled_context_does_not_run_the_tool(ws: Workspace) -> None:
    ws.registry = ToolRegistry([Exploding()])
    ctx = ws.context()
    ctx.cancel.set()
    from codesm.agent.tools import execute_tool_call

    result = await execute_tool_call(ws.registry, "explode", {}, ctx, spool_dir=ws.spool)
    assert result.metadata["error"] == "Cancelled"


async def test_long_output_keeps_head_and_tail_and_spools_the_rest(ws: Workspace) -> None:
    tool = Chatty()
    tool.text = "\n".join(f"line {i}" for i in range(10_000))
    ws.registry = ToolRegistry([tool])
    result = await ws.call("chatty", {})
    lines = result.content.splitlines()
    assert lines[0] == "line 0"
    assert lines[-1] == "line 9999"
    assert len(lines) <= 2001
    assert "omitted" in result.content
    spool = Path(result.metadata["spool_path"])
    assert spool.is_relative_to(ws.spool)
    assert spool_text(spool) == tool.text
    assert str(spool) in result.content


async def test_a_huge_single_line_is_cut_to_the_byte_budget(ws: Workspace) -> None:
    tool = Chatty()
    tool.text = "é" * 1_000_000
    ws.registry = ToolRegistry([tool])
    result = await ws.call("chatty", {})
    assert len(result.content.encode()) < 52 * 1024
    assert result.content.startswith("é")
    assert result.content.endswith("é")


def test_the_spool_goes_to_the_xdg_cache_dir_by_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    cut = truncate_output("x\n" * 5000, limits=OutputLimits(max_lines=10), name="a/b")
    assert cut.spool_path is not None
    assert cut.spool_path.is_relative_to(tmp_path / "cache" / "codesm")


async def test_output_with_lone_surrogates_is_replaced_and_flagged(ws: Workspace) -> None:
    tool = Chatty()
    tool.text = "name: " + b"caf\xe9".decode("utf-8", "surrogateescape")
    ws.registry = ToolRegistry([tool])
    result = await ws.call("chatty", {})
    assert result.metadata["invalid_utf8"] is True
    assert "caf\ufffd" in result.content
    result.content.encode("utf-8")


def test_invalid_utf8_process_output_is_decoded_and_flagged() -> None:
    assert decode_output(b"ok\xff") == ("ok\ufffd", True)
    assert decode_output(b"ok") == ("ok", False)
    assert sanitize_text("fine") == ("fine", False)


def test_short_output_is_untouched() -> None:
    cut = truncate_output("a\nb\n")
    assert (cut.text, cut.truncated) == ("a\nb\n", False)
