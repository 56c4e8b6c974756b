"""Benchmarks for the Enode client library and simulator (run with scripts/bench)."""
