# The compiled twin of aioresolve._dns.codec (built by setup.py from its source).
from .codec import RR as RR
from .codec import ParseError as ParseError
from .codec import Response as Response
from .codec import decode_name as decode_name
from .codec import encode_name as encode_name
from .codec import parse_response as parse_response
from .codec import query_template as query_template
from .codec import rdata_record as rdata_record

SOURCE: bytes  # the codec.py it was built from (aioresolve._twins)
