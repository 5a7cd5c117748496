"""Statistics the checks rely on."""
