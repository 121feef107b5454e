"""impl/tasks.py: a background task stops for good when shutdown cancels it, even if one cancellation is lost."""

from __future__ import annotations

import asyncio
import sys

from impl.tasks import cancel_and_wait


async def _wait_for_then_stall(inner: asyncio.Future[int], stall: asyncio.Event) -> None:
    # As the notification sweeper at shutdown: a step guarded by wait_for (the SMTP connect) completes just as the
    # task is cancelled, then the next step (the SMTP greeting) waits for minutes.
    await asyncio.wait_for(inner, 10)
    await stall.wait()


async def _waiting_in_wait_for() -> tuple[asyncio.Task[None], asyncio.Future[int]]:
    inner: asyncio.Future[int] = asyncio.get_running_loop().create_future()
    task = asyncio.create_task(_wait_for_then_stall(inner, asyncio.Event()))
    await asyncio.sleep(0)  # it now waits in wait_for
    return task, inner


async def test_one_cancellation_arriving_as_wait_for_completes_is_lost_on_python_3_11() -> None:
    # The premise of cancel_and_wait, checked where the tests run.
    task, inner = await _waiting_in_wait_for()
    inner.set_result(1)  # wait_for wakes in the next iteration...
    task.cancel()  # ...as does this cancellation
    await asyncio.sleep(0.05)
    assert task.done() is (sys.version_info >= (3, 12))
    task.cancel()
    await asyncio.wait({task}, timeout=1)


async def test_a_task_whose_cancellation_was_lost_is_cancelled_again_until_it_ends() -> None:
    task, inner = await _waiting_in_wait_for()
    inner.set_result(1)  # the first cancel of cancel_and_wait arrives in the same iteration: lost on 3.11
    stopping = asyncio.create_task(cancel_and_wait(task, recancel_seconds=0.02))
    stopped, _ = await asyncio.wait({stopping}, timeout=1)  # (wait_for would cancel the task itself at its timeout)
    for left in (task, stopping):
        left.cancel()
    assert stopped == {stopping} and task.cancelled()


async def test_an_error_the_task_ended_with_is_raised() -> None:
    async def failing() -> None:
        raise LookupError("boom")

    task = asyncio.create_task(failing())
    await asyncio.sleep(0)
    try:
        await cancel_and_wait(task)
    except LookupError:
        return
    raise AssertionError("the task's error was swallowed")


async def test_a_finished_task_is_left_as_it_is() -> None:
    task = asyncio.create_task(asyncio.sleep(0))
    await task
    await cancel_and_wait(task)
    assert not task.cancelled()
