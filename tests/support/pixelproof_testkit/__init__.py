"""What pixelproof's tests and benchmarks share: the local test world the operator runs in,
scenarios written as given/when/then, the metric-gate harness, chart rendering with the real
helm, and the fixtures of the reference generator and end-to-end catalogs."""
