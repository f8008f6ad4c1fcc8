"""Format-on-save: ruff formats Python on the way to disk; BOM and CRLF survive; failures keep
the text as the model wrote it."""

from __future__ import annotations

from pathlib import Path

from codesm.agent.changes.formatting import Formatter


async def test_ruff_formats_python_and_names_itself(tmp_path: Path) -> None:
    formatted = await Formatter(root=tmp_path).format(tmp_path / "m.py", "x=[1,2 ,3]\n")
    assert formatted is not None
    assert (formatted.text, formatted.formatter) == ("x = [1, 2, 3]\n", "ruff format")


async def test_the_bom_and_crlf_line_endings_are_kept(tmp_path: Path) -> None:
    formatted = await Formatter(root=tmp_path).format(tmp_path / "m.py", "\ufeffx=1\r\ny=2\r\n")
    assert formatted is not None
    assert formatted.text == "\ufeffx = 1\r\ny = 2\r\n"


async def test_code_the_formatter_cannot_parse_is_kept_as_written(tmp_path: Path) -> None:
    assert await Formatter(root=tmp_path).format(tmp_path / "m.py", "def (:\n") is None


async def test_already_formatted_text_needs_no_change(tmp_path: Path) -> None:
    assert await Formatter(root=tmp_path).format(tmp_path / "m.py", "x = 1\n") is None


async def test_a_file_type_without_a_formatter_is_left_alone(tmp_path: Path) -> None:
    assert await Formatter(root=tmp_path).format(tmp_path / "notes.txt", "a  b\n") is None


async def test_a_formatter_missing_from_path_is_skipped(tmp_path: Path) -> None:
    formatter = Formatter(root=tmp_path, which=lambda name: None)
    assert await formatter.format(tmp_path / "m.go", "package main\n") is None


async def test_the_project_configuration_is_honoured(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.ruff.format]\nquote-style = "single"\n')
    formatted = await Formatter(root=tmp_path).format(tmp_path / "m.py", 'x = "a"\n')
    assert formatted is not None and formatted.text == "x = 'a'\n"
