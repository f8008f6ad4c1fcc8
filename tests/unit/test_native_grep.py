"""`_native.grep`: parallel content search, checked against `rg --json`."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from tests.unit.conftest import MakeTree
from tests.unit.native_support import NATIVE_MISSING, Rg, Symlink, native_rows

_native = pytest.importorskip("codesm._native", reason=NATIVE_MISSING)


def grep(pattern: str, root: Path, **kwargs: object):  # type: ignore[no-untyped-def]
    return _native.grep(pattern, str(root), **kwargs)


CORPUS: dict[str | bytes, str | bytes] = {
    "src/app.py": (
        "import os\n"
        "def main():\n"
        "    print('Hello World')\n"
        "    return 0\n"
        "# hello again, hello twice\n"
        "HELLO = 1\n"
    ),
    "src/lib/util.py": (
        "def helper():\n    return 'hello'\n\nhelloworld = 2\nsay_hello()\nÉTÉ été\n"
    ),
    "README.md": "# Hello\nThis project says hello.\na.b axb a+b\n",
    "notes.txt": "nothing here\nl lll\n",
    ".hidden.txt": "hello hidden\n",
    ".gitignore": "ignored/\n",
    "ignored/x.txt": "hello ignored\n",
    "bin.dat": b"hello\x00binary\n",
    "empty.txt": "",
}

ORACLE_CASES: list[tuple[str, dict[str, object], list[str]]] = [
    ("hello", {}, []),
    ("hello", {"ignore_case": True}, ["-i"]),
    ("hello", {"smart_case": True}, ["-S"]),
    ("Hello", {"smart_case": True}, ["-S"]),
    ("hello", {"word": True}, ["-w"]),
    ("hello", {"word": True, "ignore_case": True}, ["-w", "-i"]),
    ("a.b", {"fixed": True}, ["-F"]),
    ("a.b", {}, []),
    ("say_hello()", {"fixed": True}, ["-F"]),
    (r"def \w+\(", {}, []),
    (r"^\s+return", {}, []),
    (r"l+", {}, []),
    (r"hel{2}o|world", {"ignore_case": True}, ["-i"]),
    ("été", {"ignore_case": True}, ["-i"]),
    ("hello", {"max_count": 1}, ["-m", "1"]),
    ("hello", {"globs": ["*.py"]}, ["-g", "*.py"]),
    ("hello", {"globs": ["!src/lib/**"]}, ["-g", "!src/lib/**"]),
    ("hello", {"hidden": True}, ["--hidden"]),
    ("hello", {"gitignore": False}, ["--no-ignore"]),
    ("nomatchanywhere", {}, []),
]


@pytest.mark.parametrize(("pattern", "kwargs", "flags"), ORACLE_CASES, ids=repr)
def test_grep_matches_agree_with_ripgrep(
    make_tree: MakeTree, rg: Rg, pattern: str, kwargs: dict[str, object], flags: list[str]
) -> None:
    root = make_tree(CORPUS)

    assert native_rows(grep(pattern, root, **kwargs)) == rg.matches(root, *flags, "-e", pattern)


@pytest.mark.parametrize(("pattern", "kwargs", "flags"), ORACLE_CASES[:8], ids=repr)
def test_grep_files_with_matches_agree_with_ripgrep(
    make_tree: MakeTree, rg: Rg, pattern: str, kwargs: dict[str, object], flags: list[str]
) -> None:
    root = make_tree(CORPUS)

    result = grep(pattern, root, files_with_matches=True, **kwargs)

    assert result.files == rg.files_with_matches(root, *flags, "-e", pattern)


def test_grep_files_with_matches_leaves_matches_empty(make_tree: MakeTree) -> None:
    result = grep("hello", make_tree(CORPUS), files_with_matches=True)

    assert result.matches == []
    assert result.files != []


def test_grep_files_lists_each_matching_file_once_sorted(make_tree: MakeTree) -> None:
    result = grep("hello", make_tree(CORPUS), ignore_case=True)

    assert result.files == ["README.md", "src/app.py", "src/lib/util.py"]


def test_grep_matches_are_sorted_by_path_then_line_number(make_tree: MakeTree) -> None:
    root = make_tree({f"d{i % 3}/f{i}.txt": "x\n" * 5 + "hit\nhit\n" for i in range(12)})

    result = grep("hit", root)

    keys = [(m.path, m.line_number) for m in result.matches]
    assert keys == sorted(keys)
    assert len(keys) == 24


def test_grep_result_does_not_depend_on_thread_count(make_tree: MakeTree) -> None:
    root = make_tree({f"d{i % 4}/f{i}.txt": f"line\nhit {i}\n" * 3 for i in range(40)})

    one = grep("hit", root, threads=1)
    many = grep("hit", root, threads=4)

    assert native_rows(one) == native_rows(many)
    assert [m.path for m in one.matches] == [m.path for m in many.matches]


def test_grep_column_is_one_based_byte_offset_of_first_match(make_tree: MakeTree) -> None:
    root = make_tree({"f.txt": "ab héllo héllo\n"})

    (m,) = grep("héllo", root).matches

    assert m.column == 4
    assert m.spans == [(3, 9), (10, 16)]


def test_grep_reports_every_match_on_a_line_as_byte_spans(make_tree: MakeTree) -> None:
    root = make_tree({"f.txt": "cat dog cat\n"})

    (m,) = grep("cat", root).matches

    assert m.spans == [(0, 3), (8, 11)]
    assert [m.line.encode()[a:b] for a, b in m.spans] == [b"cat", b"cat"]


def test_grep_skips_binary_files(make_tree: MakeTree) -> None:
    root = make_tree({"bin.dat": b"needle\x00\x01\x02needle\n", "text.txt": "needle\n"})

    assert grep("needle", root).files == ["text.txt"]


def test_grep_skips_gitignored_files(make_tree: MakeTree) -> None:
    root = make_tree({".gitignore": "skip/\n", "skip/a.txt": "needle\n", "b.txt": "needle\n"})

    assert grep("needle", root).files == ["b.txt"]


def test_grep_skips_hidden_files_unless_hidden_is_true(make_tree: MakeTree) -> None:
    root = make_tree({".secret": "needle\n", "b.txt": "needle\n"})

    assert grep("needle", root).files == ["b.txt"]
    assert grep("needle", root, hidden=True).files == [".secret", "b.txt"]


def test_grep_strips_crlf_terminator_from_line(make_tree: MakeTree) -> None:
    root = make_tree({"win.txt": "one\r\ntwo needle\r\nthree\r\n"})

    (m,) = grep("needle", root).matches

    assert (m.line_number, m.line) == (2, "two needle")


def test_grep_strips_crlf_terminator_from_context_lines(make_tree: MakeTree) -> None:
    root = make_tree({"win.txt": "one\r\ntwo needle\r\nthree\r\n"})

    (m,) = grep("needle", root, before=1, after=1).matches

    assert (m.before, m.after) == ([(1, "one")], [(3, "three")])


def test_grep_finds_match_in_non_utf8_content(make_tree: MakeTree) -> None:
    root = make_tree({"latin1.txt": b"first\ncaf\xe9 needle\n"})

    (m,) = grep("needle", root).matches

    assert (m.path, m.line_number) == ("latin1.txt", 2)
    assert m.line.endswith("needle")


def test_grep_spans_index_the_returned_line_for_non_utf8_content(make_tree: MakeTree) -> None:
    root = make_tree({"latin1.txt": b"caf\xe9 needle\n"})

    (m,) = grep("needle", root).matches

    encoded = m.line.encode("utf-8", "surrogateescape")
    assert [encoded[a:b] for a, b in m.spans] == [b"needle"]


def test_grep_reports_non_utf8_path_as_fsdecode_would(make_tree: MakeTree) -> None:
    name = b"na\xefve.txt"
    root = make_tree({name: "needle\n"})

    assert grep("needle", root).files == [os.fsdecode(name)]


def test_grep_does_not_follow_symlinks_like_ripgrep(make_tree: MakeTree, rg: Rg) -> None:
    root = make_tree(
        {"real/a.txt": "needle\n", "link.txt": Symlink("real/a.txt"), "ldir": Symlink("real")}
    )

    assert grep("needle", root).files == rg.files_with_matches(root, "needle") == ["real/a.txt"]


def test_grep_matches_agree_with_ripgrep_for_odd_file_names(make_tree: MakeTree, rg: Rg) -> None:
    root = make_tree(
        {b"caf\xe9.txt": "needle\n", "new\nline.txt": "a needle\n", "sp ace": "needle"}
    )

    assert native_rows(grep("needle", root)) == rg.matches(root, "needle")


def test_grep_searches_single_file_root(make_tree: MakeTree) -> None:
    root = make_tree({"f.txt": "a\nneedle\nb\nneedle\n", "other.txt": "needle\n"})

    result = grep("needle", root / "f.txt")

    assert [m.line_number for m in result.matches] == [2, 4]
    assert len(result.files) == 1


def test_grep_finds_nothing_in_empty_file(make_tree: MakeTree) -> None:
    result = grep("x*", make_tree({"empty.txt": ""}))

    assert result.matches == []


def test_grep_counts_files_searched(make_tree: MakeTree) -> None:
    root = make_tree({".gitignore": "skip.txt\n", "skip.txt": "a", "a.txt": "a", "b/c.txt": "b"})

    assert grep("zzz", root).files_searched == 2


# --- limits ----------------------------------------------------------------------------------

MANY = {f"f{i}.txt": "".join(f"hit {j}\nmiss\n" for j in range(10)) for i in range(5)}


def test_grep_max_count_caps_matching_lines_per_file(make_tree: MakeTree, rg: Rg) -> None:
    root = make_tree(MANY)

    result = grep("hit", root, max_count=3)

    assert len(result.matches) == 15
    assert native_rows(result) == rg.matches(root, "-m", "3", "hit")


def test_grep_max_count_caps_matches_even_with_after_context(make_tree: MakeTree) -> None:
    root = make_tree({"f.txt": "x\nhit 1\ny\nhit 2\nz\nhit 3\n"})

    result = grep("hit", root, max_count=1, after=3)

    assert [m.line_number for m in result.matches] == [2]


def test_grep_max_results_caps_total_matches_and_sets_truncated(make_tree: MakeTree) -> None:
    root = make_tree(MANY)

    result = grep("hit", root, max_results=7)

    assert len(result.matches) == 7
    assert result.truncated is True
    assert all(m.line.startswith("hit") for m in result.matches)


def test_grep_max_results_caps_files_with_matches(make_tree: MakeTree) -> None:
    root = make_tree(MANY)

    result = grep("hit", root, max_results=2, files_with_matches=True)

    assert len(result.files) == 2
    assert result.truncated is True


def test_grep_is_not_truncated_when_under_max_results(make_tree: MakeTree) -> None:
    result = grep("hit", make_tree(MANY), max_results=1000)

    assert len(result.matches) == 50
    assert result.truncated is False


# --- context ---------------------------------------------------------------------------------

CONTEXT_FILE = "".join(f"line {i}\n" for i in range(1, 31)).replace("line 10\n", "MATCH 10\n")


def test_grep_returns_before_and_after_context_with_line_numbers(make_tree: MakeTree) -> None:
    root = make_tree({"f.txt": CONTEXT_FILE})

    (m,) = grep("MATCH", root, before=2, after=1).matches

    assert m.before == [(8, "line 8"), (9, "line 9")]
    assert m.after == [(11, "line 11")]


def test_grep_context_stops_at_start_of_file(make_tree: MakeTree) -> None:
    root = make_tree({"f.txt": "MATCH\nnext\n"})

    (m,) = grep("MATCH", root, before=3, after=5).matches

    assert (m.before, m.after) == ([], [(2, "next")])


def test_grep_context_stops_at_end_of_file_without_trailing_newline(make_tree: MakeTree) -> None:
    root = make_tree({"f.txt": "a\nb\nMATCH"})

    (m,) = grep("MATCH", root, before=1, after=3).matches

    assert (m.line, m.before, m.after) == ("MATCH", [(2, "b")], [])


def test_grep_without_context_returns_no_context_lines(make_tree: MakeTree) -> None:
    (m,) = grep("MATCH", make_tree({"f.txt": CONTEXT_FILE})).matches

    assert (m.before, m.after) == ([], [])


@pytest.mark.parametrize(("before", "after"), [(2, 0), (0, 3), (3, 2)])
def test_grep_context_agrees_with_ripgrep(
    make_tree: MakeTree, rg: Rg, before: int, after: int
) -> None:
    text = "".join(("MATCH" if i % 10 == 5 else "line") + f" {i}\n" for i in range(1, 41))
    root = make_tree({"f.txt": text, "g/h.txt": text[:120]})

    result = grep("MATCH", root, before=before, after=after)

    native_ctx: dict[str, list[tuple[int, str]]] = {}
    for m in result.matches:
        native_ctx.setdefault(m.path, []).extend([*m.before, *m.after])
    expected = rg.context(root, "-B", str(before), "-A", str(after), "MATCH")
    assert {p: sorted(c) for p, c in native_ctx.items() if c} == expected


# --- long lines ------------------------------------------------------------------------------

HUGE = "needle" + "x" * 1_000_000 + "\nshort needle\n"


def test_grep_cuts_a_huge_line_to_max_line_len(make_tree: MakeTree) -> None:
    root = make_tree({"huge.txt": HUGE})

    first, second = grep("needle", root).matches

    assert (len(first.line), first.line_truncated) == (2000, True)
    assert first.line == HUGE[:2000]
    assert first.spans == [(0, 6)]
    assert (second.line, second.line_truncated) == ("short needle", False)


def test_grep_returns_whole_huge_line_when_max_line_len_allows(make_tree: MakeTree) -> None:
    root = make_tree({"huge.txt": HUGE})

    first = grep("needle", root, max_line_len=2_000_000).matches[0]

    assert (len(first.line), first.line_truncated) == (1_000_006, False)


def test_grep_finds_match_far_into_a_huge_line(make_tree: MakeTree) -> None:
    root = make_tree({"huge.txt": "x" * 1_000_000 + "needle\n"})

    (m,) = grep("needle", root, max_line_len=100).matches

    assert (m.line_number, m.line_truncated, len(m.line)) == (1, True, 100)


def test_grep_cuts_line_on_a_character_boundary(make_tree: MakeTree) -> None:
    text = "needle " + "é" * 3000
    root = make_tree({"f.txt": text + "\n"})

    (m,) = grep("needle", root, max_line_len=2000).matches

    assert m.line_truncated is True
    assert len(m.line.encode()) <= 2000
    assert text.startswith(m.line)
    assert len(m.line.encode()) >= 1998


# --- errors ----------------------------------------------------------------------------------


def test_grep_raises_value_error_naming_where_the_regex_is_wrong(make_tree: MakeTree) -> None:
    root = make_tree({"f.txt": "x\n"})

    with pytest.raises(ValueError, match=r"foo\(bar") as info:
        grep("foo(bar", root)

    message = str(info.value)
    assert re.search(r"\^|\d", message.replace("foo(bar", "")), message


@pytest.mark.parametrize(("pattern", "column"), [("foo(bar", 3), ("a)b", 1), ("ok [x", 3)])
def test_grep_regex_error_puts_a_caret_under_the_fault_in_the_pattern_as_written(
    make_tree: MakeTree, pattern: str, column: int
) -> None:
    # ripgrep's own message shows the pattern as typed, with `^` under the faulty character.
    root = make_tree({"f.txt": "x\n"})

    with pytest.raises(ValueError) as info:
        grep(pattern, root)

    lines = str(info.value).splitlines()
    rows = [i for i, line in enumerate(lines) if line.strip() == pattern]
    assert len(rows) == 1, f"the pattern is not shown as written: {str(info.value)!r}"
    row = rows[0]
    indent = lines[row].index(pattern)
    assert lines[row + 1].index("^") - indent == column, str(info.value)


def test_grep_accepts_regex_metacharacters_when_fixed(make_tree: MakeTree) -> None:
    root = make_tree({"f.txt": "call foo(bar\n"})

    (m,) = grep("foo(bar", root, fixed=True).matches

    assert m.spans == [(5, 12)]


def test_grep_raises_value_error_for_invalid_glob(make_tree: MakeTree) -> None:
    with pytest.raises(ValueError):
        grep("x", make_tree({"f.txt": "x\n"}), globs=["{unclosed"])


def test_grep_raises_file_not_found_for_missing_root(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        grep("x", tmp_path / "missing")


# --- a bigger generated corpus ---------------------------------------------------------------


def test_grep_agrees_with_ripgrep_on_a_larger_tree(make_tree: MakeTree, rg: Rg) -> None:
    spec: dict[str | bytes, str | bytes] = {}
    for i in range(300):
        body = "".join(
            f"{'TODO' if (i * 7 + j) % 13 == 0 else 'code'} item_{i}_{j} todo\n" for j in range(40)
        )
        spec[f"pkg{i % 7}/mod{i % 5}/file{i}.py"] = body

    root = make_tree(spec)

    result = grep(r"TODO\s+item_\d+_1\d", root)
    assert native_rows(result) == rg.matches(root, r"TODO\s+item_\d+_1\d")
    assert result.files_searched == 300
