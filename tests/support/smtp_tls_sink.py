"""An SMTP server for tests that speaks STARTTLS or implicit TLS (standard library only).

Usage: smtp_tls_sink.py LOG CERT KEY [--no-starttls | --implicit]
  prints "READY <port>" once listening on 127.0.0.1; appends to LOG one line per
  command received, prefixed with "tls " once the connection is encrypted, and the
  decoded AUTH PLAIN user ("auth-user NAME"), so tests can check that credentials
  only ever travel encrypted.
"""
import base64
import socket
import ssl
import sys
import threading

LOG, CERT, KEY = sys.argv[1:4]
MODE = sys.argv[4] if len(sys.argv) > 4 else "--starttls"


def log(line):
    with open(LOG, "a", encoding="utf-8") as out:
        out.write(line + "\n")


def serve(conn, context):
    encrypted = False
    if MODE == "--implicit":
        conn = context.wrap_socket(conn, server_side=True)
        encrypted = True
    reader = conn.makefile("rb")

    def send(text):
        conn.sendall(text.encode() + b"\r\n")

    send("220 sink ready")
    while True:
        raw = reader.readline()
        if not raw:
            return
        line = raw.decode("utf-8", "replace").rstrip("\r\n")
        log(("tls " if encrypted else "") + line.split(" ")[0].upper())
        verb = line.split(" ")[0].upper()
        if verb in ("EHLO", "HELO"):
            offers = ["250-sink"]
            if MODE == "--starttls" and not encrypted:
                offers.append("250-STARTTLS")
            offers.append("250 AUTH PLAIN LOGIN")
            send("\r\n".join(offers))
        elif verb == "STARTTLS" and MODE == "--starttls" and not encrypted:
            send("220 go ahead")
            conn = context.wrap_socket(conn, server_side=True)
            reader = conn.makefile("rb")
            encrypted = True
        elif verb == "AUTH":
            parts = line.split(" ")
            if len(parts) >= 3 and parts[1].upper() == "PLAIN":
                decoded = base64.b64decode(parts[2]).split(b"\0")
                log(("tls " if encrypted else "") + "auth-user " + decoded[1].decode())
            send("235 ok")
        elif verb in ("MAIL", "RCPT", "RSET", "NOOP"):
            send("250 ok")
        elif verb == "DATA":
            send("354 go")
            while True:
                data = reader.readline()
                if not data or data in (b".\r\n", b".\n"):
                    break
                log(("tls " if encrypted else "") + "data " + data.decode("utf-8", "replace").rstrip())
            send("250 queued")
        elif verb == "QUIT":
            send("221 bye")
            return
        else:
            send("502 no")


def main():
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(CERT, KEY)
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    print(f"READY {listener.getsockname()[1]}", flush=True)
    while True:
        conn, _ = listener.accept()
        threading.Thread(target=lambda: _safe(serve, conn, context), daemon=True).start()


def _safe(fn, conn, context):
    try:
        fn(conn, context)
    except (OSError, ssl.SSLError) as e:
        log(f"error {e}")
    finally:
        conn.close()


if __name__ == "__main__":
    main()
