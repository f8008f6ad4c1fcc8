from __future__ import annotations

from codesm.agent.titles import MAX_TITLE, clean_title, heuristic_title


def test_heuristic_title_is_the_first_non_empty_line() -> None:
    assert heuristic_title("\n\n  Add a dark theme  \nmore") == "Add a dark theme"


def test_heuristic_title_cuts_long_prompts_at_a_word() -> None:
    title = heuristic_title("word " * 40)
    assert len(title) <= MAX_TITLE + 1
    assert title.endswith("…")
    assert not title[:-1].endswith(" ")


def test_heuristic_title_of_an_empty_prompt() -> None:
    assert heuristic_title("   ") == "New session"


def test_clean_title_strips_quotes_and_trailing_period() -> None:
    assert clean_title('  "Refactor the parser."  ') == "Refactor the parser"
