//! A scripted OpenAI-compatible chat-completions server on 127.0.0.1, for tests of the
//! LLM clients (synth, l2r).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What the server does with one request, in order.
#[derive(Clone)]
pub enum Act {
    /// 200 with this content and finish reason.
    Reply(&'static str, &'static str),
    /// This status, with an optional `Retry-After` in seconds.
    Status(u16, Option<u32>),
    /// Answer late (milliseconds).
    Sleep(u64),
    /// 200 with a body that is not JSON.
    InvalidJson,
    /// Drop the connection.
    Close,
    /// 200 announcing a full reply's length, then close after half of it.
    Truncated,
}

/// Each request's body and `Authorization` header.
pub type Requests = Arc<Mutex<Vec<(String, Option<String>)>>>;

/// A running scripted server.
pub struct Server {
    /// Base URL (`http://127.0.0.1:PORT/v1`).
    pub url: String,
    /// Each request's body and `Authorization` header, in order.
    pub requests: Requests,
}

/// Serve `script` on a free local port, one act per request; requests past its end get
/// a 500.
pub fn serve(script: Vec<Act>) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/v1", listener.local_addr().unwrap());
    let script = Arc::new(Mutex::new(script.into_iter()));
    let requests = Arc::new(Mutex::new(Vec::new()));
    let reqs = requests.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { continue };
            let (script, reqs) = (script.clone(), reqs.clone());
            std::thread::spawn(move || handle(stream, &script, &reqs));
        }
    });
    Server { url, requests }
}

type Script = Mutex<std::vec::IntoIter<Act>>;

fn handle(mut stream: TcpStream, script: &Script, reqs: &Mutex<Vec<(String, Option<String>)>>) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let (mut len, mut auth, mut first) = (0usize, None, String::new());
    // A client killed before (or while) sending its request just goes away.
    if reader.read_line(&mut first).unwrap_or(0) == 0 {
        return;
    }
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
            break;
        }
        let lower = line.to_lowercase();
        if let Some(v) = lower.strip_prefix("content-length:") {
            len = v.trim().parse().unwrap();
        }
        if lower.starts_with("authorization:") {
            auth = Some(line["authorization:".len()..].trim().to_string());
        }
    }
    let mut body = vec![0; len];
    if reader.read_exact(&mut body).is_err() {
        return;
    }
    assert!(first.starts_with("POST /v1/chat/completions "), "{first}");
    reqs.lock()
        .unwrap()
        .push((String::from_utf8(body).unwrap(), auth));
    let act = script.lock().unwrap().next();
    let respond = |stream: &mut TcpStream, status: &str, extra: &str, body: &str| {
        let _ = write!(
            stream,
            "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n{extra}\r\n{body}",
            body.len()
        );
    };
    let ok = |content: &str, finish: &str| {
        serde_json::json!({
            "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": finish}],
            "usage": {"prompt_tokens": 100, "completion_tokens": 20}
        })
        .to_string()
    };
    match act {
        Some(Act::Reply(c, f)) => respond(&mut stream, "200 OK", "", &ok(c, f)),
        Some(Act::Sleep(ms)) => {
            std::thread::sleep(Duration::from_millis(ms));
            respond(&mut stream, "200 OK", "", &ok("late", "stop"));
        }
        Some(Act::Status(code, retry)) => {
            let extra = retry.map_or(String::new(), |s| format!("Retry-After: {s}\r\n"));
            respond(
                &mut stream,
                &format!("{code} Oops"),
                &extra,
                "{\"error\": \"oops\"}",
            );
        }
        Some(Act::InvalidJson) => respond(&mut stream, "200 OK", "", "{\"choices\": [tru"),
        Some(Act::Close) => drop(stream),
        Some(Act::Truncated) => {
            let body = ok("cut short", "stop");
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{}",
                body.len(),
                &body[..body.len() / 2]
            );
        }
        None => respond(&mut stream, "500 Script Exhausted", "", "{}"),
    }
}
