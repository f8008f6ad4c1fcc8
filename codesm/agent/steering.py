"""Prompts sent to an agent while its turn runs: they wait here for the turn's next model step."""

from __future__ import annotations


class SteeringQueue:
    """Texts that join the running turn's conversation before its next model step, in the order
    they were sent."""

    def __init__(self) -> None:
        self._texts: list[str] = []

    def add(self, text: str) -> None:
        self._texts.append(text)

    @property
    def pending(self) -> bool:
        return bool(self._texts)

    def take(self) -> list[str]:
        """Everything waiting, oldest first; the queue is empty afterwards."""
        texts, self._texts = self._texts, []
        return texts
