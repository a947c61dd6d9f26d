"""The `keepitlocal` command.

Each subcommand lives in its own module exposing `add_arguments(parser)` and `run(args) -> int`; only the
chosen one is imported, so `keepitlocal parse-spend` starts without loading Dagster. Command names, flags and
JSON keys are contracts: keep them stable. The command runs Polars with the lean allocator setting
(pipelines.allocator), set before any subcommand module loads Polars.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path

from pipelines.allocator import use_lean_allocator

# name -> (module, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "demo": ("pipelines.demo", "run the whole nightly pipeline on the offline sample world and print a summary"),
    "run": ("pipelines.nightly", "run the nightly job against the configured (live by default) sources"),
    "rebuild": ("pipelines.rebuild", "rebuild spend or notice staging from the raw store, downloading nothing"),
    "ui": ("pipelines.ui", "open the Dagster UI (dagster dev) with the project's instance config"),
    "parse-spend": ("pipelines.spend.cli", "parse one local council spending file"),
    "parse-ocds": ("pipelines.notices.cli", "flatten a local OCDS release package / JSON Lines file"),
    "match-suppliers": ("pipelines.suppliers.cli", "normalise, resolve and classify supplier names in a CSV"),
    "extract": ("pipelines.extracts.cli", "write researchers' parquet/CSV extracts and catalogue page"),
    "sample": ("pipelines.sample.cli", "generate or serve the offline sample world"),
    "registry": ("pipelines.registry.report", "report on the council source registry (coverage, stale rows)"),
    "check-events": ("pipelines.marts.events", "check a warehouse's sourcing events against its own payments"),
}


# third-party module -> the optional extra that installs it (pyproject.toml [project.optional-dependencies])
OPTIONAL_MODULES = {"xlsxwriter": "sample"}


def input_problem(path: Path) -> str | None:
    """Why `path` cannot be read as an input file (None when it can): named precisely, so a directory or a
    device given by mistake is not reported as missing."""
    if path.is_file():
        return None
    if path.is_dir():
        return f"{path} is a directory, not a file"
    return f"{path} is not a regular file" if path.exists() else f"no such file: {path}"


def build_parser(chosen: str | None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="keepitlocal", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (module, help_text) in COMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        if name == chosen:
            importlib.import_module(module).add_arguments(p)
    return parser


def main(argv: list[str] | None = None) -> int:
    use_lean_allocator()  # before build_parser imports the chosen subcommand's module (and Polars)
    argv = sys.argv[1:] if argv is None else argv
    chosen = next((a for a in argv if not a.startswith("-")), None)
    parser = build_parser(chosen if chosen in COMMANDS else None)
    args = parser.parse_args(argv)
    if not args.command:
        parser.print_help()
        return 2
    try:
        module = importlib.import_module(COMMANDS[args.command][0])
        return int(module.run(args) or 0)
    except ModuleNotFoundError as exc:
        extra = OPTIONAL_MODULES.get((exc.name or "").split(".")[0])
        if extra is None:
            raise
        print(f"keepitlocal {args.command}: needs the '{extra}' extra ({exc.name} is not installed): "
              f"pip install 'keepitlocal[{extra}]'", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
