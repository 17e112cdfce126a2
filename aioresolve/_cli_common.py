"""What the ``aioresolve`` commands share: exit codes and the usage error."""

from __future__ import annotations

__all__ = [
    "EXIT_FAILED",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_PIPE",
    "EXIT_TERMINATED",
    "EXIT_USAGE",
    "UsageError",
]

#: The command completed (``bulk``: whatever the per-name statuses).
EXIT_OK = 0
#: ``resolve``/``query``: a lookup failed; ``bulk --fail-on-error``: a result was not NOERROR.
EXIT_FAILED = 1
#: Bad arguments, unreadable input or output, unusable backend.
EXIT_USAGE = 2
#: Stopped by SIGINT (Ctrl-C).
EXIT_INTERRUPTED = 130
#: stdout was closed early (``| head``): 128 + SIGPIPE, as a C tool killed by it.
EXIT_PIPE = 141
#: Stopped by SIGTERM.
EXIT_TERMINATED = 143


class UsageError(Exception):
    """Reported as ``aioresolve: error: ...`` with exit code 2."""
