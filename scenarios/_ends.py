"""A channel of any implementation, seen as the operations the scenarios need.

Scenarios call ``ends.send`` / ``ends.recv`` directly: these are the
implementation's own bound methods, not wrappers, so no implementation pays an
extra call layer and the comparison between them stays fair. Everything else
(closing, spreading the ends over several tasks, recognising the end of the
channel) runs once per load or once per task, never per item.

The contract a channel meets (the convention of ``trio.open_memory_channel``
and anyio's ``create_memory_object_stream``): a callable takes the capacity and
returns ``(send_end, receive_end)``; ``await send_end.send(item)`` and
``await receive_end.receive()`` are required. Found by name and used where a
scenario needs them: ``close`` or ``aclose`` on the send end (receivers then
drain the buffer and get an ``EndOfChannel``/``EndOfStream``-named exception),
and ``clone`` on both ends (several producers or consumers each get their own).
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import Any, NamedTuple

Send = Callable[[Any], Awaitable[None]]
Receive = Callable[[], Awaitable[Any]]
Close = Callable[[], Awaitable[None]]

END_NAMES = frozenset({"EndOfChannel", "EndOfStream", "QueueShutDown", "ShutDown"})
"""Exception class names that mean "closed and drained" (trio, anyio, asyncio 3.13, janus)."""

OPTIONAL_PARTS = ("close", "aclose", "clone", "send_nowait", "receive_nowait", "send_many", "receive_many")
"""Parts of a pair of ends looked up by name (on either end) and listed by ``--list-impls``."""


class MissingPartError(Exception):
    """A scenario needs a part of the channel that the implementation does not have."""

    def __init__(self, part: str, why: str) -> None:
        super().__init__(f"needs {part} ({why})")
        self.part = part


def is_end(exc: BaseException) -> bool:
    """Whether ``exc`` is a receive's "closed and drained" (by class name: every library has its own)."""
    return isinstance(exc, StopAsyncIteration) or any(c.__name__ in END_NAMES for c in type(exc).__mro__)


async def _nothing() -> None:
    return None


class Ends(NamedTuple):
    """A channel seen as the operations the scenarios need."""

    send: Send
    recv: Receive
    close: Close
    """Closes the sending side: receivers drain what is buffered, then stop (a no-op where there is none)."""
    closes: bool
    """Whether :attr:`close` really ends the channel for its receivers."""
    shared: bool
    """Whether :attr:`send` and :attr:`recv` may be used by several tasks at once as they are."""
    clone_send: Callable[[], tuple[Send, Close]] | None = None
    """A new send end and its close, for one more producer (``clone``)."""
    clone_recv: Callable[[], Receive] | None = None
    """A new receive end, for one more consumer."""


def as_async(close: Callable[[], object]) -> Close:
    """``close`` as an awaitable call, whether the implementation's is sync (``close``) or async (``aclose``)."""
    if inspect.iscoroutinefunction(close):
        return close
    call = close

    async def closing() -> None:
        call()

    return closing


def _closer(end: object) -> Close | None:
    close = getattr(end, "close", None)
    if callable(close) and not inspect.iscoroutinefunction(close):
        return as_async(close)
    aclose = getattr(end, "aclose", None)
    return aclose if callable(aclose) else None


def pair_ends(send_end: Any, receive_end: Any) -> Ends:
    """The :class:`Ends` of a ``(send_end, receive_end)`` pair that follows the contract."""
    send = getattr(send_end, "send", None)
    receive = getattr(receive_end, "receive", None)
    if not callable(send):
        raise MissingPartError("send", "the send end has no send method")
    if not callable(receive):
        raise MissingPartError("receive", "the receive end has no receive method")
    close = _closer(send_end)
    clone_send = clone_recv = None
    if callable(getattr(send_end, "clone", None)) and callable(getattr(receive_end, "clone", None)):

        def clone_send() -> tuple[Send, Close]:
            twin = send_end.clone()
            return twin.send, _closer(twin) or _nothing

        def clone_recv() -> Receive:
            twin: Any = receive_end.clone()
            return twin.receive  # type: ignore[no-any-return]

    return Ends(send, receive, close or _nothing, close is not None, False, clone_send, clone_recv)


def parts_of(send_end: object, receive_end: object) -> list[str]:
    """The optional parts (:data:`OPTIONAL_PARTS`) either end has."""
    return [p for p in OPTIONAL_PARTS if any(callable(getattr(e, p, None)) for e in (send_end, receive_end))]


def fan_out(ends: Ends, producers: int, consumers: int) -> tuple[list[tuple[Send, Close]], list[Receive]]:
    """Each producer's send and close, each consumer's receive.

    The channel ends for its receivers once every producer has closed its own.
    Ends that several tasks may share are shared, and the channel closes with
    the last producer; otherwise the first task keeps the original ends and
    every other gets a clone. A channel with neither gets
    :class:`MissingPartError`.
    """
    if producers == 1 and consumers == 1:
        return [(ends.send, ends.close)], [ends.recv]
    if ends.shared:
        left = producers

        async def close_with_the_last() -> None:
            nonlocal left
            left -= 1
            if left == 0:
                await ends.close()

        return [(ends.send, close_with_the_last)] * producers, [ends.recv] * consumers
    if ends.clone_send is None or ends.clone_recv is None:
        raise MissingPartError("clone", f"{producers} producers and {consumers} consumers, each with its own end")
    senders = [(ends.send, ends.close)] + [ends.clone_send() for _ in range(producers - 1)]
    receivers = [ends.recv] + [ends.clone_recv() for _ in range(consumers - 1)]
    return senders, receivers
