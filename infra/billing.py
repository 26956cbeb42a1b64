"""What AWS bills for a request, by the documented rules (docs/COST.md), from the real items.

The counting proxy (infra/local_proxy.py) hands this module the item images before and after
each write and the items each read looked at; the functions here turn them into DynamoDB
request units. Nothing here reads a request's payload size: units come from item sizes.

DynamoDB (on-demand; "DynamoDB item sizes and formats", "Read/write capacity units",
"Global secondary indexes: provisioned throughput considerations", "Capacity management for
transactions" in the Developer Guide):
- An item's size is the sum of its attribute names and values: a string is its UTF-8 bytes, a
  number 1 byte per two significant digits plus 1, a binary its raw bytes, a boolean or null
  1 byte, a list or map 3 bytes plus 1 byte and the size of each element (a map element's
  name counts).
- A write costs 1 write unit per started KB of the larger of the item before and after
  (a delete: of the item deleted). A transactional write costs twice that, and a condition check
  in a transaction counts as a transactional write of the item it checks.
- Each global secondary index the change touches costs its own writes, sized by the index
  entry (the table's key, the index's key and the projected attributes): an entry that appears
  or disappears is one write, a changed index key is a delete and a put, a changed projected
  attribute is one write, and a change to nothing the index holds costs nothing.
- A read costs 1 read unit per started 4 KB, half of that when eventually consistent, twice
  when transactional. A Query or Scan adds up every item it evaluated (those a filter drops
  included) and rounds once; GetItem and each key of BatchGetItem round on their own, and a key
  that finds nothing still costs the minimum.
"""

from __future__ import annotations

import base64
import math
from dataclasses import dataclass, field
from decimal import Decimal

KB = 1024
READ_BLOCK = 4 * KB


def number_size(text: str) -> int:
    """A number's bytes: 1 per two significant digits (leading and trailing zeros trimmed),
    plus 1."""
    digits = Decimal(text).normalize()
    significant = len(digits.as_tuple().digits) if digits != 0 else 1
    return math.ceil(significant / 2) + 1


def value_size(value: dict) -> int:
    """The size of one AttributeValue (DynamoDB's JSON form), without its name."""
    (kind, inner), = value.items()
    if kind == "S":
        return len(inner.encode())
    if kind == "N":
        return number_size(inner)
    if kind == "B":
        return len(base64.b64decode(inner))
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "SS":
        return sum(len(s.encode()) for s in inner)
    if kind == "NS":
        return sum(number_size(n) for n in inner)
    if kind == "BS":
        return sum(len(base64.b64decode(b)) for b in inner)
    if kind == "L":
        return 3 + sum(1 + value_size(element) for element in inner)
    if kind == "M":
        return 3 + sum(1 + len(name.encode()) + value_size(element) for name, element in inner.items())
    raise ValueError(f"unknown attribute type {kind}")


def item_size(item: dict | None) -> int:
    """The size of an item: its attribute names and values."""
    if not item:
        return 0
    return sum(len(name.encode()) + value_size(value) for name, value in item.items())


def write_units(size: int) -> int:
    """Write units of one write of an item (or index entry) of this many bytes."""
    return max(1, math.ceil(size / KB))


def read_units(size: int, consistent: bool) -> float:
    """Read units of reading this many bytes in one read."""
    units = max(1, math.ceil(size / READ_BLOCK))
    return units if consistent else units / 2


@dataclass(frozen=True)
class Index:
    name: str
    keys: tuple[str, ...]
    projection: str  # ALL, KEYS_ONLY or INCLUDE
    included: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Table:
    name: str
    keys: tuple[str, ...]
    indexes: tuple[Index, ...] = ()

    @classmethod
    def from_description(cls, description: dict) -> "Table":
        """From DescribeTable's `Table`."""
        indexes = []
        for gsi in description.get("GlobalSecondaryIndexes", []):
            projection = gsi.get("Projection", {})
            indexes.append(Index(
                name=gsi["IndexName"],
                keys=tuple(k["AttributeName"] for k in gsi["KeySchema"]),
                projection=projection.get("ProjectionType", "ALL"),
                included=frozenset(projection.get("NonKeyAttributes", [])),
            ))
        return cls(
            name=description["TableName"],
            keys=tuple(k["AttributeName"] for k in description["KeySchema"]),
            indexes=tuple(indexes),
        )

    def key_of(self, item: dict) -> dict:
        return {name: item[name] for name in self.keys}

    def entry(self, index: Index, item: dict | None) -> dict | None:
        """The index entry an item has in `index`, or None when it is not in the index (an
        item is in it only when it has every key attribute of the index)."""
        if not item or any(name not in item for name in index.keys):
            return None
        if index.projection == "ALL":
            return dict(item)
        kept = set(self.keys) | set(index.keys)
        if index.projection == "INCLUDE":
            kept |= index.included
        return {name: value for name, value in item.items() if name in kept}


@dataclass
class WriteCost:
    """Write units of one request: the table's and each index's."""

    table: float = 0
    indexes: dict[str, float] = field(default_factory=dict)

    @property
    def index_total(self) -> float:
        return sum(self.indexes.values())

    @property
    def total(self) -> float:
        return self.table + self.index_total

    def add(self, other: "WriteCost") -> None:
        self.table += other.table
        for name, units in other.indexes.items():
            self.indexes[name] = self.indexes.get(name, 0) + units


def index_write(table: Table, index: Index, before: dict | None, after: dict | None) -> int:
    """Write units an item change costs in one index."""
    old, new = table.entry(index, before), table.entry(index, after)
    if old is None and new is None:
        return 0
    if old is None:
        return write_units(item_size(new))
    if new is None:
        return write_units(item_size(old))
    if any(old[name] != new[name] for name in index.keys):
        return write_units(item_size(old)) + write_units(item_size(new))
    if old == new:
        return 0
    return write_units(max(item_size(old), item_size(new)))


def change_cost(table: Table, before: dict | None, after: dict | None, transactional: bool = False) -> WriteCost:
    """What a put, update or delete that turned `before` into `after` costs (None: no item).
    Index writes are the index's own; a transaction doubles only the table's write."""
    factor = 2 if transactional else 1
    cost = WriteCost(table=factor * write_units(max(item_size(before), item_size(after))))
    for index in table.indexes:
        units = index_write(table, index, before, after)
        if units:
            cost.indexes[index.name] = units
    return cost


def condition_check_cost(item: dict | None) -> WriteCost:
    """A ConditionCheck in TransactWriteItems: a transactional write of the item's size."""
    return WriteCost(table=2 * write_units(item_size(item)))


def query_cost(evaluated: list[dict], consistent: bool) -> float:
    """Read units of one Query or Scan page that evaluated these items (index entries for an
    index)."""
    return read_units(sum(item_size(item) for item in evaluated), consistent)


def get_cost(item: dict | None, consistent: bool, transactional: bool = False) -> float:
    """Read units of reading one item by key (found or not)."""
    units = read_units(item_size(item), True)
    if transactional:
        return 2 * units
    return units if consistent else units / 2
