"""The pixelproof evaluator: proves from generated images that a candidate model is as good
as the stable one, and writes a compact verdict for the operator plus a full report."""

__version__ = "0.1.0"
