//! The web dashboard's files (`web/`, built by Vite into `web/dist`), served from the
//! same origin as the API.
//!
//! They come from `server.web_dir` when it is set (development, or a dashboard built
//! separately), else from the copy embedded into the binary at build time (cargo feature
//! `web`, what `scripts/run.sh` builds), else there is no dashboard and only the API
//! answers. Any path that is not a file and not under `/api/` gets `index.html`: the
//! dashboard routes in the browser. Vite names the files under `/assets/` by their
//! content hash, so they are cached for a year; everything else is revalidated.

use crate::error::ApiError;
use axum::body::Body;
use axum::http::{HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use std::borrow::Cow;
use std::path::PathBuf;

/// Where the dashboard's files come from.
#[derive(Debug, Clone)]
pub enum Assets {
    /// A directory holding `index.html` and `assets/`.
    Dir(PathBuf),
    /// Compiled into the binary (feature `web`).
    #[cfg(feature = "web")]
    Embedded,
}

#[cfg(feature = "web")]
#[derive(rust_embed::RustEmbed)]
#[folder = "../../web/dist"]
struct Embedded;

/// Content security policy of the dashboard's pages: only this origin's scripts, styles,
/// images (and `data:`/`blob:` images for downloads and canvases) and connections
/// (`'self'` covers this origin's WebSocket too, ws: or wss:, in CSP level 3 browsers;
/// `ws: wss:` would allow a script to send data to any host).
const PAGE_CSP: &str = "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; \
     connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

impl Assets {
    /// The configured directory, else the embedded copy, else none.
    pub fn from_config(web_dir: Option<&PathBuf>) -> Option<Assets> {
        if let Some(dir) = web_dir {
            return Some(Assets::Dir(dir.clone()));
        }
        #[cfg(feature = "web")]
        return Some(Assets::Embedded);
        #[cfg(not(feature = "web"))]
        None
    }

    async fn get(&self, path: &str) -> Option<Cow<'static, [u8]>> {
        match self {
            Assets::Dir(dir) => tokio::fs::read(dir.join(path)).await.ok().map(Cow::Owned),
            #[cfg(feature = "web")]
            Assets::Embedded => Embedded::get(path).map(|f| f.data),
        }
    }

    /// Answers a request no API route took.
    pub async fn respond(&self, method: &Method, uri: &Uri) -> Response {
        let path = uri.path();
        if path == "/api" || path.starts_with("/api/") {
            return ApiError::not_found("route").into_response();
        }
        if method != Method::GET && method != Method::HEAD {
            return ApiError::not_found("route").into_response();
        }
        let relative = match path.trim_start_matches('/') {
            "" => "index.html",
            p => p,
        };
        // Plain names only: no `..`, no hidden files, nothing absolute.
        let safe = relative
            .split('/')
            .all(|s| !s.is_empty() && !s.starts_with('.') && !s.contains('\\'));
        if safe && let Some(bytes) = self.get(relative).await {
            let immutable = relative.starts_with("assets/");
            return file_response(relative, bytes, immutable);
        }
        // A missing hashed asset is a real 404 (a stale page asking for an old build);
        // any other path is a dashboard route.
        if relative.starts_with("assets/") {
            return ApiError::not_found("file").into_response();
        }
        match self.get("index.html").await {
            Some(index) => file_response("index.html", index, false),
            None => ApiError::not_found("route").into_response(),
        }
    }
}

fn file_response(path: &str, bytes: Cow<'static, [u8]>, immutable: bool) -> Response {
    let content_type = content_type(path);
    let cache = if immutable {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    let mut response = (StatusCode::OK, Body::from(bytes)).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    if content_type.starts_with("text/html") {
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(PAGE_CSP),
        );
    }
    response
}

fn content_type(path: &str) -> &'static str {
    match path.rsplit_once('.').map(|(_, ext)| ext) {
        Some("html") => "text/html; charset=utf-8",
        Some("js" | "mjs") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("json" | "map") => "application/json",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("jpg" | "jpeg") => "image/jpeg",
        Some("ico") => "image/x-icon",
        Some("webmanifest") => "application/manifest+json",
        Some("woff2") => "font/woff2",
        Some("txt") => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn get(assets: &Assets, path: &str) -> (StatusCode, String, Option<String>, String) {
        let response = assets
            .respond(&Method::GET, &path.parse::<Uri>().unwrap())
            .await;
        let status = response.status();
        let header = |name| {
            response
                .headers()
                .get(name)
                .map(|v: &HeaderValue| v.to_str().unwrap().to_string())
        };
        let content_type = header(header::CONTENT_TYPE).unwrap_or_default();
        let cache = header(header::CACHE_CONTROL);
        let body = axum::body::to_bytes(response.into_body(), 1 << 20)
            .await
            .unwrap();
        (
            status,
            content_type,
            cache,
            String::from_utf8_lossy(&body).into_owned(),
        )
    }

    #[tokio::test]
    async fn pages_may_connect_to_their_own_origin_only() {
        let root = tempfile::tempdir().unwrap();
        std::fs::write(root.path().join("index.html"), "<html></html>").unwrap();
        let assets = Assets::Dir(root.path().to_path_buf());
        let response = assets
            .respond(&Method::GET, &"/".parse::<Uri>().unwrap())
            .await;
        let csp = response.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .to_string();
        let connect = csp
            .split(';')
            .map(str::trim)
            .find(|d| d.starts_with("connect-src"))
            .unwrap();
        assert_eq!(connect, "connect-src 'self'", "{csp}");
    }

    #[tokio::test]
    async fn serves_files_falls_back_to_the_page_and_never_leaves_the_folder() {
        let root = tempfile::tempdir().unwrap();
        let dist = root.path().join("dist");
        std::fs::create_dir_all(dist.join("assets")).unwrap();
        std::fs::write(dist.join("index.html"), "<html>app</html>").unwrap();
        std::fs::write(dist.join("assets/index-abc123.js"), "console.log(1)").unwrap();
        std::fs::write(root.path().join("secret.txt"), "no").unwrap();
        let assets = Assets::Dir(dist);

        let (status, kind, cache, body) = get(&assets, "/").await;
        assert_eq!(
            (status, body.as_str()),
            (StatusCode::OK, "<html>app</html>")
        );
        assert!(kind.starts_with("text/html"));
        assert_eq!(cache.as_deref(), Some("no-cache"));

        let (status, kind, cache, _) = get(&assets, "/assets/index-abc123.js").await;
        assert_eq!(status, StatusCode::OK);
        assert!(kind.starts_with("text/javascript"));
        assert_eq!(
            cache.as_deref(),
            Some("public, max-age=31536000, immutable")
        );

        // Dashboard routes get the page; a stale hashed asset and API paths do not.
        assert_eq!(get(&assets, "/cameras/3/edit").await.3, "<html>app</html>");
        assert_eq!(
            get(&assets, "/assets/index-old.js").await.0,
            StatusCode::NOT_FOUND
        );
        let (status, kind, _, body) = get(&assets, "/api/v1/nope").await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert!(kind.starts_with("application/json"), "{kind}: {body}");
        // Traversal never reads outside the folder.
        for path in [
            "/../secret.txt",
            "/assets/../../secret.txt",
            "/%2e%2e/secret.txt",
        ] {
            let (status, _, _, body) = get(&assets, path).await;
            assert_ne!(body, "no", "{path}");
            assert!(status == StatusCode::OK || status == StatusCode::NOT_FOUND);
        }
    }
}
