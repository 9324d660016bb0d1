//! A busy machine: while another program keeps a CPU busy, the reference
//! solutions of the CPU-bound exercises are verified. A correct program may
//! be "inconclusive" then, never "failed".

mod common;

use common::*;

#[test]
fn correct_cpu_bound_solutions_never_fail_on_a_busy_machine() {
    let _turn = turn();
    let names = ["07_cpu_bound", "08_chunking", "04_process_loop"];
    let replaced: Vec<(&str, String)> = names.iter().map(|n| (*n, solution(n))).collect();
    let refs: Vec<(&str, &str)> = replaced.iter().map(|(a, b)| (*a, b.as_str())).collect();
    let dir = exercises_with("busy", &refs);
    // Build first, on a quiet machine, so the hog only meets the runs.
    for name in names {
        let _ = checker(&dir, &["verify", name, "--json", "--seed", "1"]);
    }
    let _hog = Hog::start();
    for name in names {
        for seed in ["7", "8"] {
            let (code, v) = verdict(&dir, name, &["--seed", seed]);
            assert!(
                v["verdict"] == "passed" || v["verdict"] == "inconclusive",
                "{name} (seed {seed}) with a CPU kept busy: {v}"
            );
            assert_eq!(code, if v["verdict"] == "passed" { 0 } else { 3 });
            if v["verdict"] == "inconclusive" {
                // The reason says what was measured.
                let why = deciding(&v);
                assert!(why.contains("busy") || why.contains("varied") || why.contains("disturbed"), "{why}");
            }
        }
    }
    assert!(no_learner_process());
}
