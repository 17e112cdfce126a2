"""knotd, the rig's authoritative server, serving the zones of
:mod:`tests.rig.zone` (:func:`start_knot`)."""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from . import zone as z
from ._process import (
    RigUnavailable,
    Server,
    _spawn,
    _which,
    free_port,
    wait_until_answering,
)


@dataclass
class KnotServer(Server):
    """knotd serving the rig's zones (see :mod:`tests.rig.zone`)."""

    zones: tuple[str, ...] = ()

    def __enter__(self) -> KnotServer:
        return self


def _knot_conf(workdir: Path, host: str, port: int, zones: tuple[str, ...], workers: int) -> str:
    zone_lines = "\n".join(f"  - domain: {name}" for name in zones)
    return f"""\
server:
    listen: {host}@{port}
    rundir: {workdir}
    udp-workers: {workers}
    tcp-workers: {workers}
    background-workers: 1
control:
    listen: {workdir}/knot.sock
database:
    storage: {workdir}/db
log:
  - target: stderr
    any: warning
template:
  - id: default
    storage: {workdir}
    file: "%s.zone"
    zonefile-sync: -1
    journal-content: none
    semantic-checks: off
zone:
{zone_lines}
"""


@contextlib.contextmanager
def start_knot(
    zones: Mapping[str, str] | None = None,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    bulk_count: int = z.BULK_DEFAULT_COUNT,
    workers: int = 1,
    timeout: float = 60.0,
    keep_workdir: bool = False,
) -> Iterator[KnotServer]:
    """Run knotd on *host*:*port* (0 = a free port) until the block exits.

    *zones* maps zone name to master-file text; by default the rig's zones
    (:func:`tests.rig.zone.all_zones` with *bulk_count* bulk names).  Raises
    :class:`RigUnavailable` if knotd is missing or does not come up in *timeout*
    seconds (a 1M-name bulk zone takes a few seconds to load).
    """
    knotd = _which("knotd")
    if zones is None:
        zones = z.all_zones(bulk_count)
    names = tuple(zones)
    for attempt in range(3):
        use_port = port or free_port(host)
        workdir = Path(tempfile.mkdtemp(prefix="aioresolve-knot-"))
        for name, text in zones.items():
            (workdir / f"{name}.zone").write_text(text)
        (workdir / "knot.conf").write_text(_knot_conf(workdir, host, use_port, names, workers))
        proc = _spawn([knotd, "-c", str(workdir / "knot.conf")], workdir)
        server = KnotServer(
            host, use_port, proc, workdir, "knotd", _keep_workdir=keep_workdir, zones=names
        )
        try:
            wait_until_answering(host, use_port, names, proc, timeout)
        except RigUnavailable as exc:
            log = server.log()
            server.stop()
            if port or attempt == 2 or "address already in use" not in log.lower():
                raise RigUnavailable(f"knotd failed: {exc}\n{log[-2000:]}") from None
            continue
        with server:
            yield server
        return

