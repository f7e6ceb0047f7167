"""A minimal HTTP/1.1 keep-alive server that answers every request ``200 {}``: the other end of the call benchmarks.

Run as ``python -m bench.echo_server [CERT KEY]`` (HTTPS with that certificate); it prints its port on stdout and
serves until killed. Kept tiny (an asyncio
Protocol, no parsing beyond Content-Length) so the client, not the server, is what the benchmark measures.
"""

from __future__ import annotations

import asyncio
import ssl
import sys

_RESPONSE = (
    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: keep-alive\r\n\r\n{}"
)


class _Echo(asyncio.Protocol):
    def __init__(self) -> None:
        self.buffer = b""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while True:
            head_end = self.buffer.find(b"\r\n\r\n")
            if head_end < 0:
                return
            head = self.buffer[:head_end].lower()
            length = 0
            marker = head.find(b"content-length:")
            if marker >= 0:
                length = int(head[marker + 15 :].split(b"\r\n", 1)[0])
            total = head_end + 4 + length
            if len(self.buffer) < total:
                return
            self.buffer = self.buffer[total:]
            assert self.transport is not None
            self.transport.write(_RESPONSE)


async def main(tls: tuple[str, str] | None = None) -> None:
    loop = asyncio.get_running_loop()
    context = None
    if tls is not None:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(*tls)
    server = await loop.create_server(_Echo, "127.0.0.1", 0, backlog=1024, ssl=context)
    print(server.sockets[0].getsockname()[1], flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    try:
        import uvloop  # type: ignore[import-not-found]

        uvloop.install()
    except ImportError:
        pass
    try:
        # python -m bench.echo_server [CERT KEY]: HTTPS with that certificate
        asyncio.run(main((sys.argv[1], sys.argv[2]) if len(sys.argv) == 3 else None))
    except KeyboardInterrupt:
        sys.exit(0)
