from __future__ import annotations

import pytest

from codesm.web.render.view import StatusView


@pytest.mark.parametrize(
    ("tokens", "level"), [(0, "ok"), (49_000, "ok"), (50_000, "warn"), (80_000, "high")]
)
def test_context_colour_changes_at_half_and_four_fifths_of_the_window(
    tokens: int, level: str
) -> None:
    status = StatusView(
        mode="smart", permission_mode="review", model="m", context_window=100_000,
        context_tokens=tokens,
    )  # fmt: skip
    assert status.context_level == level


def test_unknown_window_is_never_coloured() -> None:
    status = StatusView(mode="smart", permission_mode="review", model="m", context_tokens=10**9)
    assert status.context_level == "ok"
