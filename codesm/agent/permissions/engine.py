"""The permission engine: one decision per tool call, from rules, the mode, and the shell checker.

Order of evaluation, for every kind of tool:

1. a ``deny`` rule matching any target (any simple command anywhere in a shell command, any path)
   denies; nothing outranks it and no count or length limit skips it;
2. dry-run answers ``dry_run`` for anything that would write, run or fetch;
3. a write onto a protected path asks, in every mode (allow-all included);
4. allow-all allows everything else;
5. an ``ask`` rule asks; a risky shell construct asks; then every target needs an ``allow`` rule
   (or the mode's default: edits allow in auto-edit, ask in review; reads allow).

Within one action, the first matching rule in source order (user, project, answers, built-in)
is the one reported.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from codesm.agent.permissions.audit import AuditRecord, AuditSink
from codesm.agent.permissions.defaults import default_rules
from codesm.agent.permissions.protected import protected_reason
from codesm.agent.permissions.rules import Action, Rule, RuleSet, exact_pattern
from codesm.agent.permissions.shell import ShellAnalysis, classify_shell
from codesm.errors import PathNotFound, WorkspacePathError
from codesm.workspace.paths import relative_to_root, resolve_in_workspace

__all__ = ["TOOL_KINDS", "Decision", "Mode", "PermissionEngine", "ToolKind", "ToolRequest"]

Mode = Literal["review", "auto-edit", "allow-all", "dry-run"]
DecisionAction = Literal["allow", "ask", "deny", "dry_run"]
ToolKind = Literal["read", "edit", "shell", "network", "other"]
TOOL_KINDS: Mapping[str, ToolKind] = {
    "read": "read",
    "glob": "read",
    "grep": "read",
    "ls": "read",
    "todo": "read",
    "todo_write": "read",
    "todo_read": "read",
    "skill": "read",
    "write": "edit",
    "edit": "edit",
    "multiedit": "edit",
    "patch": "edit",
    "bash": "shell",
    "webfetch": "network",
    "websearch": "network",
}
SOURCE_ORDER = ("user", "project", "project-answer", "session", "builtin")
Target = Mapping[str, str]


@dataclass(frozen=True)
class ToolRequest:
    """What a tool call wants to do. `kind` defaults from the tool name (`TOOL_KINDS`)."""

    tool: str
    command: str | None = None
    paths: tuple[str, ...] = ()
    url: str | None = None
    fields: Mapping[str, str] = field(default_factory=dict)
    kind: ToolKind | None = None
    session_id: str = ""
    actor: str = "agent"

    @property
    def resolved_kind(self) -> ToolKind:
        return self.kind or TOOL_KINDS.get(self.tool, "other")

    @property
    def subject(self) -> str:
        return self.command or ", ".join(self.paths) or self.url or self.tool


@dataclass(frozen=True)
class Decision:
    """The answer for one request: `action`, a reason for the user and the model, the rule."""

    action: DecisionAction
    reason: str
    rule: Rule | None = None
    analysis: ShellAnalysis | None = None

    @property
    def allowed(self) -> bool:
        return self.action == "allow"


class PermissionEngine:
    """Decides tool calls for one session; every decision goes to the audit sink."""

    def __init__(
        self,
        rules: Sequence[RuleSet] = (),
        *,
        mode: Mode = "review",
        workspace_root: Path,
        audit: AuditSink | None = None,
        include_defaults: bool = True,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.mode: Mode = mode
        self.workspace_root = Path(workspace_root)
        self.audit = audit
        self._clock = clock
        self._sets = [*rules, *([default_rules()] if include_defaults else [])]

    def rules(self) -> list[Rule]:
        """Effective rules in reporting order (untrusted sets contribute no allow rules)."""
        ordered = sorted(self._sets, key=lambda s: SOURCE_ORDER.index(s.source))
        return [rule for rule_set in ordered for rule in rule_set.effective()]

    def _first(self, action: Action, tool: str, targets: Iterable[Target]) -> Rule | None:
        candidates = [r for r in self.rules() if r.action == action and r.applies_to_tool(tool)]
        for target in targets:
            for rule in candidates:
                if rule.matches_target(tool, target):
                    return rule
        return None

    def decide(self, request: ToolRequest) -> Decision:
        """Decide `request` and record the decision in the audit sink."""
        kind = request.resolved_kind
        if kind == "shell":
            decision = self._decide_shell(request)
        elif kind in ("edit", "read"):
            decision = self._decide_paths(request, writes=kind == "edit")
        else:
            decision = self._decide_other(request)
        if self.audit is not None:
            self.audit.record(
                AuditRecord(
                    at=self._clock(),
                    session_id=request.session_id,
                    actor=request.actor,
                    tool=request.tool,
                    subject=request.subject,
                    mode=self.mode,
                    action=decision.action,
                    reason=decision.reason,
                    rule=decision.rule.describe() if decision.rule else None,
                    rule_source=decision.rule.source if decision.rule else None,
                )
            )
        return decision

    def _with_fields(self, request: ToolRequest, target: Mapping[str, str]) -> dict[str, str]:
        return {**request.fields, **target}

    def _decide_shell(self, request: ToolRequest) -> Decision:
        tool, command = request.tool, request.command or ""
        analysis = classify_shell(command, self.workspace_root)
        deny_targets = [
            self._with_fields(request, {"cmd": v})
            for sub in analysis.subcommands
            for v in sub.deny_variants()
        ]
        if not analysis.parse_ok:
            deny_targets.append(self._with_fields(request, {"cmd": command}))
        rule = self._first("deny", tool, deny_targets)
        if rule is not None:
            return Decision(
                "deny", rule.message or f"denied by rule: {rule.describe()}", rule, analysis
            )
        if self.mode == "dry-run":
            return Decision("dry_run", "dry-run mode: the command was not run", None, analysis)
        builtin = [r for r in self.rules() if r.source == "builtin" and r.action == "allow"]
        protected = [r.detail for r in analysis.protected_risks] + [
            f"{sub.matchable!r} touches {', '.join(sub.protected_args)}"
            for sub in analysis.subcommands
            if sub.protected_args
            and not any(r.matches_target(tool, {"cmd": sub.matchable}) for r in builtin)
        ]
        if protected:
            return Decision("ask", "protected path: " + "; ".join(protected), None, analysis)
        if self.mode == "allow-all":
            return Decision("allow", "allow-all mode", None, analysis)
        targets = [self._with_fields(request, {"cmd": s.matchable}) for s in analysis.subcommands]
        rule = self._first("ask", tool, targets)
        if rule is not None:
            return Decision("ask", rule.message or f"rule asks: {rule.describe()}", rule, analysis)
        if analysis.risky_constructs:
            details = "; ".join(f"{r.kind}: {r.detail}" for r in analysis.risky_constructs[:5])
            return Decision("ask", f"needs review ({details})", None, analysis)
        first_rule: Rule | None = None
        for sub, target in zip(analysis.subcommands, targets, strict=True):
            rule = self._first("allow", tool, [target]) if sub.clean_name else None
            if rule is None:
                return Decision("ask", f"{sub.matchable!r} is not allowlisted", None, analysis)
            first_rule = first_rule or rule
        if not analysis.subcommands:
            return Decision("ask", "no command found to check", None, analysis)
        if analysis.writes and self.mode == "review":
            written = ", ".join(analysis.writes)
            return Decision("ask", f"the command writes {written}", first_rule, analysis)
        return Decision("allow", "every command is allowlisted", first_rule, analysis)

    def _decide_paths(self, request: ToolRequest, *, writes: bool) -> Decision:
        tool = request.tool
        targets: list[dict[str, str]] = []
        protected: list[str] = []
        for raw in request.paths:
            try:
                resolved = resolve_in_workspace(self.workspace_root, raw)
            except WorkspacePathError as exc:
                if not writes and isinstance(exc, PathNotFound):
                    continue
                return Decision("deny", str(exc))
            rel = relative_to_root(self.workspace_root, resolved)
            targets.append(self._with_fields(request, {"path": rel}))
            reason = protected_reason(rel) or protected_reason(raw)
            if reason:
                protected.append(f"{raw}: {reason}")
        if not targets:
            targets.append(dict(request.fields))
        rule = self._first("deny", tool, targets)
        if rule is not None:
            return Decision("deny", rule.message or f"denied by rule: {rule.describe()}", rule)
        if writes and self.mode == "dry-run":
            return Decision("dry_run", "dry-run mode: nothing was written")
        if writes and protected:
            return Decision("ask", "protected path: " + "; ".join(protected))
        if self.mode == "allow-all":
            return Decision("allow", "allow-all mode")
        rule = self._first("ask", tool, targets)
        if rule is not None:
            return Decision("ask", rule.message or f"rule asks: {rule.describe()}", rule)
        if not writes:
            return Decision("allow", "reading inside the workspace")
        rules = [self._first("allow", tool, [t]) for t in targets]
        if all(r is not None for r in rules):
            return Decision("allow", "allowed by rule", rules[0])
        if self.mode == "auto-edit":
            return Decision("allow", "auto-edit mode")
        return Decision("ask", "review mode: edits wait for approval")

    def _decide_other(self, request: ToolRequest) -> Decision:
        tool = request.tool
        target = dict(request.fields)
        if request.url is not None:
            target["url"] = request.url
            target["domain"] = (urlsplit(request.url).hostname or "").lower()
        rule = self._first("deny", tool, [target])
        if rule is not None:
            return Decision("deny", rule.message or f"denied by rule: {rule.describe()}", rule)
        if self.mode == "dry-run":
            return Decision("dry_run", f"dry-run mode: {tool} was not run")
        if self.mode == "allow-all":
            return Decision("allow", "allow-all mode")
        rule = self._first("ask", tool, [target])
        if rule is not None:
            return Decision("ask", rule.message or f"rule asks: {rule.describe()}", rule)
        rule = self._first("allow", tool, [target])
        if rule is not None:
            return Decision("allow", "allowed by rule", rule)
        return Decision("ask", f"{tool} needs approval")

    def remember(
        self, request: ToolRequest, *, scope: Literal["session", "project"]
    ) -> tuple[Rule, ...]:
        """Turn an "always allow" answer into exact allow rules and use them from now on.

        Returns the new rules so a project-scoped answer can be persisted. Protected paths and
        risky shell constructs still ask afterwards: those are never covered by a rule.
        """
        source: Literal["session", "project-answer"] = (
            "session" if scope == "session" else "project-answer"
        )
        kind = request.resolved_kind
        matches: dict[str, list[str]] = {}
        if kind == "shell":
            analysis = classify_shell(request.command or "", self.workspace_root)
            matches["cmd"] = [
                exact_pattern(s.matchable) for s in analysis.subcommands if s.clean_name
            ]
        elif kind in ("edit", "read"):
            matches["path"] = [exact_pattern(p, key="path") for p in self._relative(request)]
        elif request.url is not None:
            matches["domain"] = [exact_pattern((urlsplit(request.url).hostname or "").lower())]
        if any(not values for values in matches.values()):
            return ()
        new = (Rule.make(request.tool, "allow", matches, source=source),)
        self._sets.insert(0, RuleSet(source=source, rules=new))
        return new

    def _relative(self, request: ToolRequest) -> list[str]:
        out: list[str] = []
        for raw in request.paths:
            try:
                out.append(
                    relative_to_root(
                        self.workspace_root, resolve_in_workspace(self.workspace_root, raw)
                    )
                )
            except WorkspacePathError:
                continue
        return out
