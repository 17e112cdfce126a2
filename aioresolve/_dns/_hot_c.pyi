# The compiled twin of aioresolve._dns._hot_py (hand-written Cython, same API).
from ._hot_py import Core as Core
from ._hot_py import Query as Query
from ._hot_py import Rtt as Rtt
from ._hot_py import Sink as Sink
from ._hot_py import is_hostname as is_hostname
