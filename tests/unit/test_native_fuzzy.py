"""`_native.fuzzy_find`: rank paths against a fuzzy query (file pickers, `@file` mentions)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.unit.conftest import MakeTree
from tests.unit.native_support import NATIVE_MISSING

_native = pytest.importorskip("codesm._native", reason=NATIVE_MISSING)

PATHS = [
    "README.md",
    "my/notes/pretty/yaml.txt",
    "main.py",
    "docs/manual.md",
    "src/codesm/agent/loop.py",
    "Makefile",
]


def paths(matches: list) -> list[str]:  # type: ignore[type-arg]
    return [m.path for m in matches]


def test_fuzzy_ranks_compact_match_above_scattered_one() -> None:
    result = _native.fuzzy_find("mnpy", PATHS)

    assert paths(result)[0] == "main.py"
    assert "my/notes/pretty/yaml.txt" in paths(result)


def test_fuzzy_leaves_out_paths_that_do_not_contain_the_query() -> None:
    result = _native.fuzzy_find("mnpy", PATHS)

    # README.md, docs/manual.md and Makefile lack an "n…p…y" after their "m".
    assert sorted(paths(result)) == [
        "main.py",
        "my/notes/pretty/yaml.txt",
        "src/codesm/agent/loop.py",
    ]


def test_fuzzy_positions_index_the_matched_characters_of_the_path() -> None:
    for m in _native.fuzzy_find("agloop", PATHS):
        assert [m.path[i].lower() for i in m.positions] == list("agloop")


def test_fuzzy_positions_are_ascending() -> None:
    (m, *_) = _native.fuzzy_find("srcloop", PATHS)

    assert m.positions == sorted(m.positions)
    assert len(set(m.positions)) == len(m.positions) == 7


def test_fuzzy_positions_count_characters_not_bytes() -> None:
    (m,) = _native.fuzzy_find("mpy", ["données/été/main.py"])

    assert [m.path[i] for i in m.positions] == ["m", "p", "y"]


def test_fuzzy_is_case_insensitive_for_lowercase_query() -> None:
    assert paths(_native.fuzzy_find("readme", PATHS)) == ["README.md"]


def test_fuzzy_results_are_sorted_by_descending_score() -> None:
    result = _native.fuzzy_find("m", PATHS)

    scores = [m.score for m in result]
    assert scores == sorted(scores, reverse=True)
    assert len(result) == 6


def test_fuzzy_prefers_shorter_path_among_equally_good_matches() -> None:
    result = _native.fuzzy_find("foo", ["foo_bar_baz.txt", "foo.txt", "foo_bar.txt"])

    assert paths(result) == ["foo.txt", "foo_bar.txt", "foo_bar_baz.txt"]


def test_fuzzy_limit_caps_the_number_of_results() -> None:
    candidates = [f"dir{i}/file{i}.py" for i in range(200)]

    assert len(_native.fuzzy_find("file", candidates, limit=7)) == 7


def test_fuzzy_limit_keeps_the_best_results() -> None:
    candidates = [f"src/{'x' * i}/widget.py" for i in range(30)] + ["widget.py"]

    best = _native.fuzzy_find("widget", candidates, limit=3)

    assert paths(best) == paths(_native.fuzzy_find("widget", candidates, limit=1000))[:3]
    assert best[0].path == "widget.py"


def test_fuzzy_of_empty_candidate_list_is_empty() -> None:
    assert _native.fuzzy_find("abc", []) == []


def test_fuzzy_with_no_matching_candidate_is_empty() -> None:
    assert _native.fuzzy_find("zzzq", PATHS) == []


def test_fuzzy_from_root_walks_relative_paths(make_tree: MakeTree) -> None:
    root = make_tree({"src/main.py": "", "docs/intro.md": ""})

    assert paths(_native.fuzzy_find("mainpy", str(root))) == ["src/main.py"]


def test_fuzzy_from_root_skips_gitignored_files(make_tree: MakeTree) -> None:
    root = make_tree({".gitignore": "build/\n", "build/main.py": "", "src/main.py": ""})

    assert paths(_native.fuzzy_find("main", str(root))) == ["src/main.py"]


def test_fuzzy_from_root_skips_hidden_files(make_tree: MakeTree) -> None:
    root = make_tree({".venv/lib/main.py": "", "src/main.py": ""})

    assert paths(_native.fuzzy_find("main", str(root))) == ["src/main.py"]


def test_fuzzy_from_missing_root_raises_file_not_found(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        _native.fuzzy_find("x", str(tmp_path / "missing"))


def test_fuzzy_ranks_ten_thousand_paths_quickly() -> None:
    import time

    candidates = [f"pkg{i % 97}/module_{i}/file_{i}.py" for i in range(10_000)]
    start = time.perf_counter()

    result = _native.fuzzy_find("module42file", candidates, limit=5)

    assert time.perf_counter() - start < 2.0
    assert result[0].path == "pkg42/module_42/file_42.py"
