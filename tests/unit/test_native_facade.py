"""`codesm.native`: the async facade runs the Rust core in a worker thread and maps its errors."""

from __future__ import annotations

import asyncio
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.unit.conftest import MakeTree
from tests.unit.native_support import NATIVE_MISSING

_native = pytest.importorskip("codesm._native", reason=NATIVE_MISSING)

from codesm import native  # noqa: E402

TREE = {
    ".gitignore": "build/\n",
    "build/out.py": "needle\n",
    "src/main.py": "print('needle')\n",
    "src/util.py": "x = 1\n",
    "README.md": "a needle here\n",
}

ROOT_SKIP = "running as root: root can read a chmod 000 directory, so no PermissionError"


# --- results equal the synchronous core -------------------------------------------------------


async def test_facade_walk_returns_what_the_core_returns(make_tree: MakeTree) -> None:
    root = make_tree(TREE)

    expected = ["README.md", "src/main.py", "src/util.py"]
    assert await native.walk(root) == _native.walk(str(root)) == expected


async def test_facade_walk_passes_options_through(make_tree: MakeTree) -> None:
    root = make_tree(TREE)

    result = await native.walk(root, gitignore=False, hidden=True, globs=("*.py",))

    assert result == ["build/out.py", "src/main.py", "src/util.py"]


async def test_facade_grep_returns_what_the_core_returns(make_tree: MakeTree) -> None:
    root = make_tree(TREE)

    result = await native.grep("needle", root, before=1)

    expected = _native.grep("needle", str(root), before=1)
    assert [(m.path, m.line_number, m.line, m.spans) for m in result.matches] == [
        (m.path, m.line_number, m.line, m.spans) for m in expected.matches
    ]
    assert result.files == expected.files == ["README.md", "src/main.py"]


async def test_facade_glob_accepts_a_tuple_of_patterns(make_tree: MakeTree) -> None:
    root = make_tree(TREE)

    assert await native.glob(("*.md", "src/u*"), root) == ["README.md", "src/util.py"]


async def test_facade_glob_accepts_a_single_pattern(make_tree: MakeTree) -> None:
    assert await native.glob("*.md", make_tree(TREE)) == ["README.md"]


async def test_facade_fuzzy_find_walks_a_path_root(make_tree: MakeTree) -> None:
    root = make_tree(TREE)

    result = await native.fuzzy_find("main", root)

    assert [m.path for m in result] == ["src/main.py"]


async def test_facade_fuzzy_find_ranks_a_list_of_paths() -> None:
    result = await native.fuzzy_find("mnpy", ["README.md", "main.py"], limit=1)

    assert [m.path for m in result] == ["main.py"]


async def test_facade_fuzzy_find_accepts_a_tuple_of_paths() -> None:
    result = await native.fuzzy_find("util", ("src/util.py", "README.md"))

    assert [m.path for m in result] == ["src/util.py"]


async def test_facade_grep_accepts_a_path_object_for_a_single_file(make_tree: MakeTree) -> None:
    root = make_tree(TREE)

    result = await native.grep("needle", root / "src" / "main.py")

    assert [(m.line_number, m.spans) for m in result.matches] == [(1, [(7, 13)])]


async def test_facade_diff_returns_what_the_core_returns() -> None:
    result = await native.diff("a\nb\n", "a\nc\n", old_label="x", new_label="y")

    assert result.unified == _native.diff("a\nb\n", "a\nc\n", old_label="x", new_label="y").unified
    assert result.unified.startswith("--- x\n+++ y\n")


async def test_facade_inspect_file_accepts_a_path_object(tmp_path: Path) -> None:
    (tmp_path / "f.txt").write_bytes(b"a\r\nb\r\n")

    info = await native.inspect_file(tmp_path / "f.txt")

    assert (info.line_ending, info.line_count, info.size) == ("crlf", 2, 6)


# --- threading ---------------------------------------------------------------------------------


async def test_facade_runs_the_core_in_a_worker_thread(
    make_tree: MakeTree, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[threading.Thread] = []
    real_walk = _native.walk

    def spy(*args: object, **kwargs: object) -> list[str]:
        seen.append(threading.current_thread())
        return real_walk(*args, **kwargs)

    monkeypatch.setattr(native._native, "walk", spy)

    await native.walk(make_tree(TREE))

    assert seen and seen[0] is not threading.main_thread()


async def test_facade_keeps_the_event_loop_running_during_a_slow_call(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real_diff = _native.diff

    def slow_diff(*args: object, **kwargs: object) -> object:
        time.sleep(0.3)
        return real_diff(*args, **kwargs)

    monkeypatch.setattr(native._native, "diff", slow_diff)
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    task = asyncio.create_task(ticker())
    await native.diff("a\n", "b\n")
    task.cancel()

    assert ticks >= 5


@pytest.fixture
def big_tree(make_tree: MakeTree) -> Path:
    body = "".join(f"ordinary line number {j} of text é ü\n" for j in range(400))
    return make_tree({f"d{i % 20}/f{i}.txt": body for i in range(200)})


def test_core_releases_the_gil_while_it_searches(big_tree: Path) -> None:
    # Unicode word boundaries on non-ASCII text defeat the fast DFA: grep stays busy ~0.5 s.
    pattern = r"\b\w+\b\s\d{9}\b"
    done = threading.Event()
    start = time.perf_counter()
    worker = threading.Thread(
        target=lambda: (_native.grep(pattern, str(big_tree), threads=1), done.set())
    )
    interval = sys.getswitchinterval()
    sys.setswitchinterval(0.001)
    try:
        worker.start()
        beats = 0
        while not done.is_set():
            beats += 1
            time.sleep(0)
        worker.join()
    finally:
        sys.setswitchinterval(interval)
    elapsed = time.perf_counter() - start

    if elapsed < 0.05:
        pytest.skip(f"grep finished in {elapsed:.3f}s, too fast to observe the GIL")
    # Holding the GIL would freeze this loop for the whole call; released, it spins freely.
    assert beats > 1000, (beats, elapsed)


async def test_facade_runs_concurrent_calls(make_tree: MakeTree) -> None:
    root = make_tree(TREE)

    walked, found, info = await asyncio.gather(
        native.walk(root), native.grep("needle", root), native.inspect_file(root / "README.md")
    )

    assert (len(walked), len(found.files), info.line_count) == (3, 2, 1)


# --- errors ------------------------------------------------------------------------------------


async def test_facade_walk_raises_file_not_found_for_missing_root(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        await native.walk(tmp_path / "missing")


async def test_facade_grep_raises_file_not_found_for_missing_root(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        await native.grep("x", tmp_path / "missing")


async def test_facade_glob_raises_file_not_found_for_missing_root(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        await native.glob("*", tmp_path / "missing")


async def test_facade_inspect_file_raises_file_not_found(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        await native.inspect_file(tmp_path / "missing")


async def test_facade_walk_raises_not_a_directory_for_a_file(make_tree: MakeTree) -> None:
    root = make_tree(TREE)

    with pytest.raises(NotADirectoryError):
        await native.walk(root / "README.md")


async def test_facade_walk_raises_not_a_directory_for_a_path_through_a_file(
    make_tree: MakeTree,
) -> None:
    root = make_tree(TREE)

    with pytest.raises(NotADirectoryError):
        await native.walk(root / "README.md" / "below")


async def test_facade_grep_raises_value_error_with_position_for_bad_regex(
    make_tree: MakeTree,
) -> None:
    with pytest.raises(ValueError, match=r"\[unclosed") as info:
        await native.grep("ok [unclosed", make_tree(TREE))

    assert "^" in str(info.value) or any(c.isdigit() for c in str(info.value))


async def test_facade_glob_raises_value_error_for_bad_glob(make_tree: MakeTree) -> None:
    with pytest.raises(ValueError):
        await native.glob("a{b", make_tree(TREE))


async def test_facade_error_from_a_missing_root_names_the_path(tmp_path: Path) -> None:
    missing = tmp_path / "missing-dir"

    with pytest.raises(FileNotFoundError) as info:
        await native.walk(missing)

    assert "missing-dir" in str(info.value)


@pytest.fixture
def locked_dir(tmp_path: Path) -> Iterator[Path]:
    locked = tmp_path / "locked"
    locked.mkdir()
    (locked / "secret.txt").write_text("needle\n")
    locked.chmod(0)
    yield locked
    locked.chmod(stat.S_IRWXU)


@pytest.mark.skipif(os.geteuid() == 0, reason=ROOT_SKIP)
async def test_facade_walk_raises_permission_error_for_unreadable_root(locked_dir: Path) -> None:
    with pytest.raises(PermissionError):
        await native.walk(locked_dir)


@pytest.mark.skipif(os.geteuid() == 0, reason=ROOT_SKIP)
async def test_facade_grep_raises_permission_error_for_unreadable_root(locked_dir: Path) -> None:
    with pytest.raises(PermissionError):
        await native.grep("needle", locked_dir)


@pytest.mark.skipif(os.geteuid() == 0, reason=ROOT_SKIP)
async def test_facade_inspect_file_raises_permission_error_for_unreadable_file(
    tmp_path: Path,
) -> None:
    path = tmp_path / "secret.txt"
    path.write_text("x")
    path.chmod(0)

    with pytest.raises(PermissionError):
        await native.inspect_file(path)


def run_as_nobody(code: str, cwd: Path) -> subprocess.CompletedProcess[str] | None:
    """Run `code` as uid/gid 65534 with an interpreter `nobody` may execute; None if none can."""
    import codesm

    package_parent = str(Path(codesm.__file__).parent.parent)
    candidates = [sys.executable, "/usr/bin/python3", shutil.which("python3") or sys.executable]
    for exe in dict.fromkeys(candidates):
        try:
            proc = subprocess.run(
                [exe, "-c", code],
                user=65534,
                group=65534,
                extra_groups=[],
                capture_output=True,
                text=True,
                timeout=30,
                check=False,
                cwd=cwd,
                env={"PYTHONPATH": package_parent, "HOME": str(cwd), "PATH": os.defpath},
            )
        except PermissionError:
            continue
        if proc.returncode == 0:
            return proc
    return None


@pytest.mark.skipif(os.geteuid() != 0, reason="covered directly by the non-root tests above")
def test_walk_raises_permission_error_for_unreadable_root_as_unprivileged_user() -> None:
    # As root, drop to `nobody` in a child process so the permission bits mean something.
    base = Path(tempfile.mkdtemp(prefix="codesm-perm-"))
    try:
        base.chmod(0o755)
        (base / "locked").mkdir(mode=0)
        code = (
            "from codesm import _native\n"
            "try:\n"
            f"    _native.walk({str(base / 'locked')!r})\n"
            "except PermissionError as e:\n"
            "    print('PermissionError', e.filename)\n"
            "except Exception as e:\n"
            "    print(type(e).__name__, e)\n"
            "else:\n"
            "    print('no error')\n"
        )
        proc = run_as_nobody(code, base)
        if proc is None:
            pytest.skip("running as root and no interpreter that `nobody` can run codesm with")
        assert proc.stdout.strip() == f"PermissionError {base / 'locked'}", proc.stdout
    finally:
        shutil.rmtree(base, ignore_errors=True)
