"""The suite's judgement: what a run's figures come to (results, and later targets and comparisons)."""
