"""Helpers shared by tests and benchmarks (a real local HTTP server, ...)."""
