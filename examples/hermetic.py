"""Run an example against the test zone, with nothing leaving loopback.

Usage (from a checkout, as root, with knotd installed)::

    python examples/hermetic.py examples/socket_gethostbyname_ex.py chain1.aioresolve.test
    python examples/hermetic.py examples/sync/socket_gethostbyname_ex.py chain1.aioresolve.test

Moves this process into a private mount namespace whose ``/etc/resolv.conf``
points libc at a random 127.x.y.z (the test rig's :mod:`tests.rig.namespace`),
serves the rig's zones there with knotd on port 53, then runs the script with
its arguments and exits with its exit code.  The machine's own resolver is
never asked.  Without a script it lists names of the test zone worth trying.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the rig lives in the checkout's tests/, not in the package

from tests.rig import namespace, servers, zone  # noqa: E402

TRY = {
    zone.A_NAME: "one A record",
    zone.CNAME_NAME: "a CNAME chain: aliases and a canonical name",
    zone.MULTI_NAME: "several A and AAAA records",
    zone.DUAL_NAME: "A and AAAA",
    zone.HOSTS_NAME: "from /etc/hosts, with aliases",
    zone.IDN_ULABEL: "non-ASCII, IDNA-encoded",
    zone.NODATA_NAME: "exists, no address",
    zone.NX_NAME: "does not exist",
    zone.PTR_ADDRESS: "an address with a PTR record",
    zone.NO_PTR_ADDRESS: "an address without one",
}


def main(argv: list[str]) -> int:
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__.strip(), end="\n\n")
        print("Names to try:")
        for name, what in TRY.items():
            print(f"  {name:<28} {what}")
        return 0
    try:
        ns = namespace.enter()  # first, while this process has a single thread
    except OSError as exc:
        # Never fall back to running the script: it would ask the real resolver.
        print(f"cannot isolate libc (root and Linux needed): {exc}", file=sys.stderr)
        return 2
    try:
        with servers.start_knot(host=ns.address, port=53, bulk_count=1):
            return subprocess.call([sys.executable, *argv], cwd=ROOT)
    except servers.RigUnavailable as exc:
        print(f"cannot start the test server: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
