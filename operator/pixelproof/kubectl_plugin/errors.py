"""The plugin's one error kind, apart from the modules that talk to the cluster, so parsing
and completion start without importing a Kubernetes client."""

from __future__ import annotations

from pixelproof.errors import PixelproofError


class PluginError(PixelproofError):
    """A failure the user can act on; the message names the object or setting at fault."""
