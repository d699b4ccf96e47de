"""Readers and validation for trial data: CSV, Parquet, CDISC ADaM, SAS transport."""
