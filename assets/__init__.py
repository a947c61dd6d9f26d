"""Dagster assets (autoloaded by `dg` as the defs folder). Assets only orchestrate: logic lives in `pipelines/`."""
