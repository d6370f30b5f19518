"""A computation run in a forked child process while this one goes on.

A large write has two long steps that need each other only at the end: checking the whole
history with the new events (a fold), and serialising and writing the file. The check runs in a
child, on the second core, while this process writes the file beside the database; the file is
renamed into place only once the child's verdict is in (see ``Transaction.before_commit``).

Only where ``fork`` is safe and worth it: on Linux, with more than one core, and with no other
thread running (a forked child gets one thread, and a lock another thread held stays locked).
Anything else, or a child that fails, runs the computation here instead: the child only ever
saves time, never decides an outcome this process would not reach on its own.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from contextlib import suppress
from typing import Any

import orjson


def can_fork() -> bool:
    """Whether a child would run beside this process, safely."""
    import threading  # (only writes get here: read-only commands start without it)

    if sys.platform != "linux" or threading.active_count() != 1:
        return False
    return len(os.sched_getaffinity(0)) > 1


class Forked:
    """``run()`` started in a child process; its result (JSON-able) read back by ``result``.

    The child closes every file it inherited but its end of the pipe (the database's lock
    among them, so that the lock is never held by the child alone), writes the result as JSON
    and ends with ``os._exit``: no cleanup of this process's runs twice, no output is
    flushed twice.
    """

    def __init__(self, run: Callable[[], Any]) -> None:
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child (coverage does not follow it)
            status = 1
            try:
                os.closerange(3, write)
                os.closerange(write + 1, os.sysconf("SC_OPEN_MAX"))
                payload = memoryview(orjson.dumps(run()))
                while payload:
                    payload = payload[os.write(write, payload) :]
                status = 0
            finally:
                os._exit(status)
        os.close(write)
        self._pid: int | None = pid
        self._read: int | None = read

    def result(self, fallback: Callable[[], Any]) -> Any:
        """What ``run()`` returned in the child, once it has ended; ``fallback()``, run here,
        if the child failed (killed, out of memory, an error)."""
        read, pid = self._read, self._pid
        data, status = b"", -1
        if read is not None and pid is not None:  # (asked once)
            with suppress(OSError):
                with os.fdopen(read, "rb") as pipe:
                    self._read = None
                    data = pipe.read()  # until the child ends (and so closes its end)
                _, status = os.waitpid(pid, 0)
                self._pid = None
        if status == 0:
            with suppress(orjson.JSONDecodeError):
                return orjson.loads(data)
        return fallback()

    def close(self) -> None:
        """End the child if it still runs (the write stopped before it needed the result)."""
        if self._read is not None:
            os.close(self._read)
            self._read = None
        if self._pid is not None:
            import signal

            with suppress(ProcessLookupError):
                os.kill(self._pid, signal.SIGKILL)
            with suppress(ChildProcessError):
                os.waitpid(self._pid, 0)
            self._pid = None
