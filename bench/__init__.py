"""Benchmarks: scripted loads against the sandbox whose figures are reported, not asserted."""
