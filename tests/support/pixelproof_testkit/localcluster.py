"""Shared helpers for the localcluster tests."""

from __future__ import annotations

from pathlib import Path

TEST_CRDS = Path(__file__).parent / "crds"
GROUP = "test.pixelproof.dev"
