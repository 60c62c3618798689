"""The results view in a real headless browser (Debian's chromium): a host page plays the MCP Apps side
(answers ui/initialize, sends ui/notifications/tool-result with a real consensus result) and the view draws it."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from mcp import Client

from conftest import no_wait, settings_for
from orcollective.mcp import build_server
from orcollective.mcp.apps import VIEW_URI
from orcollective.simulator import ScriptedModel

CHROMIUM = os.environ.get("ORC_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
MC = "Which gas do plants absorb?\nA) Oxygen\nB) Carbon dioxide\nC) Nitrogen\nD) Helium"

HOST = """<!doctype html><html><body style="margin:0">
<iframe id="app" style="width:820px;height:900px;border:0"></iframe><pre id="probe"></pre>
<script>
const frame = document.getElementById("app");
const result = RESULT;
window.addEventListener("message", (event) => {
  const msg = event.data;
  if (msg.method === "ui/initialize") {
    frame.contentWindow.postMessage({jsonrpc: "2.0", id: msg.id, result: {protocolVersion: "2026-01-26",
      hostInfo: {name: "test-host", version: "1"}, hostCapabilities: {}, hostContext: {}}}, "*");
  } else if (msg.method === "ui/notifications/initialized") {
    frame.contentWindow.postMessage({jsonrpc: "2.0", method: "ui/notifications/tool-result", params: result}, "*");
  } else if (msg.method === "ui/notifications/size-changed") {
    document.getElementById("probe").textContent = "RENDERED " + frame.contentDocument.getElementById("view").innerText;
  }
});
frame.srcdoc = VIEW;
</script></body></html>"""


async def consensus_result(simulator, tmp_path) -> tuple[str, dict]:
    for model, reply, latency in (("v/a", "B", 0.05), ("v/b", "B", 0.1), ("v/c", "**Answer: B**", 0.15),
                                  ("v/d", "A", 0.08)):  # fmt: skip
        simulator.script(ScriptedModel(model, reply=reply, latency_s=latency))
    async with Client(build_server(settings_for(simulator, tmp_path), retry=no_wait(2))) as mcp:
        html = (await mcp.read_resource(VIEW_URI)).contents[0].text
        called = await mcp.call_tool(
            "consensus", {"prompt": MC, "models": ["v/a", "v/b", "v/c", "v/d"], "early_stop": False}
        )
    assert not called.is_error
    return html, {"content": [c.model_dump(mode="json") for c in called.content],
                  "structuredContent": called.structured_content}  # fmt: skip


def js(value: object) -> str:
    """``value`` as a script literal; "</" escaped so the view's own </script> cannot end the host's."""
    return json.dumps(value).replace("</", "<\\/")


def render(page: Path, *extra: str) -> subprocess.CompletedProcess:
    assert CHROMIUM
    args = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--allow-file-access-from-files",
            "--virtual-time-budget=3000", "--window-size=840,960", *extra, page.as_uri()]  # fmt: skip
    return subprocess.run(args, capture_output=True, text=True, timeout=60)


@pytest.mark.skipif(not CHROMIUM, reason="chromium is not installed (apt-get install chromium)")
async def test_view_renders_a_real_consensus_result_in_chromium(simulator, tmp_path):
    """The view shows the answer, the vote shares, each model with latency and cost, and the dissent."""
    html, result = await consensus_result(simulator, tmp_path)
    page = tmp_path / "host.html"
    page.write_text(HOST.replace("VIEW", js(html)).replace("RESULT", js(result)))
    dom = render(page, "--dump-dom").stdout
    probe = re.search(r'<pre id="probe">RENDERED (.*?)</pre>', dom, re.S)
    assert probe, dom[-2000:]
    shown = probe.group(1)
    assert "Carbon dioxide" in shown or "B" in shown
    assert "75%" in shown and "25%" in shown  # three of four voted B
    for model in ("v/a", "v/b", "v/c", "v/d"):
        assert model in shown
    assert "dissent" in shown.lower() and "confidence" in shown and "$" in shown
    shot = Path(os.environ.get("ORC_VIEW_SCREENSHOT") or tmp_path / "view.png")
    render(page, f"--screenshot={shot}")
    assert shot.exists() and shot.stat().st_size > 10_000
