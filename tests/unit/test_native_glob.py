"""`_native.glob`: find files by glob pattern, checked against `rg --files -g`."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.unit.conftest import MakeTree
from tests.unit.native_support import NATIVE_MISSING, Rg

_native = pytest.importorskip("codesm._native", reason=NATIVE_MISSING)


def glob(patterns: str | list[str], root: Path, **kwargs: object) -> list[str]:
    return _native.glob(patterns, str(root), **kwargs)


TREE: dict[str | bytes, str | bytes] = {
    "main.py": "",
    "setup.cfg": "",
    "README.md": "",
    "a.py": "",
    "b.py": "",
    "ab.py": "",
    "src/app.py": "",
    "src/app.PY": "",
    "src/util/helpers.py": "",
    "src/util/data.json": "",
    "docs/guide.md": "",
    "docs/notes.txt": "",
    ".env": "",
    ".github/workflows/ci.yml": "",
    ".gitignore": "build/\n",
    "build/gen.py": "",
}


def test_glob_without_slash_matches_file_name_at_any_depth(make_tree: MakeTree) -> None:
    root = make_tree(TREE)

    assert glob("*.py", root) == [
        "a.py",
        "ab.py",
        "b.py",
        "main.py",
        "src/app.py",
        "src/util/helpers.py",
    ]


def test_glob_accepts_a_single_string_or_a_list(make_tree: MakeTree) -> None:
    root = make_tree(TREE)

    assert glob("*.md", root) == glob(["*.md"], root) == ["README.md", "docs/guide.md"]


def test_glob_returns_files_matching_any_of_several_patterns(make_tree: MakeTree) -> None:
    root = make_tree(TREE)

    assert glob(["*.json", "*.txt"], root) == ["docs/notes.txt", "src/util/data.json"]


def test_glob_star_does_not_cross_directory_separator(make_tree: MakeTree) -> None:
    root = make_tree(TREE)

    assert glob("src/*.py", root) == ["src/app.py"]


def test_glob_double_star_matches_zero_or_more_directories(make_tree: MakeTree) -> None:
    root = make_tree(TREE)

    assert glob("src/**/*.py", root) == ["src/app.py", "src/util/helpers.py"]


def test_glob_is_case_sensitive(make_tree: MakeTree) -> None:
    root = make_tree(TREE)

    assert glob("*.PY", root) == ["src/app.PY"]


def test_glob_skips_files_in_gitignored_directories(make_tree: MakeTree) -> None:
    root = make_tree(TREE)

    assert "build/gen.py" not in glob("*.py", root)


def test_glob_lets_a_matching_pattern_win_over_gitignore_like_ripgrep(
    make_tree: MakeTree, rg: Rg
) -> None:
    # `rg -g '*.log'` lists ignored *.log files in walked directories; glob does the same.
    root = make_tree({".gitignore": "*.log\n", "a.log": "", "keep/b.log": "", "c.txt": ""})

    assert glob("*.log", root) == rg.files(root, "-g", "*.log") == ["a.log", "keep/b.log"]


def test_glob_with_only_negated_patterns_returns_nothing(make_tree: MakeTree) -> None:
    assert glob("!*.py", make_tree(TREE)) == []


def test_glob_lists_gitignored_files_when_gitignore_is_false(make_tree: MakeTree) -> None:
    root = make_tree(TREE)

    assert "build/gen.py" in glob("*.py", root, gitignore=False)


def test_glob_skips_hidden_files_by_default(make_tree: MakeTree) -> None:
    root = make_tree(TREE)

    assert glob(["*.yml", ".env"], root) == []


def test_glob_star_lists_no_hidden_file(make_tree: MakeTree) -> None:
    # Unlike `rg -g '*'`, where a matching glob also whitelists dot files, `hidden` decides here.
    result = glob("*", make_tree(TREE))

    assert not any(part.startswith(".") for path in result for part in path.split("/"))
    assert "main.py" in result


@pytest.mark.parametrize("pattern", ["*", "**"])
def test_glob_star_does_not_descend_into_gitignored_directory(
    make_tree: MakeTree, pattern: str
) -> None:
    # A pattern that matches a directory's name must not whitelist an ignored node_modules/.
    root = make_tree({".gitignore": "node_modules/\n", "node_modules/x/i.js": "", "src/a.js": ""})

    assert glob(pattern, root) == ["src/a.js"]


def test_glob_lists_hidden_files_when_hidden_is_true(make_tree: MakeTree) -> None:
    root = make_tree(TREE)

    assert glob(["*.yml", ".env"], root, hidden=True) == [".env", ".github/workflows/ci.yml"]


@pytest.mark.parametrize(
    "patterns",
    [
        ["*.py"],
        ["*.{md,txt}"],
        ["?.py"],
        ["[ab].py"],
        ["src/**"],
        ["**/*.json"],
        ["docs/*"],
        ["*.md", "*.cfg"],
        ["*.PY"],
        ["**/util/**"],
    ],
    ids=str,
)
def test_glob_agrees_with_ripgrep(make_tree: MakeTree, rg: Rg, patterns: list[str]) -> None:
    root = make_tree(TREE)
    flags = [arg for p in patterns for arg in ("-g", p)]

    assert glob(patterns, root) == rg.files(root, *flags)


def test_glob_with_hidden_agrees_with_ripgrep(make_tree: MakeTree, rg: Rg) -> None:
    root = make_tree(TREE)

    assert glob("*.yml", root, hidden=True) == rg.files(root, "--hidden", "-g", "*.yml")


def test_glob_matches_non_utf8_name_and_returns_it_as_fsdecode_would(make_tree: MakeTree) -> None:
    name = b"r\xe9sum\xe9.txt"
    root = make_tree({name: "", "other.md": ""})

    assert glob("*.txt", root) == [os.fsdecode(name)]


def test_glob_sorts_newest_first_with_mtime(make_tree: MakeTree) -> None:
    root = make_tree({"old.txt": "", "new.txt": "", "mid/x.txt": ""})
    for name, when in [("old.txt", 1_000_000), ("mid/x.txt", 2_000_000), ("new.txt", 3_000_000)]:
        os.utime(root / name, (when, when))

    assert glob("*.txt", root, sort="mtime") == ["new.txt", "mid/x.txt", "old.txt"]


def test_glob_breaks_mtime_ties_by_path(make_tree: MakeTree) -> None:
    root = make_tree({"b.txt": "", "a.txt": "", "c/a.txt": ""})
    for name in ("b.txt", "a.txt", "c/a.txt"):
        os.utime(root / name, (1_000_000, 1_000_000))

    assert glob("*.txt", root, sort="mtime") == ["a.txt", "b.txt", "c/a.txt"]


def test_glob_limit_keeps_the_first_paths_in_sort_order(make_tree: MakeTree) -> None:
    root = make_tree({f"f{i:02}.txt": "" for i in range(20)})

    assert glob("*.txt", root, limit=3) == ["f00.txt", "f01.txt", "f02.txt"]


def test_glob_limit_with_mtime_keeps_the_newest(make_tree: MakeTree) -> None:
    root = make_tree({f"f{i:02}.txt": "" for i in range(20)})
    for i in range(20):
        os.utime(root / f"f{i:02}.txt", (1_000_000 + i, 1_000_000 + i))

    assert glob("*.txt", root, sort="mtime", limit=2) == ["f19.txt", "f18.txt"]


def test_glob_returns_empty_list_when_nothing_matches(make_tree: MakeTree) -> None:
    assert glob("*.nothing", make_tree(TREE)) == []


def test_glob_raises_value_error_for_invalid_pattern(make_tree: MakeTree) -> None:
    with pytest.raises(ValueError, match=r"\[z"):
        glob("a[z", make_tree(TREE))


def test_glob_raises_file_not_found_for_missing_root(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        glob("*", tmp_path / "missing")


def test_glob_raises_not_a_directory_for_file_root(make_tree: MakeTree) -> None:
    root = make_tree({"f.txt": ""})

    with pytest.raises(NotADirectoryError):
        glob("*", root / "f.txt")
