"""Benchmarks: ``make bench`` prints ratios measured side by side in one run (not tests)."""
