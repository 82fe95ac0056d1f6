//! Property tests of the server's parsers of outside input: stream URLs from the camera
//! API, configuration from files and the environment, and counts queries. None may
//! panic; whatever they refuse names the field; secrets never reach what they return.

use footfall_server::config::{Config, ConfigError};
use footfall_server::routes::results::{CountsQuery, parse_counts};
use footfall_server::stream_url::StreamUrl;
use proptest::prelude::*;

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 256,
        ..ProptestConfig::default()
    }
}

fn schemes() -> Vec<String> {
    ["rtsp", "rtsps", "http", "https"]
        .map(String::from)
        .to_vec()
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn any_stream_url_is_parsed_or_refused_on_its_field(input in ".{0,120}") {
        match StreamUrl::parse(&input, &schemes()) {
            Ok(url) => prop_assert!(url.masked.len() <= 2 * input.len() + 16),
            Err(e) => prop_assert_eq!(e.body.field.as_deref(), Some("stream_url")),
        }
    }

    #[test]
    fn stored_stream_urls_never_hold_the_password(
        user in "[a-z]{1,8}",
        password in "[A-Za-z0-9._~!$'()*+,;=-]{4,16}",
        host in "[a-z]{1,10}(\\.[a-z]{2,4})?",
        path in "(/[A-Za-z0-9_-]{1,8}){0,3}",
        param in prop::sample::select(vec!["password", "token", "access_token", "pw", "key", "sig", "auth"]),
        value in "[A-Za-z0-9._~-]{6,16}",
    ) {
        let password = format!("Zq9{password}");
        let value = format!("Zq9{value}");
        let input = format!("rtsp://{user}:{password}@{host}{path}?{param}={value}&res=2");
        let url = StreamUrl::parse(&input, &schemes()).unwrap();
        prop_assert!(url.has_secrets);
        prop_assert!(!url.masked.contains(&password) && !url.masked.contains(&value), "{}", url.masked);
    }

    #[test]
    fn configuration_from_the_environment_is_loaded_or_refused_by_name(
        section in prop::sample::select(vec!["server", "database", "auth", "cameras", "mail", "logging", "live", "nope"]),
        field in "[a-z_]{1,20}",
        value in ".{0,30}",
    ) {
        let key = format!("FOOTFALL_{}__{}", section.to_uppercase(), field.to_uppercase());
        match Config::load(None, [(key, value)]) {
            Ok(_) => {}
            Err(ConfigError::Invalid { origin, message }) => {
                prop_assert!(!origin.is_empty() && !message.is_empty());
            }
            Err(other) => prop_assert!(false, "{other}"),
        }
    }

    #[test]
    fn counts_queries_never_panic(
        from in proptest::option::of(".{0,30}"),
        to in proptest::option::of("(19|20|21|99)[0-9]{2}-[01][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9](Z|[+-][0-1][0-9]:[0-5][0-9])"),
        bucket in proptest::option::of(prop::sample::select(vec!["raw", "minute", "hour", "day", "month", "week", ""])),
        tz in proptest::option::of(prop::sample::select(vec!["UTC", "Asia/Kolkata", "Australia/Eucla", "America/St_Johns", "Mars/Olympus", ""])),
        limit in proptest::option::of(any::<i64>()),
        offset in proptest::option::of(any::<i64>()),
    ) {
        let q = CountsQuery {
            from,
            to,
            bucket: bucket.map(String::from),
            tz: tz.map(String::from),
            limit,
            offset,
            format: None,
        };
        match parse_counts(&q, Some(1), chrono::Utc::now()) {
            Ok(parsed) => {
                prop_assert!(parsed.query.from < parsed.query.to);
                prop_assert!((1..=10_000).contains(&parsed.query.limit));
            }
            Err(e) => prop_assert!(e.body.field.is_some(), "{}", e.body.message),
        }
    }
}
