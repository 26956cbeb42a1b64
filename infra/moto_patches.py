"""Changes to moto's DynamoDB that make the local server's memory and time per request independent
of the table's size, as they are in DynamoDB. Pinned to the moto version in
infra/requirements.txt; tests/infra/test_local_server.py sends the same requests to a server with
and without them and compares every answer.

Unpatched moto 5.2.5 keeps every model object it ever created: `BaseModel.__new__` appends each
instance to a class-level list (for its `/moto-api/data.json` dashboard). Every item version,
every copy taken to roll back or to build a stream record, every stream record, shard iterator
and SQS message therefore stays in memory for the life of the server, long after the table,
stream or queue let go of it. And it costs, per request, in proportion to the table (or worse):
- a TransactWriteItems deep-copies every table it touches, once per item, to roll back from;
- a Query on the table's key sorts every item of the table to find one partition;
- a Query on an index tests every item of the table;
- the stream keeps every record forever, and every shard iterator ever handed out.

What changes:
0. **Per-item objects are not tracked**: DynamoDB items, stream records and shard iterators, SQS
   messages and S3 objects are left out of that list (the dashboard no longer lists them; every
   one is still readable through its service's own API). SES's sent messages, which the local
   `sent` tool reads from the dashboard, stay tracked. (An S3 object's parts of a multipart
   upload, an export archive's, belong to no bucket: the dashboard, reading their status, failed
   on them with a 500 from the first multipart upload on, and `sent` with it.)
   Attribute names and short string values (statuses, ids, index keys, times) are interned:
   items repeat them, and moto keeps a string object per attribute of each item.
1. **Transactions** save only the items they touch (and where the stream stood) and put exactly
   those back when the transaction is cancelled. Answers, cancellation reasons and the stream
   records of a cancelled transaction (none) are unchanged.
2. **A Query on the table's key** reads its partition only.
3. **A Query on a global index** reads from a copy of the index kept in key order, updated by
   every write (put, update, delete, transaction, rollback): it starts at the exclusive start key
   and hands moto only the page's items plus the one after it, so moto's own code still decides
   the page, the limit, the size limit and `LastEvaluatedKey`. Cost: O(log n + page) for a Query
   without a sort-key condition or with one whose matches are contiguous (all of this project's);
   a condition that skips many items costs the items skipped. Indexes with multi-attribute keys,
   local indexes and legacy `QueryFilter` requests take moto's own path.
4. **SQS**: sending a message read every attribute of the queue, its approximate message counts
   included, each a pass over every message; a send now reads only what sending uses. A send
   also drops the messages older than the queue's retention period (moto dropped them only when
   a receive met them), so a queue nobody reads (the local events log) keeps its last retention
   period, as SQS does.
5. **The stream** keeps a record for 24 hours, as DynamoDB Streams does, but locally also drops
   what its reader has consumed: a GetRecords from sequence number S drops the records before S
   (one reader locally: the relay). A server whose stream nobody reads (the benchmark's) can
   also keep at most `apply(stream_max_records=N)` unread records: the oldest go first, as if
   their 24 hours had passed. At most `MAX_SHARD_ITERATORS` shard iterators are kept (AWS
   expires them after 15 minutes).

Usage: `import moto_patches; moto_patches.apply()` before the server starts (infra/moto_server.py).
"""

from __future__ import annotations

import copy
import datetime
import inspect
import sys
import threading
import weakref
from typing import Any

import moto
import moto.dynamodb.models as models
import moto.dynamodbstreams.models as streams_models
import moto.s3.models as s3_models
import moto.sqs.models as sqs_models
from moto.core.common_models import BaseModel
from moto.core.utils import unix_time_millis
from moto.dynamodb.models.dynamo_type import DynamoType, LimitedSizeDict
from moto.dynamodb.models.table import RESULT_SIZE_LIMIT, StreamRecord, StreamShard, Table
from sortedcontainers import SortedDict

MOTO_VERSION = "5.2.5"
STREAM_RETENTION = datetime.timedelta(hours=24)
# Unread stream records kept at most (None: no limit but the 24 hours); set by `apply`.
STREAM_MAX_RECORDS: int | None = None
MAX_SHARD_ITERATORS = 1_000


# -- objects that are not tracked forever ---------------------------------------------------

_base_model_new = BaseModel.__new__


UNTRACKED = (models.Item, StreamRecord, streams_models.ShardIterator, sqs_models.Message, s3_models.FakeKey)


def base_model_new(cls, *args: Any, **kwargs: Any):
    if issubclass(cls, UNTRACKED):
        return object.__new__(cls)
    return _base_model_new(cls, *args, **kwargs)


# -- repeated strings are stored once ---------------------------------------------------------

INTERNED_LENGTH = 64
_dynamo_type_init = DynamoType.__init__
_limited_size_dict_setitem = LimitedSizeDict.__setitem__


def dynamo_type_init(self, type_as_dict) -> None:
    _dynamo_type_init(self, type_as_dict)
    if type(self.value) is str and len(self.value) <= INTERNED_LENGTH:
        self.value = sys.intern(self.value)


def limited_size_dict_setitem(self, key, value) -> None:
    _limited_size_dict_setitem(self, sys.intern(key) if type(key) is str else key, value)


# -- global indexes kept in key order ---------------------------------------------------------


class GlobalIndexes:
    """The global secondary indexes of one table, each as partitions (index hash value) of items
    kept in the order moto sorts them: index sort key, then the table's hash and range keys."""

    def __init__(self, table: Table):
        # index name -> (hash attribute, the attributes an item is ordered by in a partition)
        self.specs: dict[str, tuple[str, list[str]]] = {}
        for index in table.global_indexes or []:
            hashes = [k["AttributeName"] for k in index.schema if k["KeyType"] == "HASH"]
            ranges = [k["AttributeName"] for k in index.schema if k["KeyType"] == "RANGE"]
            if len(hashes) != 1 or len(ranges) > 1:
                continue  # multi-attribute keys: moto's own path
            # The same attributes, in the same order, as moto's Table.query sorts by.
            range_attr = ranges[0] if ranges else (table.range_key_attr or table.hash_key_attr)
            order = table._generate_attr_to_sort_by(
                [hashes[0], table.hash_key_attr], [range_attr, table.range_key_attr]
            )
            self.specs[index.name] = (hashes[0], order[1:])
        self.partitions: dict[str, dict[DynamoType, SortedDict]] = {name: {} for name in self.specs}
        # table key -> where its item sits: [(index name, hash value, sort key)]
        self.placed: dict[tuple, list[tuple[str, DynamoType, tuple]]] = {}
        self.usable = True
        for item in _items_of(table):
            self._add(item)

    def sort_attrs(self, index_name: str) -> list[str] | None:
        spec = self.specs.get(index_name)
        return spec[1] if spec else None

    def partition(self, index_name: str, hash_value: DynamoType) -> SortedDict:
        return self.partitions[index_name].get(hash_value, SortedDict())

    def refresh(self, table: Table, hash_value: DynamoType, range_value: DynamoType | None) -> None:
        """Re-places the item at this key after a write (or removes it, when it is gone)."""
        key = (hash_value, range_value)
        for name, value, sort_key in self.placed.pop(key, ()):
            partition = self.partitions[name][value]
            partition.pop(sort_key, None)
            if not partition:
                del self.partitions[name][value]
        item = _item_at(table, hash_value, range_value)
        if item is not None:
            self._add(item)

    def _add(self, item: models.Item) -> None:
        placed = []
        for name, (hash_attr, sort_attrs) in self.specs.items():
            hash_value = item.attrs.get(hash_attr)
            if hash_value is None or any(a not in item.attrs for a in sort_attrs):
                continue  # not in this (sparse) index
            sort_key = tuple(item.attrs[a] for a in sort_attrs)
            try:
                self.partitions[name].setdefault(hash_value, SortedDict())[sort_key] = item
            except TypeError:
                # Key values of different types cannot be ordered: moto's own path from now on.
                self.usable = False
                continue
            placed.append((name, hash_value, sort_key))
        if placed:
            self.placed[(item.hash_key, item.range_key)] = placed


# Kept beside the tables, not on them: moto deep-copies a table for a backup.
_indexes: "weakref.WeakKeyDictionary[Table, GlobalIndexes]" = weakref.WeakKeyDictionary()


def _indexes_of(table: Table) -> GlobalIndexes:
    state = _indexes.get(table)
    if state is None:
        state = _indexes[table] = GlobalIndexes(table)
    return state


def _refresh(table: Table, hash_value: DynamoType, range_value: DynamoType | None) -> None:
    state = _indexes.get(table)
    if state is not None:
        state.refresh(table, hash_value, range_value)


def _items_of(table: Table):
    for partition in table.items.values():
        if table.range_key_attr:
            yield from partition.values()
        else:
            yield partition


def _item_at(table: Table, hash_value: DynamoType, range_value: DynamoType | None):
    if table.range_key_attr:
        return table.items.get(hash_value, {}).get(range_value)
    return table.items.get(hash_value)


def _key_of(table: Table, op_type: str, op: dict) -> tuple[DynamoType, DynamoType | None]:
    key = op["Item"] if op_type == "Put" else op["Key"]
    hash_value = DynamoType(key[table.hash_key_attr])
    range_value = DynamoType(key[table.range_key_attr]) if table.range_key_attr else None
    return hash_value, range_value


# -- writes keep the indexes current ----------------------------------------------------------

_table_put_item = Table.put_item
_table_delete_item = Table.delete_item
_backend_update_item = models.DynamoDBBackend.update_item
_backend_update_table = models.DynamoDBBackend.update_table
_backend_execute_statement = models.DynamoDBBackend.execute_statement
_backend_transact_write_items = models.DynamoDBBackend.transact_write_items


def put_item(self: Table, item_attrs: dict, *args: Any, **kwargs: Any):
    item = _table_put_item(self, item_attrs, *args, **kwargs)
    _refresh(self, item.hash_key, item.range_key)
    return item


def delete_item(self: Table, hash_key: DynamoType, range_key: DynamoType | None):
    item = _table_delete_item(self, hash_key, range_key)
    _refresh(self, hash_key, range_key)
    return item


def update_item(self, table_name: str, key: dict, *args: Any, **kwargs: Any):
    # The item is changed in place, also when the update then fails: re-place it either way.
    try:
        return _backend_update_item(self, table_name, key, *args, **kwargs)
    finally:
        try:
            table = self.get_table(table_name)
            hash_value, range_value = self.get_keys_value(table, key)
        except Exception:  # noqa: BLE001 - a malformed request changed nothing
            pass
        else:
            _refresh(table, hash_value, range_value)


def update_table(self, name: str, *args: Any, **kwargs: Any):
    table = _backend_update_table(self, name, *args, **kwargs)
    _indexes.pop(table, None)  # its indexes may have changed: rebuilt on the next Query
    return table


def execute_statement(self, *args: Any, **kwargs: Any):
    # PartiQL writes go around the hooks above: every index is rebuilt on its next Query.
    try:
        return _backend_execute_statement(self, *args, **kwargs)
    finally:
        _indexes.clear()


# -- transactions save and restore only what they touch ---------------------------------------


class _CopyButNotTables:
    """The `copy` module as moto's DynamoDB backend sees it: a table is not deep-copied (the
    transaction below saves the items it touches instead)."""

    def __getattr__(self, name: str):
        return getattr(copy, name)

    @staticmethod
    def deepcopy(value: Any, memo: dict | None = None):
        if isinstance(value, Table):
            return value
        return copy.deepcopy(value, memo)


def transact_write_items(self, transact_items: list[dict]):
    saved = []
    streams = {}
    for entry in transact_items:
        try:
            op_type, op = next(iter(entry.items()))
            table = self.get_table(op["TableName"])
            hash_value, range_value = _key_of(table, op_type, op)
        except Exception:  # noqa: BLE001 - moto itself reports malformed requests
            continue
        item = copy.deepcopy(_item_at(table, hash_value, range_value))
        saved.append((table, hash_value, range_value, item))
        if table.stream_shard is not None:
            streams[id(table)] = (table.stream_shard, _next_sequence(table.stream_shard))
    try:
        return _backend_transact_write_items(self, transact_items)
    except Exception:
        for table, hash_value, range_value, item in reversed(saved):
            if table.range_key_attr:
                partition = table.items[hash_value]
                if item is None:
                    partition.pop(range_value, None)
                else:
                    partition[range_value] = item
            elif item is None:
                table.items.pop(hash_value, None)
            else:
                table.items[hash_value] = item
            _refresh(table, hash_value, range_value)
        for shard, next_sequence in streams.values():
            _forget_from(shard, next_sequence)
        raise


# -- Query reads a partition, not the table ---------------------------------------------------

_table_query = Table.query
_query_signature = inspect.signature(_table_query)


def query(self: Table, *args: Any, **kwargs: Any):
    bound = _query_signature.bind(self, *args, **kwargs)
    arguments = bound.arguments
    candidates = None
    if arguments.get("index_name"):
        candidates = _index_page(self, arguments)
    elif arguments.get("hash_key") is not None and self.range_key_attr:
        partition = self.items.get(arguments["hash_key"], {})
        candidates = list(partition.values())
    if candidates is None:
        return _table_query(self, *args, **kwargs)
    # moto's query reads `all_items()`: hand it the candidates, and let it do the rest.
    self.all_items = lambda: list(candidates)
    try:
        return _table_query(self, *args, **kwargs)
    finally:
        del self.all_items


def _index_page(table: Table, arguments: dict) -> list | None:
    """The items of an index Query's page in ascending order, plus the item after the page (so
    moto sees that there is more), or None where moto's own path is needed."""
    if arguments.get("filter_kwargs") or not table.global_indexes:
        return None
    index_name = arguments["index_name"]
    state = _indexes_of(table)
    sort_attrs = state.sort_attrs(index_name)
    conditions = arguments.get("hash_key_conditions") or []
    range_conditions = arguments.get("range_key_conditions") or []
    if not state.usable or sort_attrs is None or len(conditions) != 1 or len(range_conditions) > 1:
        return None
    hash_attr, hash_value = conditions[0]
    if hash_attr != state.specs[index_name][0]:
        return None
    comparison = arguments.get("range_comparison")
    range_values = arguments.get("range_objs") or []
    index = table.get_index(index_name)
    if comparison and not any(k["KeyType"] == "RANGE" for k in index.schema):
        return None  # moto answers this with its own error
    range_attr = sort_attrs[0]
    forward = arguments.get("scan_index_forward") is not False
    limit = arguments.get("limit")
    partition = state.partition(index_name, hash_value)

    start_key = arguments.get("exclusive_start_key")
    if start_key:
        if any(a not in start_key for a in sort_attrs):
            return None
        after = tuple(DynamoType(start_key[a]) for a in sort_attrs)
        positions = (
            range(partition.bisect_right(after), len(partition))
            if forward
            else range(partition.bisect_left(after) - 1, -1, -1)
        )
    else:
        positions = range(len(partition)) if forward else range(len(partition) - 1, -1, -1)

    values = partition.values()
    page: list = []
    matched = 0
    size = 0
    for position in positions:
        item = values[position]
        # moto's own tests, in its order: the page ends at the limit or at 1 MB of items.
        if (limit is not None and matched == limit) or size + item.size() > RESULT_SIZE_LIMIT:
            page.append(item)  # the item after the page: moto then answers LastEvaluatedKey
            break
        if comparison is None or item.attrs[range_attr].compare(comparison, range_values):
            page.append(item)
            matched += 1
            size += item.size()
    if not forward:
        page.reverse()
    return page


# -- the stream: 24 hours, or until consumed --------------------------------------------------

_shard_add = StreamShard.add


def _first_sequence(shard: StreamShard) -> int:
    return getattr(shard, "first_sequence", shard.starting_sequence_number)


def _next_sequence(shard: StreamShard) -> int:
    return _first_sequence(shard) + len(shard.items)


def _drop_before(shard: StreamShard, sequence: int) -> None:
    count = min(max(sequence - _first_sequence(shard), 0), len(shard.items))
    if count:
        del shard.items[:count]
        shard.first_sequence = _first_sequence(shard) + count


def _forget_from(shard: StreamShard, sequence: int) -> None:
    """Removes the records from `sequence` on (a cancelled transaction's)."""
    keep = max(sequence - _first_sequence(shard), 0)
    del shard.items[keep:]


def _drop_expired(shard: StreamShard) -> None:
    oldest_kept = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None) - STREAM_RETENTION
    expired = 0
    for record in shard.items:
        created = record.record["dynamodb"]["ApproximateCreationDateTime"]
        if created.replace(tzinfo=None) >= oldest_kept:
            break
        expired += 1
    overflow = len(shard.items) - STREAM_MAX_RECORDS if STREAM_MAX_RECORDS else 0
    _drop_before(shard, _first_sequence(shard) + max(expired, overflow, 0))


def shard_add(self: StreamShard, old, new) -> None:
    if self.table.lambda_event_source_mappings:
        return _shard_add(self, old, new)  # moto's own Lambda triggers: unchanged
    view_type = self.table.stream_specification["StreamViewType"]
    event_name = "INSERT" if old is None else "REMOVE" if new is None else "MODIFY"
    sequence = _next_sequence(self)
    self.items.append(StreamRecord(self.table, view_type, event_name, old, new, sequence))
    if STREAM_MAX_RECORDS and len(self.items) > STREAM_MAX_RECORDS:
        _drop_expired(self)


def shard_get(self: StreamShard, start: int, quantity: int) -> list[dict]:
    # Reading from `start` means the reader is done with what came before.
    _drop_before(self, start)
    _drop_expired(self)
    offset = max(start - _first_sequence(self), 0)
    return [record.to_json() for record in self.items[offset : offset + quantity]]


_get_shard_iterator = streams_models.DynamoDBStreamsBackend.get_shard_iterator
_get_records = streams_models.DynamoDBStreamsBackend.get_records


def _trim_iterators(backend) -> None:
    while len(backend.shard_iterators) > MAX_SHARD_ITERATORS:
        del backend.shard_iterators[next(iter(backend.shard_iterators))]


def get_shard_iterator(self, arn: str, shard_id: str, shard_iterator_type: str, sequence_number=None):
    iterator = _get_shard_iterator(self, arn, shard_id, shard_iterator_type, sequence_number)
    if shard_iterator_type == "LATEST":
        iterator.sequence_number = _next_sequence(iterator.stream_shard)
    _trim_iterators(self)
    return iterator


def get_records(self, iterator_arn: str, limit: int):
    answer = _get_records(self, iterator_arn, limit)
    _trim_iterators(self)
    return answer


# -- SQS: a send costs the same whatever the queue holds ---------------------------------------

_queue_attributes = sqs_models.Queue.attributes
_send_message = sqs_models.SQSBackend.send_message
_sending = threading.local()


def queue_attributes(self):
    if getattr(_sending, "active", False):
        # What sending reads of them; the approximate counts pass over every message.
        if not self.fifo_queue:
            return {}
        value = getattr(self, "content_based_deduplication", False)
        return {"ContentBasedDeduplication": str(value).lower() if isinstance(value, bool) else value}
    return _queue_attributes.fget(self)


def _drop_expired_messages(queue) -> None:
    oldest_kept = unix_time_millis() - int(getattr(queue, "message_retention_period", 345600)) * 1000
    with queue._messages_lock:
        expired = 0
        for message in queue._messages:
            if message.sent_timestamp is None or message.sent_timestamp >= oldest_kept:
                break
            expired += 1
        del queue._messages[:expired]


def send_message(self, queue_name: str, *args: Any, **kwargs: Any):
    _drop_expired_messages(self.get_queue(queue_name))
    _sending.active = True
    try:
        return _send_message(self, queue_name, *args, **kwargs)
    finally:
        _sending.active = False


# -- applying ---------------------------------------------------------------------------------


def apply(stream_max_records: int | None = None) -> None:
    global STREAM_MAX_RECORDS
    STREAM_MAX_RECORDS = stream_max_records
    if moto.__version__ != MOTO_VERSION:
        raise SystemExit(
            f"infra/moto_patches.py is written for moto {MOTO_VERSION}, not {moto.__version__}: "
            "re-check each change against the new version and its tests (tests/infra/test_local_server.py)"
        )
    BaseModel.__new__ = staticmethod(base_model_new)
    DynamoType.__init__ = dynamo_type_init
    LimitedSizeDict.__setitem__ = limited_size_dict_setitem
    models.copy = _CopyButNotTables()
    models.DynamoDBBackend.transact_write_items = transact_write_items
    models.DynamoDBBackend.update_item = update_item
    models.DynamoDBBackend.update_table = update_table
    models.DynamoDBBackend.execute_statement = execute_statement
    Table.put_item = put_item
    Table.delete_item = delete_item
    Table.query = query
    StreamShard.add = shard_add
    StreamShard.get = shard_get
    streams_models.DynamoDBStreamsBackend.get_shard_iterator = get_shard_iterator
    streams_models.DynamoDBStreamsBackend.get_records = get_records
    sqs_models.Queue.attributes = property(queue_attributes)
    sqs_models.SQSBackend.send_message = send_message
