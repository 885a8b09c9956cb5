"""Benchmarks: `make bench` runs every bench_*.py module and prints one JSON object per line."""
