"""The edit matcher: exact first, then each careful fallback, uniqueness and suggestions."""

from __future__ import annotations

import time

import pytest

from codesm.agent.tools.edit_match import (
    EditAmbiguous,
    EditInvalid,
    EditNoChange,
    EditNotFound,
    apply_edit,
    closest_lines,
)

PY = "def f(x):\n    if x:\n        return 1\n    return 2\n"


def test_an_exact_match_is_replaced_and_recorded_as_exact() -> None:
    applied = apply_edit(PY, "return 1", "return 3")
    assert applied.content == PY.replace("return 1", "return 3")
    assert (applied.matcher, applied.count, applied.lines) == ("exact", 1, (3,))


def test_lf_old_string_matches_a_crlf_file_and_the_result_keeps_crlf() -> None:
    content = PY.replace("\n", "\r\n")
    applied = apply_edit(content, "    if x:\n        return 1\n", "    if x:\n        return 9\n")
    assert applied.matcher == "line_endings"
    assert applied.content == content.replace("return 1", "return 9")
    assert "\n" not in applied.content.replace("\r\n", "")


def test_crlf_old_string_matches_an_lf_file() -> None:
    applied = apply_edit(PY, "if x:\r\n        return 1", "if x:\r\n        return 0")
    assert applied.matcher == "line_endings"
    assert applied.content == PY.replace("return 1", "return 0")


def test_trailing_whitespace_differences_are_ignored_per_line() -> None:
    content = "a = 1   \nb = 2\t\nc = 3\n"
    applied = apply_edit(content, "a = 1\nb = 2\n", "a = 10\nb = 20\n")
    assert applied.matcher == "trailing_whitespace"
    assert applied.content == "a = 10\nb = 20\nc = 3\n"


def test_a_uniformly_shifted_block_matches_and_new_string_is_shifted_alike() -> None:
    old = "if x:\n    return 1\n"
    new = "if x:\n    log(x)\n    return 1\n"
    applied = apply_edit(PY, old, new)
    assert applied.matcher == "indentation"
    assert applied.content == (
        "def f(x):\n    if x:\n        log(x)\n        return 1\n    return 2\n"
    )


def test_an_over_indented_block_is_dedented_to_the_file() -> None:
    content = "x = 1\ny = 2\n"
    applied = apply_edit(content, "    x = 1\n    y = 2", "    x = 5\n    y = 6")
    assert applied.matcher == "indentation"
    assert applied.content == "x = 5\ny = 6\n"


def test_spaces_in_old_string_match_a_tab_indented_file_and_tabs_are_kept() -> None:
    content = "func f() {\n\tif x {\n\t\treturn 1\n\t}\n}\n"
    old = "    if x {\n        return 1\n    }"
    new = "    if x {\n        return 2\n    }"
    applied = apply_edit(content, old, new)
    assert applied.matcher == "tabs_spaces"
    assert applied.content == "func f() {\n\tif x {\n\t\treturn 2\n\t}\n}\n"


def test_line_number_prefixes_copied_from_read_output_are_stripped() -> None:
    old = "     2\t    if x:\n     3\t        return 1"
    new = "     2\t    if x:\n     3\t        return 7"
    applied = apply_edit(PY, old, new)
    assert applied.matcher == "line_numbers"
    assert applied.content == PY.replace("return 1", "return 7")


def test_literal_escapes_in_old_string_are_unescaped() -> None:
    applied = apply_edit(PY, "if x:\\n        return 1", "if x:\\n        return 4")
    assert applied.matcher == "escapes"
    assert applied.content == PY.replace("return 1", "return 4")


def test_escaped_quotes_are_unescaped() -> None:
    content = 'msg = "hello"\n'
    applied = apply_edit(content, 'msg = \\"hello\\"', 'msg = \\"bye\\"')
    assert applied.matcher == "escapes"
    assert applied.content == 'msg = "bye"\n'


def test_a_transform_and_a_fallback_combine_in_the_recorded_name() -> None:
    old = "     2\tif x:\n     3\t    return 1"
    applied = apply_edit(PY, old, "     2\tif x:\n     3\t    return 5")
    assert applied.matcher == "line_numbers+indentation"
    assert "        return 5" in applied.content


def test_real_backslash_n_in_the_file_matches_exactly_before_unescaping() -> None:
    content = 'print("a\\nb")\n'
    applied = apply_edit(content, 'print("a\\nb")', 'print("a\\tb")')
    assert applied.matcher == "exact"
    assert applied.content == 'print("a\\tb")\n'


def test_an_ambiguous_match_is_refused_with_count_and_lines() -> None:
    content = "x = 1\ny = 2\nx = 1\n"
    with pytest.raises(EditAmbiguous) as info:
        apply_edit(content, "x = 1", "x = 3")
    assert info.value.count == 2
    assert info.value.lines == (1, 3)
    assert "lines 1, 3" in str(info.value)


def test_replace_all_replaces_every_occurrence_and_reports_the_count() -> None:
    applied = apply_edit("x = 1\ny = 2\nx = 1\n", "x = 1", "x = 3", replace_all=True)
    assert applied.count == 2
    assert applied.content == "x = 3\ny = 2\nx = 3\n"


def test_ambiguity_under_a_fallback_matcher_is_refused_too() -> None:
    content = "  a()\n  b()\n\n    a()\n    b()\n"
    with pytest.raises(EditAmbiguous):
        apply_edit(content, "a()\nb()", "c()")


def test_a_missing_old_string_suggests_the_closest_lines_with_numbers() -> None:
    content = "".join(f"line number {i}\n" for i in range(1, 200))
    content += "def compute_total(items):\n    return sum(items)\n"
    with pytest.raises(EditNotFound) as info:
        apply_edit(content, "def compute_totals(item):\n    return sum(item)", "x")
    message = str(info.value)
    assert "Did you mean lines 200-201" in message
    assert "   200\tdef compute_total(items):" in message


def test_a_hopeless_old_string_gets_no_suggestion_but_advice() -> None:
    with pytest.raises(EditNotFound) as info:
        apply_edit(PY, "zzzzqqqq wwww", "x")
    assert "Did you mean" not in str(info.value)
    assert "Read the file again" in str(info.value)


@pytest.mark.parametrize("old", ["", " ", "\n\n", "\t \r\n"])
def test_empty_or_whitespace_only_old_string_is_refused(old: str) -> None:
    with pytest.raises(EditInvalid):
        apply_edit(PY, old, "x")


def test_identical_old_and_new_strings_are_refused() -> None:
    with pytest.raises(EditInvalid):
        apply_edit(PY, "return 1", "return 1")


def test_a_fallback_that_would_change_nothing_is_reported_as_no_change() -> None:
    with pytest.raises(EditNoChange):
        apply_edit("a = 1\n", "a = 1   \n", "a = 1\n")


def test_deleting_a_whole_line_with_its_newline_works() -> None:
    applied = apply_edit("a\nb\nc\n", "b\n", "")
    assert applied.content == "a\nc\n"


def test_a_block_at_the_end_of_a_file_without_newline_matches() -> None:
    applied = apply_edit("a\n  b", "b\n", "c\n")
    assert applied.content == "a\n  c"


def test_the_suggestion_search_is_bounded_on_a_big_file() -> None:
    lines = [f"value_{i} = compute({i}, {i * 7})" for i in range(200_000)]
    started = time.perf_counter()
    found = closest_lines(lines, "value_123456 = compute(123456, 864190)\nvalue_x = 1")
    assert time.perf_counter() - started < 5
    assert found is not None


def test_a_five_megabyte_single_line_file_is_handled_quickly() -> None:
    content = "x" * 5_000_000
    started = time.perf_counter()
    with pytest.raises(EditNotFound):
        apply_edit(content, "y = 1\nz = 2", "w")
    assert time.perf_counter() - started < 5
