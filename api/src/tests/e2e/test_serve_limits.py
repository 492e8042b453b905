"""`wump serve` over a real socket: the header size limit."""

import os
import socket
from collections.abc import Iterator

import pytest

from tests.conftest import TestServers as Servers
from tests.conftest import free_port
from tests.e2e.local_http import local
from tests.e2e.processes import start_wump, stop, wait_for

pytestmark = pytest.mark.e2e

MAX_HEADER_BYTES = 8192


@pytest.fixture(scope="module")
def served(servers: Servers, tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    port = free_port()
    environment = {
        **os.environ,
        "DATABASE_URL": servers.database_url,
        "VALKEY_URL": servers.valkey_url,
        "WUMP_DATA_DIR": str(servers.data_dir),
        "HTTP_MAX_HEADER_BYTES": str(MAX_HEADER_BYTES),
        "LOG_FORMAT": "json",
    }
    log = tmp_path_factory.mktemp("serve") / "serve.log"
    process = start_wump(log, environment, "serve", "--port", str(port))
    try:
        wait_for(f"http://127.0.0.1:{port}/health/live", process, log)
        yield port
    finally:
        stop(process)


def _raw_get(port: int, header_value: bytes) -> bytes:
    """The answer's status line, sending the header in pieces as a slow client would."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        head = b"GET /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Padding: "
        connection.sendall(head)
        try:
            for start in range(0, len(header_value), 4096):
                connection.sendall(header_value[start : start + 4096])
            connection.sendall(b"\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server gave up on us early, as it should: read its answer
        answer = connection.recv(4096)
    return answer.split(b"\r\n", 1)[0]


def test_headers_past_the_limit_are_refused_with_400(served: int) -> None:
    assert _raw_get(served, b"x" * (MAX_HEADER_BYTES // 2)) == b"HTTP/1.1 200 OK"
    assert _raw_get(served, b"x" * (4 * 1024 * 1024)) == b"HTTP/1.1 400 Bad Request"
    # The server is still there for the next client.
    assert local.get(f"http://127.0.0.1:{served}/health/live", timeout=10).status_code == 200


def _exchange(port: int, payload: bytes, answers: int) -> list[bytes]:
    """The status lines of `answers` responses to `payload`, sent at once on one connection."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        connection.sendall(payload)
        received = b""
        while received.count(b"HTTP/1.1 ") < answers:
            chunk = connection.recv(65536)
            if not chunk:
                break
            received += chunk
    return [b"HTTP/1.1 " + part.split(b"\r\n", 1)[0] for part in received.split(b"HTTP/1.1 ")[1:]]


def test_only_the_head_counts_toward_the_limit(served: int) -> None:
    request = b"GET /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Padding: " + b"x" * 4000
    request += b"\r\n\r\n"
    # Many heads on one connection, together far past the limit, each well under it.
    pipelined = _exchange(served, request * 6, 6)
    # A body larger than the limit, in the same read as its head.
    body = b"y" * (3 * MAX_HEADER_BYTES)
    posted = _exchange(
        served,
        b"POST /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain\r\n"
        b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body + request,
        2,
    )

    assert pipelined == [b"HTTP/1.1 200 OK"] * 6
    assert posted == [b"HTTP/1.1 405 Method Not Allowed", b"HTTP/1.1 200 OK"]
