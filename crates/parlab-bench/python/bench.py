"""Python's side of parlab-bench: the same cases with multiprocessing and
concurrent.futures, timed inside this script (time.perf_counter).

Usage: python3 bench.py CASE 'JSON PARAMS'   (prints one JSON object)
"""
import concurrent.futures as cf
import json
import multiprocessing as mp
import sys
import time


def nap(secs):
    time.sleep(secs)
    return secs


def empty():
    pass


def tiny(n):
    """The book's tiny task, as in Rust: is n prime? (as 1 or 0)."""
    return 1 if is_prime(n) else 0


def is_prime(n):
    if n < 2:
        return False
    if n % 2 == 0:
        return n == 2
    d = 3
    while d * d <= n:
        if n % d == 0:
            return False
        d += 2
    return True


def count_primes(r):
    return sum(1 for n in range(r[0], r[1]) if is_prime(n))


def timed(f):
    t = time.perf_counter()
    f()
    return time.perf_counter() - t


def processes(n, secs):
    ps = [mp.Process(target=nap, args=(secs,)) for _ in range(n)]
    for p in ps:
        p.start()
    for p in ps:
        p.join()


def pool_map(workers, secs, n):
    with cf.ProcessPoolExecutor(workers) as ex:
        list(ex.map(nap, [secs] * n))


def as_completed(sleeps):
    with cf.ProcessPoolExecutor(len(sleeps)) as ex:
        futures = [ex.submit(nap, s) for s in sleeps]
        for f in cf.as_completed(futures):
            f.result()


def steps(p):
    s, reps = p["secs"], p["reps"]
    sleeps = p["as_completed"]
    out = {k: [] for k in ["two_sequential", "two_processes", "ten_processes", "pool_of_ten", "as_completed"]}
    for _ in range(reps):
        out["two_sequential"].append(timed(lambda: (nap(s), nap(s))))
        out["two_processes"].append(timed(lambda: processes(2, s)))
        out["ten_processes"].append(timed(lambda: processes(10, s)))
        out["pool_of_ten"].append(timed(lambda: pool_map(10, s, 10)))
        out["as_completed"].append(timed(lambda: as_completed(sleeps)))
    return out


def start_join(p):
    out = {}
    for method in ["fork", "forkserver", "spawn"]:
        ctx = mp.get_context(method)
        k = p["iterations"] if method == "fork" else max(1, p["iterations"] // 10)

        def once():
            q = ctx.Process(target=empty)
            q.start()
            q.join()

        once()  # warm up (forkserver starts its server here)
        out[method] = [timed(lambda: [once() for _ in range(k)]) / k for _ in range(p["reps"])]
    return out


def tiny_tasks(p):
    n, n_slow, chunk, workers, reps = p["n"], p["n_slow"], p["chunk"], p["workers"], p["reps"]
    out = {}

    def rate(count, f):
        return [count / timed(f) for _ in range(reps)]

    with cf.ProcessPoolExecutor(workers) as ex:
        list(ex.map(tiny, range(workers * 4)))
        out["ProcessPoolExecutor chunk 1"] = rate(n_slow, lambda: list(ex.map(tiny, range(n_slow))))
        out["ProcessPoolExecutor chunked"] = rate(n, lambda: list(ex.map(tiny, range(n), chunksize=chunk)))
    with mp.Pool(workers) as pool:
        pool.map(tiny, range(workers * 4))
        out["multiprocessing.Pool chunk 1"] = rate(n, lambda: pool.map(tiny, range(n), chunksize=1))
        out["multiprocessing.Pool chunked"] = rate(n, lambda: pool.map(tiny, range(n), chunksize=chunk))
    with cf.ThreadPoolExecutor(workers) as ex:
        out["ThreadPoolExecutor"] = rate(n_slow, lambda: list(ex.map(tiny, range(n_slow))))
    return out


def cpu(p):
    ranges = [tuple(r) for r in p["ranges"]]
    workers, reps = p["workers"], p["reps"]
    out = {"sequential": [], "processes": [], "threads": []}
    expected = None
    with mp.Pool(workers) as pool, cf.ThreadPoolExecutor(workers) as ex:
        for _ in range(reps):
            t = time.perf_counter()
            expected = sum(map(count_primes, ranges))
            out["sequential"].append(time.perf_counter() - t)
            t = time.perf_counter()
            got = sum(pool.map(count_primes, ranges, chunksize=1))
            out["processes"].append(time.perf_counter() - t)
            assert got == expected
            t = time.perf_counter()
            got = sum(ex.map(count_primes, ranges))
            out["threads"].append(time.perf_counter() - t)
            assert got == expected
    out["primes"] = expected
    return out


def scaling(p):
    ranges = [tuple(r) for r in p["ranges"]]
    reps = p["reps"]
    out = {"sequential": [timed(lambda: sum(map(count_primes, ranges))) for _ in range(reps)], "pool": {}}
    for n in p["workers"]:
        with mp.Pool(n) as pool:
            pool.map(count_primes, ranges[:n])
            out["pool"][str(n)] = [
                timed(lambda: sum(pool.map(count_primes, ranges, chunksize=1))) for _ in range(reps)
            ]
    return out


def made(size):
    return b"\x07" * size


def payload(p):
    """A result of each size handed back by a warm pool of one (fork), as parlab's is."""
    out = {}
    ctx = mp.get_context("fork")
    for size in p["sizes"]:
        with cf.ProcessPoolExecutor(1, mp_context=ctx) as ex:
            assert len(ex.submit(made, size).result()) == size
            out[str(size)] = [timed(lambda: ex.submit(made, size).result()) for _ in range(p["reps"])]
    return out


if __name__ == "__main__":
    case, params = sys.argv[1], json.loads(sys.argv[2])
    cases = {"steps": steps, "start_join": start_join, "tiny": tiny_tasks, "cpu": cpu, "scaling": scaling, "payload": payload}
    result = cases[case](params)
    print(json.dumps(result))
