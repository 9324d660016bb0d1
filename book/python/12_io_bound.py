"""Step 12: many waits in Python, on processes, threads and asyncio.

A thread lets go of the GIL while it sleeps (or reads a socket), so waits
overlap on threads even in the standard build; processes overlap them too,
at the price of starting each one; asyncio waits on one thread. Ten waits on
each pool are traced (parlab_trace.py) to output/12-python-ten-waits-on-*.jsonl.
"""
import asyncio
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

from parlab_trace import done, fresh, traced

WAIT = 1.0


def wait():
    time.sleep(WAIT)


def timed(run):
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


def on_pool(executor_class, n):
    # One worker per wait, as the Rust example starts one process or thread per wait.
    with executor_class(max_workers=n) as executor:
        for future in [executor.submit(traced, i, wait) for i in range(n)]:
            future.result()


async def waits(n):
    await asyncio.gather(*(asyncio.sleep(WAIT) for _ in range(n)))


if __name__ == "__main__":
    out = sys.argv[1] if len(sys.argv) > 1 else "output"
    os.makedirs(out, exist_ok=True)
    print(f"waits of {WAIT:.2f} s each")
    print(f"  {'on':<22}{'waits':>6}  {'wall':>9}")
    runs = [("ProcessPoolExecutor", n, lambda n=n: on_pool(ProcessPoolExecutor, n))
            for n in (10, 100)]
    runs += [("ThreadPoolExecutor", n, lambda n=n: on_pool(ThreadPoolExecutor, n))
             for n in (10, 100, 1000)]
    runs += [("asyncio", n, lambda n=n: asyncio.run(waits(n)))
             for n in (10, 100, 1000, 10000, 100000)]
    # Ten waits on each pool leave a trace file (parlab_trace.py) for
    # `checker timeline`, as the Rust example's ten waits do.
    traces = {("ProcessPoolExecutor", 10): "processes",
              ("ThreadPoolExecutor", 10): "threads"}
    for how, n, run in runs:
        name = traces.get((how, n))
        if name:
            fresh(os.path.join(out, f"12-python-ten-waits-on-{name}.jsonl"))
        took = timed(run)
        if name:
            done()
            del os.environ["PARLAB_TRACE_FILE"]
        print(f"  {how:<22}{n:>6}  {took:>7.2f} s")
