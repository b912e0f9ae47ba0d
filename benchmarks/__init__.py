"""Speed benchmarks. Each module has ``main()``; figures are printed as ratios against a reference
measured in the same run (never asserted in tests). Run all with ``make bench``."""
