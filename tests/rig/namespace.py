"""Move this process into a private mount namespace that points libc at the rig.

glibc's resolv.conf has no port, so libc (and c-ares reading the default
configuration) can only be pointed at a test server on port 53.  To do that
without touching the machine, :func:`enter` does, in the *current* process:

1. ``unshare(CLONE_NEWNS)`` - a private copy of the mount table;
2. ``mount --make-rprivate /`` - so nothing propagates back to the host;
3. bind-mounts generated files over ``/etc/resolv.conf`` (``nameserver
   127.x.y.z``, a loopback address drawn at random per run so concurrent runs
   never collide; ``options timeout:1 attempts:2``; no search list),
   ``/etc/hosts`` (localhost, this machine's hostname, the rig's
   :data:`~tests.rig.zone.HOSTS_ENTRIES`) and ``/etc/nsswitch.conf`` (hosts:
   ``files dns`` only, so no systemd-resolved / mDNS module runs);
4. reads them back to verify, and exports ``AIORESOLVE_TEST_NS=127.x.y.z``.

Every thread and subprocess started afterwards shares the namespace, so no
libc or default c-ares lookup can ever reach the real nameserver.  It must run
while the process has a single thread (a mount namespace belongs to a thread).
The DNS server on 127.x.y.z:53 is started separately (``libc_dns`` fixture).
"""

from __future__ import annotations

import ctypes
import os
import random
import re
import socket
import tempfile
from dataclasses import dataclass
from pathlib import Path

from . import zone as z

__all__ = [
    "ENV_ADDRESS",
    "ENV_DISABLE",
    "ENV_REASON",
    "LookupRefused",
    "Namespace",
    "current",
    "enter",
    "install_guard",
    "lookup_allowed",
]

#: Exported to subprocesses: the loopback address libc queries (port 53).
ENV_ADDRESS = "AIORESOLVE_TEST_NS"
#: Exported when the namespace could not be made: why.
ENV_REASON = "AIORESOLVE_TEST_NS_UNAVAILABLE"
#: Set (non-empty) to not make the namespace, e.g. to see how the suite
#: behaves for a user who is not root.
ENV_DISABLE = "AIORESOLVE_TEST_NO_NAMESPACE"

_CLONE_NEWNS = 0x00020000
_MS_BIND = 4096
_MS_REC = 16384
_MS_PRIVATE = 1 << 18
_MARKER = "# aioresolve test namespace"


@dataclass(frozen=True)
class Namespace:
    """The namespace this process is in: libc asks ``address``:53."""

    address: str
    resolv_conf: str
    hosts: str


def _libc_call(func: str, *args: object) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    if getattr(libc, func)(*args) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{func}: {os.strerror(err)}")


def _port53_free(address: str) -> bool:
    try:
        with (
            socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u,
            socket.socket(socket.AF_INET, socket.SOCK_STREAM) as t,
        ):
            u.bind((address, 53))
            t.bind((address, 53))
    except OSError:
        return False
    return True


def _pick_address() -> str:
    """A random 127.x.y.z (x >= 2: away from 127.0.0.x / 127.1.x used by
    others) whose port 53 is free."""
    rng = random.SystemRandom()
    for _ in range(100):
        address = f"127.{rng.randint(2, 254)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
        if _port53_free(address):
            return address
    raise OSError("no loopback address with a free port 53")


def _hosts_text() -> str:
    lines = [
        _MARKER,
        "127.0.0.1 localhost",
        "::1 localhost ip6-localhost ip6-loopback",
        f"127.0.1.1 {socket.gethostname()}",  # gethostname() is a syscall, not a lookup
    ]
    lines += [f"{addr} {name} {' '.join(aliases)}" for addr, name, aliases in z.HOSTS_ENTRIES]
    return "\n".join(lines) + "\n"


def _nsswitch_text() -> str:
    try:
        original = Path("/etc/nsswitch.conf").read_text()
    except OSError:
        original = ""
    body = re.sub(r"(?m)^hosts:.*$", "", original)
    return f"{_MARKER}\n{body}\nhosts: files dns\n"


def current() -> Namespace | None:
    """The namespace already set up in this process (or inherited), if any."""
    address = os.environ.get(ENV_ADDRESS)
    if not address:
        return None
    try:
        resolv = Path("/etc/resolv.conf").read_text()
        hosts = Path("/etc/hosts").read_text()
    except OSError:
        return None
    if _MARKER in resolv and f"nameserver {address}\n" in resolv and _MARKER in hosts:
        return Namespace(address, resolv, hosts)
    return None


def enter() -> Namespace:
    """Set up the namespace (see the module docstring) or raise OSError saying why.

    Idempotent: a process (or a child of one) already inside returns the
    existing :class:`Namespace`.
    """
    if os.environ.get(ENV_DISABLE):
        raise OSError(f"disabled by {ENV_DISABLE}")
    existing = current()
    if existing is not None:
        return existing
    if not hasattr(os, "unshare") and not Path("/proc/self/ns/mnt").exists():
        raise OSError("mount namespaces need Linux")
    threads = len(os.listdir("/proc/self/task"))
    if threads != 1:
        raise OSError(f"process already has {threads} threads; cannot move them all")
    address = _pick_address()
    workdir = Path(tempfile.mkdtemp(prefix="aioresolve-ns-"))
    files = {
        "/etc/resolv.conf": (f"{_MARKER}\nnameserver {address}\noptions timeout:1 attempts:2\n"),
        "/etc/hosts": _hosts_text(),
    }
    if Path("/etc/nsswitch.conf").exists():  # a bind mount needs an existing target
        files["/etc/nsswitch.conf"] = _nsswitch_text()
    for target, text in files.items():
        (workdir / Path(target).name).write_text(text)
    _libc_call("unshare", _CLONE_NEWNS)
    _libc_call("mount", b"none", b"/", None, _MS_REC | _MS_PRIVATE, None)
    for target in files:
        source = str(workdir / Path(target).name).encode()
        _libc_call("mount", source, target.encode(), None, _MS_BIND, None)
    for target, text in files.items():
        if Path(target).read_text() != text:
            raise OSError(f"bind mount over {target} did not take effect")
    # workdir stays: deleting the sources would leave /etc/resolv.conf a mount
    # of an unlinked file, and mount(2) onto that fails with ENOENT, so a
    # nested namespace (a subprocess calling enter() again) would be impossible.
    os.environ[ENV_ADDRESS] = address
    os.environ.pop(ENV_REASON, None)
    return Namespace(address, files["/etc/resolv.conf"], files["/etc/hosts"])


# --------------------------------------------------------------------------
# Without a namespace: refuse libc lookups of DNS names outright.

_GUARDED = ("getaddrinfo", "gethostbyname", "gethostbyname_ex", "gethostbyaddr", "getnameinfo")


class LookupRefused(RuntimeError):
    """A libc lookup that would have asked the machine's real nameserver."""


def _hosts_file_names() -> set[str]:
    names = {"localhost"}
    try:
        text = Path("/etc/hosts").read_text()
    except OSError:
        return names
    for line in text.splitlines():
        fields = line.split("#", 1)[0].split()
        names.update(f.lower().rstrip(".") for f in fields[1:])
    return names


def lookup_allowed(host: object, hosts_names: set[str]) -> bool:
    """Whether libc may look *host* up without a DNS query: None/empty, an IP
    literal, a name in the hosts file, or a value socket rejects by itself."""
    if isinstance(host, (bytes, bytearray)):
        try:
            host = bytes(host).decode("ascii")
        except UnicodeDecodeError:
            return False
    if not isinstance(host, str):
        return True  # socket raises TypeError before any lookup
    name = host.strip().lower().rstrip(".")
    if name in ("", "<broadcast>") or name in hosts_names:
        return True
    try:
        socket.inet_pton(socket.AF_INET6, name.split("%", 1)[0])
        return True
    except OSError:
        pass
    try:
        socket.inet_aton(name)  # also 127.1, 0x7f.1: what libc takes as numeric
        return True
    except OSError:
        return False


def install_guard(reason: str) -> None:
    """Wrap :mod:`socket`'s lookups so that any lookup of a DNS name (not
    numeric, not in /etc/hosts) raises :class:`LookupRefused` with *reason*
    instead of reaching the real nameserver.  Used when :func:`enter` failed."""
    hosts_names = _hosts_file_names()

    def wrap(name: str) -> None:
        original = getattr(socket, name)

        def guarded(*args: object, **kwargs: object) -> object:
            host = args[0] if args else kwargs.get("host")
            if name == "getnameinfo" and isinstance(host, tuple) and host:
                host = host[0]
            if not lookup_allowed(host, hosts_names):
                raise LookupRefused(f"socket.{name}({host!r}) refused: {reason}")
            return original(*args, **kwargs)

        guarded.__wrapped__ = original  # type: ignore[attr-defined]
        setattr(socket, name, guarded)

    for name in _GUARDED:
        wrap(name)
