"""``--serve``'s doors: the Host and Origin a request must name, whole, never a near miss of them."""

from __future__ import annotations

import pytest

from nimsync_tui.serve.options import ServeOptions
from nimsync_tui.serve.server import MAX_CONNECTIONS, connection_cap, host_allowed, origin_allowed

HOST = "127.0.0.1:8080"


def test_the_servers_own_origin_opens_a_session() -> None:
    assert origin_allowed("http://127.0.0.1:8080", HOST)
    assert origin_allowed("http://[::1]:8080", "[::1]:8080")


@pytest.mark.parametrize(
    "origin",
    [
        "http://127.0.0.1:80801",  # another port that begins with ours
        "http://127.0.0.1:808",  # a port ours begins with
        "http://127.0.0.1:8080.evil.example",  # our whole origin, then a foreign domain
        "http://127.0.0.1.evil.example:8080",  # our host name as a prefix of a foreign one
        "http://127.0.0.1:8080/",  # a path is never part of an Origin a browser sends
        "https://127.0.0.1:8080",  # another scheme
        "http://127.0.0.1",  # no port
        "http://localhost:8080",  # the same machine under another name: not the page we served
        "null",
        "",
        None,
    ],
)
def test_a_near_miss_origin_is_refused(origin: str | None) -> None:
    assert not origin_allowed(origin, HOST)


@pytest.mark.parametrize("host", ["127.0.0.1:8080", "localhost:8080", "[::1]:8080"])
def test_a_loopback_server_answers_to_each_loopback_name_on_its_port(host: str) -> None:
    assert host_allowed(host, ServeOptions(host="127.0.0.1", port=8080), 8080)


@pytest.mark.parametrize(
    "host",
    [
        "127.0.0.1:80801",  # another port that begins with ours
        "127.0.0.1:808",
        "127.0.0.1:8081",
        "127.0.0.1",  # no port: only port 80 may leave it out
        "127.0.0.1.evil.example:8080",  # a rebinding page's own name, beginning with ours
        "evil.example:8080",
        "localhost.evil.example:8080",
        "",
    ],
)
def test_a_near_miss_host_is_refused(host: str) -> None:
    assert not host_allowed(host, ServeOptions(host="127.0.0.1", port=8080), 8080)


def test_port_80_may_be_left_out_and_only_port_80() -> None:
    options = ServeOptions(host="127.0.0.1", port=80)
    assert host_allowed("127.0.0.1", options, 80) and host_allowed("localhost:80", options, 80)
    assert not host_allowed("127.0.0.1", ServeOptions(host="127.0.0.1", port=8080), 8080)


def test_a_named_host_answers_to_that_name_only() -> None:
    options = ServeOptions(host="bench.example", port=8080)
    assert host_allowed("bench.example:8080", options, 8080)
    # Not loopback: the loopback names do not reach it, nor does a longer name.
    assert not host_allowed("localhost:8080", options, 8080)
    assert not host_allowed("bench.example.evil.example:8080", options, 8080)


@pytest.mark.parametrize("bound", ["", "0.0.0.0", "::"])
def test_a_wildcard_server_answers_to_any_name(bound: str) -> None:
    assert host_allowed("any-name.example:1234", ServeOptions(host=bound, port=8080), 8080)


def test_port_0_is_judged_by_the_port_bound() -> None:
    assert host_allowed("127.0.0.1:41234", ServeOptions(host="127.0.0.1", port=0), 41234)
    assert not host_allowed("127.0.0.1:0", ServeOptions(host="127.0.0.1", port=0), 41234)


def test_the_connection_cap_leaves_descriptors_for_the_server_and_its_sessions() -> None:
    assert connection_cap(1 << 20, 4) == MAX_CONNECTIONS
    assert connection_cap(256, 1) == 136  # 112 kept (Python, bursts of accepts and of closes), 8 for the session
    assert connection_cap(1024, 4) + 112 + 4 * 8 <= 1024
    assert connection_cap(16, 4) == 1
