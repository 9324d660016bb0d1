"""Step 11 in Python: one counter, two workers, and every way Python offers to
share it or to keep counts apart, each timed per add. Python's sharing tools
(multiprocessing.Value, Lock, Manager, shared_memory, Queue) beside the
threads' Lock; fewer adds where each costs more, so every row takes about a
second or less.
"""
import multiprocessing
import os
import threading
import time
from multiprocessing import shared_memory

WORKERS = 2


def own_count(n, queue):
    count = 0
    for _ in range(n):
        count += 1
    queue.put(count)


def shared_value(n, value):
    for _ in range(n):
        with value.get_lock():
            value.value += 1


def shared_value_without_lock(n, value):
    for _ in range(n):
        value.value += 1  # a read, then a write: another process may write between


def managed_value(n, value, lock):
    for _ in range(n):
        with lock:
            value.value += 1


def own_slot(n, name, slot):
    memory = shared_memory.SharedMemory(name=name)
    counts = memory.buf.cast("q")
    count = 0
    for _ in range(n):
        count += 1
    counts[slot] = count
    counts.release()
    memory.close()


def on_processes(target, n, *args):
    workers = [multiprocessing.Process(target=target, args=(n // WORKERS, *args))
               for _ in range(WORKERS)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()


def processes_own_counts(n):
    queue = multiprocessing.Queue()
    on_processes(own_count, n, queue)
    return sum(queue.get() for _ in range(WORKERS))


def processes_value(n):
    value = multiprocessing.Value("q", 0)
    on_processes(shared_value, n, value)
    return value.value


def processes_value_without_lock(n):
    value = multiprocessing.Value("q", 0, lock=False)
    on_processes(shared_value_without_lock, n, value)
    return value.value


def processes_manager(n):
    with multiprocessing.Manager() as manager:
        value, lock = manager.Value("q", 0), manager.Lock()
        on_processes(managed_value, n, value, lock)
        return value.value


def processes_shared_memory(n):
    memory = shared_memory.SharedMemory(create=True, size=8 * WORKERS)
    try:
        workers = [multiprocessing.Process(target=own_slot,
                                           args=(n // WORKERS, memory.name, i))
                   for i in range(WORKERS)]
        for w in workers:
            w.start()
        for w in workers:
            w.join()
        counts = memory.buf.cast("q")
        total = sum(counts)
        counts.release()
        return total
    finally:
        memory.close()
        memory.unlink()


def threads_lock(n):
    lock, total = threading.Lock(), [0]

    def add(k):
        for _ in range(k):
            with lock:
                total[0] += 1
    threads = [threading.Thread(target=add, args=(n // WORKERS,)) for _ in range(WORKERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return total[0]


def one_thread_local(n):
    count = 0
    for _ in range(n):
        count += 1
    return count


ROWS = [
    ("processes, own counts, Queue", processes_own_counts, 20_000_000),
    ("processes, own slots, shared_memory", processes_shared_memory, 20_000_000),
    ("processes, one Value and its Lock", processes_value, 1_000_000),
    ("processes, one Value, no lock", processes_value_without_lock, 1_000_000),
    ("processes, one Manager value", processes_manager, 4_000),
    ("one thread, a local variable", one_thread_local, 20_000_000),
    ("threads, one Lock", threads_lock, 2_000_000),
]

def per_add(secs):
    ns = secs * 1e9
    return f"{ns:8.1f} ns" if ns < 10_000 else f"{ns / 1e3:8.1f} µs"


if __name__ == "__main__":
    multiprocessing.set_start_method("fork")
    print(f"{WORKERS} workers, best of 3 runs; {os.cpu_count()} CPU(s)")
    print(f"  {'how':36}{'adds':>11}{'counted':>11}{'time':>11}{'per add':>11}")
    for name, run, n in ROWS:
        best, counted = float("inf"), 0
        for _ in range(3):
            start = time.perf_counter()
            counted = run(n)
            best = min(best, time.perf_counter() - start)
        time_ms = f"{best * 1e3:>8.1f} ms"
        print(f"  {name:36}{n:>11,}{counted:>11,}{time_ms}{per_add(best / n)}")
