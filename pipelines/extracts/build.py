"""Researchers' downloads: parquet/CSV extracts of the published warehouse, as immutable numbered releases.

`build_extracts` reads the PUBLISHED warehouse file (read-only, so an analyst or the nightly writer is never
blocked) and writes `extracts_dir/<release>/`:

    marts/<mart>.parquet, marts/<mart>.csv          every table in `marts`, whatever exists
    core/fact_payment/financial_year=<YYYY-YY>/council_gss=<GSS>/data_0.parquet
    core/fact_award/award_year=<YYYY>/data_0.parquet
    core/dim_council.parquet, dim_date, dim_service, dim_supplier   the dimensions the facts' keys point at
    core/suppliers.parquet, core/supplier_names.parquet   the open supplier crosswalk
    datapackage.json                                 Frictionless Data Package (datapackage.py)
    index.html                                       static catalogue page with SVG charts (catalogue.py)

A release is written into a hidden temporary directory next to the others and renamed into place in one step,
so a reader never sees a half-written release and a killed build leaves nothing under a release id. Releases
are never overwritten: the default id is the run date, with `-2`, `-3` ... when that id exists. The `latest`
symlink (and the `LATEST` text file, for platforms without symlinks) then move to the new release, and older
releases beyond the retention policy are deleted (`prune_releases`: the last N and the last release of every
month are kept; `latest` never goes).

Partitioned facts use hive-style directories, and every file also stores its partition values as ordinary
columns: a single downloaded payments file says which council and financial year it holds, and DuckDB, Polars
and pyarrow read the folder the same with hive partitioning on or off.

**Unchanged content.** Each release records a content signature in its datapackage.json
(`keepitlocal:content_signature`: the columns and contents of every table it extracts, the data dictionary, the
pipeline version, the sources and this package's code; pipelines/stage_state.py). With `reuse_unchanged` (the
nightly run), a build whose signature equals that of the `latest` release writes nothing: the latest release
stays, `Release.reused` says so, and only the retention policy runs. So a night on which nothing changed does
not rewrite every file.

The same warehouse gives byte-identical data files: rows are written in a total order and DuckDB runs with one
thread here, because a parallel partitioned write interleaves row groups in a timing-dependent order.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
import re
import shutil
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from pipelines import sqlfiles
from pipelines.published import connect_published

log = logging.getLogger(__name__)

RELEASE_ID_PATTERN = re.compile(r"^[0-9A-Za-z][0-9A-Za-z._-]{0,63}$")
# names that live beside the releases and must never be taken as a release id
RESERVED_NAMES = {"latest", "LATEST"}
LATEST_LINK = "latest"
LATEST_FILE = "LATEST"
BUILDING_PREFIX = ".building-"
DELETING_PREFIX = ".deleting-"

# the facts, their dimensions and the crosswalk extracted besides every mart
PAYMENTS_TABLE = ("core", "fact_payment")
AWARDS_TABLE = ("core", "fact_award")
DIMENSION_TABLES = (("core", "dim_council"), ("core", "dim_date"), ("core", "dim_service"), ("core", "dim_supplier"))
CROSSWALK_TABLES = (("core", "suppliers"), ("core", "supplier_names"))

_DATE_TYPES = ("DATE", "TIMESTAMP")


class ReleaseExists(FileExistsError):
    """The release id is already taken: a written release is immutable."""


class NoPublishedWarehouse(FileNotFoundError):
    """There is no published warehouse file to extract from."""


@dataclass(frozen=True)
class Column:
    name: str
    duckdb_type: str
    description: str = ""
    # True for hive partition columns: their values name the directories and are stored in the files too
    partition: bool = False


@dataclass(frozen=True)
class ExtractFile:
    path: str  # POSIX path relative to the release directory
    bytes: int
    sha256: str
    rows: int
    # partition column -> value, for a file of a partitioned extract
    partition: dict[str, str | None] = field(default_factory=dict)


@dataclass
class Extract:
    name: str  # Frictionless resource name, unique in the package
    table_schema: str
    table_name: str
    format: str  # parquet | csv
    files: list[ExtractFile]
    columns: list[Column]
    title: str = ""
    description: str = ""
    grain: str = ""
    partitioned_by: list[str] = field(default_factory=list)  # hive partition columns, outermost first

    @property
    def source_table(self) -> str:
        return f"{self.table_schema}.{self.table_name}"

    @property
    def rows(self) -> int:
        return sum(f.rows for f in self.files)

    @property
    def bytes(self) -> int:
        return sum(f.bytes for f in self.files)

    @property
    def partition_columns(self) -> list[str]:
        return list(self.partitioned_by)


@dataclass
class Release:
    release_id: str
    path: Path
    created: dt.datetime
    pipeline_version: str
    extracts: list[Extract] = field(default_factory=list)
    sources: list[dict] = field(default_factory=list)
    pruned: list[str] = field(default_factory=list)  # older releases the retention policy deleted
    url: str | None = None  # the release's URL when it was written to object storage (pipelines/storage.py)
    content_signature: str | None = None  # what the release holds (module docstring, "Unchanged content")
    reused: bool = False  # True: the content was that of the latest release, which was kept and nothing written

    @property
    def location(self) -> str:
        return self.url or str(self.path)

    @property
    def summary(self) -> str:
        files = sum(len(e.files) for e in self.extracts)
        size = sum(e.bytes for e in self.extracts)
        parquet_rows = sum(e.rows for e in self.extracts if e.format == "parquet")
        pruned = f"; {len(self.pruned)} older release(s) deleted by the retention policy" if self.pruned else ""
        reused = " (unchanged: the latest release kept, nothing written)" if self.reused else ""
        return (f"release {self.release_id}{reused}: {len(self.extracts)} resources, {files} files, "
                f"{human_bytes(size)}, {parquet_rows:,} rows{pruned}")


def build_extracts(
    published_path: str | Path,
    extracts_dir: str | Path,
    release: str | None = None,
    *,
    pipeline_version: str,
    sources: list[dict],
    created: dt.datetime | None = None,
    retention: RetentionPolicy | None = None,
) -> Path:
    """Write one immutable release of the extracts, datapackage.json and index.html; return its directory.

    `release` None takes the run date (`YYYY-MM-DD`, then `-2`, `-3` ...); an explicit id that exists raises
    `ReleaseExists`. `sources` are the councils' landing pages ({"title", "path"}) for the datapackage.
    """
    return build_release(published_path, extracts_dir, release, pipeline_version=pipeline_version,
                         sources=sources, created=created, retention=retention).path


def build_release(
    published_path: str | Path,
    extracts_dir: str | Path,
    release: str | None = None,
    *,
    pipeline_version: str,
    sources: list[dict],
    created: dt.datetime | None = None,
    retention: RetentionPolicy | None = None,
    reuse_unchanged: bool = False,
) -> Release:
    """`build_extracts`, returning the whole `Release` (extracts, files, counts) for callers that report on it.

    After the new release is in place and `latest` points at it, releases beyond `retention` (default
    `RetentionPolicy()`: the last 7 and every month's last) are deleted; `Release.pruned` lists them.
    `reuse_unchanged` (and no explicit `release` id): when the latest release holds exactly what this one would,
    keep it and write nothing (`Release.reused`).
    """
    # imported here: the page and the package are rendered from the Release this module builds
    from pipelines.extracts import catalogue, datapackage
    from pipelines.storage import is_remote

    if is_remote(extracts_dir):
        return build_remote_release(published_path, str(extracts_dir), release, pipeline_version=pipeline_version,
                                    sources=sources, created=created, retention=retention,
                                    reuse_unchanged=reuse_unchanged)
    published_path = Path(published_path)
    extracts_dir = Path(extracts_dir)
    if not published_path.is_file():
        raise NoPublishedWarehouse(f"no published warehouse at {published_path}")
    signature = release_content_signature(published_path, pipeline_version=pipeline_version, sources=sources)
    if reuse_unchanged and not release and extracts_dir.is_dir():
        current = reusable_release(extracts_dir, signature)
        if current is not None:
            current.pruned = prune_releases(extracts_dir, retention or RetentionPolicy())
            log.info("extracts %s", current.summary)
            return current
    created = (created or dt.datetime.now(dt.timezone.utc)).replace(microsecond=0)
    extracts_dir.mkdir(parents=True, exist_ok=True)
    release_id = check_release_id(release, extracts_dir) if release else next_release_id(extracts_dir, created.date())

    staging = Path(tempfile.mkdtemp(prefix=f"{BUILDING_PREFIX}{release_id}-", dir=extracts_dir))
    # mkdtemp makes a private (0700) directory; a published release is for everyone to read
    os.chmod(staging, 0o755)
    try:
        result = Release(release_id, extracts_dir / release_id, created, pipeline_version, sources=list(sources),
                         content_signature=signature)
        con = open_published(published_path)
        try:
            result.extracts = write_extracts(con, staging)
            chart_data = catalogue.load_chart_data(con)
        finally:
            con.close()
        datapackage.write_datapackage(staging, result)
        catalogue.write_index(staging, result, chart_data)
        try:
            # rename is atomic and refuses a non-empty target: two builds racing for one id cannot both win
            os.rename(staging, result.path)
        except OSError as exc:
            raise ReleaseExists(f"release {release_id} appeared while building; nothing was overwritten") from exc
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    update_latest(extracts_dir, release_id)
    result.pruned = prune_releases(extracts_dir, retention or RetentionPolicy())
    log.info("extracts %s", result.summary)
    return result


def build_remote_release(published_path: str | Path, extracts_url: str, release: str | None = None, *,
                         pipeline_version: str, sources: list[dict], created: dt.datetime | None = None,
                         retention: RetentionPolicy | None = None, reuse_unchanged: bool = False) -> Release:
    """`build_release` into object storage (`s3://bucket/prefix`, pipelines/storage.py): the release is built
    on local disk exactly as a local one, then uploaded under `<release>/`, datapackage.json last (a release
    is complete only once its package is there, as `list_releases` reads it); then the `LATEST` object names
    it and older releases beyond `retention` are deleted. Release ids are never reused."""
    from pipelines.storage import Storage

    store = Storage(extracts_url)
    created = (created or dt.datetime.now(dt.timezone.utc)).replace(microsecond=0)
    if reuse_unchanged and not release:
        if not Path(published_path).is_file():
            raise NoPublishedWarehouse(f"no published warehouse at {published_path}")
        signature = release_content_signature(published_path, pipeline_version=pipeline_version, sources=sources)
        current = reusable_remote_release(store, signature)
        if current is not None:
            current.pruned = prune_remote_releases(store, retention or RetentionPolicy(), latest=current.release_id)
            log.info("extracts %s -> %s", current.summary, current.url)
            return current
    taken = set(store.children())
    if release:
        if not RELEASE_ID_PATTERN.match(release) or release in RESERVED_NAMES:
            raise ValueError(f"release id {release!r} must be letters, digits, '.', '_' or '-' (not 'latest')")
        if release in taken:
            raise ReleaseExists(f"release {release} already exists in {extracts_url}; releases are never overwritten")
        release_id = release
    else:
        release_id, n = created.date().isoformat(), 1
        while release_id in taken:
            n += 1
            release_id = f"{created.date().isoformat()}-{n}"
    with tempfile.TemporaryDirectory(prefix="keepitlocal-extracts-") as local:
        built = build_release(published_path, Path(local), release_id, pipeline_version=pipeline_version,
                              sources=sources, created=created, retention=RetentionPolicy(keep_last=None))
        store.upload_tree(built.path, release_id, last=("datapackage.json",))
    store.write_bytes(LATEST_FILE, (release_id + "\n").encode())
    built.path, built.url = Path(release_id), store.uri(release_id)
    built.pruned = prune_remote_releases(store, retention or RetentionPolicy(), latest=release_id)
    log.info("extracts %s -> %s", built.summary, built.url)
    return built


def prune_remote_releases(store, policy: RetentionPolicy, latest: str | None) -> list[str]:
    """`prune_releases` for a release store in object storage."""
    releases = []
    for name in store.children():
        if name.startswith(".") or name in RESERVED_NAMES or not store.exists(f"{name}/datapackage.json"):
            continue
        try:
            stamp = json.loads(store.read_bytes(f"{name}/datapackage.json"))["created"]
            releases.append((dt.datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ"), name))
        except (ValueError, KeyError, TypeError):
            continue
    keep = releases_to_keep(sorted(releases), policy, latest)
    deleted = [name for _created, name in sorted(releases) if name not in keep]
    for name in deleted:
        store.delete(f"{name}/datapackage.json")  # first: the release stops counting as complete
        store.delete(name)
    return deleted


def open_published(published_path: Path) -> duckdb.DuckDBPyConnection:
    """Read-only connection to the published file, set up for reproducible output."""
    con = connect_published(published_path)
    con.execute("set threads = 1")
    con.execute("set preserve_insertion_order = true")
    return con


# ---------------------------------------------------------------------------------------------- unchanged content

# the tables a release extracts besides every mart, and the dictionary its descriptions come from
_SIGNED_META_TABLES = (("meta", "table_dictionary"), ("meta", "column_dictionary"))
EXTRACTS_CODE = ("pipelines/extracts", "sql/extracts")


def release_content_signature(published_path: str | Path, *, pipeline_version: str, sources: list[dict]) -> str:
    """A hash of everything a release of `published_path` would hold (module docstring, "Unchanged content")."""
    from pipelines import stage_state

    con = connect_published(published_path)
    try:
        catalog = read_catalog(con)
        tables = [("marts", m) for m in catalog.marts()]
        tables += [PAYMENTS_TABLE, AWARDS_TABLE, *DIMENSION_TABLES, *CROSSWALK_TABLES, *_SIGNED_META_TABLES]
        contents = stage_state.tables_signature(con, [f"{schema}.{table}" for schema, table in tables])
    finally:
        con.close()
    return stage_state.digest({"tables": contents, "code": stage_state.code_signature(*EXTRACTS_CODE),
                               "pipeline_version": pipeline_version, "sources": sources})


def reusable_release(extracts_dir: Path, signature: str) -> Release | None:
    """The latest release when it was built with `signature` and every file its package lists is still there
    with its size; None otherwise."""
    latest = resolve_latest(extracts_dir)
    if latest is None or not (latest / "datapackage.json").is_file():
        return None
    try:
        package = json.loads((latest / "datapackage.json").read_text(encoding="utf-8"))
    except ValueError:
        return None
    if package.get("keepitlocal:content_signature") != signature:
        return None
    release = release_from_package(package, latest)
    for extract in release.extracts:
        for f in extract.files:
            target = latest / f.path
            if not target.is_file() or target.stat().st_size != f.bytes:
                return None
    return release


def reusable_remote_release(store, signature: str) -> Release | None:
    """`reusable_release` for a release store in object storage (the package and LATEST are read; file sizes
    are not checked there)."""
    if not store.exists(LATEST_FILE):
        return None
    name = store.read_bytes(LATEST_FILE).decode().strip()
    if not name or not store.exists(f"{name}/datapackage.json"):
        return None
    try:
        package = json.loads(store.read_bytes(f"{name}/datapackage.json"))
    except ValueError:
        return None
    if package.get("keepitlocal:content_signature") != signature:
        return None
    release = release_from_package(package, Path(name))
    release.url = store.uri(name)
    return release


def release_from_package(package: dict, path: Path) -> Release:
    """The `Release` a datapackage.json describes (its extracts and files; column details are left out), marked
    reused."""
    extracts: dict[tuple[str, str], Extract] = {}
    for resource in package.get("resources", []):
        source = resource.get("keepitlocal:source_table", ".")
        schema, _, table = source.partition(".")
        key = (resource.get("keepitlocal:table", resource.get("name", "")), resource.get("format", ""))
        extract = extracts.setdefault(key, Extract(key[0], schema, table, key[1], [], [],
                                                   grain=resource.get("keepitlocal:grain", "")))
        for f in resource.get("keepitlocal:files", []):
            extract.files.append(ExtractFile(f["path"], int(f["bytes"]), f["sha256"], int(f["rows"]),
                                             dict(resource.get("keepitlocal:partition", {}))))
    try:
        created = dt.datetime.strptime(package["created"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.timezone.utc)
    except (KeyError, ValueError):
        created = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    return Release(str(package.get("keepitlocal:release") or path.name), path, created,
                   str(package.get("keepitlocal:pipeline_version", "")), list(extracts.values()),
                   content_signature=package.get("keepitlocal:content_signature"), reused=True)


# ---------------------------------------------------------------------------------------------- release ids


def check_release_id(release: str, extracts_dir: Path) -> str:
    if not RELEASE_ID_PATTERN.match(release) or release in RESERVED_NAMES:
        raise ValueError(f"release id {release!r} must be letters, digits, '.', '_' or '-' (not 'latest')")
    if (extracts_dir / release).exists():
        raise ReleaseExists(f"release {release} already exists in {extracts_dir}; releases are never overwritten")
    return release


def next_release_id(extracts_dir: Path, day: dt.date) -> str:
    """The run date, or the first free `<date>-N` when that date already has a release."""
    base = day.isoformat()
    candidate, n = base, 1
    while (extracts_dir / candidate).exists():
        n += 1
        candidate = f"{base}-{n}"
    return candidate


def update_latest(extracts_dir: Path, release_id: str) -> None:
    """Point `latest` (relative symlink) and `LATEST` (text) at the release, each replaced atomically."""
    token = f".{os.getpid()}.tmp"
    text_tmp = extracts_dir / (LATEST_FILE + token)
    text_tmp.write_text(release_id + "\n", encoding="utf-8")
    os.replace(text_tmp, extracts_dir / LATEST_FILE)
    link_tmp = extracts_dir / (LATEST_LINK + token)
    link_tmp.unlink(missing_ok=True)
    try:
        os.symlink(release_id, link_tmp, target_is_directory=True)
    except (OSError, NotImplementedError):
        # no symlinks (e.g. Windows without developer mode): LATEST is the pointer there
        log.warning("could not create the 'latest' symlink; LATEST names release %s", release_id)
        return
    os.replace(link_tmp, extracts_dir / LATEST_LINK)


@dataclass(frozen=True)
class RetentionPolicy:
    """Which releases to keep: the newest `keep_last`, and (with `keep_month_ends`) the last release of every
    calendar month, so a month-end snapshot of any past month stays downloadable. The release `latest` points
    at is always kept. `keep_last=None` keeps everything."""

    keep_last: int | None = 7
    keep_month_ends: bool = True

    def __post_init__(self):
        if self.keep_last is not None and self.keep_last < 1:
            raise ValueError("keep_last must be at least 1 (the latest release is always kept)")


def list_releases(extracts_dir: Path) -> list[tuple[dt.datetime, str]]:
    """Complete releases in `extracts_dir` as (created, id), oldest first.

    A release is a directory holding `datapackage.json`; its time is the package's `created` (else the
    directory's modification time), ties broken by id.
    """
    releases = []
    for entry in extracts_dir.iterdir():
        if entry.name.startswith(".") or entry.name in RESERVED_NAMES or entry.is_symlink() or not entry.is_dir():
            continue
        package = entry / "datapackage.json"
        if not package.is_file():
            continue
        try:
            created = dt.datetime.strptime(json.loads(package.read_text(encoding="utf-8"))["created"],
                                           "%Y-%m-%dT%H:%M:%SZ")
        except (ValueError, KeyError, TypeError):
            created = dt.datetime.fromtimestamp(entry.stat().st_mtime, dt.timezone.utc).replace(tzinfo=None)
        releases.append((created, entry.name))
    return sorted(releases)


def releases_to_keep(releases: list[tuple[dt.datetime, str]], policy: RetentionPolicy,
                     latest: str | None) -> set[str]:
    if policy.keep_last is None:
        return {name for _, name in releases}
    keep = {name for _, name in releases[-policy.keep_last:]}
    if policy.keep_month_ends:
        month_end: dict[tuple[int, int], str] = {}
        for created, name in releases:  # oldest first: the last one of each month wins
            month_end[(created.year, created.month)] = name
        keep |= set(month_end.values())
    if latest:
        keep.add(latest)
    return keep


def prune_releases(extracts_dir: str | Path, policy: RetentionPolicy) -> list[str]:
    """Delete the releases `policy` does not keep; return their ids, oldest first.

    Each goes in two steps: renamed to a hidden `.deleting-<id>` (so no reader finds half a release under its
    id), then removed. `latest` and its target are never touched.
    """
    extracts_dir = Path(extracts_dir)
    releases = list_releases(extracts_dir)
    current = resolve_latest(extracts_dir)
    keep = releases_to_keep(releases, policy, current.name if current else None)
    deleted = []
    for _created, name in releases:
        if name in keep:
            continue
        doomed = extracts_dir / f"{DELETING_PREFIX}{name}"
        os.rename(extracts_dir / name, doomed)
        shutil.rmtree(doomed)
        deleted.append(name)
    if deleted:
        log.info("retention: deleted %d old release(s): %s", len(deleted), ", ".join(deleted))
    return deleted


def resolve_latest(extracts_dir: str | Path) -> Path | None:
    """The latest release directory, via the symlink or else the LATEST file."""
    extracts_dir = Path(extracts_dir)
    link = extracts_dir / LATEST_LINK
    if link.is_dir():
        return link.resolve()
    text = extracts_dir / LATEST_FILE
    if text.is_file():
        target = extracts_dir / text.read_text(encoding="utf-8").strip()
        return target if target.is_dir() else None
    return None


# ---------------------------------------------------------------------------------------------- extracts


@dataclass(frozen=True)
class WarehouseCatalog:
    """What the published file holds: table columns and the data dictionary."""

    columns: dict[tuple[str, str], list[tuple[str, str]]]
    tables: dict[tuple[str, str], dict]
    column_descriptions: dict[tuple[str, str, str], str]

    def has(self, schema: str, table: str) -> bool:
        return (schema, table) in self.columns

    def marts(self) -> list[str]:
        return sorted(t for s, t in self.columns if s == "marts")

    def column_list(self, schema: str, table: str, extra: Iterable[Column] = ()) -> list[Column]:
        cols = [Column(name, dtype, self.column_descriptions.get((schema, table, name), ""))
                for name, dtype in self.columns[(schema, table)]]
        return cols + list(extra)


def read_catalog(con: duckdb.DuckDBPyConnection) -> WarehouseCatalog:
    columns: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for schema, table, column, dtype in sqlfiles.execute(con, "extracts/list_columns").fetchall():
        columns.setdefault((schema, table), []).append((column, dtype))
    tables: dict[tuple[str, str], dict] = {}
    descriptions: dict[tuple[str, str, str], str] = {}
    # the dictionary is filled by the marts build; an older or partial warehouse may lack it
    if ("meta", "table_dictionary") in columns:
        for schema, table, grain, definition, source in sqlfiles.execute(con, "extracts/table_dictionary").fetchall():
            tables[(schema, table)] = {"grain": grain or "", "definition": definition or "", "source": source or ""}
    if ("meta", "column_dictionary") in columns:
        for schema, table, column, description in sqlfiles.execute(con, "extracts/column_dictionary").fetchall():
            descriptions[(schema, table, column)] = description or ""
    return WarehouseCatalog(columns, tables, descriptions)


def write_extracts(con: duckdb.DuckDBPyConnection, release_dir: Path) -> list[Extract]:
    """Write every extract under `release_dir`; return them in catalogue order (marts, facts, crosswalk)."""
    catalog = read_catalog(con)
    extracts: list[Extract] = []
    for mart in catalog.marts():
        extracts.append(_single_parquet(con, catalog, release_dir, "marts", mart))
        extracts.append(_mart_csv(con, catalog, release_dir, mart))
    if catalog.has(*PAYMENTS_TABLE):
        extracts.append(_payments(con, catalog, release_dir))
    else:
        log.warning("no %s.%s in the published warehouse: payments not extracted", *PAYMENTS_TABLE)
    if catalog.has(*AWARDS_TABLE):
        extracts.append(_awards(con, catalog, release_dir))
    else:
        log.warning("no %s.%s in the published warehouse: awards not extracted", *AWARDS_TABLE)
    for schema, table in DIMENSION_TABLES + CROSSWALK_TABLES:
        if catalog.has(schema, table):
            extracts.append(_single_parquet(con, catalog, release_dir, schema, table))
        else:
            log.warning("no %s.%s in the published warehouse: not extracted", schema, table)
    return extracts


def _describe(catalog: WarehouseCatalog, schema: str, table: str, name: str, fmt: str,
              files: list[ExtractFile], columns: list[Column]) -> Extract:
    info = catalog.tables.get((schema, table), {})
    description = info.get("definition") or f"{schema}.{table} from the published warehouse."
    title = f"{schema}.{table} ({fmt})"
    return Extract(name, schema, table, fmt, files, columns, title, description, info.get("grain", ""))


def _single_parquet(con, catalog: WarehouseCatalog, release_dir: Path, schema: str, table: str) -> Extract:
    relative = f"{schema}/{table}.parquet"
    target = release_dir / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    copied = _copy(con, "extracts/copy_table_parquet", {"table": f"{schema}.{table}", "path": str(target)})
    files = _parquet_files(con, release_dir, [target], copied)
    return _describe(catalog, schema, table, resource_name(table), "parquet", files, catalog.column_list(schema, table))


def _mart_csv(con, catalog: WarehouseCatalog, release_dir: Path, table: str) -> Extract:
    relative = f"marts/{table}.csv"
    target = release_dir / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    rows = _copy(con, "extracts/copy_mart_csv", {"table": f"marts.{table}", "path": str(target)})
    files = [ExtractFile(relative, target.stat().st_size, sha256_file(target), rows)]
    return _describe(catalog, "marts", table, resource_name(table) + "-csv", "csv", files,
                     catalog.column_list("marts", table))


def _payments(con, catalog: WarehouseCatalog, release_dir: Path) -> Extract:
    schema, table = PAYMENTS_TABLE
    names = [n for n, _ in catalog.columns[PAYMENTS_TABLE]]
    date_column = _date_column(catalog.columns[PAYMENTS_TABLE], preferred="payment_date")
    if "financial_year" in names:
        statement, extra = "extracts/stage_payments_by_financial_year", []
        sort_column = date_column or "financial_year"
    elif date_column:
        statement, sort_column = "extracts/stage_payments_by_date", date_column
        extra = [Column("financial_year", "VARCHAR",
                        f"UK financial year (1 April to 31 March) of {date_column}, e.g. 2023-24; 'unknown' without a date")]
    else:
        raise ValueError(f"{schema}.{table} has neither financial_year nor a date column to partition by")
    return _partitioned(con, catalog, release_dir, schema, table, statement, sort_column,
                        ["financial_year", "council_gss"], catalog.column_list(schema, table, extra))


def _awards(con, catalog: WarehouseCatalog, release_dir: Path) -> Extract:
    schema, table = AWARDS_TABLE
    date_column = _date_column(catalog.columns[AWARDS_TABLE], preferred="award_date")
    if not date_column:
        raise ValueError(f"{schema}.{table} has no date column to partition by year")
    extra = [Column("award_year", "INTEGER", f"calendar year of {date_column}")]
    return _partitioned(con, catalog, release_dir, schema, table, "extracts/stage_awards_by_year", date_column,
                        ["award_year"], catalog.column_list(schema, table, extra))


def _partitioned(con, catalog, release_dir: Path, schema: str, table: str, stage_statement: str, date_column: str,
                 partition_by: list[str], columns: list[Column]) -> Extract:
    """Write a fact as hive partitions, one sorted parquet file each.

    DuckDB's own `COPY ... PARTITION_BY` does not keep the ORDER BY inside each file (it regroups rows by
    partition), so the fact is sorted once into a temporary table and each partition is copied on its own;
    the sorted table's zone maps let each partition's scan skip the rest.
    """
    directory = release_dir / schema / table
    directory.mkdir(parents=True, exist_ok=True)
    sqlfiles.execute(con, stage_statement, {"table": f"{schema}.{table}", "date_column": date_column}).fetchall()
    try:
        partitions = sqlfiles.execute(con, "extracts/list_stage_partitions").fetchall()
        written: list[Path] = []
        partition_values: dict[Path, dict[str, str | None]] = {}
        for key, _rows in partitions:
            values = json.loads(key)
            target = directory.joinpath(*(f"{name}={hive_value(v)}" for name, v in zip(partition_by, values)),
                                        "data_0.parquet")
            target.parent.mkdir(parents=True, exist_ok=True)
            _copy(con, "extracts/copy_stage_partition_parquet",
                  {"drop_columns": ["extract_partition"], "partition": key, "path": str(target)})
            written.append(target)
            partition_values[target] = {name: None if v is None else str(v) for name, v in zip(partition_by, values)}
        if not partitions:
            # no rows means no partition: one empty, unpartitioned file keeps the schema downloadable
            target = directory / "data_0.parquet"
            _copy(con, "extracts/copy_table_parquet", {"table": f"{schema}.{table}", "path": str(target)})
            stored = dict(catalog.columns[(schema, table)])
            columns = [Column(c.name, c.duckdb_type, c.description) for c in columns if c.name in stored]
            files = _parquet_files(con, release_dir, [target], 0)
        else:
            files = _parquet_files(con, release_dir, written, sum(n for _k, n in partitions), partition_values)
    finally:
        sqlfiles.execute(con, "extracts/drop_stage").fetchall()
    if partitions:
        columns = [Column(c.name, c.duckdb_type, c.description, partition=c.name in partition_by) for c in columns]
    extract = _describe(catalog, schema, table, resource_name(table), "parquet", files, columns)
    extract.partitioned_by = list(partition_by) if partitions else []
    return extract


def hive_value(value: object) -> str:
    """A partition value as a hive directory name: null is DuckDB's default partition, unsafe characters escaped."""
    if value is None:
        return "__HIVE_DEFAULT_PARTITION__"
    return "".join(ch if ch.isalnum() or ch in "-_." else f"%{ord(ch):02X}" for ch in str(value))


def _copy(con, statement: str, params: dict) -> int:
    # fetchall completes the result: DuckDB 2 refuses new work on a connection with an unfinished one
    rows = sqlfiles.execute(con, statement, params).fetchall()
    return int(rows[0][0]) if rows else 0


def _parquet_files(con, release_dir: Path, paths: list[Path], copied_rows: int,
                   partitions: dict[Path, dict[str, str | None]] | None = None) -> list[ExtractFile]:
    counts = dict(sqlfiles.execute(con, "extracts/parquet_file_rows", {"files": [str(p) for p in paths]}).fetchall())
    files = [ExtractFile(p.relative_to(release_dir).as_posix(), p.stat().st_size, sha256_file(p), int(counts[str(p)]),
                         dict((partitions or {}).get(p, {})))
             for p in sorted(paths, key=lambda p: p.relative_to(release_dir).as_posix())]
    if sum(f.rows for f in files) != copied_rows:
        raise RuntimeError(f"parquet footers count {sum(f.rows for f in files)} rows, COPY wrote {copied_rows}")
    return files


def _date_column(columns: list[tuple[str, str]], preferred: str) -> str | None:
    names = {n: t for n, t in columns}
    if preferred in names:
        return preferred
    return next((n for n, t in columns if t.upper().startswith(_DATE_TYPES)), None)


def resource_name(table: str) -> str:
    """A Frictionless resource name: lower-case letters, digits, '-', '_', '.'."""
    return re.sub(r"[^a-z0-9._-]", "-", table.lower())


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def human_bytes(size: int) -> str:
    value = float(size)
    for unit in ("B", "kB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{int(value)} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"


# ---------------------------------------------------------------------------------------------- release inputs


def release_inputs(published_path: str | Path, default_version: str) -> tuple[str, list[dict]]:
    """The pipeline version and council landing-page sources recorded in the published warehouse.

    The version is the latest `meta.runs.pipeline_version` (else `default_version`); the sources are the pages
    the councils' spending files were found on, as datapackage `{title, path}` entries.
    """
    con = connect_published(published_path)
    try:
        present = {(s, t) for s, t, _ in sqlfiles.execute(con, "extracts/list_tables").fetchall()}
        version = default_version
        if ("meta", "runs") in present:
            rows = sqlfiles.execute(con, "extracts/latest_pipeline_version").fetchall()
            version = rows[0][0] if rows else default_version
        sources: list[dict] = []
        if {("raw", "fetch_manifest"), ("meta", "stage_report")} <= present:
            for _gss, name, page in sqlfiles.execute(con, "extracts/council_landing_pages").fetchall():
                sources.append({"title": f"{name}: spending over £500 (landing page)", "path": page})
        return version, sources
    finally:
        con.close()
