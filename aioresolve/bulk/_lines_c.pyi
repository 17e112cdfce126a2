from collections.abc import Callable, Sequence

from .._dns.stream import StreamResult
from ._result import Status

ONLY_ALL: int
ONLY_OK: int
ONLY_FAILED: int
SLOT_READS: bool

def jsonl_batch(raw: Sequence[StreamResult | bytes], per: int, counts: dict[Status, int], only: int,
                slow: Callable[[StreamResult], bytes | None]) -> tuple[bytes, int]: ...
def text_batch(raw: Sequence[StreamResult], per: int, counts: dict[Status, int], only: int,
               multi_type: bool, escape: Callable[[str], str],
               slow: Callable[[StreamResult], str | None]) -> tuple[str, int]: ...
def csv_batch(raw: Sequence[StreamResult], per: int, counts: dict[Status, int], only: int,
              slow: Callable[[StreamResult], str | None]) -> tuple[str, int]: ...
