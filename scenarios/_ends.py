"""The two channel implementations behind one set of bound methods.

Scenarios call ``ends.send`` / ``ends.recv`` directly: these are the
implementation's own bound methods, not wrappers, so neither channel pays an
extra call layer and the comparison between them stays fair.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, NamedTuple

import trio

from nimsync_tui.channels import ChannelMode, create_channel

END_OF_CHANNEL = trio.EndOfChannel
"""What a receive raises once a closed channel is drained, for both implementations
(``channels.EndOfChannel`` is a subclass)."""


class Ends(NamedTuple):
    """A channel seen as the three operations every scenario needs."""

    send: Callable[[Any], Awaitable[None]]
    recv: Callable[[], Awaitable[Any]]
    close: Callable[[], None]
    """Closes the sending side: receivers drain what is buffered, then stop."""


def open_ends(impl: str, capacity: int, mode: ChannelMode, yield_every: int) -> Ends:
    """Open a channel of ``impl`` (``nimsync`` or ``trio``) and return its ends."""
    if impl == "nimsync":
        chan: Any = create_channel(capacity, mode, yield_every=yield_every)
        return Ends(chan.send, chan.recv, chan.close)
    if impl == "trio":
        # trio's channel needs no mode: its ends accept any number of tasks.
        send_end, recv_end = trio.open_memory_channel[Any](capacity)
        return Ends(send_end.send, recv_end.receive, send_end.close)
    raise ValueError(f"unknown channel implementation {impl!r}")
