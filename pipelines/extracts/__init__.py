"""Researchers' downloads: parquet/CSV extracts, a Frictionless data package and a static catalogue page.

`build_extracts(published_path, extracts_dir, ...)` in `build.py` is the entry point; `cli.py` is
`keepitlocal extract`.
"""
