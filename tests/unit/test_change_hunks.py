"""Partial hunk acceptance: pure, exact to the byte (line endings, BOM, missing final newline)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from codesm.agent.changes.hunks import apply_hunk_subset, describe_selection
from tests.unit.change_support import hunks_of, numbered

_LINES = st.lists(
    st.sampled_from(["a\n", "b\n", "c\r\n", "\ufeffd\n", "e", "  f\n", "\n", "g\r"]), max_size=30
)


@settings(max_examples=300, deadline=None)
@given(old=_LINES, new=_LINES)
def test_all_hunks_give_the_new_content_and_none_give_the_old(
    old: list[str], new: list[str]
) -> None:
    old_text, new_text = "".join(old), "".join(new)
    _, hunks = hunks_of(old_text, new_text)
    assert apply_hunk_subset(old_text, new_text, hunks, range(len(hunks))) == new_text
    assert apply_hunk_subset(old_text, new_text, hunks, []) == old_text


@settings(max_examples=200, deadline=None)
@given(old=_LINES, new=_LINES, data=st.data())
def test_any_subset_changes_only_the_chosen_hunks(
    old: list[str], new: list[str], data: st.DataObject
) -> None:
    old_text, new_text = "".join(old), "".join(new)
    _, hunks = hunks_of(old_text, new_text)
    chosen = data.draw(st.sets(st.integers(0, max(len(hunks) - 1, 0))) if hunks else st.just(set()))
    partial = apply_hunk_subset(old_text, new_text, hunks, chosen)
    # Applying the rest on top of the partial result must land on the new content.
    _, rest = hunks_of(partial, new_text)
    assert apply_hunk_subset(partial, new_text, rest, range(len(rest))) == new_text


def test_accepting_only_the_second_hunk_keeps_the_first_change_out() -> None:
    old = numbered(30)
    new = old.replace("line 3\n", "THREE\n").replace("line 27\n", "TWENTY-SEVEN\n")
    _, hunks = hunks_of(old, new)
    assert len(hunks) == 2
    assert apply_hunk_subset(old, new, hunks, [1]) == old.replace("line 27\n", "TWENTY-SEVEN\n")


def test_crlf_and_bom_survive_a_partial_acceptance() -> None:
    old = "\ufeff" + numbered(30, eol="\r\n")
    new = old.replace("line 2\r\n", "two\r\n").replace("line 29\r\n", "twenty-nine\r\n")
    _, hunks = hunks_of(old, new)
    result = apply_hunk_subset(old, new, hunks, [0])
    assert result == old.replace("line 2\r\n", "two\r\n")
    assert result.startswith("\ufeff")
    assert "\n" not in result.replace("\r\n", "")


def test_a_hunk_index_out_of_range_is_a_value_error() -> None:
    _, hunks = hunks_of("a\n", "b\n")
    with pytest.raises(ValueError, match="no hunk 3"):
        apply_hunk_subset("a\n", "b\n", hunks, [3])


def test_the_selection_is_described_with_one_based_numbers() -> None:
    text = describe_selection([0, 2], 3)
    assert "applied hunk(s) 1, 3 of 3" in text
    assert "hunk(s) 2 were not applied" in text
