"""A rollout played by the engine alone, against a simulated world, in the terminal."""
