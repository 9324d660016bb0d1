"""Step 9 in Python: a task that raises, a worker that crashes, and a task
that never ends, on concurrent.futures and multiprocessing."""
import concurrent.futures
import multiprocessing
import os
import sys
import textwrap
import time


def divide(x):
    return 100 // (x - 3)  # raises for x == 3: integer division or modulo by zero


def fragile(x):
    if x == 3:
        print(f"fragile({x}): aborting", file=sys.stderr, flush=True)
        os.abort()
    time.sleep(0.1)
    return x * x


def a_task_raises(executor):
    futures = [executor.submit(divide, x) for x in [4, 5, 6, 3]]
    for future in futures:
        try:
            print(f"ok: {future.result()}")
        except Exception as e:
            print(f"failed: {type(e).__name__}: {e}")


def a_worker_crashes():
    with concurrent.futures.ProcessPoolExecutor(2) as executor:
        try:
            print(f"all done: {list(executor.map(fragile, [1, 2, 3, 4]))}")
        except concurrent.futures.process.BrokenProcessPool as e:
            # Long, so shown on two lines.
            print(textwrap.fill(f"broken pool: {e}", 80, subsequent_indent="  "))
        # Once broken, the pool takes no more work.
        try:
            executor.submit(fragile, 1)
        except concurrent.futures.process.BrokenProcessPool:
            print("and it refuses every new task")


def a_task_never_ends():
    slow = multiprocessing.Process(target=time.sleep, args=(3600,))
    slow.start()
    slow.join(timeout=1)
    if slow.is_alive():
        slow.kill()
        slow.join()
        print(f"still running after 1 s: killed: exit code {slow.exitcode}")
    # A task on a pool has no such handle: result(timeout=...) gives up
    # waiting, but the worker sleeps on, and the pool's shutdown waits for it.
    executor = concurrent.futures.ProcessPoolExecutor(1)
    future = executor.submit(time.sleep, 3600)
    try:
        future.result(timeout=1)
    except concurrent.futures.TimeoutError:
        print(f"a pool's task after 1 s: gave up waiting; cancel() -> {future.cancel()}")
    # No public call stops the running task: end the workers by hand.
    for worker in executor._processes.values():
        worker.kill()
    executor.shutdown(wait=True)


if __name__ == "__main__":
    multiprocessing.set_start_method("fork")
    with concurrent.futures.ProcessPoolExecutor(2) as executor:
        a_task_raises(executor)
    a_worker_crashes()
    a_task_never_ends()
