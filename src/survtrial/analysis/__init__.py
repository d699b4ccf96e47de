"""Trial analysis pipelines over frames: primary endpoint, subgroups, safety."""
