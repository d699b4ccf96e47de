"""End-to-end workflows (data or simulation -> analysis -> report) that the CLI and notebooks call."""
