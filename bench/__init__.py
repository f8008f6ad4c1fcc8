"""Benchmarks for codesm's Rust core against ripgrep, fd, fzf, git and pure Python.

Not tests: they print ratios measured in the same run (see `bench/README.md`).
"""
