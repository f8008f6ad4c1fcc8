"""Permission engine: allow / ask / deny rules, modes, protected paths, and the shell checker.

Entry point: ``PermissionEngine(rule_sets, mode=..., workspace_root=...).decide(ToolRequest(...))``.
"""

from __future__ import annotations

from codesm.agent.permissions.audit import AuditRecord, AuditSink, InMemoryAuditSink
from codesm.agent.permissions.defaults import DEFAULT_ALLOWED_COMMANDS, default_rules
from codesm.agent.permissions.engine import (
    TOOL_KINDS,
    Decision,
    Mode,
    PermissionEngine,
    ToolKind,
    ToolRequest,
)
from codesm.agent.permissions.protected import protected_reason
from codesm.agent.permissions.rules import Action, Rule, RuleSet, RuleSource, rules_from_settings
from codesm.agent.permissions.shell import (
    RiskyConstruct,
    ShellAnalysis,
    SimpleCommand,
    classify_shell,
)

__all__ = [
    "DEFAULT_ALLOWED_COMMANDS",
    "TOOL_KINDS",
    "Action",
    "AuditRecord",
    "AuditSink",
    "Decision",
    "InMemoryAuditSink",
    "Mode",
    "PermissionEngine",
    "RiskyConstruct",
    "Rule",
    "RuleSet",
    "RuleSource",
    "ShellAnalysis",
    "SimpleCommand",
    "ToolKind",
    "ToolRequest",
    "classify_shell",
    "default_rules",
    "protected_reason",
    "rules_from_settings",
]
