"""Which running subagent `/steer REF` and `/stop-subagent REF` mean.

REF is the subagent's number as the chat shows it under its tool call (`2`; `1.2` for the second
subagent started by subagent 1, at any depth) or the start of its session id. Numbers restart at
each tool call, so when two calls have a running subagent with the same number, the newest call's
is meant (the one nearest the prompt).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

LABEL = re.compile(r"\d+(?:\.\d+)*")
MIN_ID_PREFIX = 4
ID_SHOWN = 8


@dataclass(frozen=True)
class RunningSubagent:
    label: str
    """Its number as the chat shows it: `2`, `1.2`."""
    session_id: str
    subagent_type: str
    description: str = ""

    @property
    def choice(self) -> str:
        """Its line in the prompt's completion list."""
        head = f"{self.label}  {self.subagent_type} {self.session_id[:ID_SHOWN]}"
        return f"{head}  {self.description}" if self.description else head


def resolve_subagent(running: list[RunningSubagent], ref: str) -> RunningSubagent | str:
    """The subagent `ref` names among `running` (oldest tool call first), or what went wrong."""
    ref = ref.strip()
    if LABEL.fullmatch(ref):
        numbered = [r for r in running if r.label == ref]
        if numbered:
            return numbered[-1]
    if len(ref) >= MIN_ID_PREFIX:
        matches = [r for r in running if r.session_id.startswith(ref.lower())]
        if len(matches) == 1:
            return matches[0]
        if matches:
            return f"{len(matches)} running subagents have an id starting {ref}: type more of it."
    listed = ", ".join(dict.fromkeys(r.label for r in running))
    if not listed:
        return "No subagent of this session is running."
    return f"No running subagent {ref} in this session (running: {listed})."


def completing(running: list[RunningSubagent], typed: str) -> list[tuple[str, str]]:
    """(what to insert, what to show) for each running subagent whose number or id starts with
    `typed`, newest tool call first. One whose number a newer call's subagent shares is inserted
    by its id; an id typed far enough to name one subagent is kept as typed (Enter sends it)."""
    typed = typed.lower()
    newest = {r.label: r for r in running}
    by_id = [r for r in running if r.session_id.startswith(typed)]
    unique_id = len(by_id) == 1 and len(typed) >= MIN_ID_PREFIX
    found = [r for r in running if r.label.startswith(typed) or r in by_id]
    return [
        (
            typed
            if unique_id and r in by_id
            else r.label
            if newest[r.label] is r
            else r.session_id[:ID_SHOWN],
            r.choice,
        )
        for r in reversed(found)
    ]
