"""A real SMTP server for tests: accepts every message and appends it to a file.

Usage: smtp_sink.py OUTPUT_FILE  -> prints "READY <port>" once listening on 127.0.0.1.
Uses the standard library's smtpd/asyncore (present in Python 3.11).
"""
import warnings

warnings.simplefilter("ignore", DeprecationWarning)

import asyncore  # noqa: E402  (after the filter: both warn on import in 3.11)
import smtpd  # noqa: E402
import socket  # noqa: E402
import sys  # noqa: E402


class Sink(smtpd.SMTPServer):
    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
        with open(sys.argv[1], "a", encoding="utf-8") as out:
            out.write(f"FROM {mailfrom}\nTO {','.join(rcpttos)}\n{text}\n.\n")


def main():
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    Sink(("127.0.0.1", port), None, decode_data=False)
    print(f"READY {port}", flush=True)
    asyncore.loop()


if __name__ == "__main__":
    main()
