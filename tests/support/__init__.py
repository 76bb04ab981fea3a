"""Test helpers that need no pytest: usable from benchmarks too."""
