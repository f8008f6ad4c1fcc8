"""`@` mentions and quick open: a `PathIndex` per workspace that answers each keystroke."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.unit.conftest import MakeTree
from tests.unit.native_support import NATIVE_MISSING

_native = pytest.importorskip("codesm._native", reason=NATIVE_MISSING)

from codesm.file_finder import FileFinder, finder_for  # noqa: E402

SEGMENT = st.text(alphabet="abcXYZ_.é-", min_size=1, max_size=6)
PATH = st.lists(SEGMENT, min_size=1, max_size=4).map("/".join)
QUERY = st.text(alphabet="abcXYZ_./é !$^' ", min_size=1, max_size=8)


@settings(max_examples=150, deadline=None)
@given(paths=st.lists(PATH, min_size=1, max_size=60), query=QUERY)
def test_typing_a_query_ranks_as_a_fresh_search_at_every_keystroke(
    paths: list[str], query: str
) -> None:
    """The index narrows from the previous keystroke's matches; the user must not notice."""
    index = _native.PathIndex(paths)
    unique = sorted(set(paths))
    for end in range(1, len(query) + 1):
        typed = [m.path for m in index.find(query[:end], limit=10)]
        fresh = [m.path for m in _native.fuzzy_find(query[:end], unique, limit=10)]
        assert typed == fresh, query[:end]


def test_backspace_finds_what_the_longer_query_dropped() -> None:
    index = _native.PathIndex(["src/alpha.py", "src/alphabet.py", "docs/beta.md"])
    assert [m.path for m in index.find("alphab")] == ["src/alphabet.py"]
    assert [m.path for m in index.find("alpha")] == ["src/alpha.py", "src/alphabet.py"]
    assert len(index) == 3


def test_index_from_a_root_is_gitignore_aware(make_tree: MakeTree) -> None:
    root = make_tree({".gitignore": "build/\n", "src/main.py": "", "build/main.py": ""})
    (root / ".git").mkdir()
    index = _native.PathIndex.from_root(str(root))
    assert [m.path for m in index.find("main")] == ["src/main.py"]
    with pytest.raises(FileNotFoundError):
        _native.PathIndex.from_root(str(root / "missing"))


async def test_finder_sees_a_new_file_after_invalidate(make_tree: MakeTree) -> None:
    root = make_tree({"src/app.py": ""})
    finder = FileFinder(root, max_age_s=3600)
    assert [m.path for m in await finder.find("app")] == ["src/app.py"]
    (root / "src" / "apple.py").write_text("")
    assert [m.path for m in await finder.find("apple")] == []  # still the old index
    finder.invalidate()
    await finder.find("apple")  # starts the rebuild, answers from the old index meanwhile
    await _settle(finder)
    assert [m.path for m in await finder.find("apple")] == ["src/apple.py"]


async def test_a_stale_index_is_rebuilt_without_blocking_the_query(make_tree: MakeTree) -> None:
    root = make_tree({"a.txt": ""})
    finder = FileFinder(root, max_age_s=0)
    assert [m.path for m in await finder.find("a.txt")] == ["a.txt"]
    (root / "b.txt").write_text("")
    await finder.find("b.txt")
    await _settle(finder)
    assert [m.path for m in await finder.find("b.txt")] == ["b.txt"]


async def test_one_finder_per_workspace(make_tree: MakeTree) -> None:
    root = make_tree({"x.py": ""})
    assert finder_for(root) is finder_for(Path(root) / ".")
    assert finder_for(root) is not finder_for(root / "..")


async def _settle(finder: FileFinder) -> None:
    refresh = finder._refresh  # the background rebuild, if one started
    if refresh is not None:
        await asyncio.wait_for(refresh, timeout=30)
