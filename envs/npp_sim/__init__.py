"""npp_sim: a deterministic N++ simulator of our own, its file formats, gymnasium env and level suites."""
