"""Evaluator Jobs: building them from a rollout, and reading their outcome."""
