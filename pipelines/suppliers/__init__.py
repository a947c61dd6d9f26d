"""Suppliers: normalise names, load reference registers, resolve to organisations, classify, locate, group.

Library modules only (no Dagster): `normalise`, `registers`, `resolve`, `classify`, `build`, `cli`.
"""
