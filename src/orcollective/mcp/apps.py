"""The results view (MCP Apps): one self-contained HTML resource that hosts with Apps support render for a
consensus or benchmark result. The tools return the same text and structured content for every client; the
view reads the structured content the host hands it (``ui/notifications/tool-result``)."""

from __future__ import annotations

from importlib.resources import files

from mcp.server.apps import Apps, ResourceCsp
from mcp.server.mcpserver.tools import Tool

VIEW_URI = "ui://orcollective/results.html"
VIEW_TOOLS = ("consensus", "benchmark", "collaborate")  # results the view knows how to draw


def view_html() -> str:
    """The view's HTML: inline CSS and script, no network fetches."""
    return files(__package__).joinpath("results_view.html").read_text(encoding="utf-8")


def results_view() -> Apps:
    """The Apps extension serving the view (its capability is advertised; the resource is readable)."""
    apps = Apps()
    apps.add_html_resource(
        VIEW_URI,
        view_html(),
        name="results view",
        description="Interactive view of a consensus or benchmark result: votes, answers, latency, cost.",
        csp=ResourceCsp(connect_domains=[], resource_domains=[]),
        prefers_border=True,
    )
    return apps


def with_view(tool: Tool) -> Tool:
    """``tool`` pointing at the view in ``_meta.ui`` when its result is one the view draws."""
    if tool.name not in VIEW_TOOLS:
        return tool
    return tool.model_copy(update={"meta": {**(tool.meta or {}), "ui": {"resourceUri": VIEW_URI}}})
