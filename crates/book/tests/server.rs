//! The book server (`parlab-book`, which `checker book` starts): the course
//! served with a Run control on its examples. HTTP as a stranger and as the
//! page would speak it, the run API, live reload, then the page itself in a
//! real (headless) Chromium: click Run, see the output and the timeline,
//! edit the code into a compile error, see rustc's message.

use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The course's folder.
fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap()
}

/// A running book server on a free port; killed when dropped.
struct Server {
    child: Child,
    port: u16,
    token: String,
}

impl Server {
    fn start() -> Server {
        Server::start_in(&repo())
    }

    /// The server of the course in `repo`.
    fn start_in(repo: &Path) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_parlab-book"))
            .arg("--repo")
            .arg(repo)
            .args(["--port", "0"])
            // The tutorial's one-second tasks take 10 ms here.
            .env("PARLAB_TIME_SCALE", "0.01")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut first = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut first).unwrap();
        let port: u16 = first
            .split("http://127.0.0.1:")
            .nth(1)
            .and_then(|rest| rest.split('/').next())
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("the first line names the address: {first:?}"));
        let mut server = Server { child, port, token: String::new() };
        let (status, page) = server.request("GET", "/01_sequential.html", &[], "");
        assert_eq!(status, 200, "the chapter is served");
        assert!(page.contains("<script src=\"theme/runner"), "the page loads the runner");
        server.token = page.split("\"token\":\"").nth(1).and_then(|t| t.split('"').next()).unwrap().to_string();
        server
    }

    /// One HTTP/1.1 request; the status and the (de-chunked) body.
    fn request(&self, method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> (u16, String) {
        self.request_to(&format!("127.0.0.1:{}", self.port), method, path, headers, body)
    }

    /// One request naming `host` in its `Host` header.
    fn request_to(&self, host: &str, method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> (u16, String) {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n");
        for (k, v) in headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        head.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
        stream.write_all(head.as_bytes()).unwrap();
        stream.write_all(body.as_bytes()).unwrap();
        let mut answer = Vec::new();
        stream.read_to_end(&mut answer).unwrap();
        let answer = String::from_utf8_lossy(&answer).into_owned();
        let (head, body) = answer.split_once("\r\n\r\n").unwrap_or((&answer, ""));
        let status = head.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
        let body = if head.to_ascii_lowercase().contains("transfer-encoding: chunked") {
            dechunk(body)
        } else {
            body.to_string()
        };
        (status, body)
    }

    /// `POST /api/run` as the page sends it; the status and its events.
    fn run(&self, request: &Value) -> (u16, Vec<Value>) {
        let origin = format!("http://127.0.0.1:{}", self.port);
        let headers = [("X-Parlab-Token", self.token.as_str()), ("Origin", origin.as_str())];
        let (status, body) = self.request("POST", "/api/run", &headers, &request.to_string());
        let events = body.lines().filter(|l| !l.trim().is_empty()).map(|l| serde_json::from_str(l).unwrap()).collect();
        (status, events)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn dechunk(mut body: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = body.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 {
            break;
        }
        out.push_str(&rest[..n]);
        body = &rest[n + 2..];
    }
    out
}

/// Reads from `stream` into `heard` until it holds `text`; the stream must
/// not end first.
fn read_until(stream: &mut TcpStream, heard: &mut String, text: &str) {
    let mut buf = [0u8; 4096];
    while !heard.contains(text) {
        let n = stream.read(&mut buf).unwrap();
        assert!(n > 0, "the stream ended before {text:?}: {heard}");
        heard.push_str(&String::from_utf8_lossy(&buf[..n]));
    }
}

fn printed(events: &[Value]) -> String {
    events.iter().filter_map(|e| e["out"].as_str()).collect()
}

fn errors(events: &[Value]) -> String {
    events.iter().filter_map(|e| e["error"].as_str()).collect::<Vec<_>>().join("\n")
}

/// The block the book shows for example 01 (its `main` anchor).
fn block_01() -> String {
    let source = std::fs::read_to_string(repo().join("crates/parlab/examples/01_sequential.rs")).unwrap();
    let shown: Vec<&str> = source.lines().filter(|l| !l.contains("ANCHOR")).collect();
    let from = shown.iter().position(|l| l.starts_with("fn main")).unwrap();
    shown[from..].join("\n")
}

#[test]
fn the_run_api_refuses_what_it_must() {
    let server = Server::start();
    let run = json!({ "example": "01_sequential" }).to_string();
    let (status, body) = server.request("POST", "/api/run", &[], &run);
    assert_eq!(status, 403, "no token: {body}");
    assert!(body.contains("token"), "{body}");
    let token = server.token.clone();
    let foreign = [("X-Parlab-Token", token.as_str()), ("Origin", "http://evil.example")];
    let (status, body) = server.request("POST", "/api/run", &foreign, &run);
    assert_eq!((status, body.contains("evil.example")), (403, true), "a foreign origin: {body}");
    let wrong = [("X-Parlab-Token", "0123")];
    assert_eq!(server.request("POST", "/api/run", &wrong, &run).0, 403, "a wrong token");
    let (status, events) = server.run(&json!({ "example": "99_nope" }));
    assert_eq!(status, 404, "an unknown example: {events:?}");
    let big = "x".repeat(100 * 1024);
    let (status, _) = server.run(&json!({ "example": "01_sequential", "original": block_01(), "code": big }));
    assert_eq!(status, 413, "oversized code");
    let (status, _) = server.run(&json!({ "example": "01_sequential", "original": "fn not_there() {}", "code": "" }));
    assert_eq!(status, 400, "a block that is not the example's");
    let (status, _) = server.request("GET", "/api/run", &[("X-Parlab-Token", token.as_str())], "");
    assert_eq!(status, 405, "a run is a POST");
    let (status, _) = server.request("GET", "/../Cargo.toml", &[], "");
    assert_eq!(status, 404, "nothing outside the book is served");
}

#[test]
fn only_requests_addressed_to_this_machine_are_answered() {
    let server = Server::start();
    let port = server.port.to_string();
    for host in ["127.0.0.1", "localhost"] {
        let (status, _) = server.request_to(&format!("{host}:{port}"), "GET", "/01_sequential.html", &[], "");
        assert_eq!(status, 200, "{host}");
    }
    // A page of another site whose name now resolves to 127.0.0.1 (DNS rebinding).
    for host in [format!("evil.example:{port}"), "127.0.0.1:1".to_string(), String::new()] {
        let (status, body) = server.request_to(&host, "GET", "/01_sequential.html", &[], "");
        assert_eq!(status, 403, "Host {host:?}: {body}");
        assert!(body.contains("answers only to 127.0.0.1"), "{body}");
        let token = [("X-Parlab-Token", server.token.as_str())];
        let run = json!({ "example": "01_sequential" }).to_string();
        assert_eq!(server.request_to(&host, "POST", "/api/run", &token, &run).0, 403, "a run for Host {host:?}");
    }
}

#[test]
fn one_connection_carries_many_requests() {
    let server = Server::start();
    let mut stream = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    // A page and what it loads (mdBook names files by their hash).
    let (_, chapter) = server.request("GET", "/01_sequential.html", &[], "");
    let linked = |start: &str| {
        let from = chapter.find(start).unwrap_or_else(|| panic!("the page links {start}"));
        format!("/{}", &chapter[from..from + chapter[from..].find('"').unwrap()])
    };
    let (css, js) = (linked("css/chrome-"), linked("theme/runner-"));
    for page in ["/", "/01_sequential.html", &css, &js, "/02_sequential_vs_parallel.html"] {
        let head = format!("GET {page} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\n\r\n", server.port);
        stream.write_all(head.as_bytes()).unwrap();
        let (mut status, mut length) = (String::new(), 0usize);
        reader.read_line(&mut status).unwrap();
        loop {
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            if line.trim().is_empty() {
                break;
            }
            if let Some((k, v)) = line.split_once(':')
                && k.eq_ignore_ascii_case("content-length")
            {
                length = v.trim().parse().unwrap();
            }
        }
        assert!(status.contains(" 200 "), "{page} on the kept connection: {status}");
        assert!(length > 0, "{page} says its length");
        let mut body = vec![0; length];
        reader.read_exact(&mut body).unwrap();
    }
}

#[test]
fn an_edited_chapter_is_built_again_and_its_open_pages_reload() {
    // A copy of what the book is made of, to edit.
    let copy = tempfile::tempdir().unwrap();
    for part in ["book", "crates/parlab/examples", "crates/parlab-mpi/examples"] {
        let status =
            Command::new("cp").args(["-r", "--parents", part]).arg(copy.path()).current_dir(repo()).status().unwrap();
        assert!(status.success(), "copy {part}");
    }
    let _ = std::fs::remove_dir_all(copy.path().join("book/book"));
    let server = Server::start_in(copy.path());
    let mut events = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    events.set_read_timeout(Some(Duration::from_secs(300))).unwrap();
    let head = format!("GET /api/reload HTTP/1.1\r\nHost: 127.0.0.1:{}\r\n\r\n", server.port);
    events.write_all(head.as_bytes()).unwrap();
    let mut heard = String::new();
    read_until(&mut events, &mut heard, "text/event-stream");
    let chapter = copy.path().join("book/src/01_sequential.md");
    let text = std::fs::read_to_string(&chapter).unwrap();
    std::fs::write(&chapter, format!("{text}\n\nA sentence added while the book was open.\n")).unwrap();
    read_until(&mut events, &mut heard, "data: reload");
    let (status, page) = server.request("GET", "/01_sequential.html", &[], "");
    assert_eq!(status, 200);
    assert!(page.contains("A sentence added while the book was open."), "the page as built again");
    assert!(page.contains(&server.token), "the page still carries the runner's token");
}

#[test]
fn an_example_runs_streams_its_output_and_draws_its_timeline() {
    let server = Server::start();
    for attempt in ["first run (may build)", "second run (cached)"] {
        let started = Instant::now();
        let (status, events) = server.run(&json!({ "example": "01_sequential" }));
        assert_eq!(status, 200);
        let out = printed(&events);
        assert!(out.contains("Task ends") && out.contains("Finished in"), "{attempt}: {out}\n{}", errors(&events));
        let svg = events.iter().find_map(|e| e["svg"].as_str()).expect("a timeline");
        assert!(svg.starts_with("<svg"), "{svg}");
        assert_eq!(events.last().unwrap()["end"], "ended (exit code 0)");
        eprintln!("{attempt}: {:.2} s, answer included", started.elapsed().as_secs_f64());
    }
}

#[test]
fn an_edited_example_runs_as_edited_and_a_compile_error_shows_rustcs_message() {
    let server = Server::start();
    let block = block_01();
    let edited = block.replace("Finished in", "Done (edited) in");
    let (status, events) = server.run(&json!({ "example": "01_sequential", "original": block, "code": edited }));
    assert_eq!(status, 200);
    assert!(printed(&events).contains("Done (edited) in"), "{}\n{}", printed(&events), errors(&events));
    let broken = block.replace("seq.run(task)?;", "let x: u32 = \"no\";");
    let (_, events) = server.run(&json!({ "example": "01_sequential", "original": block, "code": broken }));
    let errors = errors(&events);
    assert!(errors.contains("error[E0308]") && errors.contains("expected `u32`"), "{errors}");
    assert!(printed(&events).is_empty(), "nothing ran");
}

#[test]
fn a_run_stops_when_its_page_goes_away() {
    let server = Server::start();
    let block = block_01();
    let endless = block.replace(
        "seq.run(task)?;\n    seq.run(task)?;",
        "println!(\"started\");\n    std::thread::sleep(std::time::Duration::from_secs(600));",
    );
    assert_ne!(endless, block);
    let body = json!({ "example": "01_sequential", "original": block, "code": endless }).to_string();
    let mut stream = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    let head = format!(
        "POST /api/run HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nX-Parlab-Token: {}\r\nContent-Length: {}\r\n\r\n",
        server.port,
        server.token,
        body.len()
    );
    stream.write_all(format!("{head}{body}").as_bytes()).unwrap();
    let mut seen = String::new();
    read_until(&mut stream, &mut seen, "started");
    let running = || {
        std::fs::read_dir("/proc")
            .unwrap()
            .filter_map(Result::ok)
            .filter_map(|e| std::fs::read_link(e.path().join("exe")).ok())
            .filter(|exe| exe.to_string_lossy().contains("parlab-book-run-"))
            .count()
    };
    assert!(running() >= 1, "the example runs");
    drop(stream); // the page goes away
    // A generous bound, only so that a run never stopped cannot hang the test.
    let deadline = Instant::now() + Duration::from_secs(120);
    while running() > 0 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(running(), 0, "the example still runs after its page went away");
}

/// Chromium from the system; `None` where there is none (CI installs it and
/// sets PARLAB_REQUIRE_BROWSER, so there the test cannot be skipped).
fn chromium() -> Option<std::path::PathBuf> {
    let named = std::env::var_os("CHROME").map(std::path::PathBuf::from);
    let found = named.or_else(|| {
        ["chromium", "chromium-browser", "google-chrome"].iter().find_map(|name| {
            let out = Command::new("which").arg(name).output().ok()?;
            out.status.success().then(|| String::from_utf8_lossy(&out.stdout).trim().into())
        })
    });
    if found.is_none() {
        assert!(std::env::var_os("PARLAB_REQUIRE_BROWSER").is_none(), "PARLAB_REQUIRE_BROWSER is set but no Chromium");
        eprintln!("skipped: no Chromium here (install it, or set CHROME, to run the browser test)");
    }
    found
}

/// Headless Chromium showing one page, driven over the DevTools protocol:
/// expressions are evaluated in the page, as its own scripts would run them.
struct Chromium {
    child: Child,
    socket: tungstenite::WebSocket<TcpStream>,
    next_id: u64,
    _profile: tempfile::TempDir,
}

impl Chromium {
    fn open(binary: &std::path::Path, url: &str) -> Chromium {
        let profile = tempfile::tempdir().unwrap();
        let mut child = Command::new(binary)
            .args(["--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run", "--remote-debugging-port=0"])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .args(["--window-size=1280,900", url])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // "DevTools listening on ws://127.0.0.1:PORT/devtools/browser/..."
        // Its standard error is read to the end (a closed pipe would stop it).
        let (tx, rx) = std::sync::mpsc::channel();
        let stderr = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(rest) = line.split("DevTools listening on ws://127.0.0.1:").nth(1) {
                    let _ = tx.send(rest.split('/').next().and_then(|p| p.parse::<u16>().ok()));
                }
            }
        });
        let port =
            rx.recv_timeout(Duration::from_secs(60)).ok().flatten().expect("Chromium says where its DevTools listen");
        // The page's own target, once Chromium lists it.
        let started = Instant::now();
        let page = loop {
            let mut list = String::new();
            if let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) {
                // Read until the list parses (or the answer stalls for 2 s).
                let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
                let _ = s.write_all(b"GET /json/list HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
                let mut buf = [0u8; 65536];
                while let Ok(n) = s.read(&mut buf) {
                    if n == 0 {
                        break;
                    }
                    list.push_str(&String::from_utf8_lossy(&buf[..n]));
                    let body = list.split_once("\r\n\r\n").map_or("", |(_, b)| b);
                    if serde_json::from_str::<Value>(body).is_ok() {
                        break;
                    }
                }
            }
            let targets: Value =
                list.split_once("\r\n\r\n").and_then(|(_, b)| serde_json::from_str(b).ok()).unwrap_or(json!([]));
            let found = targets.as_array().into_iter().flatten().find(|t| t["type"] == "page" && t["url"] == url);
            if let Some(target) = found {
                break target["webSocketDebuggerUrl"].as_str().unwrap().to_string();
            }
            if started.elapsed() > Duration::from_secs(120) {
                panic!("Chromium shows no page at {url}: {list}");
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        let stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
        let (socket, _) = tungstenite::client(page.as_str(), stream).unwrap();
        Chromium { child, socket, next_id: 0, _profile: profile }
    }

    /// The value of `expression` in the page (`null` if it threw).
    fn eval(&mut self, expression: &str) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        let call = json!({ "id": id, "method": "Runtime.evaluate", "params": { "expression": expression, "returnByValue": true } });
        self.socket.send(tungstenite::Message::text(call.to_string())).unwrap();
        loop {
            let message = self.socket.read().unwrap();
            let Ok(text) = message.to_text() else { continue };
            let reply: Value = serde_json::from_str(text).unwrap_or(Value::Null);
            if reply["id"] == id {
                return reply["result"]["result"]["value"].clone();
            }
        }
    }
}

impl Drop for Chromium {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn the_page_runs_an_example_in_a_real_browser() {
    let Some(chrome) = chromium() else { return };
    let server = Server::start();
    let url = format!("http://127.0.0.1:{}/01_sequential.html", server.port);
    let browser = std::cell::RefCell::new(Chromium::open(&chrome, &url));
    let eval = |js: &str| browser.borrow_mut().eval(js);
    let output = || eval("(document.querySelector('.parlab-run-output') || {}).textContent || ''");
    let wait_for = |what: &str, test: &dyn Fn() -> bool| {
        let started = Instant::now();
        while !test() {
            if started.elapsed() > Duration::from_secs(300) {
                let page = eval(
                    "[document.readyState, location.href, document.documentElement.outerHTML.length, typeof window.PARLAB_RUNNER, document.querySelectorAll('pre').length, Array.from(document.scripts).map(s => s.src).join(',')].join(' | ')",
                );
                panic!("waited 300 s for {what}; the output: {}; the page: {page}", output());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        started.elapsed().as_secs_f64()
    };
    let has = |text: &'static str| move || output().as_str().is_some_and(|o| o.contains(text));
    let click = |button: &str| eval(&format!("document.querySelector('button.parlab-run-{button}').click()"));

    wait_for("the page and its Run control", &|| {
        eval("document.querySelector('button.parlab-run-run') !== null") == json!(true)
    });
    click("run");
    let first = wait_for("the first output line", &has("Task starts"));
    wait_for("the whole output", &has("Finished in"));
    wait_for("the timeline", &|| eval("document.querySelectorAll('.parlab-run-pictures img').length") != json!(0));
    wait_for("the end of the run", &|| eval("document.querySelector('.parlab-run-end') !== null") == json!(true));
    click("run");
    let cached = wait_for("the first output line again", &has("Task starts"));
    eprintln!("browser: first output line {first:.2} s after the first click, {cached:.2} s after a second one");
    wait_for("the second run's end", &|| eval("document.querySelector('.parlab-run-end') !== null") == json!(true));

    eval(
        "document.querySelector('button.parlab-run-edit').click();
         var code = document.querySelector('pre > code.language-rust');
         code.textContent = code.textContent.replace('seq.run(task)?;', 'let x: u32 = \"no\";');
         document.querySelector('button.parlab-run-run').click();",
    );
    wait_for("rustc's message", &has("error[E0308]"));
    click("reset");
    let code = eval("document.querySelector('pre > code.language-rust').textContent");
    assert!(code.as_str().is_some_and(|c| c.contains("seq.run(task)?;") && !c.contains("\"no\"")), "reset: {code}");
}
