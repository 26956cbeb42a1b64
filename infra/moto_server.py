"""The local AWS API server (DynamoDB, Streams, S3, SQS, EventBridge): moto, one request at a time,
with the changes of infra/moto_patches.py that keep its memory and time per request independent
of the table's size. The run command, the tests, the fuzzing and the benchmark all use it.

moto's backends change shared state without locks, so two concurrent transactions can
interleave and a cancelled one can roll back the other's writes. Real DynamoDB applies each
request (a whole TransactWriteItems included) atomically; one lock around each request gives
the local server the same guarantee while connections stay concurrent.

Usage: python infra/moto_server.py PORT [--plain] [--idle-exit SECONDS]   (binds 127.0.0.1 only)
  --plain      moto as released, without infra/moto_patches.py (to compare answers against)
  --idle-exit  exit after SECONDS without a request (the server a plain `cargo test` starts)
"""

import logging
import os
import signal
import sys
import threading
import time
from pathlib import Path

from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import run_simple


last_request = time.monotonic()


def atomic(app):
    lock = threading.Lock()

    def serve_one(environ, start_response):
        global last_request
        with lock:
            last_request = time.monotonic()
            # Materialise the body inside the lock: the request is done when the lock is freed.
            return list(app(environ, start_response))

    return serve_one


def exit_when_idle(seconds: float) -> None:
    def watch():
        while time.monotonic() - last_request < seconds:
            time.sleep(1)
        os._exit(0)

    threading.Thread(target=watch, daemon=True).start()


def main() -> None:
    port = int(sys.argv[1])
    options = sys.argv[2:]
    if "--idle-exit" in options:
        exit_when_idle(float(options[options.index("--idle-exit") + 1]))
    if "--plain" not in options:
        sys.path.insert(0, str(Path(__file__).parent))
        import moto_patches

        moto_patches.apply()
    # One log line per request costs more than some requests: log only what goes wrong.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    # Exit at once: request threads may hold keep-alive connections open indefinitely.
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    app = DomainDispatcherApplication(create_backend_app)
    run_simple(
        "127.0.0.1",
        port,
        atomic(app),
        threaded=True,
        request_handler=MotoRequestHandler,
    )


if __name__ == "__main__":
    main()
