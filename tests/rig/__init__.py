"""The hermetic real-server test rig (importable: ``from tests.rig import ...``).

No test reaches the machine's nameserver or leaves loopback.  Parts:

- :mod:`tests.rig.zone` - the zone data and the answers to expect
  (``ZONE = "aioresolve.test"``, ``A_NAME``, ``CNAME_CHAIN``, fault names,
  reverse zones, a generated bulk zone ``bulk.test`` of ``h{i}`` names...).
- :mod:`tests.rig.servers` - ``start_knot()`` / ``start_dnsdist()`` context
  managers (usable from benchmarks and scripts too).  knotd serves the zones
  on 127.0.0.1:<free port>; dnsdist sits in front and injects faults by name
  suffix (``drop.`` / ``servfail.`` / ``refused.`` / ``tc.`` / ``slow.`` under
  the zone), optionally adds latency, and counts queries per name
  (``.queries_for(name)``).
- :mod:`tests.rig.namespace` - the private mount namespace for libc.  glibc's
  resolv.conf cannot name a port, so libc must be sent to port 53 of some
  address without touching the host: ``tests/conftest.py`` calls
  :func:`tests.rig.namespace.enter` at import time, while pytest is still
  single-threaded.  It unshares the mount namespace of the whole pytest
  process, makes ``/`` rprivate and bind-mounts generated ``/etc/resolv.conf``
  (``nameserver 127.x.y.z`` - random per run, so concurrent runs never
  collide - ``options timeout:1 attempts:2``, no search list),
  ``/etc/hosts`` (localhost, the hostname, :data:`tests.rig.zone.HOSTS_ENTRIES`)
  and ``/etc/nsswitch.conf`` (``hosts: files dns``).  Every thread and
  subprocess of pytest shares it, so not even a stray libc or default c-ares
  lookup can leak.  ``AIORESOLVE_TEST_NS`` holds the address for
  subprocesses; ``AIORESOLVE_TEST_NS_UNAVAILABLE`` the reason when it could
  not be made (not root, no unshare) - then tests needing libc skip, and
  nothing does libc lookups of DNS names.
- fixtures in ``tests/conftest.py``: ``knot``, ``dnsdist`` (127.0.0.1) and
  ``libc_dns`` (dnsdist on 127.x.y.z:53, where libc asks), all session-scoped
  and started lazily.  Objects have ``.host``, ``.port``, ``.address``
  (``"127.0.0.1:PORT"``) and ``.nameserver`` (``(host, port)``).

Outside pytest (benchmarks, scripts)::

    from tests.rig import namespace, servers
    ns = namespace.enter()          # first thing, single-threaded, as root
    with servers.start_knot() as knot, \\
         servers.start_dnsdist(knot, host=ns.address, port=53) as dns53:
        ...                         # libc now resolves the rig's zones
"""
