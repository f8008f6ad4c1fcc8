"""The permission engine: rule order, modes, protected paths, answers and the audit log."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from codesm.agent.permissions import (
    InMemoryAuditSink,
    Mode,
    PermissionEngine,
    Rule,
    RuleSet,
    ToolRequest,
    protected_reason,
    rules_from_settings,
)
from codesm.errors import ConfigError


@pytest.fixture
def root(tmp_path: Path) -> Path:
    project = tmp_path / "proj"
    (project / "src").mkdir(parents=True)
    (project / "src" / "a.py").write_text("x = 1\n")
    (project / ".git" / "hooks").mkdir(parents=True)
    return project


def engine(root: Path, *rule_sets: RuleSet, mode: Mode = "review") -> PermissionEngine:
    return PermissionEngine(list(rule_sets), mode=mode, workspace_root=root)


def user(*rules: Rule) -> RuleSet:
    return RuleSet(source="user", rules=rules)


PROTECTED_NEW_FILES = [
    ".git/hooks/pre-commit",
    ".git/config",
    ".codesm/settings.json",
    ".vscode/settings.json",
    ".vscode/tasks.json",
    ".idea/workspace.xml",
    ".cursor/mcp.json",
    ".cursor/rules/x.mdc",
    ".claude/settings.json",
    ".mcp.json",
    "mcp.json",
    ".bashrc",
    ".zshrc",
    ".profile",
    ".bash_profile",
    ".envrc",
    ".ssh/authorized_keys",
    "sub/.git/hooks/post-checkout",
    ".GIT/hooks/pre-commit",
    ".VSCode/settings.json",
    "src/../.git/hooks/pre-push",
]


@pytest.mark.parametrize("path", PROTECTED_NEW_FILES)
@pytest.mark.parametrize("mode", ["review", "auto-edit", "allow-all"])
def test_creating_a_protected_file_asks_in_every_mode(root: Path, path: str, mode: Mode) -> None:
    always = user(Rule.make("*", "allow"))
    decision = engine(root, always, mode=mode).decide(ToolRequest("write", paths=(path,)))
    assert decision.action == "ask"
    assert "protected" in decision.reason


def test_a_symlink_into_git_is_protected_too(root: Path) -> None:
    (root / "innocent").symlink_to(root / ".git" / "hooks")
    decision = engine(root, mode="auto-edit").decide(
        ToolRequest("write", paths=("innocent/pre-commit",))
    )
    assert decision.action == "ask"


def test_an_ordinary_edit_asks_in_review_and_applies_in_auto_edit(root: Path) -> None:
    request = ToolRequest("edit", paths=("src/a.py",))
    assert engine(root).decide(request).action == "ask"
    assert engine(root, mode="auto-edit").decide(request).action == "allow"
    assert engine(root, mode="allow-all").decide(request).action == "allow"
    assert engine(root, mode="dry-run").decide(request).action == "dry_run"


def test_an_edit_outside_the_workspace_is_denied(root: Path) -> None:
    decision = engine(root, mode="allow-all").decide(ToolRequest("write", paths=("../x",)))
    assert decision.action == "deny"
    assert "outside the workspace" in decision.reason


def test_a_read_inside_is_allowed_in_every_mode_and_outside_is_denied(root: Path) -> None:
    modes: tuple[Mode, ...] = ("review", "auto-edit", "allow-all", "dry-run")
    for mode in modes:
        e = engine(root, mode=mode)
        assert e.decide(ToolRequest("read", paths=("src/a.py",))).action == "allow"
        assert e.decide(ToolRequest("read", paths=("/etc/passwd",))).action == "deny"


def test_deny_beats_an_earlier_allow(root: Path) -> None:
    rules = user(
        Rule.make("bash", "allow", {"cmd": "git *"}),
        Rule.make("bash", "deny", {"cmd": "git push*"}),
    )
    decision = engine(root, rules, mode="allow-all").decide(
        ToolRequest("bash", command="git push origin main")
    )
    assert decision.action == "deny"
    assert decision.rule is rules.rules[1]


def test_ask_beats_allow(root: Path) -> None:
    rules = user(
        Rule.make("bash", "allow", {"cmd": "git *"}),
        Rule.make("bash", "ask", {"cmd": "git commit*"}),
    )
    decision = engine(root, rules).decide(ToolRequest("bash", command="git commit -m x"))
    assert decision.action == "ask"
    assert decision.rule is rules.rules[1]


def test_the_first_matching_rule_within_a_level_is_reported(root: Path) -> None:
    first = Rule.make("bash", "deny", {"cmd": "rm *"}, message="no rm")
    second = Rule.make("bash", "deny", {"cmd": "/^rm/"}, message="second")
    decision = engine(root, user(first, second)).decide(ToolRequest("bash", command="rm x"))
    assert decision.rule is first
    assert decision.reason == "no rm"


def test_user_rules_are_reported_before_builtin_rules(root: Path) -> None:
    mine = Rule.make("bash", "allow", {"cmd": "git status"})
    decision = engine(root, user(mine)).decide(ToolRequest("bash", command="git status"))
    assert decision.action == "allow"
    assert decision.rule is mine


def test_a_user_allow_rule_allows_a_non_default_command(root: Path) -> None:
    rules = user(Rule.make("bash", "allow", {"cmd": ["pytest", "pytest *"]}))
    assert engine(root, rules).decide(ToolRequest("bash", command="pytest -q")).allowed
    assert not engine(root).decide(ToolRequest("bash", command="pytest -q")).allowed


def test_a_regex_rule_is_searched(root: Path) -> None:
    rules = user(Rule.make("bash", "allow", {"cmd": "/^make (test|lint)$/"}))
    e = engine(root, rules)
    assert e.decide(ToolRequest("bash", command="make test")).allowed
    assert not e.decide(ToolRequest("bash", command="make install")).allowed


def test_path_globs_keep_single_stars_within_a_directory(root: Path) -> None:
    rules = user(Rule.make("edit", "allow", {"path": "src/*.py"}))
    e = engine(root, rules)
    assert e.decide(ToolRequest("edit", paths=("src/a.py",))).allowed
    assert not e.decide(ToolRequest("edit", paths=("src/deep/b.py",))).allowed
    deep = engine(root, user(Rule.make("edit", "allow", {"path": "src/**"})))
    assert deep.decide(ToolRequest("edit", paths=("src/deep/b.py",))).allowed


def test_a_path_deny_rule_denies_an_edit_even_in_allow_all(root: Path) -> None:
    rules = user(Rule.make("*", "deny", {"path": "**/*.lock"}))
    decision = engine(root, rules, mode="allow-all").decide(
        ToolRequest("write", paths=("src/x.lock",))
    )
    assert decision.action == "deny"


def test_network_tools_ask_by_default_and_follow_domain_rules(root: Path) -> None:
    rules = user(
        Rule.make("webfetch", "allow", {"domain": "*.python.org"}),
        Rule.make("webfetch", "deny", {"domain": "evil.example"}),
    )
    e = engine(root, rules)
    assert e.decide(ToolRequest("webfetch", url="https://docs.python.org/3/")).allowed
    assert e.decide(ToolRequest("webfetch", url="https://example.com/")).action == "ask"
    assert e.decide(ToolRequest("webfetch", url="http://EVIL.example/x")).action == "deny"


def test_an_unknown_tool_asks_unless_allowed(root: Path) -> None:
    request = ToolRequest("mcp__github__create_issue")
    assert engine(root).decide(request).action == "ask"
    rules = user(Rule.make("mcp__github__*", "allow"))
    assert engine(root, rules).decide(request).allowed


def test_an_untrusted_project_cannot_add_allow_rules_but_can_deny(root: Path) -> None:
    project = rules_from_settings(
        [
            {"tool": "bash", "matches": {"cmd": "curl *"}, "action": "allow"},
            {"tool": "bash", "matches": {"cmd": "git status"}, "action": "deny"},
        ],
        source="project",
        trusted=False,
    )
    e = engine(root, project)
    assert e.decide(ToolRequest("bash", command="curl x")).action == "ask"
    assert e.decide(ToolRequest("bash", command="git status")).action == "deny"


def test_settings_rules_are_validated(root: Path) -> None:
    with pytest.raises(ConfigError):
        rules_from_settings([{"tool": "bash", "action": "sometimes"}], source="user")
    with pytest.raises(ConfigError):
        rules_from_settings(
            [{"tool": "bash", "matches": {"cmd": "/(/"}, "action": "deny"}], source="user"
        )


def test_always_for_this_session_allows_the_exact_command_afterwards(root: Path) -> None:
    e = engine(root)
    request = ToolRequest("bash", command="pytest -q tests")
    assert e.decide(request).action == "ask"
    (rule,) = e.remember(request, scope="session")
    assert rule.source == "session"
    assert e.decide(request).allowed
    assert not e.decide(ToolRequest("bash", command="pytest -q tests; rm x")).allowed
    assert not e.decide(ToolRequest("bash", command="pytest -q testsX")).allowed


def test_an_answer_never_covers_a_protected_path(root: Path) -> None:
    e = engine(root, mode="auto-edit")
    request = ToolRequest("write", paths=(".vscode/settings.json",))
    e.remember(request, scope="project")
    assert e.decide(request).action == "ask"


def test_every_decision_is_audited(root: Path) -> None:
    sink = InMemoryAuditSink()
    at = datetime(2025, 1, 2, tzinfo=UTC)
    e = PermissionEngine(
        [user(Rule.make("bash", "deny", {"cmd": "rm *"}))],
        mode="review",
        workspace_root=root,
        audit=sink,
        clock=lambda: at,
    )
    e.decide(ToolRequest("bash", command="git status", session_id="s1"))
    e.decide(ToolRequest("bash", command="rm -rf x", session_id="s1", actor="subagent"))
    e.decide(ToolRequest("edit", paths=("src/a.py",), session_id="s1"))
    assert [(r.action, r.tool, r.subject) for r in sink.records] == [
        ("allow", "bash", "git status"),
        ("deny", "bash", "rm -rf x"),
        ("ask", "edit", "src/a.py"),
    ]
    denied = sink.records[1]
    assert denied.actor == "subagent"
    assert denied.session_id == "s1"
    assert denied.rule_source == "user"
    assert denied.rule is not None and "rm *" in denied.rule
    assert denied.at == at
    assert sink.records[0].rule_source == "builtin"


@pytest.mark.parametrize(
    ("path", "protected"),
    [
        (".git/hooks/pre-commit", True),
        ("a/b/.git", True),
        (".gitignore", False),
        ("src/git/x.py", False),
        ("~/.ssh/id_rsa", True),
        ("/home/u/.zshrc", True),
        ("docs/.mcp.json", True),
        ("vscode/settings.json", False),
        (".config/fish/config.fish", True),
        ("README.md", False),
    ],
)
def test_protected_paths_are_recognised_by_name(path: str, protected: bool) -> None:
    assert (protected_reason(path) is not None) is protected
