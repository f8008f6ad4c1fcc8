"""How `/steer` and `/stop-subagent` read which running subagent is meant."""

from __future__ import annotations

import pytest

from codesm.tui.commands import SlashCommand, SlashError, parse_slash
from codesm.tui.subagent_refs import RunningSubagent, completing, resolve_subagent

OLD_CALL = [RunningSubagent("1", "aaaa1111", "coder"), RunningSubagent("1.1", "abcd2222", "finder")]
NEW_CALL = [RunningSubagent("1", "bbbb3333", "researcher", "survey")]
RUNNING = OLD_CALL + NEW_CALL


def test_a_number_shared_by_two_tool_calls_means_the_newest_calls_subagent() -> None:
    assert resolve_subagent(RUNNING, "1") == NEW_CALL[0]
    assert resolve_subagent(RUNNING, "1.1") == OLD_CALL[1]


def test_an_id_prefix_names_a_subagent_only_when_it_is_long_and_unique() -> None:
    assert resolve_subagent(RUNNING, "aaaa1") == OLD_CALL[0]
    two_alike = [*OLD_CALL, RunningSubagent("2", "aaaa9999", "finder")]
    assert "type more" in str(resolve_subagent(two_alike, "aaaa"))
    assert "(running: 1, 1.1)" in str(resolve_subagent(RUNNING, "7"))
    assert resolve_subagent([], "1") == "No subagent of this session is running."


def test_completion_offers_the_newest_first_and_an_older_shared_number_by_its_id() -> None:
    assert [insert for insert, _ in completing(RUNNING, "1")] == ["1", "1.1", "aaaa1111"]
    assert completing(RUNNING, "bbbb3")[0] == ("bbbb3", "1  researcher bbbb3333  survey")


def test_steer_and_stop_take_a_nested_number_or_an_id() -> None:
    assert parse_slash("/steer 1.2 look at tests") == SlashCommand("steer", "1.2 look at tests")
    assert parse_slash("/stop-subagent 3f2a9c") == SlashCommand("stop-subagent", "3f2a9c")
    with pytest.raises(SlashError, match=r"1\.2"):
        parse_slash("/steer 1.2")
    with pytest.raises(SlashError, match=r"1\.2"):
        parse_slash("/stop-subagent 1 2")
