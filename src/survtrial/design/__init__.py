"""Group-sequential design: spending functions, boundaries, sample size, conditional power."""
