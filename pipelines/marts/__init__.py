"""Core star schema, marts, warehouse checks, the data dictionary and the warehouse README.

    build_core(con, councils) -> dict          pipelines.marts.build
    build_marts(con, params=None) -> dict      pipelines.marts.build
    blocking_checks(con) -> list[str]          pipelines.marts.checks (pass to Warehouse.publish)
    warning_checks(con, previous_path) -> list[str]
    write_warehouse_readme(con, path) -> Path  pipelines.marts.docs

Importing this package does nothing else; import the submodules you need.
"""
