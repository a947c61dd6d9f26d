"""Suppliers: load reference registers, resolve names to organisations, classify, locate, group (names are
normalised by pipelines.normalise).

Library modules only (no Dagster): `registers`, `resolve`, `classify`, `build`, `cli`.
"""
