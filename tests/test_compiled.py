"""The compiled twins against the pure-Python reference (see aioresolve._dns._speedups).

The codec's own tests run against the compiled decoder with
``python -m pytest -p tests.compiled_codec tests/test_codec.py tests/test_codec_hardening_*.py``;
the engine's and the hostile-server tests run on both paths as
``python -m pytest tests/test_wire_*.py tests/test_hostile_*.py ...`` with and
without ``AIORESOLVE_NO_EXTENSIONS=1``; ``tests/test_hot.py`` feeds the
engine's two hot-path twins (``_hot_py``, ``_hot_c``) the same replies.  This
module checks the selection itself and compares the I/O and codec twins on the
same inputs.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import ModuleType

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aioresolve._dns import _speedups, _udp_py, codec
from aioresolve._twins import built_from

CI = os.environ.get("CI") == "true"


def _compiled(name: str) -> ModuleType:
    try:
        module = __import__(f"aioresolve._dns.{name}", fromlist=["_"])
        if hasattr(module, "SOURCE") and not built_from(module, Path(codec.__file__)):
            raise ImportError("built from another codec.py: rebuild (pip install -e .)")
        return module
    except ImportError as exc:
        if CI:
            pytest.fail(f"CI must build the compiled twin {name}: {exc}")
        pytest.skip(f"the compiled twin {name} is not built here ({exc})")


def test_selection_follows_the_environment() -> None:
    code = ("from aioresolve._dns import _speedups as s; "
            "print(','.join(sorted(s.COMPILED)), s.recv_batch.__module__)")
    env = dict(os.environ, AIORESOLVE_NO_EXTENSIONS="1")
    forced = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                            text=True, check=True).stdout.split()
    assert forced == ["aioresolve._dns._udp_py"]  # nothing compiled, the pure twin
    env.pop("AIORESOLVE_NO_EXTENSIONS")
    default = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                             text=True, check=True).stdout.split()
    if default[0] == "aioresolve._dns._udp_py" and not CI:
        pytest.skip("no compiled twin built here")
    expected = {"codec", "core", "udp"}
    try:
        from aioresolve._dns import _codec_c
    except ImportError:
        expected.discard("codec")
    else:
        if not built_from(_codec_c, Path(codec.__file__)):
            if CI:
                pytest.fail("the compiled codec is stale: rebuild it")
            expected.discard("codec")  # stale: the pure codec is used, with a warning
    try:
        from aioresolve._dns import _hot_c  # noqa: F401
    except ImportError:
        if CI:
            pytest.fail("CI must build the compiled core _hot_c")
        expected.discard("core")
    assert default == [",".join(sorted(expected)), "aioresolve._dns._udp_c"]


def test_one_parse_error_class() -> None:
    twin = _compiled("_codec_c")
    assert twin.ParseError is codec.ParseError
    with pytest.raises(codec.ParseError):
        twin.parse_response(b"\x00" * 5)


_VALID = codec.encode_response(0x1234, "h1.bulk.test", codec.TYPE_A,
                               [("h1.bulk.test", codec.TYPE_A, 300, "198.18.0.1"),
                                ("h1.bulk.test", codec.TYPE_A, 60, "198.18.0.2")])


def _outcome(func: object, data: bytes) -> object:
    try:
        return ("ok", func(data))  # type: ignore[operator]
    except codec.ParseError as exc:
        return ("ParseError", str(exc))
    except Exception as exc:  # a twin must never raise anything else: compared too
        return (type(exc).__name__, str(exc))


@settings(max_examples=400, deadline=None)
@given(st.binary(max_size=600))
def test_twins_agree_on_random_bytes(data: bytes) -> None:
    twin = _compiled("_codec_c")
    assert _outcome(twin.parse_response, data) == _outcome(codec.parse_response, data)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.tuples(st.integers(0, len(_VALID) - 1), st.integers(0, 255)), max_size=6),
       st.integers(0, len(_VALID)))
def test_twins_agree_on_mutated_answers(edits: list[tuple[int, int]], cut: int) -> None:
    twin = _compiled("_codec_c")
    data = bytearray(_VALID)
    for at, value in edits:
        data[at] = value
    sample = bytes(data[:cut])
    assert _outcome(twin.parse_response, sample) == _outcome(codec.parse_response, sample)


# -- batched UDP I/O ---------------------------------------------------------------------------


def _pair() -> tuple[socket.socket, socket.socket]:
    server = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    server.bind(("127.0.0.1", 0))
    server.settimeout(5)
    client = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    client.setblocking(False)
    client.connect(server.getsockname())
    return server, client


def _wait_readable(sock: socket.socket) -> None:
    import select

    select.select([sock], [], [], 5)
    time.sleep(0.05)  # let the rest of a burst arrive


@pytest.mark.parametrize("twin", ["_udp_py", "_udp_c"])
def test_udp_twins(twin: str) -> None:
    udp = _udp_py if twin == "_udp_py" else _compiled("_udp_c")
    server, client = _pair()
    spoofer = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        packets = [b"q%03d" % i for i in range(50)]
        assert udp.send_batch(client, packets) == 50
        got = [server.recvfrom(64) for _ in range(50)]
        assert [d for d, _ in got] == packets
        with pytest.raises(BlockingIOError):
            udp.recv_batch(client, 64, 4096)
        for data, addr in got[:10]:
            server.sendto(data + b"!", addr)
        spoofer.sendto(b"forged", client.getsockname())  # the kernel drops it: connected
        _wait_readable(client)
        datagrams, wrong = udp.recv_batch(client, 64, 4096)
        assert datagrams == [p + b"!" for p in packets[:10]] and wrong == 0
        server.sendto(b"x" * 3000, got[0][1])
        _wait_readable(client)
        assert udp.recv_batch(client, 4, 1000) == ([b"x" * 1000], 0)  # cut, as recv() cuts
        assert udp.send_batch(client, []) == 0
    finally:
        server.close()
        client.close()
        spoofer.close()


@pytest.mark.parametrize("twin", ["_udp_py", "_udp_c"])
def test_udp_twins_report_port_unreachable(twin: str) -> None:
    udp = _udp_py if twin == "_udp_py" else _compiled("_udp_c")
    gone = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    gone.bind(("127.0.0.1", 0))
    address = gone.getsockname()
    gone.close()
    client = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    client.setblocking(False)
    client.connect(address)
    try:
        assert udp.send_batch(client, [b"ping"]) == 1
        time.sleep(0.05)
        with pytest.raises(ConnectionRefusedError):
            udp.recv_batch(client, 8, 512)
    finally:
        client.close()


def test_speedups_exports() -> None:
    assert set(_speedups.__all__) <= set(dir(_speedups))
    assert bool(os.environ.get("AIORESOLVE_NO_EXTENSIONS")) == _speedups.NO_EXTENSIONS
