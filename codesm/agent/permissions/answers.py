""" "Always allow for this project" answers, kept on the user's side.

They cannot go into the project's own `.codesm/settings.json`: allow rules there are ignored (a
cloned repository must not approve commands for itself). So they live in the user's config dir,
one 0600 file per workspace root, written temp + fsync + rename.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from codesm import paths
from codesm.agent.permissions.rules import Rule, RuleSet
from codesm.atomic import atomic_write_json

log = logging.getLogger(__name__)


class ProjectAnswers:
    """The remembered allow rules of one workspace."""

    def __init__(self, root: Path, *, directory: Path | None = None) -> None:
        self.root = root
        key = hashlib.sha256(str(root).encode("utf-8", "surrogateescape")).hexdigest()[:24]
        self.path = (directory or paths.config_dir() / "permission-answers") / f"{key}.json"

    def _specs(self) -> list[dict[str, Any]]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return []
        except (OSError, ValueError) as exc:
            log.warning("ignoring unreadable permission answers %s: %s", self.path, exc)
            return []
        rules = data.get("rules", []) if isinstance(data, dict) else []
        return [r for r in rules if isinstance(r, dict)]

    def rule_set(self) -> RuleSet:
        rules = []
        for spec in self._specs():
            try:
                rules.append(Rule.make(spec["tool"], "allow", spec["matches"],
                                       source="project-answer"))  # fmt: skip
            except (KeyError, TypeError, ValueError) as exc:
                log.warning("skipping a bad remembered rule in %s: %s", self.path, exc)
        return RuleSet(source="project-answer", rules=tuple(rules))

    def add(self, rules: Sequence[Rule]) -> None:
        specs = self._specs()
        for rule in rules:
            spec = {"tool": rule.tool, "matches": {k: [p.text for p in v]
                                                   for k, v in rule.matches.items()}}  # fmt: skip
            if spec not in specs:
                specs.append(spec)
        self._write({"root": str(self.root), "rules": specs})

    def _write(self, data: dict[str, Any]) -> None:
        atomic_write_json(self.path, data, private=True)
