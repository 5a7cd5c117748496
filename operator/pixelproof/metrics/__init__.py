"""Metric gates: query templates, providers, and the built-in gate catalogue."""
