"""The offline sample world: a deterministic generator and a loopback HTTP server (demo and tests only).

`generate(out_dir, seed)` writes the world, `server.SampleServer(world_dir)` serves it on 127.0.0.1, and
`sources_config(world_dir, base_url)` points every `SourcesConfig` source at that server.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pipelines.config import SourcesConfig
    from pipelines.sample.plan import WorldOptions
    from pipelines.sample.server import ServerLimits


def generate(out_dir: Path, seed: int = 2026, options: "WorldOptions | None" = None) -> dict:
    """Write the world and return its truth; `options` (plan.WorldOptions) defaults to the demo world's."""
    from pipelines.sample.builder import generate as _generate

    return _generate(Path(out_dir), seed, options)


def sources_config(world_dir: Path, base_url: str, *, limits: "ServerLimits | None" = None,
                   **overrides) -> "SourcesConfig":
    """A `SourcesConfig` pointing every upstream at the sample server at `base_url`.

    Writes `<world_dir>/registry.resolved.csv` (the sample registry with `{base}` filled in). Politeness is scaled
    to the server's limits so the real client code paths (403 wait, 429 backoff, pacing) run in seconds.
    """
    import json
    from dataclasses import replace

    from pipelines.config import SourcesConfig
    from pipelines.sample.server import ServerLimits

    world_dir = Path(world_dir)
    limits = limits or ServerLimits()
    base = base_url.rstrip("/")
    template = (world_dir / "registry.csv").read_text(encoding="utf-8")
    resolved = world_dir / "registry.resolved.csv"
    resolved.write_text(template.replace("{base}", base), encoding="utf-8")
    truth = json.loads((world_dir / "truth.json").read_text(encoding="utf-8"))
    first_notice = truth["notices"]["first_release_date"]
    end = truth["period"]["end"]
    import datetime as dt

    # the day after the last thing the world publishes (spend period end, or a notice released after it)
    last = max(dt.date.fromisoformat(end), dt.date.fromisoformat(truth["notices"]["last_release_date"][:10]))
    as_of = (last + dt.timedelta(days=1)).isoformat()
    config = SourcesConfig(
        registry_csv=str(resolved),
        contracts_finder_url=base,
        find_a_tender_url=base,
        ckan_url=f"{base}/api/action",
        ocdr_url=base,
        registers={
            "companies_house": f"{base}/registers/companies_house/en_output.html",
            "charity_commission": f"{base}/registers/charity_commission/publicextract.charity.zip",
            "ons_postcodes": f"{base}/registers/ons/NSPL21_FEB_2025_UK.zip",
            "companies_house_psc": f"{base}/registers/companies_house/en_pscdata.html",
            "public_bodies": f"{base}/registers/public_bodies/local-authority.csv",
        },
        cf_rate_limit_wait_s=limits.cf_block_s + 0.2,
        cf_min_interval_s=limits.cf_window_s / limits.cf_max_requests * 1.5,
        fts_min_interval_s=limits.fts_min_interval_s * 1.3,
        fts_after_429_wait_s=limits.fts_min_interval_s * 3,
        http_backoff_s=0.05,
        # one loopback host serves every council, CKAN and register: space requests to its council limiter
        http_min_interval_s=1.0 / limits.council_max_per_s,
        ckan_min_interval_s=1.0 / limits.council_max_per_s,
        contracts_finder_start=first_notice,
        find_a_tender_start=first_notice,
        as_of=as_of,
    )
    return replace(config, **overrides)
