"""The code pane: the lazy, gitignore-aware file tree and previews, confined to the workspace."""

from __future__ import annotations

import os
import re
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from starlette.testclient import TestClient

from codesm.agent.events import (
    ChangeApplied,
    ChangeProposed,
    ChangeUndone,
    Event,
    StoredEvent,
    TurnStarted,
)
from codesm.web.app import TEMPLATES_DIR
from codesm.web.render.diff import parse_unified_diff
from codesm.web.render.live import SessionRenderer
from codesm.web.render.panels import changed_paths
from codesm.web.render.view import StatusView
from codesm.web.workspace_files import TreeEntry
from tests.unit.web_support import WebApp, make_web_app, new_session


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    (root / "src" / "pkg").mkdir(parents=True)
    (root / "src" / "pkg" / "mod.py").write_text("def f():\n    return '<b>'\n")
    (root / "src" / "main.py").write_text("print('hi')\n")
    (root / "README.md").write_text("# Title\n")
    (root / "build").mkdir()
    (root / "build" / "out.txt").write_text("generated\n")
    (root / ".gitignore").write_text("build/\n")
    (root / "logo.bin").write_bytes(b"\x00\x01\x02" * 100)
    (root / "big.txt").write_text("".join(f"line {n}\n" for n in range(5000)))
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    outside = tmp_path / "secret.txt"
    outside.write_text("TOP SECRET\n")
    os.symlink(outside, root / "link-out")
    os.symlink(tmp_path, root / "dir-out")
    return root


@pytest.fixture
def web(workspace: Path, tmp_path: Path) -> WebApp:
    return make_web_app(workspace, tmp_path / "codesm.db")


def test_the_root_level_lists_folders_then_files_and_skips_ignored_ones(
    client: TestClient, web: WebApp
) -> None:
    level = client.get("/files/tree", headers=web.cookie).text
    assert level.index(">src<") < level.index(">README.md<")
    assert "build" not in level and "out.txt" not in level
    assert 'hx-get="/files/tree?path=src"' in level


def test_a_folder_level_lists_only_its_children(client: TestClient, web: WebApp) -> None:
    level = client.get("/files/tree?path=src", headers=web.cookie).text
    assert 'hx-get="/files/tree?path=src/pkg"' in level
    assert 'hx-get="/files/view?path=src/main.py"' in level
    assert "mod.py" not in level


def test_a_folder_level_applies_the_listed_folders_own_gitignore(
    client: TestClient, web: WebApp, workspace: Path
) -> None:
    (workspace / "src" / ".gitignore").write_text("*.log\ncache/\n")
    (workspace / "src" / "debug.log").write_text("noise\n")
    (workspace / "src" / "cache").mkdir()
    (workspace / "src" / "cache" / "c.txt").write_text("cached\n")
    level = client.get("/files/tree?path=src", headers=web.cookie).text
    assert "main.py" in level and ">pkg<" in level
    assert "debug.log" not in level and "cache" not in level


def test_a_folder_whose_files_are_all_ignored_is_listed_and_expands_empty(
    client: TestClient, web: WebApp, workspace: Path
) -> None:
    (workspace / "logs").mkdir()
    (workspace / "logs" / "today.log").write_text("noise\n")
    (workspace / ".gitignore").write_text("build/\n*.log\n")
    (workspace / "deep" / "er").mkdir(parents=True)
    (workspace / "deep" / "er" / "leaf.py").write_text("x = 1\n")
    root = client.get("/files/tree", headers=web.cookie).text
    assert 'hx-get="/files/tree?path=logs"' in root
    assert 'hx-get="/files/tree?path=deep"' in root  # holds only a folder: listed all the same
    inside = client.get("/files/tree?path=logs", headers=web.cookie).text
    assert "today.log" not in inside
    assert (
        'hx-get="/files/tree?path=deep/er"'
        in client.get("/files/tree?path=deep", headers=web.cookie).text
    )


def test_a_preview_is_highlighted_with_line_numbers(client: TestClient, web: WebApp) -> None:
    preview = client.get("/files/view?path=src/pkg/mod.py", headers=web.cookie).text
    assert '<span class="k">def</span>' in preview
    assert '<td class="ln">2</td>' in preview
    assert "&lt;b&gt;" in preview and "<b>" not in preview


def test_a_binary_file_is_described_not_shown(client: TestClient, web: WebApp) -> None:
    preview = client.get("/files/view?path=logo.bin", headers=web.cookie).text
    assert "Binary file (300 bytes)" in preview


def test_a_long_file_shows_its_first_lines(client: TestClient, web: WebApp) -> None:
    preview = client.get("/files/view?path=big.txt", headers=web.cookie).text
    assert "Lines 1\u20132,000 of 5,000" in preview and "line 4999" not in preview


@pytest.mark.parametrize(
    "path",
    [
        "../secret.txt",
        "../../etc/passwd",
        "/etc/passwd",
        "src/../../secret.txt",
        "link-out",
        "dir-out/secret.txt",
        "%2e%2e/secret.txt",
    ],
)
def test_a_path_outside_the_workspace_is_refused(
    client: TestClient, web: WebApp, path: str
) -> None:
    for route in ("/files/view", "/files/tree"):
        response = client.get(route, params={"path": path}, headers=web.cookie)
        assert response.status_code in (403, 404), (route, path)
        assert "TOP SECRET" not in response.text


@pytest.mark.parametrize("path", ["", "missing.txt", "a\x00b", "src", "x" * 5000])
def test_a_missing_or_malformed_preview_path_is_not_found(
    client: TestClient, web: WebApp, path: str
) -> None:
    response = client.get("/files/view", params={"path": path}, headers=web.cookie)
    assert response.status_code == 404


def test_a_file_is_not_a_folder_level(client: TestClient, web: WebApp) -> None:
    response = client.get("/files/tree", params={"path": "README.md"}, headers=web.cookie)
    assert response.status_code == 404


def changed_tree(entries: list[TreeEntry], events: list[Event]) -> str:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR), autoescape=True, undefined=StrictUndefined
    )
    env.globals.update(csrf_token="t", parse_diff=parse_unified_diff)
    view = SessionRenderer(
        env.get_template("partials/live.html").module, StatusView("smart", "review", "m"), str
    )
    now = datetime.now(UTC)
    for seq, event in enumerate(events, 1):
        view.apply(StoredEvent(session_id="s", seq=seq, ts=now, event=event), live=False)
    macros = env.get_template("partials/files.html").module
    return str(macros.tree_level(entries, False, changed_paths(view), "s1"))


def test_files_changed_in_the_session_and_their_folders_are_marked_in_the_tree() -> None:
    diff = "--- a/src/main.py\n+++ b/src/main.py\n@@ -1 +1 @@\n-print('hi')\n+print('yo')\n"
    events: list[Event] = [
        TurnStarted(turn_id="t"),
        ChangeProposed(
            turn_id="t", call_id="c1", change_id="ch1", paths=["src/main.py"], diff=diff
        ),
        ChangeApplied(turn_id="t", call_id="c1", change_id="ch1", paths=["src/main.py"]),
        ChangeApplied(turn_id="t", call_id="c2", change_id="ch2", paths=["README.md"]),
        ChangeUndone(turn_id="t", change_id="ch2", paths=["README.md"]),
        ChangeProposed(turn_id="t", call_id="c3", change_id="ch3", paths=["big.txt"], diff=diff),
    ]
    entries = [
        TreeEntry("src", "src", True),
        TreeEntry("main.py", "src/main.py", False),
        TreeEntry("README.md", "README.md", False),
        TreeEntry("big.txt", "big.txt", False),
    ]
    html = changed_tree(entries, events)
    items = re.findall(r'<li class="([^"]*)"', html)
    assert items == [
        "tree-dir tree-has-changes",
        "tree-file tree-changed",
        "tree-file",
        "tree-file",
    ]
    assert html.count('class="changed-dot"') == 2
    assert 'aria-label="changed in this session"' in html
    assert 'hx-get="/files/tree?path=src&amp;session=s1"' in html


def test_a_tree_level_for_a_session_keeps_the_session_in_its_folder_links(
    client: TestClient, web: WebApp
) -> None:
    sid = new_session(client, web)
    level = client.get("/files/tree", params={"session": sid}, headers=web.cookie).text
    assert f'hx-get="/files/tree?path=src&amp;session={sid}"' in level
    assert "tree-changed" not in level
    page = client.get(f"/s/{sid}", headers=web.cookie).text
    assert f'hx-get="/files/tree?path=src&amp;session={sid}"' in page


def test_a_tree_level_for_an_unknown_session_is_not_found(client: TestClient, web: WebApp) -> None:
    for session in ("missing", "<x>"):
        response = client.get("/files/tree", params={"session": session}, headers=web.cookie)
        assert response.status_code == 404
