"""Trio channels for the nimsync-tui benchmarks.

A :class:`Channel` is one object with both ends: ``send``/``recv`` (and their
``_nowait`` and ``_many`` variants), ``close``, ``len``, ``statistics`` and
``async for``. Unlike :func:`trio.open_memory_channel`, an operation that can
complete at once does not yield, except every ``yield_every``-th one; see
:class:`Channel` for the exact checkpoint, cancellation and close rules.

Example::

    chan = create_channel(1024, ChannelMode.SPSC)
    await chan.send(item)
    item = await chan.recv()
"""

from ._channel import (
    DEFAULT_YIELD_EVERY,
    Channel,
    ChannelMode,
    ChannelStatistics,
    SendProgress,
    create_channel,
)
from ._errors import ChannelClosed, EndOfChannel

__all__ = [
    "DEFAULT_YIELD_EVERY",
    "Channel",
    "ChannelClosed",
    "ChannelMode",
    "ChannelStatistics",
    "EndOfChannel",
    "SendProgress",
    "create_channel",
]
