"""The MCP face of the features: the server, the feature-to-tool adapter, schema shaping, resources."""

from .server import build_server

__all__ = ["build_server"]
