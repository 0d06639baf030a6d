"""Writing results: tidy tables as Parquet and CSV, with a ``meta.json`` sidecar holding the validated
config, its hash, the seed, package versions and the git commit."""

from __future__ import annotations

import json
import platform
import subprocess
from collections.abc import Iterable
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from sim.metrics import RunResult

PACKAGES = ("mesa", "numpy", "pandas", "pydantic", "pyarrow", "scipy")


def git_commit() -> str:
    """The commit of the working tree this package runs from, or "unknown"."""
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=Path(__file__).resolve().parent,
                             capture_output=True, text=True, timeout=5, check=True)
        return out.stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def provenance(extra_packages: Iterable[str] = ()) -> dict[str, Any]:
    """collection-lab's version, the versions of :data:`PACKAGES` and ``extra_packages``, Python's version
    and the git commit: the record every output carries."""
    versions = {}
    for name in (*PACKAGES, *extra_packages):
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    from sim import __version__

    return {"collection_lab": __version__, "python": platform.python_version(), "packages": versions,
            "git_commit": git_commit()}


def write_meta(out: Path, meta: dict[str, Any]) -> Path:
    """Write ``meta`` (which carries the :func:`provenance` record) to ``out/meta.json``; return its path."""
    path = out / "meta.json"
    path.write_text(json.dumps(meta, indent=2))
    return path


#: the key of the provenance record in a Parquet file's own (schema) metadata
PARQUET_KEY = b"collection_lab"


def write_parquet(frame: pd.DataFrame, path: Path, meta: dict[str, Any]) -> Path:
    """Write ``frame`` as Parquet with ``meta`` (JSON) in the file's own metadata under ``collection_lab``,
    so that the file carries its provenance without its sidecar; :func:`read_provenance` reads it back."""
    table = pa.Table.from_pandas(frame, preserve_index=False)
    schema_meta = dict(table.schema.metadata or {})
    schema_meta[PARQUET_KEY] = json.dumps(meta, default=str).encode()
    pq.write_table(table.replace_schema_metadata(schema_meta), path)
    return path


def read_provenance(path: str | Path) -> dict[str, Any]:
    """The provenance record a Parquet file written here carries ({} if it has none)."""
    raw = (pq.read_schema(path).metadata or {}).get(PARQUET_KEY)
    return json.loads(raw) if raw else {}


def write_outputs(out: Path, result: RunResult, welfare: dict[str, float] | None = None) -> list[Path]:
    """Write ``monthly``, ``segments``, ``summary``, the bank's reports ``roll_rates`` and ``vintages`` (and
    ``traces`` if any) as Parquet and CSV, ``welfare.csv`` when the welfare changes were computed, and
    ``meta.json``. Each Parquet file also carries the provenance in its own metadata."""
    out.mkdir(parents=True, exist_ok=True)
    meta = {
        "scenario": result.meta.get("scenario"),
        "seed": result.meta.get("seed"),
        "config_hash": result.meta.get("config_hash"),
        "config": result.meta.get("config"),
        "portfolio": result.meta.get("portfolio"),
        **provenance(),
    }
    paths = []
    for name in ("monthly", "segments", "summary", "roll_rates", "vintages", "traces"):
        frame = getattr(result, name)
        if frame is None:
            continue
        write_parquet(frame, out / f"{name}.parquet", meta)
        frame.to_csv(out / f"{name}.csv", index=False)
        paths += [out / f"{name}.parquet", out / f"{name}.csv"]
    if welfare is not None:
        frame = pd.DataFrame({"outcome": list(welfare), "value": list(welfare.values())})
        frame.to_csv(out / "welfare.csv", index=False)
        paths.append(out / "welfare.csv")
    paths.append(write_meta(out, meta))
    return paths
