"""The local AWS API server (DynamoDB, Streams, S3, SQS, EventBridge): moto, one request at a time,
with the changes of infra/moto_patches.py that keep its memory and time per request independent
of the table's size. The run command, the tests, the fuzzing and the benchmark all use it.

moto's backends change shared state without locks, so two concurrent transactions can
interleave and a cancelled one can roll back the other's writes. Real DynamoDB applies each
request (a whole TransactWriteItems included) atomically; one lock around each request gives
the local server the same guarantee while connections stay concurrent.

Usage: python infra/moto_server.py PORT [--plain] [--idle-exit SECONDS] [--stream-max-records N]
  (binds 127.0.0.1 only)
  --plain               moto as released, without infra/moto_patches.py (to compare answers against)
  --idle-exit           exit after SECONDS without a request (the server a plain `cargo test` starts)
  --stream-max-records  keep at most N unread stream records (a stack whose stream nobody reads)
`kill -USR1` the server to have it log what it holds (items, stream records, messages, objects).
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


def report_memory(*_) -> None:
    """On SIGUSR1: what the server holds (items, stream records, queued messages, objects) and
    the most numerous Python objects, to its log. For finding what grows; never fatal."""
    try:
        print(held(), flush=True)
    except Exception as err:  # noqa: BLE001 - a report must not stop the server
        print(f"memory report failed: {err!r}", flush=True)


def held() -> str:
    import collections
    import gc

    from moto.dynamodb.models import dynamodb_backends
    from moto.s3.models import s3_backends
    from moto.sqs.models import sqs_backends

    lines = []
    for account, regions in dynamodb_backends.items():
        for region, backend in regions.items():
            for table in backend.tables.values():
                records = len(table.stream_shard.items) if table.stream_shard else 0
                items = sum(len(p) if table.range_key_attr else 1 for p in table.items.values())
                lines.append(f"table {table.name}: {items} items, {records} stream records")
    for account, regions in sqs_backends.items():
        for region, backend in regions.items():
            for queue in backend.queues.values():
                lines.append(f"queue {queue.name}: {len(queue._messages)} messages")
    for account, partitions in s3_backends.items():
        for partition, backend in partitions.items():
            for bucket in backend.buckets.values():
                lines.append(f"bucket {bucket.name}: {len(bucket.keys)} objects")
    counts = collections.Counter(type(o).__name__ for o in gc.get_objects())
    lines += [f"objects {name}: {count}" for name, count in counts.most_common(12)]
    return "\n".join(lines)


def main() -> None:
    port = int(sys.argv[1])
    options = sys.argv[2:]
    if "--idle-exit" in options:
        exit_when_idle(float(options[options.index("--idle-exit") + 1]))
    if "--plain" not in options:
        sys.path.insert(0, str(Path(__file__).parent))
        import moto_patches

        limit = options[options.index("--stream-max-records") + 1] if "--stream-max-records" in options else None
        moto_patches.apply(stream_max_records=int(limit) if limit else None)
    # One log line per request costs more than some requests: log only what goes wrong.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    # Exit at once: request threads may hold keep-alive connections open indefinitely.
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    signal.signal(signal.SIGUSR1, report_memory)
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
