"""Which channel implementation a load runs: the built-ins, and anyone's by ``--impl SPEC``.

A SPEC is a built-in name (:data:`BUILTINS`), the name of an entry point in the
group :data:`ENTRY_POINT_GROUP`, ``module:callable`` (importable), or
``path/to/file.py:callable``. The callable takes the capacity and returns
``(send_end, receive_end)`` (see :mod:`._ends` for the contract). It may state
the loop it needs as an attribute ``loop`` (``"trio"``, ``"asyncio"``) and its
checkpoint rule as ``checkpoint_rule``; without them it runs on Trio by
default and its rule reads "not stated".
"""

from __future__ import annotations

import asyncio
import functools
import importlib
import importlib.metadata
import importlib.util
import os
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import anyio
import trio

from nimsync_tui.channels import ChannelMode, EndOfChannel, create_channel

from ._ends import Ends, as_async, pair_ends, parts_of

ENTRY_POINT_GROUP = "nimsync_tui.implementations"
"""Where installed packages register implementations: ``name = "module:callable"``."""

Opener = Callable[[int, ChannelMode, int], Ends]
"""Opens a channel: capacity, the scenario's mode (ours alone uses it), our ``yield_every``."""


class ImplementationError(Exception):
    """A SPEC that names no implementation, or one that cannot be loaded."""


@dataclass(frozen=True, slots=True)
class Implementation:
    """A channel implementation a load can run on."""

    name: str
    """The SPEC as runs state it (a built-in or entry-point name, a module spec, a file spec with its full path)."""
    label: str
    """A short name fit for a histogram tag (no dot, comma, space or ``@``)."""
    origin: str
    """``built-in``, ``entry point (<distribution>)``, ``module`` or ``file``."""
    loop: str | None
    """The loop it must run on; ``None``: any."""
    rule: str
    """When it yields to the loop, in words."""
    open: Opener
    min_capacity: int = 0
    """Smallest capacity it can build (asyncio's queues read 0 as unbounded)."""
    factory: Callable[[int], Any] | None = None
    """The callable that makes a ``(send_end, receive_end)`` pair, when it is one; ``None``: our own adapter."""
    requires: str | None = None
    """The module an optional extra brings, if it needs one."""
    code: tuple[str, ...] = ()
    """Modules whose allocations count as the channel's on the heap (our adapter's library)."""

    def installed(self) -> bool:
        """Whether what it needs is installed (an optional extra may not be)."""
        return self.requires is None or importlib.util.find_spec(self.requires) is not None

    @property
    def default_loop(self) -> str:
        """The loop it runs on unless ``--loop`` says otherwise."""
        return self.loop or "trio"

    def runs_on(self, loop: str) -> bool:
        """Whether it can run on ``loop`` (uvloop is an asyncio loop)."""
        return self.loop is None or self.loop == loop or (self.loop == "asyncio" and loop == "uvloop")

    def parts(self) -> list[str]:
        """Its parts by name, found on a channel of capacity 1 (an adapter's: send, receive, close, shared ends)."""
        if self.factory is None:
            return ["send", "receive", "close", "shared ends"]
        send_end, receive_end = self.factory(max(1, self.min_capacity))
        return ["send", "receive", *parts_of(send_end, receive_end)]

    def missing(self, needs: frozenset[str]) -> str | None:
        """The first of ``needs`` (``close``, ``clone``) its ends lack, with why; ``None`` if none."""
        if not needs & {"close", "clone"}:
            return None
        ends = self.open(max(1, self.min_capacity), ChannelMode.MPMC, 1)
        if "close" in needs and not ends.closes:
            return "close (or aclose): its receivers learn the channel ended only when it is closed"
        if "clone" in needs and not ends.shared and ends.clone_send is None:
            return "clone: several producers or consumers each need their own end"
        return None


def _nimsync(capacity: int, mode: ChannelMode, yield_every: int) -> Ends:
    chan: Any = create_channel(capacity, mode, yield_every=yield_every)
    return Ends(chan.send, chan.recv, as_async(chan.close), True, True)


def _pair_implementation(
    name: str, label: str, origin: str, *, loop: str | None, rule: str, make: Callable[[int], Any]
) -> Implementation:
    return Implementation(name, label, origin, loop, rule, _pair_opener(make), factory=make)


def _pair_opener(make: Callable[[int], Any]) -> Opener:
    def open_pair(capacity: int, _mode: ChannelMode, _yield_every: int) -> Ends:
        send_end, receive_end = make(capacity)
        return pair_ends(send_end, receive_end)

    return open_pair


_END = object()


class _ClosableQueue(asyncio.Queue[Any]):
    """``asyncio.Queue`` with a close that ends receivers once drained (3.13's ``shutdown``, for 3.11).

    ``_get`` is the documented subclass hook: its extra identity test is the
    only cost on the hot path. The marker sits behind the items, so receivers
    drain first, and stays in place for every later receiver.
    """

    def close(self) -> None:
        self._queue.append(_END)  # type: ignore[attr-defined]
        self._wakeup_next(self._getters)  # type: ignore[attr-defined]

    def _get(self) -> Any:
        item = self._queue.popleft()  # type: ignore[attr-defined]
        if item is _END:
            self._queue.appendleft(_END)  # type: ignore[attr-defined]
            self._wakeup_next(self._getters)  # type: ignore[attr-defined]
            raise EndOfChannel
        return item


def _asyncio_queue(capacity: int, _mode: ChannelMode, _yield_every: int) -> Ends:
    queue = _ClosableQueue(capacity)
    return Ends(queue.put, queue.get, as_async(queue.close), True, True)


def _janus_queue(capacity: int, _mode: ChannelMode, _yield_every: int) -> Ends:
    import janus  # noqa: PLC0415 (an optional extra: imported only when asked for)

    queue: Any = janus.Queue(capacity)
    return Ends(queue.async_q.put, queue.async_q.get, as_async(queue.shutdown), True, True)


BUILTINS: dict[str, Implementation] = {
    i.name: i
    for i in (
        Implementation(
            "nimsync",
            "nimsync",
            "built-in",
            "trio",
            "a checkpoint every yield_every-th operation, otherwise only when it must wait",
            _nimsync,
        ),
        _pair_implementation(
            "trio",
            "trio",
            "built-in",
            loop="trio",
            rule="a checkpoint on every operation (Trio's rule)",
            make=trio.open_memory_channel,
        ),
        Implementation(
            "asyncio",
            "asyncio",
            "built-in",
            "asyncio",
            "asyncio.Queue: yields to the loop only when it must wait (full or empty)",
            _asyncio_queue,
            min_capacity=1,
            code=("asyncio",),
        ),
        _pair_implementation(
            "anyio",
            "anyio",
            "built-in",
            loop=None,
            rule="anyio memory object streams: a checkpoint on every operation (anyio's rule)",
            make=anyio.create_memory_object_stream,
        ),
        Implementation(
            "janus",
            "janus",
            "built-in, extra [janus]",
            "asyncio",
            "janus async side: yields to the loop only when it must wait (full or empty), behind a thread lock",
            _janus_queue,
            min_capacity=1,
            requires="janus",
            code=("janus",),
        ),
    )
}
"""The implementations that come with the tool, by name."""

_UNSAFE_TAG = re.compile(r"[^A-Za-z0-9_:-]")


def _label(text: str) -> str:
    return _UNSAFE_TAG.sub("_", text)


def _from_callable(name: str, label: str, origin: str, make: object) -> Implementation:
    if not callable(make):
        raise ImplementationError(f"--impl {name}: {type(make).__name__} is not callable; give module:callable")
    same = next((b for b in BUILTINS.values() if b.factory is make), None)
    if same is not None:  # a built-in's own callable, named by module: the same loop and rule
        return _pair_implementation(name, label, origin, loop=same.loop, rule=same.rule, make=make)
    loop = getattr(make, "loop", None)
    if loop is not None and loop not in ("trio", "asyncio"):
        raise ImplementationError(f"--impl {name}: its loop attribute must be 'trio' or 'asyncio', got {loop!r}")
    rule = getattr(make, "checkpoint_rule", None) or "not stated by the implementation"
    return _pair_implementation(name, label, origin, loop=loop, rule=str(rule), make=make)


def _attribute(module: Any, path: str, spec: str) -> object:
    target: object = module
    for part in path.split("."):
        try:
            target = getattr(target, part)
        except AttributeError:
            raise ImplementationError(f"--impl {spec}: {module.__name__} has no {path}") from None
    return target


def _load_file(path: str, spec: str) -> Any:
    if not os.path.isfile(path):
        raise ImplementationError(f"--impl {spec}: no such file {path}")
    name = "nimsync_tui_impl_" + _label(path).replace(":", "_")
    if name in sys.modules:
        return sys.modules[name]
    module_spec = importlib.util.spec_from_file_location(name, path)
    if module_spec is None or module_spec.loader is None:
        raise ImplementationError(f"--impl {spec}: {path} is not a Python module")
    module = importlib.util.module_from_spec(module_spec)
    sys.modules[name] = module
    try:
        module_spec.loader.exec_module(module)
    except Exception as exc:
        del sys.modules[name]
        raise ImplementationError(f"--impl {spec}: importing {path} failed: {type(exc).__name__}: {exc}") from None
    return module


def entry_points() -> dict[str, importlib.metadata.EntryPoint]:
    """The implementations installed packages register, by name."""
    return {ep.name: ep for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP)}


def normalize(spec: str) -> str:
    """``spec`` as runs state it: a file's path made absolute, so the load process finds it from anywhere."""
    path, sep, attr = spec.rpartition(":")
    if sep and path.endswith(".py"):
        return f"{os.path.abspath(path)}:{attr}"
    return spec


@functools.cache
def resolve(spec: str) -> Implementation:
    """The implementation ``spec`` names; :class:`ImplementationError` says why none."""
    if spec in BUILTINS:
        return BUILTINS[spec]
    path, sep, attr = spec.rpartition(":")
    if not sep:
        found = entry_points().get(spec)
        if found is None:
            known = ", ".join([*BUILTINS, *entry_points()])
            raise ImplementationError(
                f"--impl {spec}: no such implementation; give one of {known}, module:callable or file.py:callable"
            )
        try:
            make = found.load()
        except Exception as exc:
            raise ImplementationError(f"--impl {spec}: loading entry point {found.value} failed: {exc}") from None
        dist = found.dist.name if found.dist is not None else "?"
        return _from_callable(spec, _label(spec), f"entry point ({dist})", make)
    if not path or not attr:
        raise ImplementationError(f"--impl {spec}: give module:callable or path/to/file.py:callable")
    if path.endswith(".py"):
        module = _load_file(os.path.abspath(path), spec)
        label = _label(os.path.splitext(os.path.basename(path))[0] + ":" + attr)
        return _from_callable(spec, label, "file", _attribute(module, attr, spec))
    try:
        module = importlib.import_module(path)
    except Exception as exc:
        raise ImplementationError(f"--impl {spec}: cannot import {path}: {type(exc).__name__}: {exc}") from None
    return _from_callable(spec, _label(spec), "module", _attribute(module, attr, spec))


def open_ends(impl: str, capacity: int, mode: ChannelMode, yield_every: int) -> Ends:
    """Open a channel of ``impl`` (a SPEC) and return its ends."""
    return resolve(impl).open(capacity, mode, yield_every)
