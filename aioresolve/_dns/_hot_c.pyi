# The compiled twin of aioresolve._dns._hot_py (hand-written Cython, same API).
from ._hot_py import Core as Core
from ._hot_py import Query as Query
from ._hot_py import Rtt as Rtt
