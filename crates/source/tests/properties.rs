//! Property tests of what reads outside input in the source adapter: stream URLs and
//! their masking (every log line and error message naming a camera goes through it),
//! ffmpeg's log lines, and the destination guard.

use footfall_source::DestinationPolicy;
use footfall_source::ffmpeg_log::{parse_duration, parse_showinfo, parse_stream_info};
use footfall_source::url::{SourceKind, mask_credentials, mask_credentials_in_text};
use proptest::prelude::*;

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 512,
        ..ProptestConfig::default()
    }
}

/// A password as RFC 3986 lets it stand unencoded in user-info (sub-delims included),
/// prefixed so it cannot appear by accident in the rest of a generated URL.
fn password() -> impl Strategy<Value = String> {
    "[A-Za-z0-9!$&'()*+;=._~-]{6,16}".prop_map(|s| format!("Zq9{s}"))
}

/// A query value as it stands unencoded in a query (no `&`, `#`, `=`).
fn query_value() -> impl Strategy<Value = String> {
    "[A-Za-z0-9!$'()*+;._~-]{6,16}".prop_map(|s| format!("Zq9{s}"))
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn masking_never_panics_and_is_idempotent(text in ".{0,120}") {
        let masked = mask_credentials(&text);
        prop_assert_eq!(mask_credentials(&masked), masked.clone());
        let in_text = mask_credentials_in_text(&text);
        prop_assert_eq!(mask_credentials_in_text(&in_text), in_text);
        let _ = SourceKind::parse(&text);
    }

    #[test]
    fn a_password_in_the_url_never_survives_masking(
        scheme in prop::sample::select(vec!["rtsp", "rtsps", "http", "https"]),
        user in "[a-z]{1,8}",
        password in password(),
        host in "[a-z]{1,10}(\\.[a-z]{2,5})?",
        port in proptest::option::of(1u16..),
        path in "(/[A-Za-z0-9_.-]{1,10}){0,3}",
        param in prop::sample::select(vec!["password", "token", "access_token", "pw", "key", "sig", "auth", "Signature"]),
        token in query_value(),
        prefix in ".{0,20}",
    ) {
        let port = port.map(|p| format!(":{p}")).unwrap_or_default();
        let url = format!("{scheme}://{user}:{password}@{host}{port}{path}?res=1&{param}={token}");
        let masked = mask_credentials(&url);
        prop_assert!(!masked.contains(&password), "{}", masked);
        prop_assert!(!masked.contains(&token), "{}", masked);
        let expected_start = format!("{scheme}://{user}:***@{host}");
        prop_assert!(masked.starts_with(&expected_start), "{}", masked);
        // Inside an ffmpeg error message too.
        let line = format!("{prefix} [rtsp @ 0x1] {url}: 401 Unauthorized");
        let masked = mask_credentials_in_text(&line);
        prop_assert!(!masked.contains(&password) && !masked.contains(&token), "{}", masked);
    }

    #[test]
    fn ffmpeg_log_parsers_never_panic(line in ".{0,200}") {
        let _ = parse_showinfo(&line);
        let _ = parse_duration(&line);
        let _ = parse_stream_info(&line);
    }

    #[test]
    fn ffmpeg_like_lines_never_panic(
        n in any::<i64>(), pts in any::<f64>(), w in any::<u32>(), h in any::<u32>(),
        codec in "[a-z0-9]{0,8}", tail in "[ ,:a-z0-9.()/\\[\\]]{0,40}",
    ) {
        let _ = parse_showinfo(&format!("[Parsed_showinfo_2 @ 0x55] n:{n} pts:{n} pts_time:{pts} duration:1 {tail}"));
        let _ = parse_duration(&format!("  Duration: {n}:{n}:{pts}, start: 0.0, bitrate: {w} kb/s{tail}"));
        let _ = parse_stream_info(&format!("  Stream #0:0: Video: {codec} (High), yuv420p, {w}x{h}, {pts} fps{tail}"));
    }

    #[test]
    fn link_local_and_metadata_addresses_are_always_refused(a in any::<u8>(), b in any::<u8>(), v6 in any::<u128>()) {
        let strict = DestinationPolicy::strict();
        let open = DestinationPolicy { allow_loopback: true, ..DestinationPolicy::strict() };
        let link_local = std::net::Ipv6Addr::from((v6 & ((1u128 << 118) - 1)) | (0xfe80u128 << 112));
        let refused = [format!("http://169.254.{a}.{b}/"), format!("rtsp://[{link_local}]/")];
        // Private camera networks stay reachable.
        let private = [format!("rtsp://10.{a}.{b}.7/live"), format!("rtsp://192.168.{a}.{b}/live")];
        for policy in [&strict, &open] {
            for url in &refused {
                prop_assert!(policy.check(url).is_err(), "{}", url);
            }
            for url in &private {
                prop_assert_eq!(policy.check(url), Ok(()));
            }
        }
        let loopback = format!("rtsp://127.{a}.{b}.1/");
        prop_assert!(strict.check(&loopback).is_err());
        prop_assert_eq!(open.check(&loopback), Ok(()));
    }
}
