"""A local HTTP forward proxy whose outgoing connections leave from a chosen loopback
address (127.0.0.2, 127.0.0.3, ...) and an IP-echo server that answers the caller's address,
like ipinfo.io's JSON: together they stand in for per-account proxies with distinct egress
IPs on one machine."""

from tests.fakes.egress.echo import EchoServer
from tests.fakes.egress.proxy import ForwardProxy

__all__ = ["EchoServer", "ForwardProxy"]
