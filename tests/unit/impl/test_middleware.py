"""The edge layer's request ids: unique within a process and across forked workers."""

from __future__ import annotations

import os

from impl.middleware import _request_ids


def test_request_ids_are_unique_in_a_process() -> None:
    ids = {_request_ids.next() for _ in range(10_000)}
    assert len(ids) == 10_000


def test_a_forked_worker_draws_ids_of_its_own() -> None:
    # Workers forked from one parent (gunicorn --preload) must not repeat each other's ids.
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report its next id and leave at once
        os.write(write, _request_ids.next())
        os._exit(0)
    os.close(write)
    os.waitpid(pid, 0)
    child = os.read(read, 100)
    os.close(read)
    assert child.split(b"-")[0] != _request_ids.next().split(b"-")[0]
