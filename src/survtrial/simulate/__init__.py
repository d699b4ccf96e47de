"""Trial simulation: scenarios, calibration, the vectorised engine, and parallel runners."""
