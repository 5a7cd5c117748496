"""`kubectl pixelproof`: watch and steer ModelRollouts from the command line.

Installed as the `kubectl-pixelproof` executable, kubectl finds it on PATH and runs it
for `kubectl pixelproof ...`. Commands never edit spec (GitOps owns it): promote,
abort and retry set an annotation whose value is a fresh token."""
