"""Threads (sessions) from the command line: listing, search, export, replay, handoff, sharing.

Each module is a pure function of what the store returns, so `codesm threads ...` handlers stay
thin and the web UI can reuse the same renderings.
"""
