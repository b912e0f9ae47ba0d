"""Demonstration recorders: keyboard (pygame) and programmatic, writing compact replays or NPZ episodes."""
