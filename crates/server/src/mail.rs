//! Outgoing e-mail (welcome, verification, password reset).
//!
//! With `mail.smtp_url` set, mail goes through [`SmtpMailer`] (lettre; STARTTLS or TLS,
//! and never a password in plain text unless told so); otherwise [`LogMailer`] logs that
//! a mail was not sent (to whom, its subject; never the body, whose links are
//! credentials).

use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;

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

/// SMTP delivery through lettre. `smtp://[USER:PASS@]HOST[:PORT][?tls=...]`:
///
/// - with credentials, STARTTLS is required: a server that does not offer it, or whose
///   certificate does not verify, gets no password (the mail fails, and says why);
/// - without credentials, STARTTLS is used when offered (a local relay without TLS
///   still works);
/// - `?tls=required` demands STARTTLS even without credentials; `?tls=none` sends in
///   plain text whatever happens (only for a relay on the same machine);
/// - `smtps://` speaks TLS from the first byte (port 465 by default).
///
/// Certificates verify against the system's roots, plus `mail.tls_ca_file` when set (a
/// private CA).
pub struct SmtpMailer {
    transport: lettre::AsyncSmtpTransport<lettre::Tokio1Executor>,
    from: lettre::message::Mailbox,
}

impl SmtpMailer {
    pub fn new(
        url: &str,
        from: &str,
        ca_file: Option<&std::path::Path>,
    ) -> Result<SmtpMailer, String> {
        use lettre::transport::smtp::authentication::Credentials;
        use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
        let parsed = url::Url::parse(url).map_err(|_| "mail.smtp_url is not a URL".to_string())?;
        let implicit_tls = match parsed.scheme() {
            "smtp" => false,
            "smtps" => true,
            _ => return Err("mail.smtp_url must start with smtp:// or smtps://".into()),
        };
        let host = parsed
            .host_str()
            .ok_or("mail.smtp_url has no host")?
            .trim_matches(['[', ']'])
            .to_string();
        let credentials = (!parsed.username().is_empty()).then(|| {
            Credentials::new(
                url_decode(parsed.username()),
                url_decode(parsed.password().unwrap_or("")),
            )
        });
        let tls_mode = parsed
            .query_pairs()
            .find(|(k, _)| k == "tls")
            .map(|(_, v)| v.into_owned());
        let mut parameters = TlsParameters::builder(host.clone());
        if let Some(ca_file) = ca_file {
            let pem = std::fs::read(ca_file)
                .map_err(|e| format!("mail.tls_ca_file {}: {e}", ca_file.display()))?;
            let ca = Certificate::from_pem(&pem)
                .map_err(|e| format!("mail.tls_ca_file {}: {e}", ca_file.display()))?;
            parameters = parameters.add_root_certificate(ca);
        }
        let parameters = parameters
            .build_rustls()
            .map_err(|e| format!("mail TLS settings: {e}"))?;
        let tls = match (implicit_tls, tls_mode.as_deref(), credentials.is_some()) {
            (true, None, _) => Tls::Wrapper(parameters),
            (true, Some(_), _) => {
                return Err("mail.smtp_url: smtps:// is always TLS; drop ?tls=".into());
            }
            (false, Some("none"), _) => Tls::None,
            (false, Some("required"), _) | (false, None, true) => Tls::Required(parameters),
            (false, None, false) => Tls::Opportunistic(parameters),
            (false, Some(other), _) => {
                return Err(format!(
                    "mail.smtp_url: tls={other}: expected none or required"
                ));
            }
        };
        let default_port = if implicit_tls { 465 } else { 25 };
        let mut builder =
            lettre::AsyncSmtpTransport::<lettre::Tokio1Executor>::builder_dangerous(host)
                .port(parsed.port().unwrap_or(default_port))
                .timeout(Some(std::time::Duration::from_secs(10)))
                .tls(tls);
        if let Some(credentials) = credentials {
            builder = builder.credentials(credentials);
        }
        let from = from
            .parse()
            .map_err(|e| format!("mail.from {from:?} is not an e-mail address: {e}"))?;
        Ok(SmtpMailer {
            transport: builder.build(),
            from,
        })
    }

    async fn deliver(&self, mail: &Mail) -> Result<(), String> {
        use lettre::AsyncTransport;
        let to: lettre::message::Mailbox = mail
            .to
            .parse()
            .map_err(|e| format!("recipient {:?}: {e}", mail.to))?;
        let message = lettre::Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(mail.subject.clone())
            .header(lettre::message::header::ContentType::TEXT_PLAIN)
            .body(mail.body.clone())
            .map_err(|e| format!("building the mail: {e}"))?;
        self.transport
            .send(message)
            .await
            .map(drop)
            .map_err(|e| format!("SMTP: {e}"))
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
