#!/usr/bin/env bash
# Regenerates what the book shows from real runs on this machine: every
# example's output (book/src/output/), every timeline (book/src/img/, SVG from
# the traces), the Python twins' outputs (book/python/output/) and the
# benchmark table (book/src/measured/). Tasks sleep real
# seconds here, as in the tutorial; it takes about two minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
export NO_COLOR=1 RUST_BACKTRACE=0 PARLAB_SVG_DIR=book/src/img PARLAB_TIME_SCALE=1
cargo build --release -q -p parlab --examples
for example in crates/parlab/examples/[0-9][0-9]_*.rs crates/parlab/examples/thread_basics.rs; do
    name=$(basename "$example" .rs)
    echo "running $name" >&2
    "./target/release/examples/$name" >"book/src/output/$name.txt" 2>&1
done
# Chapter 13's example runs on two MPI ranks (Open MPI's mpirun; as root it
# must be told that is meant).
if command -v mpirun >/dev/null && command -v mpicc >/dev/null; then
    cargo build --release -q -p parlab-mpi --features mpi --example 13_mpi
    as_root=()
    [ "$(id -u)" = 0 ] && as_root=(--allow-run-as-root)
    echo "running 13_mpi" >&2
    mpirun "${as_root[@]}" -np 2 --bind-to none target/release/examples/13_mpi >book/src/output/13_mpi.txt 2>&1
    # And on two hosts: two network namespaces of this machine, over TCP
    # (root and iproute2 only; the timelines drawn are the one-host run's).
    if [ "$(id -u)" = 0 ] && command -v ip >/dev/null; then
        echo "running 13_mpi on two hosts" >&2
        crates/parlab-mpi/two-hosts.sh sh -c 'unset PARLAB_SVG_DIR; exec mpirun --allow-run-as-root -np 2 \
            --bind-to none --hostfile "$PARLAB_HOSTFILE" -x NO_COLOR -x PARLAB_TIME_SCALE \
            target/release/examples/13_mpi' >book/src/output/13_mpi_two_hosts.txt 2>&1
        # And the checker grading exercise 13's reference with a rank on
        # each host (`verify --hosts`), in an exercises folder of its own;
        # its long lines folded to the book's 90 columns.
        echo "grading exercise 13 on two hosts" >&2
        cargo build --release -q -p checker
        grading="$PWD/target/book-grading"
        rm -rf "$grading" && mkdir -p "$grading"
        cp exercises/manifest.toml exercises/Cargo.toml exercises/Cargo.lock "$grading/"
        target/release/checker --dir "$grading" starters --write "$grading"
        for d in "$grading"/*/; do cp "exercises/$(basename "$d")/Cargo.toml" "$d"; done
        sed -i "s|\"../crates/|\"$PWD/crates/|g" "$grading/Cargo.toml"
        cp solutions/13_mpi_ranks/src/main.rs "$grading/13_mpi_ranks/src/main.rs"
        CARGO_TARGET_DIR="$PWD/target/book-grading-target" crates/parlab-mpi/two-hosts.sh sh -c \
            'exec "$0" --dir "$1" verify 13 --seed 1 --hosts "$PARLAB_HOSTFILE"' \
            "$PWD/target/release/checker" "$grading" | fold -s -w 90 >book/src/output/13_checker_two_hosts.txt
    else
        echo "not root, or no iproute2: book/src/output/13_*two_hosts.txt are left as they are" >&2
    fi
else
    echo "no MPI: book/src/output/13_mpi.txt is left as it is" >&2
fi
# The Python twins that sleep or do next to nothing (07, 08 and 11 keep every
# CPU busy: run `book/python/run.sh 07_cpu_vs_io 08_chunksize 11_sharing` on a
# quiet machine).
if command -v python3 >/dev/null; then
    book/python/run.sh
    # Python's own timelines (chapter 7's keeps both CPUs busy for two
    # seconds): their trace files, drawn by the checker on the axis of the
    # Rust example's timelines (`--like` one of its pictures).
    book/python/run.sh 07_gil_timeline
    py=book/python/output img=book/src/img
    cargo run -q -p checker -- timeline --like $img/02-sequential-one-after-the-other.svg \
        $py/02-python-sequential.jsonl $py/02-python-parallel.jsonl >book/src/output/02-python-timelines.txt
    cargo run -q -p checker -- timeline --like $img/07-cpu-bound-sequential.svg \
        $py/07-python-{sequential,processes,threads}.jsonl >book/src/output/07-python-timelines.txt
    cargo run -q -p checker -- timeline --like $img/03-two-processes.svg \
        $py/03-python-two-processes.jsonl >book/src/output/03-python-timelines.txt
    cargo run -q -p checker -- timeline --like $img/04-ten-processes.svg \
        $py/04-python-ten-processes.jsonl >book/src/output/04-python-timelines.txt
    cargo run -q -p checker -- timeline --like $img/05-pool-of-ten.svg \
        $py/05-python-{pool-of-ten,default-pool}.jsonl >book/src/output/05-python-timelines.txt
    cargo run -q -p checker -- timeline --like $img/06-as-completed.svg \
        $py/06-python-as-completed.jsonl >book/src/output/06-python-timelines.txt
    cargo run -q -p checker -- timeline --like $img/12-ten-waits-on-processes.svg \
        $py/12-python-ten-waits-on-{processes,threads}.jsonl >book/src/output/12-python-timelines.txt
    # Chapter 13's twin runs on two MPI ranks, with mpi4py.
    if command -v mpiexec >/dev/null && python3 -c 'import mpi4py' 2>/dev/null; then
        book/python/run.sh 13_mpi
        # On the axis of the Rust example's timelines.
        cargo run -q -p checker -- timeline --like $img/13-every-rank-runs-the-task.svg \
            $py/13-python-{every-rank,results,primes}.jsonl >book/src/output/13-python-timelines.txt
    else
        echo "no mpiexec or mpi4py: chapter 13's Python outputs are left as they are" >&2
    fi
else
    echo "no python3: the Python outputs in book/python/output/ are left as they are" >&2
fi
cargo run --release -q -p parlab-bench -- --out book/src/measured
