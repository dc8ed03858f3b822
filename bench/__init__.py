"""Benchmarks: print figures and ratios against raw SpiffWorkflow; never part of the test run."""
