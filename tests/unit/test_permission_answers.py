from __future__ import annotations

import stat
from pathlib import Path

from codesm.agent.permissions.answers import ProjectAnswers
from codesm.agent.permissions.engine import PermissionEngine, ToolRequest
from codesm.agent.runtime import permission_rule_sets


def _ask_then_remember(root: Path) -> None:
    engine = PermissionEngine(permission_rule_sets(root, None), workspace_root=root)
    request = ToolRequest(tool="bash", command="make build")
    assert engine.decide(request).action == "ask"
    ProjectAnswers(root).add(engine.remember(request, scope="project"))


def test_an_always_for_this_project_answer_applies_to_the_next_session(tmp_path: Path) -> None:
    _ask_then_remember(tmp_path)
    fresh = PermissionEngine(permission_rule_sets(tmp_path, None), workspace_root=tmp_path)
    decision = fresh.decide(ToolRequest(tool="bash", command="make build"))
    assert decision.action == "allow"
    assert decision.rule is not None and decision.rule.source == "project-answer"


def test_a_remembered_command_does_not_cover_other_commands(tmp_path: Path) -> None:
    _ask_then_remember(tmp_path)
    fresh = PermissionEngine(permission_rule_sets(tmp_path, None), workspace_root=tmp_path)
    assert fresh.decide(ToolRequest(tool="bash", command="make clean")).action == "ask"
    assert (
        fresh.decide(ToolRequest(tool="bash", command="make build && rm -rf /")).action != "allow"
    )


def test_answers_are_per_workspace_and_owner_only(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    _ask_then_remember(tmp_path / "a")
    other = PermissionEngine(
        permission_rule_sets(tmp_path / "b", None), workspace_root=tmp_path / "b"
    )
    assert other.decide(ToolRequest(tool="bash", command="make build")).action == "ask"
    path = ProjectAnswers(tmp_path / "a").path
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert not path.is_relative_to(tmp_path / "a")  # in the user config dir, not the project


def test_a_corrupt_answers_file_is_ignored(tmp_path: Path) -> None:
    answers = ProjectAnswers(tmp_path)
    answers.path.parent.mkdir(parents=True, exist_ok=True)
    answers.path.write_text("{not json")
    assert answers.rule_set().rules == ()
