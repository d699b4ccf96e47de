"""Statistics over arrays (numpy/scipy only): KM, (weighted) log-rank, MaxCombo, Cox and its PH test, RMST, more."""
