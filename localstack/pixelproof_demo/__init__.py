"""The complete local stack behind `pixelproof demo` and the end-to-end tests: a local
Kubernetes API, the operator, a real Prometheus, reference generator processes standing in
for model Deployments, a traffic driver standing in for the service mesh, and the real
evaluator run as a local process for every evaluator Job."""
