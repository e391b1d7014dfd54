"""A channel of your own, for asyncio: run it with ``nimsync-tui --impl examples/deque_channel.py:make``."""

import asyncio
from collections import deque


class DequeChannel:
    def __init__(self, capacity: int) -> None:
        self.items: deque[object] = deque()
        self.capacity = max(1, capacity)
        self.changed = asyncio.Condition()

    async def send(self, item: object) -> None:
        async with self.changed:
            await self.changed.wait_for(lambda: len(self.items) < self.capacity)
            self.items.append(item)
            self.changed.notify_all()

    async def receive(self) -> object:
        async with self.changed:
            await self.changed.wait_for(lambda: bool(self.items))
            self.changed.notify_all()
            return self.items.popleft()


def make(capacity: int) -> tuple[DequeChannel, DequeChannel]:
    """The contract: take the capacity, return ``(send_end, receive_end)``."""
    channel = DequeChannel(capacity)
    return channel, channel


make.loop = "asyncio"  # type: ignore[attr-defined]  # the loop it needs (default: trio)
make.checkpoint_rule = "asyncio.Condition: yields only when it must wait"  # type: ignore[attr-defined]
