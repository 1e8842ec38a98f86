//! HTTP/1.1 posts written by hand on raw TCP: a body of any length is the same 64 KiB chunk
//! sent again and again (the test never holds it), the framing is the test's choice, and a
//! server answering before the body is through is seen as such.

use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};

static CHUNK: [u8; 64 * 1024] = [b' '; 64 * 1024];

#[derive(Debug, Clone, Copy)]
pub enum Framing {
    ContentLength,
    Chunked,
}

#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub body: String,
    pub took: Duration,
}

/// Posts `length` spaces to `http://{address}{path}`, sending while the answer is awaited.
pub async fn post_streamed(
    address: &str,
    path: &str,
    headers: &[(&str, &str)],
    length: u64,
    framing: Framing,
) -> std::io::Result<Answer> {
    let started = Instant::now();
    let (mut reader, writer) = TcpStream::connect(address).await?.into_split();
    let mut head = format!("POST {path} HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\n");
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    match framing {
        Framing::ContentLength => head.push_str(&format!("Content-Length: {length}\r\n\r\n")),
        Framing::Chunked => head.push_str("Transfer-Encoding: chunked\r\n\r\n"),
    }
    let mut send = Box::pin(send_body(writer, head, length, framing));
    let mut sent = None;
    let (status, body) = {
        let read = read_answer(&mut reader);
        tokio::pin!(read);
        loop {
            tokio::select! {
                biased;
                answer = &mut read => break answer?,
                // A write error is the server closing after an early answer: the answer decides.
                result = &mut send, if sent.is_none() => sent = Some(result.ok()),
            }
        }
    };
    let took = started.elapsed();
    // Closes this side and waits for the server to close its own, so that a sender's next post
    // does not overlap this one on the server.
    drop((send, sent));
    let _ = tokio::time::timeout(Duration::from_secs(2), async {
        while reader.read(&mut [0u8; 4096]).await? > 0 {}
        Ok::<_, std::io::Error>(())
    })
    .await;
    Ok(Answer { status, body, took })
}

async fn send_body(
    mut writer: OwnedWriteHalf,
    head: String,
    length: u64,
    framing: Framing,
) -> std::io::Result<OwnedWriteHalf> {
    let chunked = matches!(framing, Framing::Chunked);
    writer.write_all(head.as_bytes()).await?;
    let mut left = length;
    while left > 0 {
        let chunk = &CHUNK[..(left as usize).min(CHUNK.len())];
        if chunked {
            writer.write_all(format!("{:x}\r\n", chunk.len()).as_bytes()).await?;
        }
        writer.write_all(chunk).await?;
        if chunked {
            writer.write_all(b"\r\n").await?;
        }
        left -= chunk.len() as u64;
        // Lets the answer be seen between chunks, as a sender that stops once answered.
        tokio::task::yield_now().await;
    }
    if chunked {
        writer.write_all(b"0\r\n\r\n").await?;
    }
    // Kept open until the answer is read: closing it could read as the client leaving.
    Ok(writer)
}

async fn read_answer(reader: &mut OwnedReadHalf) -> std::io::Result<(u16, String)> {
    let mut received = Vec::new();
    let mut buffer = [0u8; 4096];
    loop {
        if let Some(answer) = parse_answer(&received) {
            return Ok(answer);
        }
        let read = reader.read(&mut buffer).await?;
        if read == 0 {
            return Err(std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "closed without an answer"));
        }
        received.extend_from_slice(&buffer[..read]);
    }
}

/// The status and body of a complete answer with a Content-Length.
fn parse_answer(received: &[u8]) -> Option<(u16, String)> {
    let end = received.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = std::str::from_utf8(&received[..end]).ok()?;
    let status = head.split_whitespace().nth(1)?.parse().ok()?;
    let length: usize = head
        .lines()
        .find_map(|line| line.split_once(':').filter(|(name, _)| name.eq_ignore_ascii_case("content-length")))
        .and_then(|(_, value)| value.trim().parse().ok())
        .unwrap_or(0);
    let body = received.get(end + 4..end + 4 + length)?;
    Some((status, String::from_utf8_lossy(body).into_owned()))
}
