//! Outgoing e-mail (welcome, verification, password reset).
//!
//! With `mail.smtp_url` set, mail goes through [`SmtpMailer`] (plain SMTP with AUTH
//! PLAIN, for a local relay); otherwise [`LogMailer`] logs that a mail was not sent (to
//! whom, its subject; never the body, whose links are credentials).

use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mail {
    pub to: String,
    pub subject: String,
    pub body: String,
}

pub type SendFuture<'a> = Pin<Box<dyn Future<Output = Result<(), String>> + Send + 'a>>;

pub trait Mailer: Send + Sync + 'static {
    fn send(&self, mail: Mail) -> SendFuture<'_>;
}

pub struct LogMailer;

impl Mailer for LogMailer {
    fn send(&self, mail: Mail) -> SendFuture<'_> {
        Box::pin(async move {
            // Never the body: verification and reset links are credentials, and logs are
            // read by more people than the mailbox is.
            tracing::info!(to = %mail.to, subject = %mail.subject,
                "mail not sent: no SMTP relay configured (mail.smtp_url)");
            Ok(())
        })
    }
}

/// Keeps every mail in memory (tests read verification and reset links from it).
#[derive(Default)]
pub struct MemoryMailer(pub Mutex<Vec<Mail>>);

impl MemoryMailer {
    pub fn sent(&self) -> Vec<Mail> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// The mails sent, once there are at least `n` (mail goes out in the background);
    /// what there is after 5 s otherwise.
    pub async fn wait_for(&self, n: usize) -> Vec<Mail> {
        for _ in 0..500 {
            let sent = self.sent();
            if sent.len() >= n {
                return sent;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        self.sent()
    }
}

impl Mailer for MemoryMailer {
    fn send(&self, mail: Mail) -> SendFuture<'_> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).push(mail);
        Box::pin(async { Ok(()) })
    }
}

/// Minimal SMTP client: EHLO, optional AUTH PLAIN, MAIL, RCPT, DATA, QUIT.
pub struct SmtpMailer {
    host: String,
    port: u16,
    credentials: Option<(String, String)>,
    from: String,
}

impl SmtpMailer {
    /// `smtp://[USER:PASS@]HOST[:PORT]` (default port 25).
    pub fn new(url: &str, from: &str) -> Result<SmtpMailer, String> {
        let parsed = url::Url::parse(url).map_err(|_| "mail.smtp_url is not a URL".to_string())?;
        if parsed.scheme() != "smtp" {
            return Err("mail.smtp_url must start with smtp://".into());
        }
        let host = parsed
            .host_str()
            .ok_or("mail.smtp_url has no host")?
            .to_string();
        let credentials = (!parsed.username().is_empty()).then(|| {
            let user = url_decode(parsed.username());
            let pass = url_decode(parsed.password().unwrap_or(""));
            (user, pass)
        });
        Ok(SmtpMailer {
            host,
            port: parsed.port().unwrap_or(25),
            credentials,
            from: from.to_string(),
        })
    }

    async fn deliver(&self, mail: &Mail) -> Result<(), String> {
        let stream = tokio::time::timeout(
            std::time::Duration::from_secs(10),
            tokio::net::TcpStream::connect((self.host.as_str(), self.port)),
        )
        .await
        .map_err(|_| "SMTP connect timed out".to_string())?
        .map_err(|e| format!("SMTP connect: {e}"))?;
        let (read, mut write) = stream.into_split();
        let mut lines = BufReader::new(read).lines();
        async fn reply(
            lines: &mut tokio::io::Lines<BufReader<tokio::net::tcp::OwnedReadHalf>>,
            want: &str,
        ) -> Result<(), String> {
            loop {
                let line = lines
                    .next_line()
                    .await
                    .map_err(|e| e.to_string())?
                    .ok_or("SMTP server closed")?;
                // Multi-line replies continue with "250-"; the last line has "250 ".
                if line.len() >= 4 && &line[3..4] == "-" {
                    continue;
                }
                return if line.starts_with(want) {
                    Ok(())
                } else {
                    Err(format!("SMTP: {line}"))
                };
            }
        }
        reply(&mut lines, "220").await?;
        let mut send = async |cmd: String, want: &str, lines: &mut _| -> Result<(), String> {
            write
                .write_all(cmd.as_bytes())
                .await
                .map_err(|e| e.to_string())?;
            reply(lines, want).await
        };
        send("EHLO footfall\r\n".into(), "250", &mut lines).await?;
        if let Some((user, pass)) = &self.credentials {
            use base64::Engine;
            let token =
                base64::engine::general_purpose::STANDARD.encode(format!("\0{user}\0{pass}"));
            send(format!("AUTH PLAIN {token}\r\n"), "235", &mut lines).await?;
        }
        send(format!("MAIL FROM:<{}>\r\n", self.from), "250", &mut lines).await?;
        send(format!("RCPT TO:<{}>\r\n", mail.to), "250", &mut lines).await?;
        send("DATA\r\n".into(), "354", &mut lines).await?;
        // Dot-stuffing: a line starting with "." gets another one.
        let body = mail
            .body
            .replace("\r\n", "\n")
            .lines()
            .map(|l| {
                if l.starts_with('.') {
                    format!(".{l}")
                } else {
                    l.to_string()
                }
            })
            .collect::<Vec<_>>()
            .join("\r\n");
        let message = format!(
            "From: {}\r\nTo: {}\r\nSubject: {}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n.\r\n",
            self.from, mail.to, mail.subject
        );
        send(message, "250", &mut lines).await?;
        send("QUIT\r\n".into(), "221", &mut lines).await?;
        Ok(())
    }
}

fn url_decode(s: &str) -> String {
    url::form_urlencoded::parse(format!("x={s}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

impl Mailer for SmtpMailer {
    fn send(&self, mail: Mail) -> SendFuture<'_> {
        Box::pin(async move {
            let result = self.deliver(&mail).await;
            if let Err(e) = &result {
                tracing::warn!(to = %mail.to, error = %e, "mail not sent");
            }
            result
        })
    }
}
