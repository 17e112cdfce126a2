from .._dns.stream import StreamResult
from ._result import Result

DIRECT_RESULTS: bool

def results_of(raw: list[StreamResult], per: int) -> list[Result]: ...
