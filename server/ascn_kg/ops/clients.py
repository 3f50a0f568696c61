"""Who a request comes from: the one rule for naming a client (limits, logs, metrics).

A client is the address the connection comes from. Behind a reverse proxy that is the
proxy, so when the connection comes from an address listed in ``trusted_proxies`` the
client is the last address of ``X-Forwarded-For`` (the one the proxy itself appended;
anything before it is the client's own claim). Addresses from anywhere else never choose
their own name. An IPv6 client is its /64 network: one host commonly holds a whole /64,
and could otherwise take a fresh name for every request.

The proxy must not pass header names with underscores (nginx drops them by default): a
WSGI server reads ``X_Forwarded_For`` and ``X-Forwarded-For`` as the same variable.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache
from typing import Any

IPv4Or6 = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
FORWARDED = "HTTP_X_FORWARDED_FOR"
CLIENT_KEY = "ascn_kg.client"  # the request's client, once named (WSGI environ)
IPV6_CLIENT_PREFIX = 64
UNKNOWN = "unknown"


@lru_cache(maxsize=8)
def trusted_networks(proxies: tuple[str, ...]) -> tuple[Network, ...]:
    """The networks of the ``trusted_proxies`` setting; ValueError names an entry that is none."""
    networks = []
    for entry in proxies:
        try:
            networks.append(ipaddress.ip_network(entry.strip(), strict=False))
        except ValueError:
            raise ValueError(f"trusted_proxies: {entry!r} is not an IP address or network") from None
    return tuple(networks)


def _address(text: str) -> IPv4Or6 | None:
    try:
        address = ipaddress.ip_address(text.strip().removeprefix("[").removesuffix("]"))
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def client_name(address: IPv4Or6) -> str:
    """The name a client is counted and logged under: its IPv4 address, or its IPv6 /64."""
    if isinstance(address, ipaddress.IPv6Address):
        return str(ipaddress.IPv6Network((address, IPV6_CLIENT_PREFIX), strict=False))
    return str(address)


def client_of(environ: dict[str, Any], proxies: tuple[str, ...] = ()) -> str:
    """The client of a WSGI request (see the module docstring), named once per request."""
    name = environ.get(CLIENT_KEY)
    if name is None:
        name = environ[CLIENT_KEY] = _name_client(environ, proxies)
    return name


def _name_client(environ: dict[str, Any], proxies: tuple[str, ...]) -> str:
    remote = environ.get("REMOTE_ADDR") or ""
    if not proxies and remote.count(".") == 3 and remote.replace(".", "").isdigit():
        return remote  # the common case, an IPv4 peer and no proxy, without parsing
    peer = _address(remote)
    if peer is None:
        return UNKNOWN
    if proxies and any(peer in network for network in trusted_networks(proxies)):
        forwarded = (environ.get(FORWARDED) or "").rsplit(",", 1)[-1]
        named = _address(forwarded)
        if named is not None:
            return client_name(named)
    return client_name(peer)
