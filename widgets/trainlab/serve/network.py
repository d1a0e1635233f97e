"""Where `trainlab serve` listens and the address it tells people to open.

The server has no authentication, so anything but a loopback address lets every machine that
can reach it run the labs. The address is checked here (an IP address this machine can listen
on, a port that is free) before Voila starts, so a typo is one line of error instead of a Voila
traceback; options.py turns the reasons given here into that line.
"""

from __future__ import annotations

import errno
import ipaddress
import socket

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def parse_ip(text: str) -> Address:
    """The address in `text` (IPv6 may come in brackets); ValueError saying what is expected."""
    try:
        return ipaddress.ip_address(text.strip("[]"))
    except ValueError:
        raise ValueError(f"must be an IP address such as 127.0.0.1, 0.0.0.0 or ::1, not {text!r}") from None


def is_loopback(ip: Address) -> bool:
    """True for an address only this machine can reach."""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped.is_loopback  # ::ffff:127.0.0.1 is loopback too
    return ip.is_loopback


def listen_problem(ip: Address, port: int) -> tuple[str, str] | None:
    """Bind (ip, port) once as Tornado will; None if that works, else the option to blame
    ("--ip" or "--port") and why."""
    family = socket.AF_INET6 if ip.version == 6 else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as Tornado does
        try:
            probe.bind((str(ip), port))
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                return "--port", f"port {port} is already in use on {ip}"
            if error.errno == errno.EACCES:
                return "--port", f"no permission to listen on port {port}"
            if error.errno == errno.EADDRNOTAVAIL:
                return "--ip", f"{ip} is not an address of this machine"
            return "--ip", f"cannot listen on {ip} port {port}: {error.strerror}"
    return None


def machine_address() -> str | None:
    """This machine's address on its default route (how others on the network reach it), None
    when it has none. Connecting a UDP socket picks the route; it sends no packet."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("198.51.100.1", 9))  # TEST-NET-2, documentation only: never a local net
            address = probe.getsockname()[0]
        except OSError:
            return None
    return None if ipaddress.ip_address(address).is_loopback or address == "0.0.0.0" else address


def public_address(ip: Address) -> str:
    """The address others open: a wildcard becomes the machine's address (or loopback when it
    has none)."""
    if ip.is_unspecified:
        return machine_address() or local_address(ip)
    return str(ip)


def local_address(ip: Address) -> str:
    """The address this machine itself uses to reach the server (its browser, a port probe)."""
    if ip.is_unspecified:
        return "127.0.0.1" if ip.version == 4 else "::1"
    return str(ip)


def page_url(address: str, port: int, path: str) -> str:
    """http://address:port/path, with an IPv6 address in brackets."""
    host = f"[{address}]" if ":" in address else address
    return f"http://{host}:{port}/{path.lstrip('/')}"
