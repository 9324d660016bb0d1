//! Just enough HTTP/1.1 for a book served to this machine's browser: one
//! request per connection, each on a thread of its own, and the connection
//! closed after the answer (no keep-alive to keep track of: a page loads a
//! few dozen small files, locally). tiny_http, tried first, now and then
//! left one of Chromium's parallel keep-alive requests unanswered, and the
//! page stuck loading a stylesheet.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

/// The most a request's line and headers may take.
const MAX_HEAD: usize = 16 * 1024;

pub struct Request {
    pub method: String,
    /// The path, without its query or fragment.
    pub path: String,
    headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub stream: TcpStream,
}

impl Request {
    /// A header's value, by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// Reads one request; a body over `max_body` bytes is refused unread
/// (413), a malformed request too (400).
pub fn read(stream: TcpStream, max_body: usize) -> Result<Request, (TcpStream, u16, String)> {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let mut reader = match stream.try_clone() {
        Ok(s) => BufReader::new(s),
        Err(e) => return Err((stream, 500, e.to_string())),
    };
    let mut head = Vec::new();
    let mut line = String::new();
    loop {
        line.clear();
        match reader.read_line(&mut line) {
            Ok(0) | Err(_) => return Err((stream, 400, "the request ended early".into())),
            Ok(_) if line == "\r\n" || line == "\n" => break,
            Ok(n) => {
                head.push(line.trim_end().to_string());
                if head.iter().map(String::len).sum::<usize>() + n > MAX_HEAD {
                    return Err((stream, 431, "the request's headers are too long".into()));
                }
            }
        }
    }
    let mut words = head.first().map(|l| l.split_whitespace()).into_iter().flatten();
    let (Some(method), Some(target)) = (words.next(), words.next()) else {
        return Err((stream, 400, "a malformed request line".into()));
    };
    let (method, path) = (method.to_string(), target.split(['?', '#']).next().unwrap_or("/").to_string());
    let headers: Vec<(String, String)> = head[1..]
        .iter()
        .filter_map(|h| h.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    let length = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("Content-Length"))
        .and_then(|(_, v)| v.parse::<usize>().ok())
        .unwrap_or(0);
    if length > max_body {
        // Read (and drop) what the browser sends anyway, up to a bound, so
        // that it gets the answer rather than a reset connection.
        let _ = std::io::copy(&mut reader.by_ref().take(length.min(16 * max_body) as u64), &mut std::io::sink());
        return Err((stream, 413, format!("the code is over {} KiB: an example is a few KiB", max_body / 1024)));
    }
    let mut body = vec![0; length];
    if reader.read_exact(&mut body).is_err() {
        return Err((stream, 400, "the request's body ended early".into()));
    }
    Ok(Request { method, path, headers, body, stream })
}

/// Writes a whole answer and closes the connection.
pub fn respond(mut stream: TcpStream, status: u16, content_type: &str, body: &[u8]) {
    let head = format!(
        "HTTP/1.1 {status} {}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nCache-Control: no-store\r\n\
         Connection: close\r\n\r\n",
        reason(status),
        body.len()
    );
    let _ = stream.write_all(head.as_bytes()).and_then(|()| stream.write_all(body)).and_then(|()| stream.flush());
}

/// Starts an answer whose body follows as it comes, until the connection closes.
pub fn start_stream(stream: &mut TcpStream, content_type: &str) -> std::io::Result<()> {
    let head = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: {content_type}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(head.as_bytes())?;
    stream.flush()
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        413 => "Content Too Large",
        431 => "Request Header Fields Too Large",
        _ => "Error",
    }
}
