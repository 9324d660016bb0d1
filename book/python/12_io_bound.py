"""Step 12: many waits in Python, on processes, threads and asyncio.

A thread lets go of the GIL while it sleeps (or reads a socket), so waits
overlap on threads even in the standard build; processes overlap them too,
at the price of starting each one; asyncio waits on one thread.
"""
import asyncio
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

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
        for future in [executor.submit(wait) for _ in range(n)]:
            future.result()


async def waits(n):
    await asyncio.gather(*(asyncio.sleep(WAIT) for _ in range(n)))


if __name__ == "__main__":
    print(f"waits of {WAIT:.2f} s each")
    print(f"  {'on':<22}{'waits':>6}  {'wall':>9}")
    runs = [("ProcessPoolExecutor", n, lambda n=n: on_pool(ProcessPoolExecutor, n))
            for n in (10, 100)]
    runs += [("ThreadPoolExecutor", n, lambda n=n: on_pool(ThreadPoolExecutor, n))
             for n in (10, 100, 1000)]
    runs += [("asyncio", n, lambda n=n: asyncio.run(waits(n)))
             for n in (10, 100, 1000, 10000, 100000)]
    for how, n, run in runs:
        print(f"  {how:<22}{n:>6}  {timed(run):>7.2f} s")
