"""Quality gate checks: one module per QualityGates field, measuring on each image of both
models and judging the candidate; registry.py lists them in reporting order."""
