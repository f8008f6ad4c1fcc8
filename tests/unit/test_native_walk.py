"""`_native.walk`: gitignore-aware file listing, checked against `rg --files`."""

from __future__ import annotations

import os
import random
import subprocess
from pathlib import Path

import pytest

from tests.unit.conftest import MakeTree, RunIsolated
from tests.unit.native_support import NATIVE_MISSING, Dir, Rg, Symlink

_native = pytest.importorskip("codesm._native", reason=NATIVE_MISSING)


def walk(root: Path, **kwargs: object) -> list[str]:
    return _native.walk(str(root), **kwargs)


# --- basics ---------------------------------------------------------------------------------


def test_walk_lists_files_relative_to_root_with_forward_slashes(make_tree: MakeTree) -> None:
    root = make_tree({"a.txt": "a", "src/b.py": "b", "src/deep/c.rs": "c"})

    assert walk(root) == ["a.txt", "src/b.py", "src/deep/c.rs"]


def test_walk_does_not_list_directories(make_tree: MakeTree) -> None:
    root = make_tree({"empty": Dir(), "d/sub": Dir(), "d/f.txt": "x"})

    assert walk(root) == ["d/f.txt"]


def test_walk_returns_paths_in_python_string_sort_order(make_tree: MakeTree) -> None:
    # "a-b" < "a.b" < "a/x" < "a_b" as strings, but a component-wise sort puts "a/x" first.
    root = make_tree({"a-b": "", "a.b": "", "a/x": "", "a_b": "", "B": "", "b": ""})

    result = walk(root)

    assert result == sorted(result)
    assert len(result) == 6


def test_walk_of_empty_directory_is_empty(make_tree: MakeTree) -> None:
    assert walk(make_tree({})) == []


def test_walk_raises_file_not_found_for_missing_root(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        walk(tmp_path / "nope")


def test_walk_raises_not_a_directory_for_file_root(make_tree: MakeTree) -> None:
    root = make_tree({"f.txt": "x"})

    with pytest.raises(NotADirectoryError):
        walk(root / "f.txt")


def test_walk_lists_utf8_names_unchanged(make_tree: MakeTree) -> None:
    root = make_tree({"naïve/日本語.txt": "x", "emoji-🦀.rs": "y"})

    assert walk(root) == sorted(["naïve/日本語.txt", "emoji-🦀.rs"])


def test_walk_returns_non_utf8_file_name_as_fsdecode_would(make_tree: MakeTree) -> None:
    name = b"caf\xe9.txt"
    root = make_tree({name: "latin-1 name", "ok.txt": "x"})

    assert walk(root) == sorted([os.fsdecode(name), "ok.txt"])


def test_walk_returns_non_utf8_directory_name_as_fsdecode_would(make_tree: MakeTree) -> None:
    root = make_tree({b"d\xff\xfe/inner.txt": "x"})

    assert walk(root) == [os.fsdecode(b"d\xff\xfe") + "/inner.txt"]


def test_walk_sorts_non_utf8_names_by_their_bytes(make_tree: MakeTree) -> None:
    # By bytes, b"\x80" (invalid UTF-8) sorts before "é" (b"\xc3\xa9"); as str it sorts after.
    root = make_tree({b"\x80.txt": "", "é.txt": "", "z.txt": ""})

    assert walk(root) == ["z.txt", os.fsdecode(b"\x80.txt"), "é.txt"]


def test_walk_non_utf8_names_match_ripgrep(make_tree: MakeTree, rg: Rg) -> None:
    root = make_tree({b"\x80.bin": "x", b"sub\xc3/a\xe9b": "y", "plain": "z", "new\nline": ""})

    assert walk(root) == rg.files(root)


def test_walk_lists_empty_files(make_tree: MakeTree) -> None:
    root = make_tree({"empty.txt": "", "full.txt": "x"})

    assert walk(root) == ["empty.txt", "full.txt"]


# --- ignore rules ----------------------------------------------------------------------------


def test_walk_honours_gitignore_outside_a_git_repository(make_tree: MakeTree, rg: Rg) -> None:
    root = make_tree({".gitignore": "*.log\nbuild/\n", "a.log": "", "a.py": "", "build/x.py": ""})

    assert walk(root) == ["a.py"]
    assert walk(root) == rg.files(root)


def test_walk_honours_gitignore_inside_a_git_repository(make_tree: MakeTree, rg: Rg) -> None:
    root = make_tree(
        {".gitignore": "*.log\nbuild/\n", "a.log": "", "a.py": "", "build/x.py": ""}, git=True
    )

    assert walk(root) == ["a.py"]
    assert walk(root) == rg.files(root)


def test_walk_honours_negated_rule_in_nested_gitignore(make_tree: MakeTree, rg: Rg) -> None:
    root = make_tree(
        {
            ".gitignore": "*.log\n",
            "top.log": "",
            "sub/.gitignore": "!keep.log\n",
            "sub/keep.log": "",
            "sub/drop.log": "",
            "sub/code.py": "",
        }
    )

    assert walk(root) == ["sub/code.py", "sub/keep.log"]
    assert walk(root) == rg.files(root)


def test_walk_honours_negation_later_in_the_same_gitignore(make_tree: MakeTree) -> None:
    root = make_tree({".gitignore": "*.txt\n!important.txt\n", "a.txt": "", "important.txt": ""})

    assert walk(root) == ["important.txt"]


def test_walk_applies_nested_gitignore_only_below_its_directory(make_tree: MakeTree) -> None:
    root = make_tree({"a/.gitignore": "x.txt\n", "a/x.txt": "", "b/x.txt": "", "x.txt": ""})

    assert walk(root) == ["b/x.txt", "x.txt"]


def test_walk_honours_anchored_gitignore_rule_only_at_its_level(make_tree: MakeTree) -> None:
    root = make_tree({".gitignore": "/top.txt\n", "top.txt": "", "d/top.txt": ""})

    assert walk(root) == ["d/top.txt"]


def test_walk_honours_directory_only_rule_without_hiding_same_named_file(
    make_tree: MakeTree, rg: Rg
) -> None:
    root = make_tree({".gitignore": "out/\n", "out/a.txt": "", "src/out": "a file named out"})

    assert walk(root) == ["src/out"]
    assert walk(root) == rg.files(root)


def test_walk_honours_double_star_gitignore_rule(make_tree: MakeTree, rg: Rg) -> None:
    root = make_tree({".gitignore": "**/gen/**\n", "gen/a": "", "x/gen/b": "", "x/c": ""})

    assert walk(root) == ["x/c"]
    assert walk(root) == rg.files(root)


def test_walk_honours_dot_ignore_file(make_tree: MakeTree, rg: Rg) -> None:
    root = make_tree({".ignore": "secret*\n", "secret.env": "", "d/secret2": "", "public": ""})

    assert walk(root) == ["public"]
    assert walk(root) == rg.files(root)


def test_walk_lets_dot_ignore_negation_override_gitignore(make_tree: MakeTree, rg: Rg) -> None:
    root = make_tree(
        {".gitignore": "*.gen\n", ".ignore": "!keep.gen\n", "a.gen": "", "keep.gen": ""}
    )

    assert walk(root) == ["keep.gen"]
    assert walk(root) == rg.files(root)


def test_walk_honours_git_info_exclude(make_tree: MakeTree, rg: Rg) -> None:
    root = make_tree({"a.tmp": "", "b.py": ""}, git=True)
    (root / ".git" / "info").mkdir(exist_ok=True)
    (root / ".git" / "info" / "exclude").write_text("*.tmp\n")

    assert walk(root) == ["b.py"]
    assert walk(root) == rg.files(root)


def test_walk_honours_gitignore_of_a_parent_directory_in_the_repository(
    make_tree: MakeTree, rg: Rg
) -> None:
    root = make_tree({".gitignore": "*.log\n", "sub/a.log": "", "sub/b.txt": ""}, git=True)

    assert walk(root / "sub") == ["b.txt"]
    assert walk(root / "sub") == rg.files(root / "sub")


def test_walk_honours_gitignore_written_with_crlf_line_endings(make_tree: MakeTree) -> None:
    root = make_tree({".gitignore": "*.log\r\nbuild/\r\n", "a.log": "", "build/x": "", "c": ""})

    assert walk(root) == ["c"]


def test_walk_honours_negated_directory_below_an_ignored_glob(make_tree: MakeTree) -> None:
    root = make_tree({".gitignore": "d/*\n!d/keep/\n", "d/a": "", "d/keep/b": "", "e": ""})

    assert walk(root) == ["d/keep/b", "e"]


def test_walk_does_not_apply_outer_gitignore_inside_a_nested_repository(
    make_tree: MakeTree, rg: Rg
) -> None:
    # git (and rg) stop at a nested repository: the outer rules do not govern its files.
    root = make_tree({".gitignore": "*.log\n", "a.log": "", "inner/a.log": ""}, git=True)
    subprocess.run(["git", "init", "-q", str(root / "inner")], check=True)

    assert walk(root) == rg.files(root) == ["inner/a.log"]


def test_walk_lists_ignored_files_when_gitignore_is_false(make_tree: MakeTree, rg: Rg) -> None:
    root = make_tree({".gitignore": "*.log\n", ".ignore": "x\n", "a.log": "", "x": "", "y": ""})

    assert walk(root, gitignore=False) == ["a.log", "x", "y"]
    assert walk(root, gitignore=False) == rg.files(root, "--no-ignore")


def test_walk_honours_global_gitignore_from_core_excludes_file(
    make_tree: MakeTree, rg: Rg, hermetic_home: Path
) -> None:
    excludes = hermetic_home / "global-ignore"
    excludes.write_text("*.secret\n")
    (hermetic_home / ".gitconfig").write_text(f"[core]\n\texcludesFile = {excludes}\n")
    root = make_tree({"a.secret": "", "d/b.secret": "", "c.txt": ""}, git=True)

    assert rg.files(root) == ["c.txt"], "oracle: rg must honour the global gitignore"
    assert walk(root) == ["c.txt"]


def test_walk_honours_global_gitignore_outside_a_git_repository(
    make_tree: MakeTree, rg: Rg, hermetic_home: Path
) -> None:
    excludes = hermetic_home / "global-ignore"
    excludes.write_text("*.secret\n")
    (hermetic_home / ".gitconfig").write_text(f"[core]\n\texcludesFile = {excludes}\n")
    root = make_tree({"a.secret": "", "c.txt": ""})

    assert walk(root) == rg.files(root)
    assert walk(root) == ["c.txt"]


def test_walk_honours_default_global_gitignore_in_xdg_config(
    make_tree: MakeTree, rg: Rg, hermetic_home: Path
) -> None:
    (hermetic_home / ".config" / "git").mkdir()
    (hermetic_home / ".config" / "git" / "ignore").write_text("*.bak\n")
    root = make_tree({"a.bak": "", "c.txt": ""}, git=True)

    assert walk(root) == rg.files(root)
    assert walk(root) == ["c.txt"]


def test_walk_ignores_global_gitignore_when_gitignore_is_false(
    make_tree: MakeTree, hermetic_home: Path
) -> None:
    excludes = hermetic_home / "global-ignore"
    excludes.write_text("*.secret\n")
    (hermetic_home / ".gitconfig").write_text(f"[core]\n\texcludesFile = {excludes}\n")
    root = make_tree({"a.secret": "", "c.txt": ""}, git=True)

    assert walk(root, gitignore=False) == ["a.secret", "c.txt"]


# --- hidden files ----------------------------------------------------------------------------


def test_walk_skips_hidden_files_and_directories_by_default(make_tree: MakeTree) -> None:
    root = make_tree({".env": "", ".config/x.toml": "", "d/.hidden": "", "visible": ""})

    assert walk(root) == ["visible"]


def test_walk_lists_hidden_files_when_hidden_is_true(make_tree: MakeTree, rg: Rg) -> None:
    root = make_tree({".env": "", ".config/x.toml": "", "d/.hidden": "", "visible": ""})

    assert walk(root, hidden=True) == [".config/x.toml", ".env", "d/.hidden", "visible"]
    assert walk(root, hidden=True) == rg.files(root, "--hidden")


def test_walk_still_applies_gitignore_to_hidden_files(make_tree: MakeTree, rg: Rg) -> None:
    root = make_tree({".gitignore": ".env\n", ".env": "", ".keep": ""})

    assert walk(root, hidden=True) == [".gitignore", ".keep"]
    assert walk(root, hidden=True) == rg.files(root, "--hidden")


# --- depth -----------------------------------------------------------------------------------

DEPTH_TREE = {"a": "", "d1/b": "", "d1/d2/c": "", "d1/d2/d3/d": "", "e/f": ""}


def test_walk_max_depth_one_lists_only_top_level_files(make_tree: MakeTree) -> None:
    assert walk(make_tree(DEPTH_TREE), max_depth=1) == ["a"]


@pytest.mark.parametrize("depth", [0, 1, 2, 3, 10])
def test_walk_max_depth_matches_ripgrep(make_tree: MakeTree, rg: Rg, depth: int) -> None:
    root = make_tree(DEPTH_TREE)

    assert walk(root, max_depth=depth) == rg.files(root, "--max-depth", str(depth))


# --- symlinks --------------------------------------------------------------------------------


def test_walk_without_follow_links_matches_ripgrep_for_symlinks(
    make_tree: MakeTree, rg: Rg
) -> None:
    root = make_tree(
        {"real/f.txt": "", "g.txt": "", "link-file": Symlink("g.txt"), "link-dir": Symlink("real")}
    )

    assert walk(root) == rg.files(root)


def test_walk_does_not_descend_into_symlinked_directory_without_follow_links(
    make_tree: MakeTree,
) -> None:
    root = make_tree({"real/f.txt": "", "link-dir": Symlink("real")})

    assert "link-dir/f.txt" not in walk(root)


def test_walk_descends_into_symlinked_directory_with_follow_links(make_tree: MakeTree) -> None:
    root = make_tree({"real/f.txt": "", "link-dir": Symlink("real")})

    assert walk(root, follow_links=True) == ["link-dir/f.txt", "real/f.txt"]


def test_walk_lists_symlinked_file_with_follow_links(make_tree: MakeTree) -> None:
    root = make_tree({"g.txt": "", "link-file": Symlink("g.txt")})

    assert walk(root, follow_links=True) == ["g.txt", "link-file"]


def test_walk_with_follow_links_matches_ripgrep(make_tree: MakeTree, rg: Rg) -> None:
    root = make_tree(
        {
            "real/f.txt": "",
            "g.txt": "",
            "link-file": Symlink("g.txt"),
            "link-dir": Symlink("real"),
            "dangling": Symlink("missing"),
        }
    )

    assert walk(root, follow_links=True) == rg.files(root, "-L")


def test_walk_survives_a_symlink_loop_with_follow_links(
    make_tree: MakeTree, run_isolated: RunIsolated
) -> None:
    root = make_tree({"a/f.txt": "", "a/up": Symlink(".."), "a/self": Symlink(".")})

    proc = run_isolated(
        f"from codesm import _native; print(_native.walk({str(root)!r}, follow_links=True))"
    )

    assert proc.returncode == 0, proc.stderr
    assert "'a/f.txt'" in proc.stdout


def test_walk_with_a_symlink_loop_matches_ripgrep(
    make_tree: MakeTree, rg: Rg, run_isolated: RunIsolated
) -> None:
    root = make_tree({"a/f.txt": "", "a/b/up": Symlink("../.."), "c.txt": ""})
    proc = run_isolated(
        f"from codesm import _native; print(_native.walk({str(root)!r}, follow_links=True))"
    )
    assert proc.returncode == 0, proc.stderr

    assert walk(root, follow_links=True) == rg.files(root, "-L")


def test_walk_skips_dangling_symlink_without_raising(make_tree: MakeTree) -> None:
    root = make_tree({"dangling": Symlink("missing"), "ok.txt": ""})

    assert walk(root, follow_links=True) == ["ok.txt"]


# --- globs -----------------------------------------------------------------------------------

GLOB_TREE = {
    "README.md": "",
    "notes.txt": "",
    "src/main.py": "",
    "src/test_main.py": "",
    "src/util/helpers.py": "",
    "src/util/data.json": "",
    "docs/guide.md": "",
}


def test_walk_glob_keeps_only_matching_files(make_tree: MakeTree) -> None:
    root = make_tree(GLOB_TREE)

    assert walk(root, globs=["*.py"]) == ["src/main.py", "src/test_main.py", "src/util/helpers.py"]


def test_walk_glob_with_bang_excludes_matching_files(make_tree: MakeTree) -> None:
    root = make_tree(GLOB_TREE)

    assert walk(root, globs=["!*.py"]) == [
        "README.md",
        "docs/guide.md",
        "notes.txt",
        "src/util/data.json",
    ]


@pytest.mark.parametrize(
    "globs",
    [
        ["*.py"],
        ["!*.py"],
        ["*.py", "!test_*"],
        ["src/**"],
        ["**/util/*"],
        ["*.{md,txt}"],
        ["!src"],
        ["!src/util/**"],
        ["src/*.py"],
        ["*.md", "*.json"],
        ["*"],
    ],
    ids=str,
)
def test_walk_globs_match_ripgrep(make_tree: MakeTree, rg: Rg, globs: list[str]) -> None:
    root = make_tree(GLOB_TREE)
    flags = [arg for g in globs for arg in ("-g", g)]

    assert walk(root, globs=globs) == rg.files(root, *flags)


def test_walk_whitelist_glob_overrides_gitignore_like_ripgrep(make_tree: MakeTree, rg: Rg) -> None:
    root = make_tree({".gitignore": "*.log\n", "a.log": "", "b.txt": ""})

    assert walk(root, globs=["*.log"]) == rg.files(root, "-g", "*.log")


def test_walk_raises_value_error_for_invalid_glob(make_tree: MakeTree) -> None:
    root = make_tree({"a": ""})

    with pytest.raises(ValueError, match=r"a\[b"):
        walk(root, globs=["a[b"])


# --- generated trees against the oracle ------------------------------------------------------

NAMES = ["a.py", "b.txt", "c.log", "d.md", ".e", "f.tmp", "gen", "g.rs"]
DIRS = ["src", "lib", "build", ".cache", "gen", "docs", "node_modules"]
RULES = [
    "*.log",
    "!keep.log",
    "build/",
    "/gen",
    "gen/",
    "*.tmp",
    "!b.txt",
    "**/docs/*.md",
    "node_modules",
    "src/*.rs",
    ".e",
    "!.e",
    "lib/**/a.py",
    "# comment",
    "\\#literal",
    "d.md",
]


def generated_tree(seed: int) -> dict[str, str]:
    rnd = random.Random(seed)
    spec: dict[str, str] = {}
    for _ in range(160):
        depth = rnd.randint(0, 3)
        parts = [rnd.choice(DIRS) for _ in range(depth)]
        spec["/".join([*parts, rnd.choice(NAMES)])] = "x\n"
    for _ in range(6):
        depth = rnd.randint(0, 2)
        parts = [rnd.choice(DIRS) for _ in range(depth)]
        kind = rnd.choice([".gitignore", ".gitignore", ".ignore"])
        spec["/".join([*parts, kind])] = "\n".join(rnd.sample(RULES, rnd.randint(1, 5))) + "\n"
    # A file and a directory cannot share a name; drop files that shadow directories.
    dirs = {p.rsplit("/", i)[0] for p in spec for i in range(1, p.count("/") + 1)}
    return {p: v for p, v in spec.items() if p not in dirs}


FLAG_SETS: list[tuple[dict[str, object], list[str]]] = [
    ({}, []),
    ({"hidden": True}, ["--hidden"]),
    ({"gitignore": False}, ["--no-ignore"]),
    ({"max_depth": 2}, ["--max-depth", "2"]),
    ({"globs": ["*.py", "*.rs", "!**/lib/**"]}, ["-g", "*.py", "-g", "*.rs", "-g", "!**/lib/**"]),
    ({"globs": ["!**/src/**"], "hidden": True}, ["-g", "!**/src/**", "--hidden"]),
]


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize(("kwargs", "flags"), FLAG_SETS, ids=repr)
def test_walk_matches_ripgrep_on_generated_tree(
    make_tree: MakeTree,
    rg: Rg,
    seed: int,
    kwargs: dict[str, object],
    flags: list[str],
) -> None:
    root = make_tree(generated_tree(seed))

    assert walk(root, **kwargs) == rg.files(root, *flags)


@pytest.mark.parametrize("seed", range(2))
def test_walk_matches_ripgrep_on_generated_git_repository(
    make_tree: MakeTree, rg: Rg, seed: int
) -> None:
    root = make_tree(generated_tree(seed + 100), git=True)
    (root / ".git" / "info").mkdir(exist_ok=True)
    (root / ".git" / "info" / "exclude").write_text("*.md\n")

    assert walk(root) == rg.files(root)
