"""The dashboard's files (`/__admin/ui/...`): package data (`returnkit/dashboard/`), no build step.

Served by the Frontier before routing, outside the request path: the files are the same static
shell for everyone and hold nothing of the world, so they are not journaled and need no token.
Every piece of data the page shows comes from the admin API, under its rule (`admin.admin_access`):
the page asks for the token when the API answers 401 and keeps it in `sessionStorage`.
"""

from __future__ import annotations

from importlib.resources import files
from typing import Any

from starlette.types import Scope, Send

from returnkit.core.jsonbytes import dumps
from returnkit.server.state import ServerState

UI_PREFIX = "/__admin/ui"
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
}
# The page loads nothing from elsewhere (works offline) and runs no inline script.
SECURITY_HEADERS = {
    "Cache-Control": "no-cache",
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
FAULT_SCHEMA = "fault-request.json"  # the faults API's request schema, from which the page builds its form
MACHINES = "state-machines.json"  # each provider's `x-returnkit-state-machine`s, drawn on a record's page
ACCESS = "access.json"  # whether the admin API needs a token: the page asks for it before its first call


def is_dashboard(path: str) -> bool:
    return path == UI_PREFIX or path.startswith(UI_PREFIX + "/")


def _files() -> dict[str, bytes]:
    """Every file of the dashboard by name (a fixed set: no path from a request reaches the disk)."""
    package = files("returnkit") / "dashboard"
    return {
        entry.name: entry.read_bytes()
        for entry in package.iterdir()
        if entry.is_file() and any(entry.name.endswith(suffix) for suffix in CONTENT_TYPES)
    }


class Dashboard:
    """The files, read once; `serve` answers one request under `/__admin/ui`."""

    def __init__(self, server: ServerState, upstream: str | None = None) -> None:
        """`upstream`: the URL `returnkit proxy` forwards to (its journal page lists proxied exchanges first)."""
        self.files = _files()
        schema = server.catalog.spec("admin").document["components"]["schemas"]["FaultRequest"]
        self.generated = {
            FAULT_SCHEMA: dumps(schema),
            ACCESS: dumps({"token_required": server.admin_token is not None, "upstream": upstream}),
            MACHINES: dumps({name: _machines(server, name) for name in server.kits}),
        }

    async def serve(self, scope: Scope, send: Send) -> None:
        path = scope["path"]
        if scope["method"] not in ("GET", "HEAD"):
            message = dumps({"message": "the dashboard's files are only read (GET)"})
            await _send(send, 405, message, _json(), {"Allow": "GET"})
        elif path == UI_PREFIX:
            await _send(send, 308, b"", "text/plain", {"Location": UI_PREFIX + "/"})
        else:
            await self._file(send, path.removeprefix(UI_PREFIX + "/") or "index.html", scope["method"] == "HEAD")

    async def _file(self, send: Send, name: str, head: bool) -> None:
        if name in self.generated:
            await _send(send, 200, self.generated[name], _json(), SECURITY_HEADERS, head=head)
            return
        body = self.files.get(name)
        if body is None:
            message = dumps({"message": f"the dashboard has no file {name}"})
            await _send(send, 404, message, _json(), SECURITY_HEADERS)
            return
        content_type = CONTENT_TYPES[name[name.rindex(".") :]]
        await _send(send, 200, body, content_type, SECURITY_HEADERS, head=head)


def _machines(server: ServerState, provider: str) -> list[dict[str, Any]]:
    """The state machines a provider's spec restates as data (Kibo Commerce's returns), with the operation."""
    document = server.catalog.spec(provider).document
    return [
        {"operation": operation.get("operationId"), **operation["x-returnkit-state-machine"]}
        for item in document.get("paths", {}).values()
        for operation in item.values()
        if isinstance(operation, dict) and "x-returnkit-state-machine" in operation
    ]


def _json() -> str:
    return "application/json"


async def _send(
    send: Send, status: int, body: bytes, content_type: str, headers: dict[str, str], *, head: bool = False
) -> None:
    raw: list[Any] = [
        (b"content-type", content_type.encode()),
        (b"content-length", str(len(body)).encode()),
        *((name.lower().encode(), value.encode()) for name, value in headers.items()),
    ]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": b"" if head else body})
