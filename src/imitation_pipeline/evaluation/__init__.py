"""Evaluation: play a policy on a level suite (:mod:`.runner`), statistics over seeds and learning
curves (:mod:`.stats`), and the comparison plots (:mod:`.plots`)."""
