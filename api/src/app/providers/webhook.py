"""Sends one webhook request safely: resolved and checked addresses, no redirects, short
timeouts, a capped response read."""

import asyncio
import ipaddress
import socket
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx

# Enough of the answer to show in the delivery log; the rest is never read.
RESPONSE_READ_BYTES = 4096


@dataclass(frozen=True, slots=True)
class SendResult:
    status_code: int | None
    latency_ms: int
    error: str | None
    body: str = ""

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


class AddressRefused(Exception):
    """The destination resolves to an address deliveries may not reach."""


def _allowed(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


async def resolve(host: str, port: int, allow_private: bool) -> str:
    """The address to connect to; raises AddressRefused for a private, loopback, link-local or
    otherwise non-public one unless `allow_private`, and OSError when the name does not
    resolve. Connecting to this exact address is what makes the check hold: a second lookup
    could answer differently."""
    try:
        literal = ipaddress.ip_address(host.strip("[]"))
        candidates = [literal]
    except ValueError:
        loop = asyncio.get_running_loop()
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        candidates = [ipaddress.ip_address(info[4][0]) for info in infos]
    if not candidates:
        raise OSError(f"{host} has no address")
    for candidate in candidates:
        if allow_private or _allowed(candidate):
            return str(candidate)
    raise AddressRefused(
        f"{host} resolves to {candidates[0]}, which is not a public address"
        " (WEBHOOK_ALLOW_PRIVATE_ADDRESSES allows it)"
    )


class WebhookSender:
    def __init__(
        self,
        client: httpx.AsyncClient,
        *,
        allow_private: bool,
        timeout: float,
    ) -> None:
        self._client = client
        self._allow_private = allow_private
        self._timeout = timeout

    async def send(self, url: str, headers: dict[str, str], body: bytes) -> SendResult:
        """POST `body` once; any failure becomes the result's `error`, never an exception."""
        started = time.monotonic()

        def elapsed() -> int:
            return int((time.monotonic() - started) * 1000)

        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port or (443 if parts.scheme == "https" else 80)
        # One budget for the whole attempt (lookup, answer, body): a receiver that answers a
        # byte at a time never resets it, so an attempt ends within WEBHOOK_TIMEOUT.
        deadline = asyncio.get_running_loop().time() + self._timeout
        try:
            async with asyncio.timeout_at(deadline):
                address = await resolve(host, port, self._allow_private)
        except AddressRefused as refused:
            return SendResult(None, elapsed(), str(refused))
        except (OSError, TimeoutError) as error:
            return SendResult(None, elapsed(), f"cannot resolve {host}: {error}")
        netloc = f"[{address}]" if ":" in address else address
        target = parts._replace(netloc=f"{netloc}:{port}").geturl()
        request = self._client.build_request(
            "POST",
            target,
            content=body,
            headers={**headers, "host": parts.netloc.rsplit("@", 1)[-1]},
            # TLS still names and verifies the host, though the connection goes to the address.
            extensions={"sni_hostname": host, "timeout": httpx.Timeout(self._timeout).as_dict()},
        )
        try:
            async with asyncio.timeout_at(deadline):
                response = await self._client.send(request, stream=True, follow_redirects=False)
        except httpx.HTTPError as error:
            return SendResult(None, elapsed(), f"{type(error).__name__}: {error}"[:500])
        except TimeoutError:
            return SendResult(None, elapsed(), f"no answer within {self._timeout:g} s")
        read = b""
        try:
            async with asyncio.timeout_at(deadline):
                async for chunk in response.aiter_bytes():
                    read += chunk
                    if len(read) >= RESPONSE_READ_BYTES:
                        break
        except (httpx.HTTPError, TimeoutError):
            pass  # the status is what counts; the body is only shown
        finally:
            await response.aclose()
        problem = None
        if response.is_redirect:
            problem = "redirects are not followed"
        elif not 200 <= response.status_code < 300:
            problem = f"HTTP {response.status_code}"
        text = read[:RESPONSE_READ_BYTES].decode("utf-8", "replace")
        return SendResult(response.status_code, elapsed(), problem, text)
