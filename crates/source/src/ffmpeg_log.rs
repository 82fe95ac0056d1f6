//! Parsing ffmpeg's stderr: per-frame `showinfo` lines, stream facts, and error causes.

use crate::error::SourceError;

/// What `showinfo` says about one output frame.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FrameInfo {
    pub pts_time: f64,
    pub width: u32,
    pub height: u32,
}

/// Parses `[Parsed_showinfo_2 @ 0x..] n:   3 pts:  3 pts_time:0.3 ... s:416x234 ...`.
pub fn parse_showinfo(line: &str) -> Option<FrameInfo> {
    if !line.contains("Parsed_showinfo") || !line.contains(" n:") {
        return None;
    }
    let pts_time = field(line, "pts_time:")?.parse::<f64>().ok()?;
    let (w, h) = field(line, " s:")?.split_once('x')?;
    Some(FrameInfo {
        pts_time,
        width: w.parse().ok()?,
        height: h.parse().ok()?,
    })
}

/// The value after `key` up to the next whitespace (values may be preceded by spaces).
fn field<'a>(line: &'a str, key: &str) -> Option<&'a str> {
    let start = line.find(key)? + key.len();
    line[start..].split_whitespace().next()
}

/// `  Duration: 00:02:19.40, start: 0.000000, bitrate: ...` -> 139.4 seconds.
pub fn parse_duration(line: &str) -> Option<f64> {
    let rest = line.trim_start().strip_prefix("Duration:")?.trim_start();
    let hms = rest.split(',').next()?.trim();
    let mut parts = hms.split(':');
    let (h, m, s) = (
        parts.next()?.parse::<f64>().ok()?,
        parts.next()?.parse::<f64>().ok()?,
        parts.next()?.parse::<f64>().ok()?,
    );
    Some(h * 3600.0 + m * 60.0 + s)
}

/// Facts about the input's video stream, from the `Stream #0:0: Video: h264 ...` line.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct StreamInfo {
    pub codec: String,
    pub width: u32,
    pub height: u32,
    pub fps: Option<f64>,
}

/// Parses the input stream line (the first `Video:` line ffmpeg prints, before `Output #0`).
pub fn parse_stream_info(line: &str) -> Option<StreamInfo> {
    let line = line.trim();
    if !line.starts_with("Stream #") {
        return None;
    }
    let video = line.split_once("Video: ")?.1;
    let codec = video.split([' ', ',']).next()?.to_string();
    let mut info = StreamInfo {
        codec,
        ..Default::default()
    };
    for part in video.split(", ") {
        let token = part.split_whitespace().next().unwrap_or_default();
        if let Some((w, h)) = token.split_once('x')
            && let (Ok(w), Ok(h)) = (w.parse(), h.parse())
        {
            info.width = w;
            info.height = h;
        }
        if let Some(fps) = part.strip_suffix(" fps") {
            info.fps = fps.trim().parse().ok();
        }
    }
    Some(info)
}

/// Maps ffmpeg's last words on a failed run to the error a user can act on.
pub fn classify_failure(url: &str, status: &str, lines: &[String]) -> SourceError {
    let all = lines.join("\n");
    let has = |needle: &str| all.contains(needle);
    let detail = last_meaningful(lines);
    // ffmpeg often prefixes the reason with the input it failed on; the error names it already.
    let detail = detail
        .strip_prefix(&format!("{url}: "))
        .map(str::to_string)
        .unwrap_or(detail);
    let url = url.to_string();
    if has("401 Unauthorized") || has("403 Forbidden") || has("authorization failed") {
        SourceError::AuthFailed { url }
    } else if has("No such file or directory") || has("404 Not Found") || has("Server returned 404")
    {
        SourceError::NotFound { url, detail }
    } else if has("Connection refused")
        || has("Connection timed out")
        || has("No route to host")
        || has("Network is unreachable")
        || has("Failed to resolve hostname")
        || has("Name or service not known")
        || has("Temporary failure in name resolution")
        || has("timed out")
    {
        SourceError::Unreachable { url, detail }
    } else if has("Decoder (codec")
        || has("Unsupported codec")
        || has("could not find codec parameters")
        || has("no decoder")
    {
        SourceError::UnsupportedCodec { url, detail }
    } else if has("Invalid data found when processing input")
        || has("moov atom not found")
        || has("Invalid argument")
    {
        SourceError::InvalidData { url, detail }
    } else {
        SourceError::Ffmpeg {
            url,
            status: status.to_string(),
            detail,
        }
    }
}

/// The last stderr line that says something (not a showinfo or banner line), trimmed of
/// ffmpeg's `[component @ 0x...]` prefix.
fn last_meaningful(lines: &[String]) -> String {
    lines
        .iter()
        .rev()
        .map(|l| l.trim())
        .find(|l| {
            !l.is_empty()
                && !l.contains("Parsed_showinfo")
                && !l.starts_with("Stream #")
                && !l.starts_with("Duration:")
        })
        .map(|l| match l.find("] ") {
            Some(i) if l.starts_with('[') => l[i + 2..].to_string(),
            _ => l.to_string(),
        })
        .unwrap_or_else(|| "ffmpeg gave no reason".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn showinfo_line() {
        let line = "[Parsed_showinfo_2 @ 0x55d0c1e0] n:  12 pts:     12 pts_time:1.2     duration:      1 duration_time:0.1     pos:        -1 fmt:bgr24 sar:1/1 s:416x234 i:P iskey:1 type:? checksum:00000000 plane_checksum:[00000000] mean:[97] stdev:[60.1]";
        assert_eq!(
            parse_showinfo(line),
            Some(FrameInfo {
                pts_time: 1.2,
                width: 416,
                height: 234
            })
        );
        assert_eq!(
            parse_showinfo("[Parsed_showinfo_2 @ 0x1] config in time_base: 1/10, frame_rate: 10/1"),
            None
        );
        assert_eq!(parse_showinfo("frame=  10 fps=0.0"), None);
    }

    #[test]
    fn duration_and_stream_lines() {
        assert_eq!(
            parse_duration("  Duration: 00:02:19.40, start: 0.000000, bitrate: 188 kb/s"),
            Some(139.4)
        );
        assert_eq!(parse_duration("  Duration: N/A, start: 0.0"), None);
        let s = parse_stream_info(
            "  Stream #0:0[0x1](und): Video: h264 (Constrained Baseline) (avc1 / 0x31637661), yuv420p(progressive), 768x432, 185 kb/s, 10 fps, 10 tbr, 10240 tbn (default)",
        )
        .unwrap();
        assert_eq!(
            s,
            StreamInfo {
                codec: "h264".into(),
                width: 768,
                height: 432,
                fps: Some(10.0)
            }
        );
    }

    #[test]
    fn failures_are_classified() {
        let lines = |s: &str| vec![s.to_string()];
        type Check = fn(&SourceError) -> bool;
        let cases: Vec<(&str, Check)> = vec![
            (
                "[rtsp @ 0x1] method DESCRIBE failed: 401 Unauthorized",
                |e| matches!(e, SourceError::AuthFailed { .. }),
            ),
            ("/x.mp4: No such file or directory", |e| {
                matches!(e, SourceError::NotFound { .. })
            }),
            (
                "[tcp @ 0x1] Connection to tcp://127.0.0.1:9 failed: Connection refused",
                |e| matches!(e, SourceError::Unreachable { .. }),
            ),
            (
                "/tmp/bad.mp4: Invalid data found when processing input",
                |e| matches!(e, SourceError::InvalidData { .. }),
            ),
            ("Decoder (codec av1) not found for input stream #0:0", |e| {
                matches!(e, SourceError::UnsupportedCodec { .. })
            }),
            ("something else entirely", |e| {
                matches!(e, SourceError::Ffmpeg { .. })
            }),
        ];
        for (line, check) in cases {
            let e = classify_failure("u", "exit status: 1", &lines(line));
            assert!(check(&e), "{line} -> {e:?}");
        }
        let e = classify_failure(
            "u",
            "1",
            &lines("[tcp @ 0x55] Connection to tcp://h failed: Connection refused"),
        );
        assert!(
            e.to_string()
                .ends_with("Connection to tcp://h failed: Connection refused"),
            "{e}"
        );
    }
}
