"""A computation run in a forked child process while this one goes on.

A large write has two long steps that need each other only at the end: checking the whole
history with the new events (a fold), and serialising and writing the file. A child writes the
file beside the database, on the second core, while this process checks; the file is renamed
into place only once both are done (see ``storage._fill_and_check``). The check, the longer
step, runs here: a child pays for every page of this process it touches, which are copied.
Once the file is written, the child may fold a part of the new events too, when the check
can be parted (see ``tracker._check_aside``): it finds what this process would, folding that
part; anything found, or no answer, and this process checks all of it itself.
``Beside`` runs a part of a larger piece of work the same way and sends its value back: half
of a long CSV sheet's rows are read so (see ``sheets._halfway``). Only early in a command is
that worth it: once this process holds much, both it and its child copy every page they touch
(for Python, every object they read: its reference count is written), and planning half of a
large import's rows in a child made the planning slower, not faster.

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
from types import TracebackType
from typing import TYPE_CHECKING, Generic, TypeVar

if TYPE_CHECKING:
    import signal

T = TypeVar("T")


def can_fork() -> bool:
    """Whether a child would run beside this process, safely: on Linux, with two cores or
    more, and with this process's one thread (counted by the kernel, which also sees threads
    Python did not start)."""
    if sys.platform != "linux":
        return False
    import signal

    if signal.getsignal(signal.SIGCHLD) is signal.SIG_IGN:
        return False  # (inherited: the child would be reaped unseen, its result lost)
    try:
        threads = len(os.listdir("/proc/self/task"))
    except OSError:
        return False
    return threads == 1 and len(os.sched_getaffinity(0)) > 1


class Forked:
    """``run()`` started in a child process; ``answer`` waits for it to end.

    The child keeps none of the files it inherited: it puts ``/dev/null`` on its standard
    streams and closes every other one (the database's lock among them, so that the lock is
    never held by the child alone, and a caller's pipes are not held open by it) but the pipe
    its answer goes back through: the bytes ``run()`` returns, if it returns bytes. It takes
    the default action for the signals that end a command, and ends with ``os._exit``, status
    0 once ``run()`` has returned and its answer is sent: nothing of this process's cleanup
    runs twice, no output is flushed twice. ``OSError`` if the child cannot be started (no
    process or memory to spare).
    """

    def __init__(self, run: Callable[[], object]) -> None:
        import signal

        # Blocked while forking: the child must never run this process's code (its cleanup
        # would, for one, unlock the database the two share), and this process must not be
        # interrupted before it knows its child. (pthread_sigmask also runs the handler of a
        # signal already pending: a call to it may raise KeyboardInterrupt, so each is undone.)
        stopping = {signal.SIGINT, signal.SIGTERM, signal.SIGHUP}
        self._pid: int | None = None
        parent = os.getpid()
        previous = signal.pthread_sigmask(signal.SIG_BLOCK, ())  # the mask as it is
        self._answers, sends = _pipe()
        try:
            signal.pthread_sigmask(signal.SIG_BLOCK, stopping)
            pid = os.fork()
            if pid == 0:  # pragma: no cover - the child (coverage does not follow it)
                status = 1
                try:
                    _become_child(parent, stopping, previous)
                    _no_files(keep=sends)
                    answer = run()
                    with open(sends, "wb") as pipe:
                        if isinstance(answer, bytes):
                            pipe.write(answer)
                    status = 0
                finally:
                    os._exit(status)
            self._pid = pid
        except BaseException:
            self._stop_reading()
            raise
        finally:
            os.close(sends)  # (the child's copy is the only one: its end is the pipe's end)
            try:
                signal.pthread_sigmask(signal.SIG_SETMASK, previous)
            except BaseException:
                self.close()  # interrupted as the mask came back: end the child, then stop
                raise

    def answer(self) -> bytes | None:
        """Wait for the child to end: the bytes ``run()`` returned (empty if it returned
        something else), or ``None`` if it did not finish ``run()`` (killed, out of memory, an
        error) or if how it ended is unknown. Whatever it sent is only an answer once it has
        ended well: a child that dies half-way leaves half an answer."""
        pid, status, chunks = self._pid, -1, []
        if pid is not None:
            try:
                while chunk := os.read(self._answers, 1 << 20):  # to its end: the child's exit
                    chunks.append(chunk)
            finally:
                self._stop_reading()
            with suppress(ChildProcessError):  # (reaped by another: gone, its status unknown)
                _, status = os.waitpid(pid, 0)
            self._pid = None
        return b"".join(chunks) if status == 0 else None

    def close(self) -> None:
        """End the child if it still runs (the work stopped before it needed it)."""
        if self._pid is not None:
            import signal

            pid, self._pid = self._pid, None
            with suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            with suppress(ChildProcessError):
                os.waitpid(pid, 0)
        self._stop_reading()

    def _stop_reading(self) -> None:
        if self._answers >= 0:
            answers, self._answers = self._answers, -1
            os.close(answers)


def start(run: Callable[[], object]) -> Forked | None:
    """``run()`` started in a child process, where one can run beside this one (see
    ``can_fork``); ``None`` where none can or none can be started (no process or memory to
    spare): the caller then does the work itself."""
    if not can_fork():
        return None
    try:
        return Forked(run)
    except OSError:
        return None


def _pickled(value: object) -> bytes:
    import pickle

    return pickle.dumps(value, pickle.HIGHEST_PROTOCOL)


class Beside(Generic[T]):
    """``work()`` run in a forked child while this process goes on, its value sent back
    pickled (from this process's own child: trusted); or run here by ``result``, where no
    child can run or when it fails, so that what ``work`` raises is raised here, as it would
    be without a child. ``work`` must leave this process's state as it found it: it may run
    here. A context manager: the child is ended on leaving, if it still runs."""

    def __init__(self, work: Callable[[], T]) -> None:
        self._work = work
        self._child = start(lambda: _pickled(work()))

    def result(self) -> T:
        answer = self._child.answer() if self._child is not None else None
        if not answer:  # (a value pickled is never empty: an empty answer is no answer)
            return self._work()
        import pickle  # (here: 15 ms of start-up otherwise, for every command)

        value: T = pickle.loads(answer)
        return value

    def close(self) -> None:
        if self._child is not None:
            self._child.close()

    def __enter__(self) -> Beside[T]:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()


def _pipe() -> tuple[int, int]:
    """A pipe whose two ends are above the standard streams: a process started with one of
    them closed would get that number for an end, which the child then covers with
    ``/dev/null`` (its answer would be lost, and an empty one taken for it)."""
    import fcntl

    ends = os.pipe()
    try:
        return (
            fcntl.fcntl(ends[0], fcntl.F_DUPFD_CLOEXEC, 3),
            fcntl.fcntl(ends[1], fcntl.F_DUPFD_CLOEXEC, 3),
        )
    finally:
        for end in ends:
            os.close(end)


def _become_child(parent: int, stopping: set[signal.Signals], mask: set[int]) -> None:
    """The child's first steps: the default action for the signals that end a command (but
    those its parent ignores), the parent's mask back, and an end of its own when the parent
    ends (Linux's parent-death signal), so that it never outlives the command."""
    import signal

    for number in stopping:
        if signal.getsignal(number) is not signal.SIG_IGN:
            signal.signal(number, signal.SIG_DFL)
    with suppress(Exception):  # (a child that cannot ask for it ends with its run)
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    if os.getppid() != parent:  # the parent ended before the request took effect
        os._exit(1)
    signal.pthread_sigmask(signal.SIG_SETMASK, mask)


def _no_files(keep: int) -> None:
    """Leave the child only ``/dev/null`` on its standard streams and the file ``keep``: every
    other file it inherited is closed, one by one from the list of those open (closing every
    possible number can take long where file limits are high)."""
    null = os.open(os.devnull, os.O_RDWR)
    for stream in (0, 1, 2):
        os.dup2(null, stream)
    for name in os.listdir("/proc/self/fd"):
        if int(name) > 2 and int(name) != keep:
            with suppress(OSError):  # (the listing's own, already closed)
                os.close(int(name))
