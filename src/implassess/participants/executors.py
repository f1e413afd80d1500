"""Where a batch renders: in this process, on a local process pool, or on a Dask cluster.

Every executor follows :class:`Executor`: ``run(fn, jobs)`` yields ``(job, result or
exception)`` as jobs finish, ``cancel()`` stops a run that was interrupted, ``close()``
releases the workers. Ctrl-C belongs to the parent: pool workers ignore SIGINT (a
terminal sends it to the whole process group), so only the parent sees the interrupt,
cancels what has not started and lets running jobs finish their file.
"""

from __future__ import annotations

import contextlib
import signal
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Protocol, TypeVar

from implassess.errors import ImplassessError

J = TypeVar("J")
R = TypeVar("R")


class Executor(Protocol):
    """Runs a picklable function over jobs and yields ``(job, result or exception)`` as each finishes."""

    def run(self, fn: Callable[[J], R], jobs: Sequence[J]) -> Iterator[tuple[J, R | BaseException]]:
        """Results in completion order; a job's failure is yielded, never raised."""
        ...

    def cancel(self) -> list[tuple[Any, Any]]:
        """After an interrupt: drop the jobs not started, wait for the running ones, and return
        ``(job, result or exception)`` of every job that finished (yielded or not: the
        interrupt may have come between a job's end and its caller seeing it)."""
        ...

    def close(self) -> None:
        """Release workers."""
        ...


class SerialExecutor:
    """Runs every job in this process, in order (one worker, no pickling)."""

    workers = 1

    def run(self, fn: Callable[[J], R], jobs: Sequence[J]) -> Iterator[tuple[J, R | BaseException]]:
        """See :class:`Executor`."""
        for job in jobs:
            try:
                yield job, fn(job)
            except Exception as exc:
                yield job, exc

    def cancel(self) -> list[tuple[Any, Any]]:
        """Nothing runs once the interrupt reached this process."""
        return []

    def close(self) -> None:
        """Nothing to release."""


def ignore_sigint() -> None:
    """Pool worker initializer: leave Ctrl-C to the parent (no worker traceback on the terminal)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})


@contextlib.contextmanager
def sigint_held() -> Iterator[None]:
    """Hold SIGINT back while worker processes start, so none is interrupted before
    :func:`ignore_sigint` runs; a Ctrl-C meanwhile reaches the parent right after."""
    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    old = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


class ProcessExecutor:
    """A local pool of worker processes (``concurrent.futures.ProcessPoolExecutor``)."""

    def __init__(self, workers: int):
        from concurrent.futures import ProcessPoolExecutor

        self.workers = workers
        self._pool = ProcessPoolExecutor(max_workers=workers, initializer=ignore_sigint)
        self._futures: dict[Any, Any] = {}

    def run(self, fn: Callable[[J], R], jobs: Sequence[J]) -> Iterator[tuple[J, R | BaseException]]:
        """See :class:`Executor`."""
        from concurrent.futures import as_completed

        with sigint_held():  # the pool starts its processes on the first submit
            self._futures = {self._pool.submit(fn, job): job for job in jobs}
        for fut in as_completed(self._futures):
            exc = fut.exception()
            yield self._futures[fut], (exc if exc is not None else fut.result())

    def cancel(self) -> list[tuple[Any, Any]]:
        """See :class:`Executor`."""
        self._pool.shutdown(wait=True, cancel_futures=True)
        out = []
        for fut, job in self._futures.items():
            if fut.cancelled() or not fut.done():
                continue
            exc = fut.exception()
            out.append((job, exc if exc is not None else fut.result()))
        return out

    def close(self) -> None:
        """Shut the pool down."""
        self._pool.shutdown(wait=True, cancel_futures=True)


class DaskExecutor:
    """Jobs on a Dask distributed cluster (``--scheduler tcp://host:8786``).

    The workers write the PDFs themselves, so the output folder must be on a file system
    they share with this process, and they need implassess (and any theme plugin) installed.
    """

    def __init__(self, address: Any):
        try:
            from distributed import Client
        except ImportError as exc:
            raise ImplassessError(
                "--scheduler needs Dask distributed, which is not installed. Install it with "
                "pip install 'implassess[dask]' (or pip install 'dask[distributed]')."
            ) from exc
        try:
            self._client = address if hasattr(address, "submit") else Client(address, timeout="10s")
        except OSError as exc:
            raise ImplassessError(
                f"Cannot reach the Dask scheduler at {address!r} ({exc}); expected a running scheduler such as "
                "tcp://host:8786."
            ) from None
        self._own = not hasattr(address, "submit")
        self.workers = len(self._client.scheduler_info().get("workers", {})) or 1
        self._futures: list[Any] = []

    def run(self, fn: Callable[[J], R], jobs: Sequence[J]) -> Iterator[tuple[J, R | BaseException]]:
        """See :class:`Executor`."""
        from distributed import as_completed

        futures = [self._client.submit(fn, job, pure=False) for job in jobs]
        self._futures = futures
        by_key = {f.key: job for f, job in zip(futures, jobs, strict=True)}
        for fut in as_completed(futures):
            try:
                yield by_key[fut.key], fut.result()
            except Exception as exc:
                yield by_key[fut.key], exc

    def cancel(self) -> list[tuple[Any, Any]]:
        """Cancel the futures still pending; a task already running on a worker finishes its file
        (written atomically) but is not recorded, so a rerun renders it again."""
        with contextlib.suppress(Exception):
            self._client.cancel(self._futures)
        return []

    def close(self) -> None:
        """Close the client if this executor opened it."""
        if self._own:
            self._client.close()


def make_executor(workers: int = 1, scheduler: Any = None) -> Executor:
    """Dask when a scheduler is given, a process pool for more than one worker, else in-process."""
    if scheduler is not None:
        return DaskExecutor(scheduler)
    if workers > 1:
        return ProcessExecutor(workers)
    return SerialExecutor()
