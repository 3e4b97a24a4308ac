#!/usr/bin/env python3
"""Unmodified asyncio HTTP app binding every address like asyncio,
aiohttp and Tornado do with host=None: 0.0.0.0 and [::], the IPv6 socket
with IPV6_V6ONLY (asyncio sets it). Answers with its pid; logs each
socket's family, address and v6only."""
import asyncio
import os
import signal
import socket


async def handle(reader, writer):
    await reader.readuntil(b"\r\n\r\n")
    body = f"{os.getpid()}\n".encode()
    writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\nConnection: close\r\n\r\n"
                 % len(body) + body)
    await writer.drain()
    writer.close()


async def main():
    # a list of hosts: one socket each, in this order, as getaddrinfo(None)
    # gives them
    srv = await asyncio.start_server(handle, host=["0.0.0.0", "::"],
                                     port=int(os.environ["PORT"]))
    for s in srv.sockets:
        v6only = (s.getsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY)
                  if s.family == socket.AF_INET6 else "-")
        print(f"pid {os.getpid()} {s.family.name} {s.getsockname()[0]} v6only {v6only}",
              flush=True)
    await srv.serve_forever()


signal.signal(signal.SIGINT, lambda *a: os._exit(0))
asyncio.run(main())
