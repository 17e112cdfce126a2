"""The wire engine's counters (:class:`Stats`).

Plain integer slots bumped on the hot path; this module knows nothing of
sockets, queries or the loop.
"""

from __future__ import annotations

__all__ = ["Stats"]


class Stats:
    """Counters of one engine (monotonic; read them, or :meth:`as_dict`).

    ``unexpected`` counts replies whose ID is not pending on that socket (late
    answers after a timeout as well as blind spoofing); ``wrong_source`` and
    ``wrong_question`` count replies with a pending ID that failed the other
    checks; ``wrong_case`` replies that matched except for the letter case of
    the 0x20-randomised name; ``malformed`` counts undecodable datagrams.
    ``refused`` counts ICMP port-unreachable reports, ``parked`` the attempts
    they failed; ``rotated`` sockets replaced by fresh ports; ``errors``
    exceptions caught while handling a reply; ``stranded`` queries the
    watchdog had to end (each one is a bug).
    """

    __slots__ = (
        "answered", "errors", "malformed", "parked", "refused", "retries", "rotated", "sent",
        "stranded", "tcp", "tcp_failed", "timeouts", "unexpected", "wrong_case",
        "wrong_question", "wrong_source",
    )

    def __init__(self) -> None:
        self.sent = self.answered = self.retries = self.timeouts = self.tcp = 0
        self.malformed = self.unexpected = self.wrong_question = self.wrong_source = 0
        self.wrong_case = self.refused = self.parked = self.rotated = self.errors = 0
        self.stranded = self.tcp_failed = 0

    def as_dict(self) -> dict[str, int]:
        return {slot: getattr(self, slot) for slot in self.__slots__}

    def __repr__(self) -> str:
        return f"Stats({self.as_dict()})"

