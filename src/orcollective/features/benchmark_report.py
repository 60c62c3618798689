"""benchmark_report: list saved benchmarks, or export one as md / csv / json / png into the output folder.

Exports are written only inside ``ORCOLLECTIVE_OUTPUT_DIR``: a file name with a path separator, ``..``
or an absolute path is refused, and the resolved target must still be inside the folder.
"""

from __future__ import annotations

import csv
import io
import json
import os
import stat
import time
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from ..errors import ConfigError, InvalidArgument, StoreError, quoted
from ..runtime import Runtime
from ..store.benchmarks import SavedBenchmark, get_benchmark, list_benchmarks
from .base import Cli, Feature, Progress, Request
from .benchmark import BenchmarkResult, images

Format = Literal["md", "csv", "json", "png"]
MAX_NAME_BYTES = 255  # a file name's limit on common file systems
CSV_COLUMNS = (
    "rank", "contestant", "kind", "trials", "success_rate", "ttft_median_s", "ttft_p90_s", "latency_median_s",
    "latency_p90_s", "tokens_per_s", "cost_usd", "cost_per_trial_usd", "accuracy", "judge_score", "graded",
)  # fmt: skip


class BenchmarkReportRequest(Request):
    benchmark_id: Annotated[str | None, Field(description="Default latest")] = None
    format: Annotated[Format | None, Field(description="Omit to list")] = None
    filename: Annotated[str | None, Field(description="In the output folder")] = None
    limit: Annotated[int, Field(ge=1, le=200)] = 20


class BenchmarkListing(BaseModel, defer_build=True):
    benchmark_id: str
    created_at: str
    label: str | None
    models: list[str]
    prompts: int
    runs: int
    cost_usd: float | None


class BenchmarkReportResult(BaseModel, defer_build=True):
    benchmarks: list[BenchmarkListing]
    exported: str | None  # the file written
    format: str | None
    bytes: int | None


async def run(rt: Runtime, req: BenchmarkReportRequest, progress: Progress) -> BenchmarkReportResult:
    """List, or export one benchmark into the output folder."""
    if rt.store is None:
        raise ConfigError("The run store is unavailable, so no benchmark is saved; check ORCOLLECTIVE_DATA_DIR.")
    if req.format is None:
        if req.filename is not None or req.benchmark_id is not None:
            raise InvalidArgument("give 'format' (md, csv, json or png) to export; without it the tool lists.")
        try:
            saved = list_benchmarks(rt.store, req.limit)
        except StoreError as exc:
            raise ConfigError(f"Could not read saved benchmarks: {exc}") from exc
        return BenchmarkReportResult(benchmarks=[_listing(s) for s in saved], exported=None, format=None, bytes=None)
    if req.filename is not None:
        output_path(rt.output_dir, req.filename, req.format, None)  # a bad name is refused before reading
    found = get_benchmark(rt.store, req.benchmark_id)
    if found is None or found.result is None:
        what = f"benchmark '{quoted(req.benchmark_id)}'" if req.benchmark_id else "saved benchmark"
        raise InvalidArgument(f"There is no {what}; run benchmark first, or call benchmark_report to list ids.")
    target = output_path(rt.output_dir, req.filename or f"{found.id}.{req.format}", req.format, None)
    data = export(BenchmarkResult.model_validate(found.result), req.format)
    write_export(target, data)
    return BenchmarkReportResult(benchmarks=[_listing(found)], exported=str(target), format=req.format, bytes=len(data))


def output_path(folder: Path | None, filename: str | None, fmt: str, benchmark_id: str | None) -> Path:
    """The export's path inside ``folder``; a name that could leave it is refused with one line."""
    if folder is None:
        raise ConfigError("No output folder: set ORCOLLECTIVE_OUTPUT_DIR.")
    name = filename if filename is not None else f"{benchmark_id or 'latest'}.{fmt}"
    if not name.strip() or any(c in name for c in "/\\:\x00") or ".." in name or Path(name).is_absolute():
        raise InvalidArgument(
            f"filename must be a plain name inside the output folder ({folder}); choose one without path "
            "separators, '..', a drive or NUL."
        )
    if not name.lower().endswith(f".{fmt}"):
        name += f".{fmt}"
    if len(name.encode()) > MAX_NAME_BYTES:
        raise InvalidArgument(f"filename is {len(name.encode())} bytes long; use at most {MAX_NAME_BYTES}.")
    root = folder.expanduser().resolve()
    target = (root / name).resolve()
    if not target.is_relative_to(root):  # e.g. a symlink inside the folder pointing out of it
        raise InvalidArgument(
            f"'{quoted(name)}' would be written outside the output folder {root}; choose another name."
        )
    return target


def write_export(target: Path, data: bytes) -> None:
    """``data`` as the regular file ``target`` (created or replaced). A directory, FIFO or device there is
    refused instead of blocking or failing, and a symlink swapped in after the path check is not followed."""
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(
            f"Cannot create the output folder {target.parent} ({exc.strerror}); "
            "set ORCOLLECTIVE_OUTPUT_DIR to a folder."
        ) from exc
    # Flags a platform lacks count as 0 (Windows has no O_NONBLOCK or O_NOFOLLOW; only Windows has O_BINARY).
    flags = os.O_WRONLY | os.O_CREAT
    for extra in ("O_NONBLOCK", "O_NOFOLLOW", "O_CLOEXEC", "O_BINARY"):
        flags |= getattr(os, extra, 0)
    label = f"'{quoted(target.name)}' in the output folder"
    try:
        fd = os.open(target, flags, 0o644)
    except OSError as exc:
        raise InvalidArgument(f"Cannot write {label} ({exc.strerror}); choose another filename.") from exc
    with open(fd, "wb") as out:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise InvalidArgument(f"{label} is not a regular file; choose another filename.")
        out.truncate(0)
        out.write(data)


def export(result: BenchmarkResult, fmt: str) -> bytes:
    """The benchmark in one format: a markdown table, CSV rows, the JSON result, or the PNG chart."""
    if fmt == "png":
        return images(result)[0]
    if fmt == "json":
        return (json.dumps(result.model_dump(mode="json"), indent=2) + "\n").encode()
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(CSV_COLUMNS)
        for row in result.rows:
            values = row.model_dump()
            writer.writerow(["" if values[c] is None else values[c] for c in CSV_COLUMNS])
        return buffer.getvalue().encode()
    return markdown(result).encode()


def markdown(r: BenchmarkResult) -> str:
    """A markdown report: what was run, the ranked table with units, the panel's comparison, the notes."""
    lines = [
        f"# Benchmark {r.benchmark_id or ''}{f' — {r.label}' if r.label else ''}",
        "",
        f"{len(r.models)} models x {r.prompts} prompts x {r.runs} runs = {r.trials} calls; wall {r.wall_s:.2f} s "
        f"for {r.sequential_s:.2f} s of calls; cost ${r.cost_usd:.6f}.",
        "",
        "| rank | contestant | ok | TTFT median (s) | latency median (s) | latency p90 (s) | tokens/s | cost (USD) "
        "| accuracy | judge score |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in r.rows:
        cells = [
            str(row.rank), row.contestant, f"{row.success_rate:.0%}", _n(row.ttft_median_s), _n(row.latency_median_s),
            _n(row.latency_p90_s), _n(row.tokens_per_s, 1), _n(row.cost_usd, 6),
            f"{row.accuracy:.0%}" if row.accuracy is not None else "-", _n(row.judge_score, 2),
        ]  # fmt: skip
        lines.append("| " + " | ".join(cells) + " |")
    p = r.panel
    if p is not None and p.gain_points is not None:
        lines.append("")
        lines.append(
            f"The panel scored {p.panel_accuracy:.0%} against {p.best_model_accuracy:.0%} for its best member "
            f"{p.best_model} ({p.gain_points:+.1f} points), at {p.cost_ratio or '-'}x its cost."
        )
    lines += [f"- note: {n}" for n in r.notes]
    return "\n".join(lines) + "\n"


def _n(value: float | None, digits: int = 3) -> str:
    return f"{value:.{digits}f}" if value is not None else "-"


def _listing(s: SavedBenchmark) -> BenchmarkListing:
    return BenchmarkListing(
        benchmark_id=s.id,
        created_at=time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(s.created_at)),
        label=s.label,
        models=s.models,
        prompts=s.prompts,
        runs=s.runs,
        cost_usd=s.cost_usd,
    )


def summary(r: BenchmarkReportResult) -> str:
    if r.exported is not None:
        return f"Wrote {r.exported} ({r.bytes} bytes, {r.format})."
    if not r.benchmarks:
        return "No saved benchmarks yet: run the benchmark tool first."
    return "\n".join(
        f"{b.benchmark_id}  {b.created_at}  {len(b.models)} models x {b.prompts} prompts x {b.runs} runs"
        f"{f'  {b.label}' if b.label else ''}"
        for b in r.benchmarks
    )


FEATURE = Feature(
    name="benchmark_report",
    group="benchmark",
    kind="writes_local",
    description="List saved benchmarks or export one (md/csv/json/png) to the output folder.",
    request=BenchmarkReportRequest,
    result=BenchmarkReportResult,
    run=run,
    summary=summary,
    cli=Cli(command="bench-report", arguments=("benchmark_id",)),
)
