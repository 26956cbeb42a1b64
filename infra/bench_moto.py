"""The benchmark's local AWS server: infra/moto_server.py (one request at a time), with two of
moto's costs that grow with the table made independent of its size, as they are in DynamoDB.

moto backs up a transaction by deep-copying the whole table, once per item of the transaction,
before it applies anything (moto/dynamodb/models/__init__.py, `transact_write_items`). A write
therefore takes time in proportion to the table: about 0.2 s at 1,000 tickets, several seconds
at 50,000, beyond the functions' own timeouts. This server keeps the same all-or-nothing
behaviour by saving only the items the transaction touches and putting them back when it is
cancelled. (It does not roll back the stream records of a cancelled transaction; the benchmark
reads no stream.)

moto also answers a Query on the table's own key by testing every item of the table; this server
looks up the partition instead. (A Query on an index still tests every item: moto keeps no index.
The list functions' latencies therefore grow with the table; their request counts do not.)

Only infra/bench.sh uses this server; the tests keep infra/moto_server.py.

Usage: python infra/bench_moto.py PORT
"""

import copy
import inspect
import runpy
import sys
from pathlib import Path

import moto.dynamodb.models as models
from moto.dynamodb.models.dynamo_type import DynamoType
from moto.dynamodb.models.table import Table


class _CopyButNotTables:
    """The `copy` module as moto's DynamoDB backend sees it: a table is not deep-copied."""

    def __getattr__(self, name):
        return getattr(copy, name)

    @staticmethod
    def deepcopy(value, memo=None):
        if isinstance(value, Table):
            return value
        return copy.deepcopy(value, memo)


def _key(table: Table, op_type: str, op: dict) -> tuple:
    key = op["Item"] if op_type == "Put" else op["Key"]
    hash_value = DynamoType(key[table.hash_key_attr])
    range_value = DynamoType(key[table.range_key_attr]) if table.range_key_attr else None
    return hash_value, range_value


_original = models.DynamoDBBackend.transact_write_items


def transact_write_items(self, transact_items):
    saved = []
    for entry in transact_items:
        try:
            op_type, op = next(iter(entry.items()))
            table = self.get_table(op["TableName"])
            hash_value, range_value = _key(table, op_type, op)
            current = table.get_item(hash_value, range_value)
            saved.append((table, hash_value, range_value, copy.deepcopy(current)))
        except Exception:  # noqa: BLE001 - the original reports malformed requests
            pass
    try:
        return _original(self, transact_items)
    except Exception:
        for table, hash_value, range_value, item in reversed(saved):
            if range_value is None:
                if item is None:
                    table.items.pop(hash_value, None)
                else:
                    table.items[hash_value] = item
            elif item is None:
                table.items.get(hash_value, {}).pop(range_value, None)
            else:
                table.items[hash_value][range_value] = item
        raise


_original_query = Table.query
_query_signature = inspect.signature(_original_query)


def query(self, *args, **kwargs):
    bound = _query_signature.bind(self, *args, **kwargs)
    hash_key = bound.arguments.get("hash_key")
    if bound.arguments.get("index_name") or hash_key is None or not self.range_key_attr:
        return _original_query(self, *args, **kwargs)
    partition = list(self.items.get(hash_key, {}).values())
    self.all_items = lambda: list(partition)
    try:
        return _original_query(self, *args, **kwargs)
    finally:
        del self.all_items


models.copy = _CopyButNotTables()
Table.query = query
models.DynamoDBBackend.transact_write_items = transact_write_items

if __name__ == "__main__":
    runpy.run_path(str(Path(__file__).with_name("moto_server.py")), run_name="__main__")
