"""Publication plots (matplotlib) and the self-contained HTML report."""
