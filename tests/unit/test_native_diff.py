"""`_native.diff`: unified diff text and structured hunks, checked by applying them back."""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.unit.native_support import (
    HUNK_HEADER,
    NATIVE_MISSING,
    apply_hunks,
    apply_unified,
    split_lines,
    strip_terminator,
)

_native = pytest.importorskip("codesm._native", reason=NATIVE_MISSING)


def gnu_diff(tmp_path: Path, old: str, new: str, context: int = 3) -> str:
    if shutil.which("diff") is None:
        pytest.skip("GNU diff is not installed; it is the oracle for small unified diffs")
    (tmp_path / "old").write_bytes(old.encode())
    (tmp_path / "new").write_bytes(new.encode())
    proc = subprocess.run(
        ["diff", f"-U{context}", "--label", "a", "--label", "b", "old", "new"],
        cwd=tmp_path,
        capture_output=True,
        check=False,
    )
    assert proc.returncode in (0, 1), proc.stderr
    return proc.stdout.decode()


def lines(n: int, prefix: str = "line") -> str:
    return "".join(f"{prefix} {i}\n" for i in range(1, n + 1))


# --- unified text ----------------------------------------------------------------------------

SMALL_CASES = {
    "one line changed": ("a\nb\nc\n", "a\nB\nc\n"),
    "line added at end": ("a\nb\n", "a\nb\nc\n"),
    "line added at start": ("b\nc\n", "a\nb\nc\n"),
    "line removed in middle": (lines(9), lines(9).replace("line 5\n", "")),
    "two distant hunks": (
        lines(30),
        lines(30).replace("line 3\n", "x\n").replace("line 27\n", "y\n"),
    ),
    "two close changes merge into one hunk": (
        lines(20),
        lines(20).replace("line 8\n", "x\n").replace("line 12\n", "y\n"),
    ),
    "everything replaced": ("a\nb\n", "c\nd\n"),
    "empty old": ("", "a\nb\n"),
    "empty new": ("a\nb\n", ""),
    "single line files": ("a\n", "b\n"),
    "missing newline added": ("a\nb", "a\nb\n"),
    "missing newline removed": ("a\nb\n", "a\nb"),
    "both without newline": ("a\nb", "a\nc"),
    "change before unterminated last line": ("a\nb\nc", "a\nX\nc"),
}


@pytest.mark.parametrize(("old", "new"), SMALL_CASES.values(), ids=SMALL_CASES.keys())
def test_diff_unified_text_equals_gnu_diff_u(tmp_path: Path, old: str, new: str) -> None:
    assert _native.diff(old, new).unified == gnu_diff(tmp_path, old, new)


@pytest.mark.parametrize(("old", "new"), SMALL_CASES.values(), ids=SMALL_CASES.keys())
def test_diff_unified_text_applied_to_old_gives_new(old: str, new: str) -> None:
    assert apply_unified(old, _native.diff(old, new).unified) == new


@pytest.mark.parametrize(("old", "new"), SMALL_CASES.values(), ids=SMALL_CASES.keys())
def test_diff_hunks_applied_to_old_give_new_lines(old: str, new: str) -> None:
    result = _native.diff(old, new)

    assert apply_hunks(old, result.hunks) == [strip_terminator(x) for x in split_lines(new)]


def test_diff_unified_starts_with_labels() -> None:
    unified = _native.diff("a\n", "b\n", old_label="old/x.py", new_label="new/x.py").unified

    assert unified.splitlines()[:2] == ["--- old/x.py", "+++ new/x.py"]


def test_diff_uses_a_and_b_labels_by_default() -> None:
    assert _native.diff("a\n", "b\n").unified.splitlines()[:2] == ["--- a", "+++ b"]


def test_diff_marks_missing_newline_at_end_of_old() -> None:
    unified = _native.diff("a\nb", "a\nb\n").unified

    assert unified.endswith("-b\n\\ No newline at end of file\n+b\n")


def test_diff_marks_missing_newline_at_end_of_new() -> None:
    unified = _native.diff("a\n", "a\nb").unified

    assert unified.endswith("+b\n\\ No newline at end of file\n")


def test_diff_of_identical_texts_is_empty() -> None:
    result = _native.diff(lines(50), lines(50))

    assert (result.unified, result.hunks, result.added, result.removed) == ("", [], 0, 0)


def test_diff_of_two_empty_texts_is_empty() -> None:
    result = _native.diff("", "")

    assert (result.unified, result.hunks) == ("", [])


def test_diff_of_empty_old_is_one_hunk_of_additions() -> None:
    (hunk,) = _native.diff("", "a\nb\n").hunks

    assert (hunk.old_start, hunk.old_len, hunk.new_start, hunk.new_len) == (0, 0, 1, 2)
    assert [(dl.tag, dl.text) for dl in hunk.lines] == [("+", "a"), ("+", "b")]


def test_diff_of_empty_new_is_one_hunk_of_removals() -> None:
    (hunk,) = _native.diff("a\nb\n", "").hunks

    assert (hunk.old_start, hunk.old_len, hunk.new_start, hunk.new_len) == (1, 2, 0, 0)
    assert [(dl.tag, dl.text) for dl in hunk.lines] == [("-", "a"), ("-", "b")]


def test_diff_keeps_carriage_returns_of_crlf_lines() -> None:
    old, new = "one\r\ntwo\r\nthree\r\n", "one\r\nTWO\r\nthree\r\n"

    assert apply_unified(old, _native.diff(old, new).unified) == new


def test_diff_sees_a_line_ending_change_as_a_change() -> None:
    result = _native.diff("a\nb\n", "a\r\nb\n")

    assert (result.added, result.removed) == (1, 1)


def test_diff_splits_lines_only_on_newline() -> None:
    # Form feed, vertical tab and U+2028 are line breaks to `str.splitlines`, not to a diff.
    old, new = "a\x0cb\nc\u2028d\ne\x0bf\n", "a\x0cb\nc\u2028D\ne\x0bf\n"

    result = _native.diff(old, new)

    assert (result.added, result.removed) == (1, 1)
    assert apply_unified(old, result.unified) == new


def test_diff_handles_unicode_lines() -> None:
    old, new = "héllo\n日本\n🦀\n", "héllo\n日本語\n🦀\n"

    assert apply_unified(old, _native.diff(old, new).unified) == new


# --- structure -------------------------------------------------------------------------------


def test_diff_counts_added_and_removed_lines() -> None:
    result = _native.diff("a\nb\nc\nd\n", "a\nB\nc\nx\ny\n")

    assert (result.added, result.removed) == (3, 2)


def test_diff_hunk_header_agrees_with_hunk_fields() -> None:
    result = _native.diff(lines(40), lines(40).replace("line 5\n", "").replace("line 30\n", "x\n"))

    assert len(result.hunks) == 2
    for hunk in result.hunks:
        m = HUNK_HEADER.match(hunk.header)
        assert m, hunk.header
        assert int(m[1]) == hunk.old_start
        assert int(m[2] or 1) == hunk.old_len
        assert int(m[3]) == hunk.new_start
        assert int(m[4] or 1) == hunk.new_len


def test_diff_hunk_headers_appear_in_unified_text() -> None:
    result = _native.diff(lines(40), lines(40).replace("line 20\n", "x\n"))

    headers = [line for line in result.unified.splitlines() if line.startswith("@@")]
    assert headers == [h.header for h in result.hunks]


def test_diff_hunk_lengths_count_their_lines() -> None:
    result = _native.diff(lines(30), lines(30).replace("line 10\n", "a\nb\n"))

    for hunk in result.hunks:
        assert hunk.old_len == sum(dl.tag in " -" for dl in hunk.lines)
        assert hunk.new_len == sum(dl.tag in " +" for dl in hunk.lines)


def test_diff_line_numbers_follow_each_side() -> None:
    (hunk,) = _native.diff(lines(10), lines(10).replace("line 5\n", "five\nfive b\n")).hunks

    numbered = [(dl.tag, dl.old_lineno, dl.new_lineno) for dl in hunk.lines]
    assert numbered == [
        (" ", 2, 2),
        (" ", 3, 3),
        (" ", 4, 4),
        ("-", 5, None),
        ("+", None, 5),
        ("+", None, 6),
        (" ", 6, 7),
        (" ", 7, 8),
        (" ", 8, 9),
    ]


def test_diff_lines_have_no_terminator() -> None:
    result = _native.diff("a\r\nb\n", "a\r\nc\n")

    assert all(not dl.text.endswith("\n") for h in result.hunks for dl in h.lines)


def test_diff_context_controls_surrounding_lines() -> None:
    (hunk,) = _native.diff(lines(20), lines(20).replace("line 10\n", "x\n"), context=1).hunks

    assert [dl.text for dl in hunk.lines] == ["line 9", "line 10", "x", "line 11"]


def test_diff_with_zero_context_has_only_changed_lines(tmp_path: Path) -> None:
    old, new = lines(20), lines(20).replace("line 10\n", "x\n").replace("line 12\n", "y\n")

    result = _native.diff(old, new, context=0)

    assert all(dl.tag != " " for h in result.hunks for dl in h.lines)
    assert result.unified == gnu_diff(tmp_path, old, new, context=0)


def test_diff_with_zero_context_pure_insertion_matches_gnu_diff(tmp_path: Path) -> None:
    old, new = lines(5), lines(5).replace("line 3\n", "line 3\nnew\n")

    assert _native.diff(old, new, context=0).unified == gnu_diff(tmp_path, old, new, context=0)


# --- size ------------------------------------------------------------------------------------


def test_diff_of_ten_thousand_line_texts_is_fast_and_correct() -> None:
    old = lines(10_000)
    new_lines = split_lines(old)
    for i in range(0, 10_000, 97):
        new_lines[i] = f"changed {i}\n"
    del new_lines[5000:5100]
    new_lines.insert(200, "inserted\n" * 50)
    new = "".join(new_lines)
    start = time.perf_counter()

    result = _native.diff(old, new)

    assert time.perf_counter() - start < 5
    assert apply_unified(old, result.unified) == new


def test_diff_of_completely_different_large_texts_completes() -> None:
    old, new = lines(5_000, "old"), lines(5_000, "new")
    start = time.perf_counter()

    result = _native.diff(old, new)

    assert time.perf_counter() - start < 10
    assert (result.added, result.removed) == (5_000, 5_000)


# --- property --------------------------------------------------------------------------------

LINE = st.text(alphabet="ab \tx\r", max_size=4)


def join(parts: list[str], final_newline: bool) -> str:
    text = "\n".join(parts)
    return text + "\n" if parts and final_newline else text


@settings(max_examples=150, deadline=None)
@given(
    a=st.lists(LINE, max_size=25),
    b=st.lists(LINE, max_size=25),
    a_nl=st.booleans(),
    b_nl=st.booleans(),
    context=st.integers(0, 4),
)
def test_diff_applied_to_old_always_gives_new(
    a: list[str], b: list[str], a_nl: bool, b_nl: bool, context: int
) -> None:
    old, new = join(a, a_nl), join(b, b_nl)

    result = _native.diff(old, new, context=context)

    assert apply_unified(old, result.unified) == new
    assert (result.unified == "") == (old == new)
