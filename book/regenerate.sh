#!/usr/bin/env bash
# Regenerates what the book shows from real runs on this machine: every
# example's output (book/src/output/), every timeline (book/src/img/, SVG from
# the traces) and the benchmark table (book/src/measured/). Tasks sleep real
# seconds here, as in the tutorial; it takes about two minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
export NO_COLOR=1 RUST_BACKTRACE=0 PARLAB_SVG_DIR=book/src/img PARLAB_TIME_SCALE=1
cargo build --release -q -p parlab --examples
for example in crates/parlab/examples/[0-9][0-9]_*.rs; do
    name=$(basename "$example" .rs)
    echo "running $name" >&2
    "./target/release/examples/$name" >"book/src/output/$name.txt" 2>&1
done
cargo run --release -q -p parlab-bench -- --out book/src/measured
