"""benchmark_report: lists saved benchmarks, exports md/csv/json/png into the output folder and nowhere else."""

from __future__ import annotations

import csv
import io
import json

import pytest
from mcp import Client
from PIL import Image

from conftest import no_wait, settings_for
from orcollective.errors import InvalidArgument
from orcollective.features import Progress
from orcollective.features.benchmark import BenchmarkRequest
from orcollective.features.benchmark import run as run_benchmark
from orcollective.features.benchmark_report import BenchmarkReportRequest, output_path
from orcollective.features.benchmark_report import run as run_report
from orcollective.mcp import build_server
from orcollective.runtime import open_runtime
from orcollective.simulator import ScriptedModel

NO_WAIT = no_wait(attempts=1)


async def _bench(rt, label: str) -> str:
    req = BenchmarkRequest(prompts=["What is 6 * 7?"], models=["r/a", "r/b"], expected=["42"], label=label)
    result = await run_benchmark(rt, req, Progress())
    assert result.benchmark_id is not None
    return result.benchmark_id


@pytest.fixture
def scripted(simulator):
    simulator.script(ScriptedModel("r/a", reply="Answer: 42"))
    simulator.script(ScriptedModel("r/b", reply="Answer: 41"))
    return simulator


async def test_lists_then_exports_each_format_into_the_output_folder(scripted, tmp_path) -> None:
    """Without arguments it lists (latest first); each format is written under ORCOLLECTIVE_OUTPUT_DIR."""
    out = tmp_path / "exports"
    async with open_runtime(settings_for(scripted, tmp_path, output_dir=out), retry=NO_WAIT) as rt:
        first = await _bench(rt, "first")
        second = await _bench(rt, "second")
        listing = await run_report(rt, BenchmarkReportRequest(), Progress())
        assert [b.benchmark_id for b in listing.benchmarks] == [second, first]
        results = {}
        for fmt in ("md", "csv", "json", "png"):
            req = BenchmarkReportRequest(benchmark_id=first, format=fmt)
            results[fmt] = await run_report(rt, req, Progress())
        latest = await run_report(rt, BenchmarkReportRequest(format="md", filename="latest-report"), Progress())

    for fmt, result in results.items():
        assert result.exported == str((out / f"{first}.{fmt}").resolve()) and result.bytes
    assert "| 1 | r/a |" in (out / f"{first}.md").read_text()
    rows = list(csv.DictReader(io.StringIO((out / f"{first}.csv").read_text())))
    assert [(r["contestant"], r["accuracy"]) for r in rows] == [("r/a", "1.0"), ("r/b", "0.0")]
    assert json.loads((out / f"{first}.json").read_text())["label"] == "first"
    assert Image.open(out / f"{first}.png").format == "PNG"
    assert latest.exported == str((out / "latest-report.md").resolve())
    assert "second" in (out / "latest-report.md").read_text()
    assert sorted(p.name for p in out.iterdir()) == sorted([f"{first}.{f}" for f in results] + ["latest-report.md"])


@pytest.mark.parametrize("name", ["../evil.md", "sub/x.md", "/tmp/x.md", "..", "a\\b.md", "C:x.md"])
def test_names_that_could_leave_the_folder_are_refused(tmp_path, name) -> None:
    """Separators, '..', absolute paths and drives are refused with one line naming the folder."""
    with pytest.raises(InvalidArgument, match="plain name inside the output folder"):
        output_path(tmp_path, name, "md", None)


def test_a_symlink_out_of_the_folder_is_refused(tmp_path) -> None:
    """A name that resolves outside the folder (through a symlink) is refused too."""
    folder, outside = tmp_path / "out", tmp_path / "elsewhere"
    folder.mkdir()
    outside.mkdir()
    (folder / "link.md").symlink_to(outside / "target.md")
    with pytest.raises(InvalidArgument, match="outside the output folder"):
        output_path(folder, "link.md", "md", None)


async def test_mcp_refusal_is_one_line_and_writes_nothing(scripted, tmp_path) -> None:
    """Through MCP a bad filename is an isError result of one line; the folder stays empty."""
    out = tmp_path / "exports"
    async with Client(build_server(settings_for(scripted, tmp_path, output_dir=out), retry=NO_WAIT)) as client:
        await client.call_tool("benchmark", {"prompts": ["What is 6 * 7?"], "models": ["r/a", "r/b"]})
        bad = await client.call_tool("benchmark_report", {"format": "csv", "filename": "../../etc/passwd"})
        empty = await client.call_tool("benchmark_report", {"benchmark_id": "b_nope", "format": "md"})
    assert bad.is_error and "\n" not in bad.content[0].text and "output folder" in bad.content[0].text
    assert empty.is_error and "benchmark_report" in empty.content[0].text
    assert not out.exists() or not any(out.iterdir())
