"""Path confinement: a corpus of hostile paths, symlink layouts and case tricks, 0 escapes."""

from __future__ import annotations

import os
import tempfile
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from codesm.errors import (
    InvalidPath,
    PathNotFound,
    PathOutsideWorkspace,
    SymlinkLoop,
    WorkspacePathError,
)
from codesm.workspace import paths as paths_module
from codesm.workspace.paths import (
    is_case_insensitive,
    open_confined,
    relative_to_root,
    resolve_in_workspace,
)

OK = "ok"


@dataclass(frozen=True)
class Layout:
    work: Path
    root: Path
    outside: Path


def build_layout(base: Path) -> Layout:
    work = base / "work"
    root = work / "proj"
    outside = work / "outside"
    for d in (root / "src" / "sub", root / "docs", outside, work / "proj-evil"):
        d.mkdir(parents=True)
    (root / "src" / "a.py").write_text("print('a')\n")
    (root / "src" / "sub" / "b.txt").write_text("b\n")
    (root / "README.md").write_text("readme\n")
    (root / unicodedata.normalize("NFC", "café")).write_text("nfc\n")
    (outside / "secret.txt").write_text("secret\n")
    (work / "proj-evil" / "secret").write_text("evil\n")
    links = {
        "link_etc": "/etc",
        "link_out": "../outside",
        "link_out_file": "../outside/secret.txt",
        "link_in": "src",
        "link_in_abs": str(root / "src"),
        "chain1": "chain2",
        "chain2": "chain3",
        "chain3": "../outside",
        "chain_in1": "chain_in2",
        "chain_in2": "src",
        "loop_a": "loop_b",
        "loop_b": "loop_a",
        "self_loop": "self_loop",
        "dangling_out": "../outside/new.txt",
        "dangling_in": "src/new.txt",
        "dangling_chain": "dangling_out",
        "dangling_dir_out": "../outside/newdir",
        "up3": "../../..",
        "slash": "/",
        "src/escape": "../../outside",
        "src/back": "..",
        "link_evil": "../proj-evil",
    }
    for name, target in links.items():
        os.symlink(target, root / name)
    os.symlink("proj", work / "rootlink")
    return Layout(work=work, root=root, outside=outside)


@pytest.fixture
def layout(tmp_path: Path) -> Layout:
    return build_layout(tmp_path)


NFD_CAFE = unicodedata.normalize("NFD", "café")

# (path template, expected relative result or error type). {root}, {work} are filled in per test.
CORPUS: list[tuple[str, str | type[Exception], str]] = [
    # plain paths inside
    ("src/a.py", "src/a.py", "plain relative file"),
    ("./src/a.py", "src/a.py", "leading dot slash"),
    ("src//a.py", "src/a.py", "double slash inside"),
    ("src/./a.py", "src/a.py", "dot component"),
    ("src/sub/../a.py", "src/a.py", "dotdot that stays inside"),
    ("src/a.py/", "src/a.py", "trailing slash on a file"),
    ("src/", "src", "trailing slash on a dir"),
    ("src/.", "src", "trailing dot"),
    (".", ".", "the root as dot"),
    ("./", ".", "the root as dot slash"),
    ("{root}", ".", "the root as an absolute path"),
    ("{root}/", ".", "the root with a trailing slash"),
    ("{root}/src/a.py", "src/a.py", "absolute path inside"),
    ("/{root}/src/a.py", "src/a.py", "leading double slash inside"),
    ("{root}/../proj/src/a.py", "src/a.py", "absolute out and back in"),
    ("../proj/src/a.py", "src/a.py", "relative out and back in"),
    ("../rootlink/src/a.py", "src/a.py", "back in through the symlinked root"),
    ("{work}/rootlink/src/a.py", "src/a.py", "absolute through the symlinked root"),
    ("new.txt", "new.txt", "a new file"),
    ("newdir/new.txt", "newdir/new.txt", "a new file in a new dir"),
    ("src/newdir/deeper/x.txt", "src/newdir/deeper/x.txt", "deep new path"),
    ("src/newdir/./x.txt", "src/newdir/x.txt", "dot below a missing dir"),
    ("link_in/a.py", "src/a.py", "symlink to a dir inside"),
    ("link_in_abs/a.py", "src/a.py", "absolute symlink inside"),
    ("chain_in1/a.py", "src/a.py", "symlink chain inside"),
    ("link_in/new.txt", "src/new.txt", "new file through an inside symlink"),
    ("dangling_in", "src/new.txt", "dangling symlink to inside"),
    ("src/back/README.md", "README.md", "symlink to parent that is the root"),
    ("src/back/src/a.py", "src/a.py", "symlink to parent, back down"),
    ("~", "~", "tilde is not expanded"),
    ("~/x", "~/x", "tilde slash is not expanded"),
    ("~root/.ssh/id_rsa", "~root/.ssh/id_rsa", "tilde user is not expanded"),
    ("$HOME/.bashrc", "$HOME/.bashrc", "variables are not expanded"),
    ("café", "café", "NFC unicode name"),
    (NFD_CAFE, NFD_CAFE, "NFD lookalike is a different name"),
    ("\uff0e\uff0e/outside", "\uff0e\uff0e/outside", "fullwidth dots are not dotdot"),
    ("\u2024\u2024/outside", "\u2024\u2024/outside", "one dot leaders are not dotdot"),
    ("..\\outside", "..\\outside", "backslash is a name character"),
    ("src/a.py\n", "src/a.py\n", "newline in a name"),
    ("...", "...", "three dots is a name"),
    ("..../x", "..../x", "four dots is a name"),
    ("a" * 200, "a" * 200, "long name"),
    ("src/" + "x/" * 300 + "f", "src/" + "x/" * 300 + "f", "very deep new path"),
    ("proj-evil", "proj-evil", "evil name relative is inside"),
    ("  ", "  ", "spaces are a name"),
    ("-rf", "-rf", "option-like name"),
    # escapes
    ("..", PathOutsideWorkspace, "parent"),
    ("../", PathOutsideWorkspace, "parent slash"),
    ("./..", PathOutsideWorkspace, "dot then parent"),
    ("../outside/secret.txt", PathOutsideWorkspace, "sibling file"),
    ("../outside/", PathOutsideWorkspace, "sibling dir trailing slash"),
    ("../outside/new.txt", PathOutsideWorkspace, "new file in sibling"),
    ("../proj-evil/secret", PathOutsideWorkspace, "prefix sibling relative"),
    ("{root}-evil/secret", PathOutsideWorkspace, "prefix trick absolute"),
    ("{root}-evil", PathOutsideWorkspace, "prefix trick dir"),
    ("{root}-evil/new", PathOutsideWorkspace, "prefix trick new file"),
    ("{root}/../proj-evil/secret", PathOutsideWorkspace, "prefix trick via dotdot"),
    ("link_evil/secret", PathOutsideWorkspace, "symlink to the prefix sibling"),
    ("../../../../../../../../etc/passwd", PathOutsideWorkspace, "many parents"),
    ("src/../../x", PathOutsideWorkspace, "existing dir then two parents"),
    ("src/sub/../../../outside", PathOutsideWorkspace, "nested parents"),
    ("/etc/passwd", PathOutsideWorkspace, "absolute outside"),
    ("/", PathOutsideWorkspace, "filesystem root"),
    ("//etc/passwd", PathOutsideWorkspace, "double slash absolute"),
    ("/..", PathOutsideWorkspace, "slash dotdot"),
    ("/proc/self/root/etc/passwd", PathOutsideWorkspace, "proc root"),
    ("/proc/self/cwd", PathOutsideWorkspace, "proc cwd"),
    ("/dev/null", PathOutsideWorkspace, "device"),
    ("{work}/outside/secret.txt", PathOutsideWorkspace, "absolute sibling"),
    ("link_etc", PathOutsideWorkspace, "symlink to /etc"),
    ("link_etc/passwd", PathOutsideWorkspace, "file through symlink to /etc"),
    ("link_etc/new", PathOutsideWorkspace, "new file through symlink to /etc"),
    ("{root}/link_etc/passwd", PathOutsideWorkspace, "absolute through symlink"),
    ("link_out/secret.txt", PathOutsideWorkspace, "relative symlink out"),
    ("link_out_file", PathOutsideWorkspace, "symlink to an outside file"),
    ("link_out/new.txt", PathOutsideWorkspace, "new file through link out"),
    ("chain1", PathOutsideWorkspace, "symlink chain out"),
    ("chain1/secret.txt", PathOutsideWorkspace, "file through chain out"),
    ("dangling_out", PathOutsideWorkspace, "dangling symlink to outside"),
    ("dangling_chain", PathOutsideWorkspace, "dangling chain to outside"),
    ("dangling_dir_out/x.txt", PathOutsideWorkspace, "below a dangling dir link out"),
    ("up3/etc/passwd", PathOutsideWorkspace, "symlink to many parents"),
    ("slash/etc/passwd", PathOutsideWorkspace, "symlink to slash"),
    ("src/escape/secret.txt", PathOutsideWorkspace, "nested symlink out"),
    ("src/back/../outside/secret.txt", PathOutsideWorkspace, "dotdot after parent link"),
    ("link_in/../../outside", PathOutsideWorkspace, "dotdot after inside link"),
    # invalid
    ("", InvalidPath, "empty"),
    ("\x00", InvalidPath, "NUL only"),
    ("src/a.py\x00.txt", InvalidPath, "NUL in the middle"),
    ("../\x00", InvalidPath, "NUL after parent"),
    ("foo/../../x", InvalidPath, "dotdot below a missing dir"),
    ("newdir/../../outside", InvalidPath, "dotdot escapes from a missing dir"),
    (".../../outside", InvalidPath, "dotdot after a dots name"),
    ("a" * 300, InvalidPath, "name too long"),
    ("a/" * 2100, InvalidPath, "path too long"),
    ("src/a.py/x", PathNotFound, "a file used as a dir"),
    # loops
    ("loop_a", SymlinkLoop, "two-link loop"),
    ("loop_a/x", SymlinkLoop, "below a loop"),
    ("self_loop", SymlinkLoop, "self loop"),
]


def _fill(template: str, layout: Layout) -> str:
    return template.replace("{root}", str(layout.root)).replace("{work}", str(layout.work))


def _assert_inside(result: Path, layout: Layout) -> None:
    real_root = Path(os.path.realpath(layout.root))
    assert Path(os.path.realpath(result)).is_relative_to(real_root)
    assert result.is_relative_to(real_root)


@pytest.mark.parametrize(("template", "expected", "label"), CORPUS, ids=[c[2] for c in CORPUS])
def test_the_corpus_resolves_inside_or_fails_with_the_expected_error(
    layout: Layout, template: str, expected: str | type[Exception], label: str
) -> None:
    user_path = _fill(template, layout)
    if isinstance(expected, str):
        result = resolve_in_workspace(layout.root, user_path, case_insensitive=False)
        _assert_inside(result, layout)
        assert relative_to_root(layout.root, result) == expected
    else:
        with pytest.raises(expected):
            resolve_in_workspace(layout.root, user_path, case_insensitive=False)


@pytest.mark.parametrize(("template", "expected", "label"), CORPUS, ids=[c[2] for c in CORPUS])
def test_the_corpus_through_a_symlinked_root_gives_the_same_answers(
    layout: Layout, template: str, expected: str | type[Exception], label: str
) -> None:
    user_path = _fill(template, layout)
    symlinked_root = layout.work / "rootlink"
    if isinstance(expected, str):
        result = resolve_in_workspace(symlinked_root, user_path, case_insensitive=False)
        _assert_inside(result, layout)
        assert relative_to_root(symlinked_root, result) == expected
    else:
        with pytest.raises(expected):
            resolve_in_workspace(symlinked_root, user_path, case_insensitive=False)


CASE_CORPUS: list[tuple[str, bool, str | type[Exception]]] = [
    ("{WORK}/PROJ/src/a.py", True, "src/a.py"),
    ("{WORK}/Proj/new.txt", True, "new.txt"),
    ("{WORK}/PROJ", True, "."),
    ("SRC/A.PY", True, "SRC/A.PY"),
    ("{WORK}/PROJ/src/a.py", False, PathOutsideWorkspace),
    ("{WORK}/PROJ-EVIL/secret", True, PathOutsideWorkspace),
    ("{WORK}/proj-EVIL", True, PathOutsideWorkspace),
    ("{WORK}/PR\u041eJ/x", True, PathOutsideWorkspace),  # Cyrillic O lookalike
    ("{WORK}/PROJ/../outside", True, InvalidPath),
    ("{WORK}/OUTSIDE/secret.txt", True, PathOutsideWorkspace),
]


@pytest.mark.parametrize(("template", "ci", "expected"), CASE_CORPUS)
def test_case_variants_are_compared_casefolded_only_on_case_insensitive_roots(
    layout: Layout, template: str, ci: bool, expected: str | type[Exception]
) -> None:
    user_path = template.replace("{WORK}", str(layout.work))
    if isinstance(expected, str):
        result = resolve_in_workspace(layout.root, user_path, case_insensitive=ci)
        assert result.is_relative_to(layout.root.resolve())
        assert relative_to_root(layout.root, result) == expected
    else:
        with pytest.raises(expected):
            resolve_in_workspace(layout.root, user_path, case_insensitive=ci)


def test_the_corpus_has_at_least_eighty_cases() -> None:
    assert len(CORPUS) + len(CASE_CORPUS) >= 80


def test_must_exist_rejects_a_missing_file(layout: Layout) -> None:
    with pytest.raises(PathNotFound):
        resolve_in_workspace(layout.root, "missing.txt", must_exist=True)


def test_an_outside_path_is_reported_as_outside_even_when_it_must_exist(layout: Layout) -> None:
    with pytest.raises(PathOutsideWorkspace):
        resolve_in_workspace(layout.root, "../outside/missing", must_exist=True)


def test_the_root_itself_can_be_refused(layout: Layout) -> None:
    with pytest.raises(InvalidPath):
        resolve_in_workspace(layout.root, "src/..", allow_root=False)


def test_the_error_message_is_written_for_the_model(layout: Layout) -> None:
    with pytest.raises(PathOutsideWorkspace) as info:
        resolve_in_workspace(layout.root, "../outside/secret.txt")
    assert "outside the workspace" in str(info.value)
    assert info.value.path == "../outside/secret.txt"
    assert isinstance(info.value, PermissionError)


def test_the_probe_on_this_filesystem_matches_reality(tmp_path: Path) -> None:
    (tmp_path / "Probe").mkdir()
    expected = (tmp_path / "PROBE").exists()
    assert is_case_insensitive(tmp_path / "Probe") is expected


def test_the_probe_of_a_root_without_letters_leaves_nothing_behind(tmp_path: Path) -> None:
    root = tmp_path / "1234"
    root.mkdir()
    assert isinstance(is_case_insensitive(root), bool)
    assert list(root.iterdir()) == []


# --- open_confined -------------------------------------------------------------------------


def test_open_confined_reads_a_file_inside(layout: Layout) -> None:
    fd = open_confined(layout.root, "src/a.py", os.O_RDONLY)
    with os.fdopen(fd) as f:
        assert f.read() == "print('a')\n"


def test_open_confined_creates_a_new_file_inside(layout: Layout) -> None:
    fd = open_confined(layout.root, "src/new.py", os.O_WRONLY | os.O_CREAT | os.O_EXCL)
    os.close(fd)
    assert (layout.root / "src" / "new.py").exists()


def test_open_confined_refuses_a_dangling_link_out_on_create(layout: Layout) -> None:
    with pytest.raises(PathOutsideWorkspace):
        open_confined(layout.root, "dangling_out", os.O_WRONLY | os.O_CREAT)
    assert not (layout.outside / "new.txt").exists()


def test_open_confined_defeats_a_file_swapped_for_a_symlink_after_the_check(
    layout: Layout, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_resolve = paths_module.resolve_in_workspace

    def resolve_then_swap(*args: object, **kwargs: object) -> Path:
        result = real_resolve(*args, **kwargs)  # type: ignore[arg-type]
        result.unlink()
        os.symlink(layout.outside / "secret.txt", result)
        return result

    monkeypatch.setattr(paths_module, "resolve_in_workspace", resolve_then_swap)
    with pytest.raises(PathOutsideWorkspace):
        open_confined(layout.root, "README.md", os.O_WRONLY | os.O_TRUNC)
    assert (layout.outside / "secret.txt").read_text() == "secret\n"


def test_open_confined_defeats_a_parent_dir_swapped_for_a_symlink_after_the_check(
    layout: Layout, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_resolve = paths_module.resolve_in_workspace

    def resolve_then_swap(*args: object, **kwargs: object) -> Path:
        result = real_resolve(*args, **kwargs)  # type: ignore[arg-type]
        os.rename(layout.root / "docs", layout.work / "docs-moved")
        os.symlink(layout.outside, layout.root / "docs")
        return result

    monkeypatch.setattr(paths_module, "resolve_in_workspace", resolve_then_swap)
    with pytest.raises(PathOutsideWorkspace):
        open_confined(layout.root, "docs/planted.txt", os.O_WRONLY | os.O_CREAT)
    assert not (layout.outside / "planted.txt").exists()


def test_open_confined_refuses_to_write_through_a_hard_link(layout: Layout) -> None:
    os.link(layout.outside / "secret.txt", layout.root / "hard.txt")
    with pytest.raises(InvalidPath):
        open_confined(layout.root, "hard.txt", os.O_WRONLY | os.O_TRUNC)
    assert (layout.outside / "secret.txt").read_text() == "secret\n"


def test_open_confined_reports_a_missing_file(layout: Layout) -> None:
    with pytest.raises(PathNotFound):
        open_confined(layout.root, "missing.txt", os.O_RDONLY)


# --- property --------------------------------------------------------------------------------

NAMES = ["a", "b", "c", "l1", "l2", "l3"]
COMPONENTS = st.sampled_from([*NAMES, "..", ".", "", "new", "A", "~"])
TARGETS = st.one_of(
    st.lists(COMPONENTS, min_size=1, max_size=5).map("/".join).filter(bool),
    st.sampled_from(["/", "/etc", "/tmp", "..", "../..", "../outside", "../outside/x"]),
)


@settings(max_examples=150, deadline=None)
@given(
    links=st.lists(st.tuples(st.sampled_from(["", "a/", "a/b/"]), TARGETS), max_size=6),
    user_path=st.one_of(
        st.lists(COMPONENTS, min_size=1, max_size=8).map("/".join),
        st.text(min_size=1, max_size=30),
    ),
)
def test_any_path_over_any_symlink_layout_resolves_inside_or_raises(
    links: list[tuple[str, str]], user_path: str
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        root = base / "root"
        (root / "a" / "b").mkdir(parents=True)
        (base / "outside").mkdir()
        (root / "c").write_text("c")
        for i, (where, target) in enumerate(links):
            os.symlink(target, root / where / f"l{i + 1}")
        real_root = Path(os.path.realpath(root))
        try:
            result = resolve_in_workspace(root, user_path, case_insensitive=False)
        except WorkspacePathError:
            return
        assert Path(os.path.realpath(result)).is_relative_to(real_root)
