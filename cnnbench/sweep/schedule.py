"""Which task runs next: static work in parallel, timed work serialised per device.

On the CPU a timed task runs alone (no static work beside it: it would steal the cores being timed), so static
tasks go first and timed ones follow, one at a time. On a GPU one timed task runs at a time per device while
static work (on the CPU) goes on beside it.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable

from cnnbench.sweep.tasks import Task


class Scheduler:
    """Queues of static and timed tasks; executors ask :meth:`next` with the tasks they are running."""

    def __init__(self, static: Iterable[Task], *, exclusive: bool = True) -> None:
        self.static: deque[Task] = deque(static)
        self.timed: deque[Task] = deque()
        self.exclusive = exclusive

    def push_timed(self, task: Task) -> None:
        self.timed.append(task)

    def empty(self) -> bool:
        return not self.static and not self.timed

    def timed_ready(self, running: Iterable[Task]) -> bool:
        """A timed task may start now on a device whose running tasks are ``running``."""
        running = list(running)
        if not self.timed or any(t.timed for t in running):
            return False
        return not self.exclusive or (not self.static and not running)

    def next(self, running: Iterable[Task]) -> Task | None:
        """The task to start on an idle worker beside ``running`` (None: wait for one to finish)."""
        running = list(running)
        if self.timed_ready(running):
            return self.timed.popleft()
        if self.static and not (self.exclusive and any(t.timed for t in running)):
            return self.static.popleft()
        return None
