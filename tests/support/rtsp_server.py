#!/usr/bin/python3
"""Serve an H.264 .mp4 file over RTSP on 127.0.0.1, for tests and the demo.

Run it with the SYSTEM python (it needs python3-gi, gir1.2-gst-rtsp-server-1.0 and the
GStreamer good/bad plugins), not with the project venv:

    /usr/bin/python3 tests/support/rtsp_server.py \\
        --file ../shared/data/one-by-one-person-detection.mp4 \\
        --port 8554 --mount /cam [--loop | --live] [--user U --password P]

Once the server socket is listening it prints exactly one line on stdout (flushed):

    READY rtsp://127.0.0.1:8554/cam

(never with credentials in it). Log lines go to stderr. --port 0 picks a free port; the
READY line then carries the real one.

Behaviour:
* No re-encoding: filesrc ! qtdemux ! h264parse ! rtph264pay name=pay0 pt=96. The
  payloader also repeats SPS/PPS in-band before every IDR frame (config-interval=-1) so a
  client that ignores sprop-parameter-sets in the SDP can still decode.
* Every client gets its own pipeline (the factory is not shared), so each client sees the
  file from its first frame. Frames are sent in real time (the server paces by timestamp).
* End of file without --loop: the client sees the stream end. Checked with ffmpeg 5.1 and
  GStreamer 1.22: when the pipeline reaches EOS, GStreamer's RTP session sends an RTCP BYE
  (over the interleaved TCP channel, or the RTCP UDP port); ffmpeg logs
  "Received BYE for stream 0 (1/1)", treats it as end of file and
  `ffmpeg -rtsp_transport tcp -i rtsp://... -f null -` exits by itself with status 0
  after decoding every frame (101 of 101 for a 10 s cut). No extra step is needed for
  ffmpeg. For clients that ignore RTCP BYE, this server additionally closes the RTSP
  connection of every client whose session uses the finished media one second after the
  EOS (FileMedia.do_handle_message / _close_clients), so such a client sees the TCP
  connection close (checked with a raw socket client: closed 10.2 s after PLAY).
* --loop replays the file forever as one endless stream with increasing timestamps. It
  does NOT seek the serving pipeline: a non-flushing seek after EOS does nothing (every
  pad that saw EOS refuses data until a flush) and a flushing seek restarts running time,
  so RTP timestamps would jump back. Instead the serving pipeline is
  appsrc ! h264parse ! rtph264pay and a private reader pipeline per client
  (filesrc ! qtdemux ! h264parse ! appsink) feeds it the same compressed access units,
  rewinding the reader at its end and shifting timestamps by the file duration.
* --live is --loop on the server's wall clock, like a camera: the stream "plays" from
  the moment the server starts, and a client that connects (or reconnects) later joins
  at the position reached (from the key frame before it), with its timestamps starting
  at 0, instead of at the file's first frame.
* --user/--password enable RTSP basic authentication; a client without or with wrong
  credentials gets "401 Unauthorized" (ffmpeg: "method DESCRIBE failed: 401 Unauthorized").
* SIGTERM or SIGINT stop the main loop, close all client connections and exit with 0.
"""

import argparse
import os
import signal
import sys
import threading
import time

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstApp", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstApp, GstRtspServer  # noqa: E402,F401

# Must run before the RTSPMedia subclass below is defined: registering the subclass reads
# the "handle-message" signal, whose GstMessage parameter type only exists after Gst.init.
Gst.init(None)

CLOSE_AFTER_EOS_MS = 1000


def log(msg):
    print(f"rtsp_server: {msg}", file=sys.stderr, flush=True)


class FileMedia(GstRtspServer.RTSPMedia):
    """One media (= one pipeline) per client; ends the client's connection at EOS."""

    server = None  # set by main(); the factory constructs instances itself

    def do_handle_message(self, message):
        ret = GstRtspServer.RTSPMedia.do_handle_message(self, message)
        if message.type == Gst.MessageType.EOS:
            # GStreamer has already sent RTCP BYE; give clients that honour it time to
            # finish, then close the connection for those that do not.
            log("end of file reached")
            GLib.timeout_add(CLOSE_AFTER_EOS_MS, self._close_clients)
        return ret

    def _close_clients(self):
        me = self

        def client_filter(_server, client, _user):
            uses_me = []

            def media_filter(_session, sess_media, _user):
                if sess_media.get_media() == me:
                    uses_me.append(True)
                return GstRtspServer.RTSPFilterResult.KEEP

            def session_filter(_client, session, _user):
                session.filter(media_filter, None)
                return GstRtspServer.RTSPFilterResult.KEEP

            client.session_filter(session_filter, None)
            if uses_me:
                log("closing the connection of a client at end of file")
                client.close()
            return GstRtspServer.RTSPFilterResult.KEEP

        if FileMedia.server is not None:
            FileMedia.server.client_filter(client_filter, None)
        return GLib.SOURCE_REMOVE


class LoopFeeder:
    """Feeds one serving pipeline's appsrc from a private reader pipeline, forever."""

    def __init__(self, path, appsrc, start_ns=0):
        self.appsrc = appsrc
        self.lock = threading.Lock()
        self.offset = 0  # ns added to every timestamp of the current pass
        self.pass_end = 0  # largest pts+duration seen in the current pass, in ns
        self.stopped = False
        self.reader = Gst.parse_launch(
            f'filesrc location="{_escape(path)}" ! qtdemux ! h264parse '
            "! video/x-h264,stream-format=avc,alignment=au "
            "! appsink name=sink sync=false max-buffers=8"
        )
        self.sink = self.reader.get_by_name("sink")
        self.reader.set_state(Gst.State.PAUSED)
        self.reader.get_state(Gst.CLOCK_TIME_NONE)
        self.reader.set_state(Gst.State.PLAYING)
        caps = self.sink.get_static_pad("sink").get_current_caps()
        if caps is None:
            caps = self.sink.pull_preroll().get_caps()
        # --live: join the stream where the wall clock says it is (see the module doc); the
        # first buffer's timestamp becomes 0 for this client.
        self.rebase = False
        ok, duration = self.reader.query_duration(Gst.Format.TIME)
        if start_ns > 0 and ok and duration > 0:
            position = start_ns % duration
            flags = Gst.SeekFlags.FLUSH | Gst.SeekFlags.KEY_UNIT | Gst.SeekFlags.SNAP_BEFORE
            self.reader.seek_simple(Gst.Format.TIME, flags, position)
            self.reader.get_state(Gst.CLOCK_TIME_NONE)
            self.rebase = True
            log(f"live: client joins at {position / Gst.SECOND:.1f} s")
        appsrc.set_property("caps", caps)
        appsrc.set_property("format", Gst.Format.TIME)
        appsrc.set_property("is-live", False)
        appsrc.connect("need-data", self.on_need_data)

    def _rewind(self):
        self.offset += self.pass_end
        self.pass_end = 0
        ok = self.reader.seek_simple(Gst.Format.TIME, Gst.SeekFlags.FLUSH | Gst.SeekFlags.KEY_UNIT, 0)
        self.reader.get_state(Gst.CLOCK_TIME_NONE)
        log(f"loop: rewound to start ({'ok' if ok else 'FAILED'})")

    def on_need_data(self, appsrc, _length):
        with self.lock:
            if self.stopped:
                return
            sample = self.sink.try_pull_sample(5 * Gst.SECOND)
            if sample is None:
                if not self.sink.is_eos():
                    log("loop: reader produced nothing")
                    appsrc.end_of_stream()
                    return
                self._rewind()
                sample = self.sink.try_pull_sample(5 * Gst.SECOND)
                if sample is None:
                    log("loop: reader produced nothing after rewind")
                    appsrc.end_of_stream()
                    return
            buf = sample.get_buffer().copy()
            if self.rebase:
                # The earliest of the two (B-frames decode before they show), so neither
                # timestamp goes below zero.
                stamps = [t for t in (buf.dts, buf.pts) if t != Gst.CLOCK_TIME_NONE]
                if stamps:
                    self.offset -= min(stamps)
                    self.rebase = False
            dur = buf.duration if buf.duration != Gst.CLOCK_TIME_NONE else 0
            if buf.pts != Gst.CLOCK_TIME_NONE:
                self.pass_end = max(self.pass_end, buf.pts + dur)
                buf.pts += self.offset
            if buf.dts != Gst.CLOCK_TIME_NONE:
                buf.dts += self.offset
            appsrc.push_buffer(buf)

    def stop(self):
        with self.lock:
            self.stopped = True
            self.reader.set_state(Gst.State.NULL)


def _escape(path):
    return path.replace("\\", "\\\\").replace('"', '\\"')


def main():
    ap = argparse.ArgumentParser(description="Serve an H.264 .mp4 over RTSP on 127.0.0.1.")
    ap.add_argument("--file", required=True, help="H.264 .mp4 file to serve")
    ap.add_argument("--port", type=int, default=8554, help="TCP port (0: any free port)")
    ap.add_argument("--mount", default="/cam", help="mount point, e.g. /cam")
    ap.add_argument("--loop", action="store_true", help="replay the file forever")
    ap.add_argument(
        "--live",
        action="store_true",
        help="--loop on a wall clock: late and returning clients join where the stream is",
    )
    ap.add_argument("--user", help="basic auth user name (needs --password)")
    ap.add_argument("--password", help="basic auth password (needs --user)")
    args = ap.parse_args()

    if (args.user is None) != (args.password is None):
        ap.error("--user and --password go together")
    path = os.path.abspath(args.file)
    if not os.path.isfile(path):
        ap.error(f"no such file: {path}")
    mount = args.mount if args.mount.startswith("/") else "/" + args.mount

    loop = GLib.MainLoop()
    server = GstRtspServer.RTSPServer()
    server.set_address("127.0.0.1")
    server.set_service(str(args.port))
    FileMedia.server = server

    factory = GstRtspServer.RTSPMediaFactory()
    started = time.monotonic()
    if args.loop or args.live:
        factory.set_launch(
            "( appsrc name=src ! h264parse ! rtph264pay name=pay0 pt=96 config-interval=-1 )"
        )
        feeders = {}

        def on_media_configure(_factory, media):
            start_ns = int((time.monotonic() - started) * Gst.SECOND) if args.live else 0
            feeder = LoopFeeder(path, media.get_element().get_by_name("src"), start_ns)
            feeders[id(media)] = feeder

            def on_unprepared(m):
                f = feeders.pop(id(m), None)
                if f is not None:
                    f.stop()

            media.connect("unprepared", on_unprepared)

        factory.connect("media-configure", on_media_configure)
    else:
        factory.set_launch(
            f'( filesrc location="{_escape(path)}" ! qtdemux ! h264parse '
            "! rtph264pay name=pay0 pt=96 config-interval=-1 )"
        )
        factory.set_media_gtype(FileMedia)
    factory.set_shared(False)  # one pipeline per client: everyone starts at frame 0

    if args.user is not None:
        auth = GstRtspServer.RTSPAuth()
        token = GstRtspServer.RTSPToken()
        token.set_string("media.factory.role", args.user)
        auth.add_basic(GstRtspServer.RTSPAuth.make_basic(args.user, args.password), token)
        server.set_auth(auth)
        permissions = GstRtspServer.RTSPPermissions()
        permissions.add_permission_for_role(args.user, "media.factory.access", True)
        permissions.add_permission_for_role(args.user, "media.factory.construct", True)
        factory.set_permissions(permissions)

    server.get_mount_points().add_factory(mount, factory)

    try:
        source_id = server.attach(None)  # creates and binds the listening socket
    except GLib.Error as e:
        log(f"cannot listen on 127.0.0.1:{args.port}: {e.message}")
        return 1
    if source_id == 0:
        log(f"cannot listen on 127.0.0.1:{args.port}")
        return 1

    def stop(signame):
        log(f"{signame}: shutting down")
        loop.quit()
        return GLib.SOURCE_REMOVE

    GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGTERM, stop, "SIGTERM")
    GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGINT, stop, "SIGINT")

    print(f"READY rtsp://127.0.0.1:{server.get_bound_port()}{mount}", flush=True)
    loop.run()

    # Close the remaining clients so their pipelines are torn down before exiting.
    def close_all(_server, client, _user):
        client.close()
        return GstRtspServer.RTSPFilterResult.KEEP

    server.client_filter(close_all, None)
    ctx = GLib.MainContext.default()
    while ctx.iteration(False):
        pass
    GLib.source_remove(source_id)
    return 0


if __name__ == "__main__":
    sys.exit(main())
