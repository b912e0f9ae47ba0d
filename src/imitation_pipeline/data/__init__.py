"""Datasets: observation shards regenerated from replays, Pokemon NPZ episodes, replay buffers, splits."""
