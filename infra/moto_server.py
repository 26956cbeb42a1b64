"""The local AWS API server for DynamoDB and S3: moto, applying one request at a time.

moto's backends change shared state without locks, so two concurrent transactions can
interleave and a cancelled one can roll back the other's writes. Real DynamoDB applies each
request (a whole TransactWriteItems included) atomically; one lock around each request gives
the local server the same guarantee while connections stay concurrent.

Usage: python infra/moto_server.py PORT   (binds 127.0.0.1 only)
"""

import os
import signal
import sys
import threading

from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import run_simple


def atomic(app):
    lock = threading.Lock()

    def serve_one(environ, start_response):
        with lock:
            # Materialise the body inside the lock: the request is done when the lock is freed.
            return list(app(environ, start_response))

    return serve_one


def main() -> None:
    port = int(sys.argv[1])
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
