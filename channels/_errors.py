"""Exceptions raised by :mod:`channels`.

Both are subclasses of the matching Trio exceptions, so code written against
Trio's memory channels (``except trio.EndOfChannel``, ``except
trio.ClosedResourceError``) keeps working unchanged with these channels.
"""

from __future__ import annotations

from typing import final

import trio

__all__ = ["ChannelClosed", "EndOfChannel"]


@final
class ChannelClosed(trio.ClosedResourceError):
    """Raised by a send on a channel that has been closed.

    A send that was *waiting* when :meth:`~channels.Channel.close` was called
    also gets this exception; its item was not delivered. (For
    :meth:`~channels.Channel.send_many`, the items that went through before the
    close are reported by its ``progress`` argument.)

    Subclasses :exc:`trio.ClosedResourceError`.
    """


@final
class EndOfChannel(trio.EndOfChannel):
    """Raised by a receive on a closed channel once every buffered item is gone.

    Subclasses :exc:`trio.EndOfChannel`, so ``async for`` loops and code that
    catches Trio's exception end cleanly on it.
    """
