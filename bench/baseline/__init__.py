"""Baselines the benchmarks compare Chorus with (not part of Chorus, not in any image)."""
