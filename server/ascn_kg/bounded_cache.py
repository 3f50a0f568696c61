"""A thread-safe LRU cache bounded in bytes as well as in entries: the one kind of cache the
server keeps in memory.

Every cache whose keys come from clients (answers, plans, safety verdicts, proven-cheap
requests, parsed ``Accept`` headers) is one of these, so that distinct requests can never
make a process grow past the bytes it was given. Sizes are estimates made by the caller
(:func:`text_bytes` for the strings that dominate them) plus :data:`ENTRY_OVERHEAD` for the
objects around them.
"""

from __future__ import annotations

import sys
import threading
from collections import OrderedDict
from typing import Any, Generic, TypeVar

V = TypeVar("V")
ENTRY_OVERHEAD = 512  # the bookkeeping of an entry: its key tuple, the value's object, the LRU link


def text_bytes(*texts: str | bytes | None) -> int:
    """What these strings occupy in memory (a Korean text takes more than its length)."""
    return sum(sys.getsizeof(text) for text in texts if text is not None)


class BoundedCache(Generic[V]):
    """An LRU of at most ``max_entries`` entries and ``max_bytes`` bytes (as given to :meth:`put`).

    A value larger than a quarter of the budget is not kept: one entry must not push out all
    the others.
    """

    def __init__(self, max_entries: int, max_bytes: int) -> None:
        self.max_entries, self.max_bytes = max_entries, max_bytes
        self._items: OrderedDict[Any, tuple[V, int]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: Any) -> V | None:
        if self.max_entries <= 0:  # switched off: nothing to look up, no lock taken
            return None
        with self._lock:
            item = self._items.get(key)
            if item is None:
                return None
            self._items.move_to_end(key)
            return item[0]

    def __contains__(self, key: Any) -> bool:
        return self.get(key) is not None

    def put(self, key: Any, value: V, size: int) -> None:
        """Keep ``value`` (``size`` bytes with its key); the least recently used entries make room."""
        size += ENTRY_OVERHEAD
        if self.max_entries <= 0 or size > self.max_bytes // 4:
            return
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return
            self._items[key] = (value, size)
            self._bytes += size
            while len(self._items) > self.max_entries or self._bytes > self.max_bytes:
                self._bytes -= self._items.popitem(last=False)[1][1]

    def discard(self, key: Any) -> None:
        with self._lock:
            item = self._items.pop(key, None)
            if item is not None:
                self._bytes -= item[1]

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._bytes = 0

    @property
    def size(self) -> int:
        """The bytes the entries kept now were counted at."""
        return self._bytes

    def __len__(self) -> int:
        return len(self._items)
