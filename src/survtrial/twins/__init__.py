"""Packaged twin definitions (YAML): a published trial's arms, endpoints, analysis, headlines and published values."""
