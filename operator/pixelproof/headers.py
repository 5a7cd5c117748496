"""HTTP headers the operator's programs, the evaluator and the generators agree on. A module
of its own, so that a generator process reads them without importing the API models."""

EVALUATION_HEADER = "X-Pixelproof-Evaluation"
"""Set on every request the evaluator sends. Generators keep these requests out of their
serving metrics: the evaluator's bursts on a one-replica candidate would otherwise read as
a latency regression to the metric gates and roll a good model back."""
