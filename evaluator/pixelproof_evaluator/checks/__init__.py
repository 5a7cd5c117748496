"""Per-image checks, each run on both the stable and the candidate outputs."""
