"""The file tree's changed-file marks follow the session live: the owner's socket pushes the
changed paths (files and their folders) when a change is applied and again when it is undone."""

from __future__ import annotations

import re
from pathlib import Path

from codesm.web.render.diff import parse_unified_diff
from tests.support.scripted_llm import ScriptedLLMServer, ToolCallSpec, Turn
from tests.unit.web_support import (
    client_for,
    make_web_app,
    new_session,
    read_until,
    session_socket,
    submit_prompt,
)

TREE_CHANGES = re.compile(r'<ul id="tree-changes" hidden hx-swap-oob="outerHTML">(.*?)</ul>')


def pushed_paths(frames: str) -> list[list[str]]:
    return [re.findall(r'data-path="([^"]*)"', body) for body in TREE_CHANGES.findall(frames)]


def test_an_applied_change_marks_its_file_and_folders_and_undo_clears_them(
    tmp_path: Path, scripted_llm: ScriptedLLMServer
) -> None:
    workspace = tmp_path / "project"
    (workspace / "src" / "deep").mkdir(parents=True)
    (workspace / "src" / "deep" / "old.py").write_text("pass\n")
    write = {"path": "src/deep/new.py", "content": "print('hi')\n"}
    scripted_llm.script(
        Turn(tool_calls=[ToolCallSpec("write", write, id="call_write")]), Turn(text="Written.")
    )
    web = make_web_app(
        workspace, tmp_path / "codesm.db", llm=scripted_llm, permission_mode="auto-edit"
    )
    with client_for(web) as client:
        sid = new_session(client, web)
        page = client.get(f"/s/{sid}", headers=web.cookie).text
        assert '<ul id="tree-changes" hidden></ul>' in page
        assert '<li class="tree-dir" data-path="src">' in page
        with session_socket(client, web, sid) as ws:
            ws.receive_text()
            applied = submit_prompt(ws, web, "write a file")
            ws.send_text(web.frame(type="undo_change"))
            undone = read_until(ws, lambda text: bool(TREE_CHANGES.search(text)))
        reloaded = client.get(f"/s/{sid}", headers=web.cookie).text
    assert pushed_paths(applied) == [["src", "src/deep", "src/deep/new.py"]]
    assert pushed_paths(undone) == [[]]
    assert '<ul id="tree-changes" hidden></ul>' in reloaded


def test_the_pushed_list_escapes_hostile_paths() -> None:
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    from codesm.web.app import TEMPLATES_DIR

    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR), autoescape=True, undefined=StrictUndefined
    )
    env.globals.update(csrf_token="t", parse_diff=parse_unified_diff)
    macros = env.get_template("partials/files.html").module
    html = str(macros.changed_list(frozenset({'a"><script>x</script>'}), oob=True))
    assert "<script>" not in html and "&lt;script&gt;" in html
