"""Benchmarks at real scale on PostgreSQL: `make bench` (see docs/PERFORMANCE.md)."""
