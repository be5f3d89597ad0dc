"""httpx transports that hand requests straight to a returnkit app: no port, no server.

    client = httpx.Client(transport=ReturnkitTransport(app), base_url="http://returnkit")
    async_client = httpx.AsyncClient(transport=AsyncReturnkitTransport(app), base_url="http://returnkit")

Any httpx-based client works through them unchanged, the Python `zinc` SDK included
(`ZincClient(..., httpx_client=client)`).
"""

from __future__ import annotations

from typing import Any

import anyio
import httpx


class AsyncReturnkitTransport(httpx.ASGITransport):
    """httpx's own ASGI transport, pointed at a returnkit app."""

    def __init__(self, app: Any) -> None:
        super().__init__(app=app)


class ReturnkitTransport(httpx.BaseTransport):
    """The same for synchronous clients: each request runs the app on a short-lived event loop."""

    def __init__(self, app: Any) -> None:
        self._asgi = httpx.ASGITransport(app=app)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        body = request.read()
        replayable = httpx.Request(request.method, request.url, headers=request.headers, content=body)

        async def answer() -> httpx.Response:
            response = await self._asgi.handle_async_request(replayable)
            content = await response.aread()
            return httpx.Response(response.status_code, headers=response.headers, content=content, request=request)

        return anyio.run(answer)
