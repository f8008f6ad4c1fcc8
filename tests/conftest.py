"""Shared fixtures for all tests."""

from __future__ import annotations

from tests.support.fixtures import make_adapter, scripted_llm

__all__ = ["make_adapter", "scripted_llm"]
