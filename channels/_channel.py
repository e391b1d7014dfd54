"""A single-object Trio channel whose non-blocking operations do not yield.

Trio's own memory channel makes every ``send`` and ``receive`` a full
checkpoint. That is the right default, but on a channel benchmark it means the
scheduler, not the buffer, sets the rate: two checkpoints per item, about
6.4 µs on the reference machine. :class:`Channel` keeps Trio's cancellation
guarantees and parks exactly like Trio when it has to wait, but an operation
that can complete at once only becomes a checkpoint every ``yield_every``-th
time on its side of the channel.
"""

from __future__ import annotations

import enum
import operator
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import repeat
from typing import Any, Final, Generic, NoReturn, TypeVar, final

import trio
from outcome import Error, Value
from trio.lowlevel import (
    Abort,
    Task,
    checkpoint,
    current_task,
    disable_ki_protection,
    enable_ki_protection,
    reschedule,
    wait_task_rescheduled,
)

from ._errors import ChannelClosed, EndOfChannel

__all__ = [
    "DEFAULT_YIELD_EVERY",
    "Channel",
    "ChannelMode",
    "ChannelStatistics",
    "SendProgress",
    "create_channel",
]

T = TypeVar("T")

DEFAULT_YIELD_EVERY: Final = 128
"""Default for ``yield_every``.

Measured on the reference machine, yielding every 64 operations gives 2.2 M
items/s and every 1024 gives 2.8 M items/s; 128 keeps most of that rate while
a task holds the event loop for at most 128 operations per side between two
schedule points.
"""

# Private: returned by the _try_* helpers instead of raising trio.WouldBlock,
# because the blocking paths park right after and an exception round trip
# would cost more than the check. Users can never get hold of it.
_EMPTY: Any = object()


class ChannelMode(enum.Enum):
    """How many tasks may use each side of a channel.

    The *single* side of a mode admits one waiting task at a time: a second
    task that tries to wait there while the first is still waiting gets
    :exc:`trio.BusyResourceError`. Operations that complete without waiting are
    not checked, so a misuse is reported the moment it could cause confusion
    (two tasks racing to be woken), never on the hot path.
    """

    SPSC = "spsc"
    """Single producer, single consumer."""
    MPSC = "mpsc"
    """Multiple producers, single consumer."""
    SPMC = "spmc"
    """Single producer, multiple consumers."""
    MPMC = "mpmc"
    """Multiple producers, multiple consumers: any number of waiters each side."""

    @property
    def single_producer(self) -> bool:
        """Whether at most one task may wait to send."""
        return self in (ChannelMode.SPSC, ChannelMode.SPMC)

    @property
    def single_consumer(self) -> bool:
        """Whether at most one task may wait to receive."""
        return self in (ChannelMode.SPSC, ChannelMode.MPSC)


@final
@dataclass(frozen=True, slots=True)
class ChannelStatistics:
    """A snapshot of a channel's state, returned by :meth:`Channel.statistics`."""

    buffered: int
    """The number of items currently in the buffer (``len(channel)``)."""

    capacity: int
    """The most items the buffer holds; 0 for a rendezvous channel."""

    senders_waiting: int
    """The number of tasks parked in ``send`` or ``send_many``."""

    receivers_waiting: int
    """The number of tasks parked in ``recv``, ``recv_many`` or ``async for``."""

    total_sent: int
    """Items that entered the channel since it was created (items still held
    by a parked sender are not counted until they are taken)."""

    total_received: int
    """Items that left the channel since it was created; always
    ``total_sent - buffered``."""

    closed: bool
    """Whether :meth:`Channel.close` has been called."""


@final
class SendProgress:
    """How many items of a :meth:`Channel.send_many` call went through.

    ``send_many`` follows Trio's rule that a cancelled operation raises
    :exc:`trio.Cancelled`, but a batch can be cancelled (or the channel closed)
    after part of it was handed over; those items stay sent. Pass a
    ``SendProgress`` to learn how many: after ``send_many`` returns or raises,
    ``items[:progress.sent]`` were delivered, exactly once, and
    ``items[progress.sent:]`` were not.
    """

    __slots__ = ("sent",)

    def __init__(self) -> None:
        self.sent: int = 0
        """Items of the batch delivered so far; updated when ``send_many`` exits."""

    def __repr__(self) -> str:
        return f"SendProgress(sent={self.sent})"


@final
class _SendWaiter(Generic[T]):
    # A parked send or send_many. Receivers take items[index:] in place, so a
    # batch can be half taken when its sender is cancelled; index then says
    # exactly how much went through.
    __slots__ = ("index", "items", "task")

    def __init__(self, task: Task, items: list[T] | tuple[T, ...], index: int) -> None:
        self.task = task
        self.items = items
        self.index = index


@final
class _RecvWaiter(tuple[Any, ...]):
    # A parked recv or recv_many: (channel, task, max_items). max_items == 0
    # means recv, woken with the item itself; recv_many is woken with a list
    # of up to max_items items. A tuple, because a round trip between two
    # tasks parks twice and building a tuple runs no Python __init__; calling
    # it is its abort function, so parking needs no closure either.
    __slots__ = ()

    def __call__(self, _: object) -> Abort:
        # Still queued, so no sender has given us anything: nothing lost.
        channel: Channel[Any] = self[0]
        receivers = channel._recv_waiters
        receivers.remove(self)
        if not receivers and not channel._closed:
            channel._send_limit = channel._capacity
        return Abort.SUCCEEDED


@disable_ki_protection
def _list_unprotected(items: Iterable[T]) -> list[T]:
    # send_many is KI-protected like every other operation, but the caller's
    # iterable runs in here: an endless or slow generator must stay
    # interruptible by Ctrl-C. Trio decides protection by the nearest marked
    # frame, and this one is marked unprotected.
    return list(items)


class _NoPublicConstructor(type):
    # Like trio._util.NoPublicConstructor: the constructor's arguments are
    # validated by create_channel(), so calling the class directly is an error.
    def __call__(cls, *_args: object, **_kwargs: object) -> NoReturn:
        raise TypeError(f"{cls.__module__}.{cls.__qualname__} has no public constructor; use channels.create_channel()")

    def _create(cls, *args: Any, **kwargs: Any) -> Any:
        return super().__call__(*args, **kwargs)


def create_channel(
    capacity: int,
    mode: ChannelMode = ChannelMode.MPMC,
    *,
    yield_every: int = DEFAULT_YIELD_EVERY,
) -> Channel[Any]:
    """Create a channel for passing objects between Trio tasks.

    Args:
      capacity: how many items the buffer holds. 0 makes a rendezvous channel:
        a send completes only when a receiver takes its item.
      mode: which sides admit more than one waiting task; see
        :class:`ChannelMode`.
      yield_every: an operation that can complete without waiting is a full
        checkpoint (cancellation point and schedule point) every
        ``yield_every``-th time on its side, and does not yield otherwise;
        see :class:`Channel` for the fairness bound. 1 makes every operation
        a checkpoint, as in Trio's memory channels.

    Raises:
      TypeError: ``capacity`` or ``yield_every`` is not an ``int``, or ``mode``
        is not a :class:`ChannelMode`.
      ValueError: ``capacity`` is negative or ``yield_every`` is below 1.
    """
    # bool is an int subclass, but create_channel(True) is always a mistake.
    if not isinstance(capacity, int) or isinstance(capacity, bool):
        raise TypeError(f"capacity must be an int, not {type(capacity).__name__}")
    if capacity < 0:
        raise ValueError(f"capacity must be >= 0, not {capacity}")
    if not isinstance(mode, ChannelMode):
        raise TypeError(f"mode must be a ChannelMode, not {mode!r}")
    if not isinstance(yield_every, int) or isinstance(yield_every, bool):
        raise TypeError(f"yield_every must be an int, not {type(yield_every).__name__}")
    if yield_every < 1:
        raise ValueError(f"yield_every must be >= 1, not {yield_every}")
    channel: Channel[Any] = Channel._create(int(capacity), mode, int(yield_every))
    return channel


@final
class Channel(Generic[T], metaclass=_NoPublicConstructor):
    """A bounded FIFO channel between Trio tasks; create it with :func:`create_channel`.

    Both sides live on one object: any task holding it may send, receive or
    close. Items from one producer arrive in the order sent, and tasks parked
    on either side are woken in the order they parked.

    **Checkpoints and fairness.** An operation that can complete at once does
    not yield, except that every ``yield_every``-th operation on its side is
    a full checkpoint (cancellation point and schedule point), taken before
    the operation acts. The count is per side of the channel, not per task:
    ``send`` and ``send_many`` calls share one count, ``recv``,
    ``recv_many`` and ``async for`` steps the other, whichever task makes
    them; that costs one integer per side and nothing per task. An operation
    that has to wait parks (a checkpoint too) and restarts its side's count;
    its peer wakes it directly: no polling, no sleeps.

    The bound this gives: between two of its schedule points, a task doing
    back-to-back non-blocking operations on one side of one channel completes
    at most ``yield_every`` of them (the checkpointed one, then
    ``yield_every - 1`` that never yield), so other tasks wait at most that
    long. It is per side and per channel: a task alternating sends and
    receives on one channel may complete up to ``yield_every`` of each, and a
    task using k channels up to k times that. A ``send_many``/``recv_many``
    call counts as one operation whatever its size, and an operation counts
    whether it completes, waits or raises, so a retry loop around a failing
    ``recv`` still reaches its checkpoints. The ``*_nowait`` methods
    never yield and are not counted. ``yield_every=1`` makes every
    ``send``/``recv`` a checkpoint, as in Trio's memory channels.

    **Cancellation.** A cancelled ``send`` did not send; a cancelled ``recv``
    or ``recv_many`` took nothing. A cancelled ``send_many`` raises
    :exc:`trio.Cancelled`, and the part of the batch already handed over stays
    sent: pass a :class:`SendProgress` to learn how much.

    **Closing.** :meth:`close` is idempotent and immediate. Parked senders get
    :exc:`ChannelClosed` (their items are not sent), later sends get it too;
    receivers drain the buffer and then get :exc:`EndOfChannel`, which ends
    ``async for``.
    """

    __slots__ = (
        "_budget_full",
        "_buffer",
        "_capacity",
        "_closed",
        "_mode",
        "_recv_budget",
        "_recv_waiters",
        "_send_budget",
        "_send_limit",
        "_send_waiters",
        "_sent_base",
        "_single_receiver",
        "_single_sender",
        "_yield_every",
    )

    def __init__(self, capacity: int, mode: ChannelMode, yield_every: int) -> None:
        self._capacity = capacity
        self._mode = mode
        self._yield_every = yield_every
        self._single_sender = mode.single_producer
        self._single_receiver = mode.single_consumer
        self._buffer: deque[T] = deque()
        self._send_waiters: deque[_SendWaiter[T]] = deque()
        self._recv_waiters: deque[_RecvWaiter] = deque()
        self._closed = False
        # Operations a side may still complete without a checkpoint. When a
        # budget is 0 the next operation on that side is the checkpoint.
        full = yield_every - 1
        self._budget_full = full
        self._send_budget = full
        self._recv_budget = full
        # The fast send path must compare against one number only: the
        # capacity while that is the whole story, 0 while receivers are parked
        # (the item must go to them, not the buffer) or the channel is closed.
        self._send_limit = capacity
        # total_sent == _sent_base - _send_budget. Folding the count into the
        # budget keeps one attribute update off the hot path; every other path
        # adjusts _sent_base.
        self._sent_base = full

    # ---------------------------------------------------------------- sending

    @enable_ki_protection
    async def send(self, value: T) -> None:
        """Send ``value``, waiting while the channel is full.

        With capacity 0, waits until a receiver takes the item.

        Raises:
          ChannelClosed: the channel is closed, or was closed while waiting
            (the item was not sent).
          trio.BusyResourceError: another task is already waiting to send on
            a single-producer channel.
          trio.Cancelled: the item was not sent.
        """
        # The hot path: room in the buffer, nobody parked to hand it to, not
        # closed (all folded into _send_limit), and no checkpoint due.
        if self._send_budget and len(self._buffer) < self._send_limit:
            self._send_budget -= 1
            self._buffer.append(value)
            return
        # Taking the turn inline rather than in _take_turn saves a call per
        # operation, which is what yield_every=1 and every hand-over to a
        # parked receiver pay.
        if self._send_budget:
            self._send_budget -= 1
            self._sent_base -= 1  # see _take_turn
        else:
            # _refill_send_budget with the budget known to be 0.
            self._sent_base += self._budget_full
            self._send_budget = self._budget_full
            await checkpoint()
        if self._closed:
            raise ChannelClosed("send on a closed channel")
        receivers = self._recv_waiters
        if receivers:
            # _deliver for one item, without building a tuple for it.
            _, task, max_items = receivers.popleft()
            reschedule(task, Value([value] if max_items else value))
            if not receivers:
                self._send_limit = self._capacity
        elif len(self._buffer) < self._capacity:
            self._buffer.append(value)
        else:
            await self._park_sender(_SendWaiter(current_task(), (value,), 0))
            return
        self._sent_base += 1

    @enable_ki_protection
    def send_nowait(self, value: T) -> None:
        """Send ``value`` if that can be done without waiting; never yields.

        Raises:
          trio.WouldBlock: the channel is full (or, with capacity 0, no
            receiver is waiting).
          ChannelClosed: the channel is closed.
        """
        if self._closed:
            raise ChannelClosed("send on a closed channel")
        if self._recv_waiters:
            self._deliver((value,), 0)
        elif len(self._buffer) < self._capacity:
            self._buffer.append(value)
        else:
            raise trio.WouldBlock
        self._sent_base += 1

    @enable_ki_protection
    async def send_many(self, items: Iterable[T], progress: SendProgress | None = None) -> None:
        """Send every item of ``items`` in order, waiting for room as needed.

        Puts as many items as fit at once, without yielding between them, then
        waits for room for the rest. One call counts as one operation for
        ``yield_every``.

        If this raises, some leading part of the batch may already have been
        delivered; it stays delivered. Pass ``progress`` to learn how much:
        when the call exits, by return or exception, ``progress.sent`` items
        went through and the rest were not sent.

        Raises:
          ChannelClosed: the channel is closed, or was closed while waiting.
          trio.BusyResourceError: another task is already waiting to send on
            a single-producer channel.
          trio.Cancelled: cancelled; see ``progress``.
        """
        if progress is not None:
            progress.sent = 0
        if self._take_turn(sending=True):
            await checkpoint()
        # The iterable is read only after the turn is taken, so a send_many
        # cancelled at its checkpoint never touched it. Slicing is what makes
        # batches cheap; a list copy of a generator is still far cheaper than
        # per-item handling.
        batch: list[T] | tuple[T, ...] = items if isinstance(items, (list, tuple)) else _list_unprotected(items)
        if self._closed:
            raise ChannelClosed("send on a closed channel")
        n = len(batch)
        i = self._deliver(batch, 0) if self._recv_waiters else 0
        if i < n:
            buffer = self._buffer
            room = self._capacity - len(buffer)
            if room > 0:
                if i == 0 and n <= room:
                    buffer.extend(batch)
                    i = n
                else:
                    end = min(n, i + room)
                    buffer.extend(batch[i:end])
                    i = end
        if i < n:
            # What is already through is counted now; the parked remainder is
            # counted by whoever takes it.
            self._sent_base += i
            waiter = _SendWaiter(current_task(), batch, i)
            try:
                await self._park_sender(waiter)
            finally:
                if progress is not None:
                    progress.sent = waiter.index
            return
        if progress is not None:
            progress.sent = n
        self._sent_base += n

    @enable_ki_protection
    def _take_turn(self, *, sending: bool) -> bool:
        # Every operation but the hot paths' starts here, whether it then
        # succeeds, parks or raises: each spends one unit of its side's
        # budget, and the one that finds the budget empty must be the
        # checkpoint: True tells the caller to `await checkpoint()` before
        # acting (yielding before rather than after costs one await less;
        # what the caller saw before the yield is stale, so it checks after).
        # Spending before acting means no path can skip the count: a retry
        # loop around a raising recv still reaches a checkpoint. The count
        # restarts here rather than after the await because Trio's
        # checkpoint() always passes its schedule point, even when it then
        # raises Cancelled. Synchronous, so yield_every=1 pays no extra
        # coroutine per operation.
        if sending:
            if self._send_budget:
                self._send_budget -= 1
                # A spent unit counts as an item sent (see _sent_base); the
                # caller adds the items it really sent.
                self._sent_base -= 1
                return False
            self._refill_send_budget()
            return True
        if self._recv_budget:
            self._recv_budget -= 1
            return False
        self._recv_budget = self._budget_full
        return True

    def _refill_send_budget(self) -> None:
        # A schedule point has passed: the budget starts over. The budget
        # units spent since the last refill were items sent; keep them.
        self._sent_base += self._budget_full - self._send_budget
        self._send_budget = self._budget_full

    def _deliver(self, items: list[T] | tuple[T, ...], i: int) -> int:
        # Hands items[i:] to parked receivers, oldest first; returns the index
        # of the first item not handed over. Receivers are only parked while
        # the buffer is empty, so this keeps FIFO order. The caller counts.
        receivers = self._recv_waiters
        n = len(items)
        while receivers and i < n:
            _, task, max_items = receivers.popleft()
            if max_items == 0:
                reschedule(task, Value(items[i]))
                i += 1
            else:
                chunk = list(items[i : i + max_items])
                reschedule(task, Value(chunk))
                i += len(chunk)
        if not receivers and not self._closed:
            self._send_limit = self._capacity
        return i

    async def _park_sender(self, waiter: _SendWaiter[T]) -> None:
        senders = self._send_waiters
        if senders and self._single_sender:
            raise trio.BusyResourceError(f"another task is already waiting to send on this {self._mode.name} channel")
        senders.append(waiter)

        def abort_fn(_: object) -> Abort:
            # Not yet rescheduled, so still queued: whatever receivers took
            # from it (waiter.index) stays taken, the rest is never sent.
            senders.remove(waiter)
            return Abort.SUCCEEDED

        try:
            await wait_task_rescheduled(abort_fn)
        finally:
            self._refill_send_budget()

    # -------------------------------------------------------------- receiving

    @enable_ki_protection
    async def recv(self) -> T:
        """Receive the next item, waiting while the channel is empty.

        Raises:
          EndOfChannel: the channel is closed and empty.
          trio.BusyResourceError: another task is already waiting to receive
            on a single-consumer channel.
          trio.Cancelled: nothing was taken.
        """
        # The hot path: an item is buffered, no parked sender needs to be
        # moved into the space it leaves, and no checkpoint is due.
        if self._recv_budget and self._buffer and not self._send_waiters:
            self._recv_budget -= 1
            return self._buffer.popleft()
        # The turn, _try_recv and the park inline: a call less each, paid by
        # every operation under yield_every=1 and by every park.
        if self._recv_budget:
            self._recv_budget -= 1
        else:
            self._recv_budget = self._budget_full
            await checkpoint()
        buffer = self._buffer
        if buffer:
            value = buffer.popleft()
            if self._send_waiters:
                self._refill_buffer()
            return value
        if self._send_waiters:
            return self._take_from_senders(1)[0]
        if self._closed:
            raise EndOfChannel
        waiter = self._queue_receiver(0)
        try:
            return await wait_task_rescheduled(waiter)  # type: ignore[no-any-return]
        finally:
            self._recv_budget = self._budget_full

    @enable_ki_protection
    def recv_nowait(self) -> T:
        """Receive the next item if one is available; never yields.

        Raises:
          trio.WouldBlock: nothing is buffered and no sender is waiting.
          EndOfChannel: the channel is closed and empty.
        """
        value = self._try_recv()
        if value is _EMPTY:
            if self._closed:
                raise EndOfChannel
            raise trio.WouldBlock
        return value

    @enable_ki_protection
    async def recv_many(self, max_items: int) -> list[T]:
        """Receive between 1 and ``max_items`` items, oldest first.

        Waits until at least one item is available, then takes up to
        ``max_items`` from the buffer and from parked senders without yielding
        between items. One call counts as one operation for ``yield_every``.

        Raises:
          ValueError: ``max_items`` is below 1.
          EndOfChannel: the channel is closed and empty.
          trio.BusyResourceError: another task is already waiting to receive
            on a single-consumer channel.
          trio.Cancelled: nothing was taken.
        """
        max_items = operator.index(max_items)
        if max_items < 1:
            raise ValueError(f"max_items must be >= 1, not {max_items}")
        if self._take_turn(sending=False):
            await checkpoint()
        buffer = self._buffer
        if buffer:
            if len(buffer) <= max_items:
                items = list(buffer)
                buffer.clear()
            else:
                # map over the unbound method keeps the loop in C.
                items = list(map(deque.popleft, repeat(buffer, max_items)))
            if self._send_waiters:
                if len(items) < max_items:
                    items.extend(self._take_from_senders(max_items - len(items)))
                self._refill_buffer()
        elif self._send_waiters:
            items = self._take_from_senders(max_items)
        elif self._closed:
            raise EndOfChannel
        else:
            waiter = self._queue_receiver(max_items)
            try:
                return await wait_task_rescheduled(waiter)  # type: ignore[no-any-return]
            finally:
                self._recv_budget = self._budget_full
        return items

    def _try_recv(self) -> T:
        # One item, or _EMPTY; never waits, never yields.
        buffer = self._buffer
        if buffer:
            value = buffer.popleft()
            if self._send_waiters:
                self._refill_buffer()
            return value
        if self._send_waiters:
            return self._take_from_senders(1)[0]
        return _EMPTY  # type: ignore[no-any-return]

    def _take_from_senders(self, n: int) -> list[T]:
        # Takes up to n items straight from parked senders (the buffer is
        # empty or already taken), waking each sender whose items are all gone.
        senders = self._send_waiters
        out: list[T] = []
        while senders and n:
            waiter = senders[0]
            items = waiter.items
            i = waiter.index
            end = min(len(items), i + n)
            if end - i == 1:
                out.append(items[i])
            else:
                out.extend(items[i:end])
            n -= end - i
            waiter.index = end
            if end == len(items):
                senders.popleft()
                reschedule(waiter.task)
        self._sent_base += len(out)
        return out

    def _refill_buffer(self) -> None:
        # Moves parked senders' items into the room just made, so a parked
        # sender is never left waiting beside free space.
        senders = self._send_waiters
        buffer = self._buffer
        room = self._capacity - len(buffer)
        moved = 0
        while senders and room > 0:
            waiter = senders[0]
            items = waiter.items
            i = waiter.index
            end = min(len(items), i + room)
            if end - i == 1:
                buffer.append(items[i])
            else:
                buffer.extend(items[i:end])
            room -= end - i
            moved += end - i
            waiter.index = end
            if end == len(items):
                senders.popleft()
                reschedule(waiter.task)
        self._sent_base += moved

    def _queue_receiver(self, max_items: int) -> _RecvWaiter:
        # Queues the calling task as a receiver; the caller then waits with
        # the returned waiter as its abort function and refills its budget
        # when woken, as every parked operation does.
        receivers = self._recv_waiters
        if receivers and self._single_receiver:
            raise trio.BusyResourceError(
                f"another task is already waiting to receive on this {self._mode.name} channel"
            )
        waiter = _RecvWaiter((self, current_task(), max_items))
        receivers.append(waiter)
        # Sends must now take the slow path and hand items to us.
        self._send_limit = 0
        return waiter

    # ------------------------------------------------------------ the rest

    @enable_ki_protection
    def close(self) -> None:
        """Close the channel; idempotent, never yields.

        Parked senders are woken with :exc:`ChannelClosed` and their items
        are not sent; later sends raise it too. Receivers still get every
        buffered item, then :exc:`EndOfChannel`; parked receivers (the buffer
        is empty whenever one is parked) get it at once.
        """
        if self._closed:
            return
        self._closed = True
        self._send_limit = 0
        senders = self._send_waiters
        while senders:
            reschedule(
                senders.popleft().task,
                Error(ChannelClosed("channel was closed while waiting to send")),
            )
        receivers = self._recv_waiters
        while receivers:
            reschedule(receivers.popleft()[1], Error(EndOfChannel()))

    def __aiter__(self) -> Channel[T]:
        return self

    @enable_ki_protection
    async def __anext__(self) -> T:
        # recv's hot path, repeated to save an await per item in async-for.
        if self._recv_budget and self._buffer and not self._send_waiters:
            self._recv_budget -= 1
            return self._buffer.popleft()
        try:
            return await self.recv()
        except EndOfChannel:
            raise StopAsyncIteration from None

    def __len__(self) -> int:
        """The number of buffered items."""
        return len(self._buffer)

    @property
    def capacity(self) -> int:
        """The most items the buffer holds; 0 for a rendezvous channel."""
        return self._capacity

    @property
    def mode(self) -> ChannelMode:
        """The :class:`ChannelMode` the channel was created with."""
        return self._mode

    @property
    def yield_every(self) -> int:
        """Every this-many-th non-blocking operation on a side is a checkpoint."""
        return self._yield_every

    def statistics(self) -> ChannelStatistics:
        """Return a :class:`ChannelStatistics` snapshot of the channel."""
        total_sent = self._sent_base - self._send_budget
        buffered = len(self._buffer)
        return ChannelStatistics(
            buffered=buffered,
            capacity=self._capacity,
            senders_waiting=len(self._send_waiters),
            receivers_waiting=len(self._recv_waiters),
            total_sent=total_sent,
            total_received=total_sent - buffered,
            closed=self._closed,
        )

    def __repr__(self) -> str:
        return (
            f"<channels.Channel {self._mode.name} capacity={self._capacity} "
            f"buffered={len(self._buffer)} closed={self._closed}>"
        )
