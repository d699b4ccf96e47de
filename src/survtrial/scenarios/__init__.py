"""Packaged YAML trial scenarios."""
