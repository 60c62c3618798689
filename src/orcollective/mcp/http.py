"""Streamable HTTP: the ASGI app with its guards (bearer token, Host/Origin allow-lists, /healthz) and the
server loop. A bind other than the default loopback names needs a token; Host and Origin are always
checked, so a web page cannot reach the server through DNS rebinding."""

from __future__ import annotations

import hmac
import socket
import sys
from collections.abc import Sequence
from dataclasses import dataclass

import uvicorn
from mcp.server.mcpserver import MCPServer
from mcp.server.transport_security import TransportSecuritySettings
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from ..errors import ConfigError
from ..settings import Settings

LOOPBACK = ("127.0.0.1", "localhost", "::1")
MCP_PATH = "/mcp"
HEALTH_PATH = "/healthz"
GRACE_S = 5  # how long a shutdown waits for open streams before closing them


@dataclass(frozen=True)
class HttpPlan:
    """Where and how the server listens, decided once from the bind address and the settings."""

    host: str
    port: int
    token: str | None
    security: TransportSecuritySettings

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}{MCP_PATH}"


def plan_http(
    settings: Settings,
    host: str,
    port: int,
    token: str | None = None,
    hosts: Sequence[str] = (),
    origins: Sequence[str] = (),
) -> HttpPlan:
    """The listening plan; a bind other than 127.0.0.1/localhost/::1 without a token is refused. ``hosts``
    and ``origins`` add to ``ORCOLLECTIVE_ALLOWED_HOSTS`` / ``ORCOLLECTIVE_ALLOWED_ORIGINS``."""
    secret = token or (settings.http_token.get_secret_value() if settings.http_token else None) or None
    if host not in LOOPBACK and not secret:
        raise ConfigError(
            f"Binding to {host} (not 127.0.0.1, localhost or ::1) needs a bearer token: set "
            "ORCOLLECTIVE_HTTP_TOKEN or pass --token, or bind to 127.0.0.1."
        )
    named = [] if host in LOOPBACK or host in ("0.0.0.0", "::") else [f"[{host}]" if ":" in host else host]
    local = ["127.0.0.1", "localhost", "[::1]", *named]
    security = TransportSecuritySettings(
        enable_dns_rebinding_protection=True,
        allowed_hosts=[*local, *(f"{h}:*" for h in local), *settings.allowed_hosts, *hosts],
        allowed_origins=[*(f"http://{h}{p}" for h in local for p in ("", ":*")), *settings.allowed_origins, *origins],
    )
    return HttpPlan(host=host, port=port, token=secret, security=security)


class BearerToken:
    """Refuses every request but ``/healthz`` that lacks ``Authorization: Bearer <token>`` (401)."""

    def __init__(self, app: ASGIApp, token: str) -> None:
        self.app = app
        self.expected = f"Bearer {token}".encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope.get("path") != HEALTH_PATH:
            given = dict(scope.get("headers") or []).get(b"authorization", b"")
            if not hmac.compare_digest(given, self.expected):
                response = JSONResponse(
                    {"error": "missing or wrong bearer token"},
                    status_code=401,
                    headers={"WWW-Authenticate": 'Bearer realm="orcollective"'},
                )
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


async def _healthz(_: Request) -> Response:
    return JSONResponse({"status": "ok"})


def http_app(server: MCPServer, settings: Settings, plan: HttpPlan) -> ASGIApp:
    """The ASGI app: MCP at ``/mcp``, ``/healthz`` open, everything else behind the token when there is one."""
    app: Starlette = server.streamable_http_app(
        streamable_http_path=MCP_PATH,
        transport_security=plan.security,
        session_idle_timeout=settings.http_session_idle_s,
        host=plan.host,
    )
    app.router.routes.append(Route(HEALTH_PATH, _healthz, methods=["GET"]))
    return BearerToken(app, plan.token) if plan.token else app


def bind(plan: HttpPlan) -> socket.socket:
    """The listening socket, opened before the server starts so a port in use is one clear error."""
    family = socket.AF_INET6 if ":" in plan.host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((plan.host, plan.port))
    except OSError as exc:
        sock.close()
        reason = "is in use" if exc.errno in (98, 48, 10048) else f"cannot be bound ({exc.strerror})"
        raise ConfigError(f"Port {plan.port} on {plan.host} {reason}: pick another with --port.") from exc
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def serve_http(server: MCPServer, settings: Settings, plan: HttpPlan) -> None:
    """Serve until SIGINT/SIGTERM; the lifespan closes the runtime (runs in flight end as cancelled)."""
    sock = bind(plan)
    guard = "bearer token required" if plan.token else "loopback only, no token"
    print(f"orcollective: MCP over streamable HTTP at {plan.url} ({guard}); Ctrl-C stops", file=sys.stderr)
    config = uvicorn.Config(
        http_app(server, settings, plan),
        log_level=settings.log_level.lower(),
        timeout_graceful_shutdown=GRACE_S,
        lifespan="on",
    )
    uvicorn.Server(config).run(sockets=[sock])


def run_http(
    server: MCPServer,
    settings: Settings,
    host: str,
    port: int,
    token: str | None = None,
    hosts: Sequence[str] = (),
    origins: Sequence[str] = (),
) -> int:
    """``serve --transport http``: 0 after a clean stop, 2 (one line on stderr) when it cannot start."""
    try:
        serve_http(server, settings, plan_http(settings, host, port, token, hosts, origins))
    except ConfigError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 2
    return 0
