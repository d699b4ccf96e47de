"""Pure array-level statistics kernels (numpy/scipy only): KM, log-rank, Cox, RMST, competing risks, binomial."""
