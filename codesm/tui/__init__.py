"""The Textual TUI (`codesm [DIR]`): renders the hub's events and sends ops, nothing more."""

from __future__ import annotations

from codesm.tui.launch import TuiOptions, run_tui

__all__ = ["TuiOptions", "run_tui"]
