#!/usr/bin/python3
"""Serve an H.264 .mp4 file over RTSP on 127.0.0.1, for tests and the demo.

Run it with the SYSTEM python (it needs python3-gi, gir1.2-gst-rtsp-server-1.0 and the
GStreamer good/bad plugins), not with the project venv:

    /usr/bin/python3 tests/support/rtsp_server.py --file ../shared/data/one-by-one-person-detection.mp4 \
        --port 8554 --mount /cam [--loop] [--user U --password P]

Once the server socket is listening it prints exactly one line on stdout (flushed):

    READY rtsp://127.0.0.1:8554/cam

(no credentials in it, even with --user/--password). Log lines go to stderr.

Behaviour:
* No re-encoding: filesrc ! qtdemux ! h264parse ! rtph264pay name=pay0 pt=96. The
  payloader also repeats SPS/PPS in-band before every IDR frame (config-interval=-1) so a
  client that ignores sprop-parameter-sets in the SDP can still decode.
* Every client gets its own pipeline (the factory is not shared), so each client sees the
  file from its first frame.
* Without --loop the client sees the stream end at the end of the file. GStreamer's RTP
  session does mark the source BYE on EOS, but the RTCP BYE is only scheduled for the next
  RTCP interval and is not reliably delivered (over RTSP/TCP ffmpeg would otherwise sit
  waiting forever). So when the media's pipeline posts EOS this server actively ends the
  session: it sends RTCP BYE itself is not possible from Python, hence it closes the RTSP
  client connections that use that media (GstRTSPClient.close()). A client reading over
  RTSP-interleaved TCP sees the connection close and ends; ffmpeg
  `-rtsp_transport tcp -i rtsp://... -f null -` exits by itself with status 0 after
  reading every frame. See handle_eos() below.
* With --loop the file is replayed forever: the EOS coming out of h264parse is dropped
  by a pad probe and a non-flushing seek back to 0 is issued, so running time (and thus
  the RTP timestamps) keep increasing across the loop and the client sees one endless
  stream.
* --user/--password enable RTSP basic authentication; a client without or with wrong
  credentials gets "401 Unauthorized".
* SIGTERM or SIGINT stop the main loop, close all client connections and exit with 0.
"""

import argparse
import os
import signal
import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402

# Must run before the RTSPMedia subclass below is defined: registering the subclass reads
# the "handle-message" signal, whose GstMessage parameter type only exists after Gst.init.
Gst.init(None)


def log(msg):
    print(f"rtsp_server: {msg}", file=sys.stderr, flush=True)


class FileMedia(GstRtspServer.RTSPMedia):
    """One media (= one pipeline) per client; ends the sessions at end of file."""

    server = None  # set by main(); class attribute because the factory constructs us

    def do_handle_message(self, message):
        if message.type == Gst.MessageType.EOS and not os.environ.get("RTSP_SERVER_NO_EOS_CLOSE"):
            # Let the base class do its own bookkeeping first, then end the sessions
            # from the main loop (we may be inside the media's bus dispatch).
            ret = GstRtspServer.RTSPMedia.do_handle_message(self, message)
            GLib.idle_add(self.handle_eos)
            return ret
        return GstRtspServer.RTSPMedia.do_handle_message(self, message)

    def handle_eos(self):
        """End of file without --loop: close every client whose session uses this media.

        Give the last packets a moment to leave the socket buffers before closing, so
        the client still receives the final frames.
        """
        log("end of file reached, closing the client session(s)")
        GLib.timeout_add(300, self._close_clients)
        return GLib.SOURCE_REMOVE

    def _close_clients(self):
        me = self

        def session_uses_me(session):
            found = []

            def media_filter(_session, sess_media, _user):
                if sess_media.get_media() == me:
                    found.append(True)
                return GstRtspServer.RTSPFilterResult.KEEP

            session.filter(media_filter, None)
            return bool(found)

        def client_filter(_server, client, _user):
            pool = client.get_session_pool()
            if pool is None:
                return GstRtspServer.RTSPFilterResult.KEEP
            hit = []

            def pool_filter(_pool, session, _user):
                if session_uses_me(session):
                    hit.append(session)
                return GstRtspServer.RTSPFilterResult.KEEP

            pool.filter(pool_filter, None)
            # Only sessions owned by this client count: a client's sessions are
            # reachable through client.session_filter.
            own = []

            def own_filter(_client, session, _user):
                if session in hit:
                    own.append(session)
                return GstRtspServer.RTSPFilterResult.KEEP

            client.session_filter(own_filter, None)
            if own:
                client.close()
            return GstRtspServer.RTSPFilterResult.KEEP

        if FileMedia.server is not None:
            FileMedia.server.client_filter(client_filter, None)
        return GLib.SOURCE_REMOVE


def make_loop_probe():
    """Pad probe for h264parse's src pad: turn EOS into a seek back to the start."""

    def probe(pad, info):
        event = info.get_event()
        if event is None or event.type != Gst.EventType.EOS:
            return Gst.PadProbeReturn.OK
        element = pad.get_parent_element()
        pipeline = element
        while pipeline.get_parent() is not None:
            pipeline = pipeline.get_parent()

        def rewind():
            # Non-flushing: the new segment's base continues from the current running
            # time, so timestamps keep increasing. Seek the demuxer directly (seeking
            # the pipeline would also hit the RTSP media's own bookkeeping).
            demux = pipeline.get_by_name("demux")
            ok = demux.send_event(Gst.Event.new_seek(
                1.0, Gst.Format.TIME, Gst.SeekFlags.ACCURATE,
                Gst.SeekType.SET, 0, Gst.SeekType.NONE, -1))
            log(f"loop: rewound to start ({'ok' if ok else 'FAILED'})")
            return GLib.SOURCE_REMOVE

        GLib.idle_add(rewind)
        return Gst.PadProbeReturn.DROP

    return probe


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--file", required=True, help="H.264 .mp4 file to serve")
    ap.add_argument("--port", type=int, default=8554)
    ap.add_argument("--mount", default="/cam", help="mount point, e.g. /cam")
    ap.add_argument("--loop", action="store_true", help="replay the file forever")
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
    location = path.replace("\\", "\\\\").replace('"', '\\"')
    factory.set_launch(
        f'( filesrc location="{location}" ! qtdemux name=demux ! h264parse name=parse '
        "! rtph264pay name=pay0 pt=96 config-interval=-1 )"
    )
    factory.set_shared(False)  # one pipeline per client: everyone starts at frame 0
    factory.set_eos_shutdown(False)
    factory.set_media_gtype(FileMedia)

    if args.loop:

        def on_media_configure(_factory, media):
            parse = media.get_element().get_by_name("parse")
            parse.get_static_pad("src").add_probe(
                Gst.PadProbeType.EVENT_DOWNSTREAM, make_loop_probe())

        factory.connect("media-configure", on_media_configure)

    if args.user is not None:
        auth = GstRtspServer.RTSPAuth()
        token = GstRtspServer.RTSPToken()
        token.set_string("media.factory.role", args.user)
        basic = GstRtspServer.RTSPAuth.make_basic(args.user, args.password)
        auth.add_basic(basic, token)
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

    # Close remaining clients so their pipelines are torn down before we exit.
    server.client_filter(lambda _s, client, _u: (client.close(), GstRtspServer.RTSPFilterResult.KEEP)[1], None)
    ctx = GLib.MainContext.default()
    while ctx.iteration(False):
        pass
    GLib.source_remove(source_id)
    return 0


if __name__ == "__main__":
    sys.exit(main())
