use super::*;

fn call(pid: i32, a: u64, b: u64) -> Call {
    Call {
        pid,
        uid: 0,
        tid: pid,
        session: Some(1),
        parent: Some(1),
        host: None,
        work: Work::Count(a, b),
        start_ns: 0,
        end: None,
        died: false,
    }
}

#[test]
fn counting_with_less_cpu_than_the_work_fails_and_a_little_less_depends_on_the_machine() {
    let processes = parlab_sandbox::procs::ProcessLog::new(None, 0);
    let counted = |cpu_ms: u64| {
        let mut c = call(2, 0, 1000);
        c.end = Some(crate::witness::End {
            at_ns: 1,
            result: serde_json::json!(primes_in(0, 1000)),
            pid: 2,
            cpu_ns: Some(cpu_ms * 1_000_000),
        });
        vec![c]
    };
    let run = |calls| Run {
        calls,
        main_pid: 1,
        uid: 0,
        processes: &processes,
        time_scale: 1.0,
        work_cpu_secs: Some(0.2),
        ranks: None,
    };
    let (honest, short, none) = (counted(190), counted(150), counted(10));
    assert!(right_counts(&run(&honest)).is_ok() && short_of_cpu(&run(&honest)).is_none());
    assert!(right_counts(&run(&short)).is_ok(), "0.75 of the work: not failed whatever the machine does");
    assert!(short_of_cpu(&run(&short)).unwrap().contains("used 0.15 CPU-seconds for it, where it takes 0.20"));
    assert!(right_counts(&run(&none)).unwrap_err().contains("not done where it was reported"));
}

#[test]
fn coverage_names_the_gap_the_overlap_and_the_outside() {
    let (x, y, z) = (call(2, 0, 50), call(3, 50, 100), call(3, 40, 100));
    assert!(covers(&[&x, &y], (0, 100), "t").is_ok());
    assert!(covers(&[&x], (0, 100), "t").unwrap_err().contains("numbers 50..100 were never counted"));
    assert!(covers(&[&x, &z], (0, 100), "t").unwrap_err().contains("40..50 were counted more than once"));
    assert!(covers(&[&x, &y], (0, 90), "t").unwrap_err().contains("outside the input's range"));
    let gap = call(3, 60, 100);
    assert!(covers(&[&x, &gap], (0, 100), "t").unwrap_err().contains("50..60 were never counted"));
}

#[test]
fn values_are_held_to_the_input_once_each() {
    let name = |x: u64| format!("f({x})");
    assert!(same_values(&[1, 2, 2], &[2, 1, 2], name).is_ok());
    assert!(same_values(&[1, 2], &[1], name).unwrap_err().contains("f(2) never ran"));
    assert!(same_values(&[1, 2], &[1, 2, 2], name).unwrap_err().contains("f(2) ran 2 times"));
    assert!(same_values(&[1, 2], &[1, 3], name).unwrap_err().contains("f(3), which the input does not ask for"));
}

/// Ranks on two hosts may have one pid: two processes all the same.
#[test]
fn two_hosts_ranks_of_one_pid_are_two_ranks() {
    let processes = parlab_sandbox::procs::ProcessLog::new(None, 0);
    let ended = |mut c: Call, host: Option<&str>| {
        c.host = host.map(String::from);
        c.end = Some(crate::witness::End { at_ns: 10, result: serde_json::json!(0), pid: c.pid, cpu_ns: None });
        c
    };
    let calls = [ended(call(5, 0, 50), None), ended(call(5, 50, 100), Some("host-b"))];
    let run = Run {
        calls: &calls,
        main_pid: 1,
        uid: 0,
        processes: &processes,
        time_scale: 1.0,
        work_cpu_secs: None,
        ranks: Some(2),
    };
    // As `account` makes them: one span per call, both of pid 5.
    let span = |i| parlab::Span { index: i, pid: 5, tid: 5, worker: 0, tasks: 1, start_ns: 0, end_ns: 10, sleep: None };
    let problems = super::super::ranks(&Input::Ranks(0, 100), &run, &[span(0), span(1)], 2);
    assert!(problems.is_empty(), "{problems:?}");
    let alone = [ended(call(5, 0, 100), None)];
    let run = Run { calls: &alone, ..run };
    let problems = super::super::ranks(&Input::Ranks(0, 100), &run, &[span(0)], 2);
    assert!(problems[0].reason.contains("the count ran on 1 of the 2 ranks"), "{problems:?}");
}
