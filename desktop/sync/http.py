"""The HTTP client shared by the protocol clients: timeouts, user agent, errors."""

from __future__ import annotations

from typing import Any

import httpx

from desktop.sources.http import USER_AGENT
from desktop.sync.model import AuthError, GoneError, SyncError

TIMEOUT = httpx.Timeout(30.0, connect=10.0)


class ApiHttp:
    """One ``httpx.AsyncClient`` per sync; maps every fault to :class:`SyncError`."""

    def __init__(self, base_url: str, *, max_connections: int = 8) -> None:
        self.base_url = base_url
        self.client = httpx.AsyncClient(
            timeout=TIMEOUT,
            headers={"User-Agent": USER_AGENT},
            limits=httpx.Limits(
                max_connections=max_connections, max_keepalive_connections=max_connections
            ),
            follow_redirects=True,
        )

    async def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        """Send a request; 401/403 raise :class:`AuthError`, other failures :class:`SyncError`."""
        try:
            response = await self.client.request(method, url, **kwargs)
        except httpx.TimeoutException:
            raise SyncError(f"{self.base_url}: the server did not answer in time") from None
        except httpx.HTTPError as exc:
            raise SyncError(
                f"{self.base_url}: cannot reach the server ({type(exc).__name__})"
            ) from None
        if response.status_code in (401, 403):
            raise AuthError(
                f"{self.base_url}: the server refused the login ({response.status_code})"
            )
        if response.status_code in (404, 410):
            raise GoneError(f"{self.base_url}: the server answered HTTP {response.status_code}")
        if response.status_code >= 400:
            raise SyncError(f"{self.base_url}: the server answered HTTP {response.status_code}")
        return response

    async def json(self, method: str, url: str, **kwargs: Any) -> Any:
        """A request whose answer must be JSON."""
        response = await self.request(method, url, **kwargs)
        try:
            return response.json()
        except ValueError:
            raise SyncError(f"{self.base_url}: the answer was not JSON") from None

    async def aclose(self) -> None:
        await self.client.aclose()
