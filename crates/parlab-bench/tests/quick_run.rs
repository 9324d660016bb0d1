//! The bench runs end to end (tiny sizes) and writes what it promises.

use assert_cmd::Command;

#[test]
fn a_quick_run_measures_every_case_and_writes_markdown_and_json() {
    let out = std::env::temp_dir().join(format!("parlab-bench-test-{}", std::process::id()));
    Command::cargo_bin("parlab-bench")
        .unwrap()
        .args(["--quick", "--out"])
        .arg(&out)
        .timeout(std::time::Duration::from_secs(120))
        .assert()
        .success()
        .stdout(predicates::str::contains("Ratios and targets"));
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("results.json")).unwrap()).unwrap();
    let figures = json["figures"].as_array().unwrap();
    for case in ["Tutorial steps", "Start and join", "Tiny tasks", "CPU-bound"] {
        let parlab = figures.iter().filter(|f| f["case"].as_str().unwrap().starts_with(case) && f["side"] == "parlab");
        assert!(parlab.count() > 0, "no parlab figure for {case}");
    }
    let has_python = std::process::Command::new("python3").arg("--version").output().is_ok_and(|o| o.status.success());
    if has_python {
        assert!(figures.iter().any(|f| f["side"] == "python"), "python3 is here, so its half must run");
        let failed = json["notes"].as_array().unwrap().iter().any(|n| n.as_str().unwrap().starts_with("Python case"));
        assert!(!failed, "a Python case failed: {}", json["notes"]);
        let payload = std::fs::read_to_string(out.join("scaling-payload.svg")).unwrap();
        assert!(payload.contains("Python ProcessPoolExecutor task"), "no Python line in the results chart");
    }
    // The Rust peer, measured in the same run, joins three cases and the chart.
    for case in ["Start and join", "Tiny tasks", "Scaling: handing over a result"] {
        let peer = figures.iter().filter(|f| f["case"].as_str().unwrap().starts_with(case) && f["side"] == "procspawn");
        assert!(peer.count() > 0, "no procspawn figure for {case}: {}", json["notes"]);
    }
    let payload = std::fs::read_to_string(out.join("scaling-payload.svg")).unwrap();
    assert!(payload.contains("procspawn Pool task"), "no procspawn line in the results chart");
    // Every figure says how busy other programs kept the CPUs, and whether that makes it noisy.
    for f in figures {
        assert!(f["noisy"].is_boolean(), "{f}");
        assert!(f.get("others_cpus").is_some(), "{f}");
    }
    let md = std::fs::read_to_string(out.join("results.md")).unwrap();
    // A run that got too little CPU is marked, not dropped.
    assert!(
        md.contains("| parlab | ProcessPool chunk 1 |") || md.contains("| parlab | ProcessPool chunk 1 (noisy) |"),
        "{md}"
    );
    // What a learner compares stays apart from the project's targets.
    assert!(!md.contains("Ratios and targets"), "results.md carries the targets");
    let targets = std::fs::read_to_string(out.join("targets.md")).unwrap();
    assert!(targets.contains("| what | measured | target | met |"));
    // How cost grows: the sweeps, the fitted serial fraction and their charts.
    let scaling = &json["scaling"];
    for key in ["workers", "serial_fraction", "chunks", "payload"] {
        assert!(scaling.get(key).is_some(), "no scaling.{key} in results.json");
    }
    // Fitted on three worker counts or more within the CPUs, none noisy; else
    // the note says why not (on 2 CPUs there are only two points).
    let notes = json["scaling_notes"].as_array().unwrap();
    let note = notes
        .iter()
        .filter_map(|n| n.as_str())
        .find(|n| n.starts_with("parlab ProcessPool: Amdahl's serial share"))
        .unwrap_or_else(|| panic!("no note on the fit: {notes:?}"));
    let fitted = scaling["serial_fraction"]["parlab ProcessPool"].is_number();
    assert_eq!(fitted, !note.contains("not fitted"), "{note}");
    for chart in ["scaling-workers.svg", "scaling-chunks.svg", "scaling-payload.svg"] {
        let svg = std::fs::read_to_string(out.join(chart)).unwrap();
        assert!(svg.starts_with("<svg") && svg.contains("<polyline"), "{chart}");
    }
    std::fs::remove_dir_all(&out).ok();
}
