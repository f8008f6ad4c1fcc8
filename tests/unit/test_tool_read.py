"""The read tool: numbered lines, paging, encodings, binaries, huge files, the read ledger."""

from __future__ import annotations

import os
import struct

from codesm.agent.changes.model import content_hash
from tests.unit.tool_support import Workspace


async def test_text_is_shown_with_six_wide_line_numbers_and_a_tab(ws: Workspace) -> None:
    ws.file("a.py", "import os\nprint(1)\n")
    result = await ws.call("read", {"path": "a.py"})
    assert not result.is_error
    assert result.content == "     1\timport os\n     2\tprint(1)"


async def test_reading_records_the_content_hash_in_the_ledger(ws: Workspace) -> None:
    path = ws.file("a.py", "x = 1\n")
    await ws.read("a.py")
    assert ws.ledger.get(path) == content_hash(b"x = 1\n")


async def test_crlf_lines_are_shown_without_carriage_returns(ws: Workspace) -> None:
    ws.file("w.txt", "one\r\ntwo\r\n")
    result = await ws.read("w.txt")
    assert result.content == "     1\tone\n     2\ttwo"
    assert result.metadata["line_ending"] == "crlf"


async def test_a_bom_is_not_shown_as_part_of_the_first_line(ws: Workspace) -> None:
    ws.file("b.txt", b"\xef\xbb\xbfhello\nworld\n")
    result = await ws.read("b.txt")
    assert result.content == "     1\thello\n     2\tworld"


async def test_an_empty_file_is_reported_as_empty(ws: Workspace) -> None:
    path = ws.file("e.txt", b"")
    result = await ws.read("e.txt")
    assert "empty" in result.content
    assert ws.ledger.get(path) == content_hash(b"")


async def test_offset_and_limit_page_through_a_file_with_a_hint(ws: Workspace) -> None:
    ws.file("n.txt", "".join(f"line {i}\n" for i in range(1, 51)))
    result = await ws.call("read", {"path": "n.txt", "offset": 10, "limit": 5})
    assert result.content.splitlines()[0] == "    10\tline 10"
    assert "    14\tline 14" in result.content
    assert "line 15" not in result.content
    assert "offset=15" in result.content


async def test_the_default_limit_is_two_thousand_lines(ws: Workspace) -> None:
    ws.file("big.txt", "".join(f"{i}\n" for i in range(1, 3001)))
    result = await ws.read("big.txt")
    assert "  2000\t2000" in result.content
    assert "  2001\t" not in result.content
    assert "Use offset=2001" in result.content


async def test_an_offset_past_the_end_is_an_error_naming_the_length(ws: Workspace) -> None:
    ws.file("s.txt", "a\nb\n")
    result = await ws.call("read", {"path": "s.txt", "offset": 10})
    assert result.is_error
    assert "2 lines" in result.content


async def test_long_lines_are_cut_at_two_thousand_characters(ws: Workspace) -> None:
    ws.file("long.txt", "a" * 5000 + "\nshort\n")
    result = await ws.read("long.txt")
    first = result.content.splitlines()[0]
    assert first == "     1\t" + "a" * 2000 + " [... line truncated]"
    assert "     2\tshort" in result.content


async def test_a_five_megabyte_single_line_gives_bounded_output(ws: Workspace) -> None:
    path = ws.file("one.txt", "y" * (5 * 1024 * 1024))
    result = await ws.read("one.txt")
    assert len(result.content) < 3000
    assert ws.ledger.get(path) == content_hash(path.read_bytes())


async def test_ten_megabytes_of_random_bytes_are_described_not_dumped(ws: Workspace) -> None:
    path = ws.file("rand.bin", os.urandom(10 * 1024 * 1024))
    result = await ws.read("rand.bin")
    assert not result.is_error
    assert "binary" in result.content
    assert "10.0 MiB" in result.content
    assert len(result.content) < 500
    assert ws.ledger.get(path) == content_hash(path.read_bytes())


async def test_a_png_is_described_as_an_image_with_its_size(ws: Workspace) -> None:
    header = b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + b"IHDR" + struct.pack(">II", 64, 32)
    ws.file("logo.png", header + b"\0" * 200)
    result = await ws.read("logo.png")
    assert "image" in result.content
    assert "PNG image, 64x32 pixels" in result.content
    assert result.metadata["image"] is True


async def test_an_elf_binary_is_named(ws: Workspace) -> None:
    ws.file("prog", b"\x7fELF\x02\x01\x01" + b"\0" * 100)
    result = await ws.read("prog")
    assert "ELF" in result.content


async def test_a_directory_is_refused_with_a_pointer_to_ls(ws: Workspace) -> None:
    (ws.root / "src").mkdir()
    result = await ws.call("read", {"path": "src"})
    assert result.is_error
    assert "ls" in result.content
    assert result.metadata["error"] == "NotEditable"


async def test_a_fifo_is_refused_without_blocking(ws: Workspace) -> None:
    os.mkfifo(ws.root / "pipe")
    result = await ws.call("read", {"path": "pipe"})
    assert result.is_error
    assert "not a regular file" in result.content


async def test_latin1_text_is_shown_with_replacement_characters_and_flagged(ws: Workspace) -> None:
    ws.file("l1.txt", "caf\xe9 cr\xe8me\n".encode("latin-1"))
    result = await ws.read("l1.txt")
    assert "caf\ufffd" in result.content
    assert "not valid UTF-8" in result.content


async def test_utf16_text_is_decoded(ws: Workspace) -> None:
    ws.file("u16.txt", "\ufeffhello\nworld\n".encode("utf-16-le"))
    result = await ws.read("u16.txt")
    assert "     1\thello" in result.content
    assert "     2\tworld" in result.content


async def test_a_missing_file_is_a_typed_error(ws: Workspace) -> None:
    result = await ws.call("read", {"path": "nope.txt"})
    assert result.is_error
    assert result.metadata["error"] == "PathNotFound"


async def test_a_file_without_a_final_newline_shows_its_last_line(ws: Workspace) -> None:
    ws.file("t.txt", "a\nb")
    result = await ws.read("t.txt")
    assert result.content == "     1\ta\n     2\tb"
