"""Web-side benchmarks W1-W7 (PERFORMANCE.md §5.4); `python -m bench.web`, see bench/README.md."""
