"""Test doubles: the pytest plugin's fixtures and in-process httpx transports."""

from returnkit.testing.transport import AsyncReturnkitTransport, ReturnkitTransport

__all__ = ["AsyncReturnkitTransport", "ReturnkitTransport"]
