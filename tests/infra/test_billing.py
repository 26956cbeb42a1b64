"""The billing calculator against DynamoDB's documented rules, with items built to known sizes,
so the cost table cannot drift into counting request payloads or miscount an index."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "infra"))

import billing  # noqa: E402
from billing import Index, Table  # noqa: E402

TABLE = Table(
    name="t",
    keys=("pk", "sk"),
    indexes=(
        Index("by-status", ("st", "upd"), "ALL"),
        Index("keys", ("st", "upd"), "KEYS_ONLY"),
        Index("summary", ("st", "upd"), "INCLUDE", frozenset({"title"})),
    ),
)


def s(text: str) -> dict:
    return {"S": text}


def sized(total: int, **extra: dict) -> dict:
    """An item of exactly `total` bytes: keys, `extra`, and a padding string `body`."""
    item = {"pk": s("P"), "sk": s("S"), **extra}
    used = billing.item_size(item) + len("body")
    item["body"] = s("x" * (total - used))
    assert billing.item_size(item) == total
    return item


def test_sizes_follow_the_documented_rules():
    assert billing.item_size({"ab": s("héllo")}) == 2 + 6
    assert billing.item_size({"n": {"N": "12345"}}) == 1 + 3 + 1
    assert billing.item_size({"n": {"N": "0.00100"}}) == 1 + 1 + 1  # zeros trimmed
    assert billing.item_size({"n": {"N": "-1200"}}) == 1 + 1 + 1
    assert billing.item_size({"b": {"BOOL": True}, "z": {"NULL": True}}) == 4
    assert billing.item_size({"b": {"B": "AAEC"}}) == 1 + 3  # raw bytes, not base64
    # a list: 3 bytes, plus 1 byte and the size of each element
    assert billing.item_size({"tags": {"L": [s("a"), s("bc")]}}) == 4 + 3 + (1 + 1) + (1 + 2)
    # a map: its element names count
    assert billing.item_size({"m": {"M": {"k": s("v")}}}) == 1 + 3 + 1 + 1 + 1
    assert billing.item_size({"m": {"M": {}}}) == 1 + 3


def test_a_one_attribute_update_of_a_10240_byte_item_costs_10_write_units():
    before = sized(10_240, st=s("open"), upd=s("1"))
    after = dict(before, st=s("open"), upd=s("1"), v={"N": "2"})
    after["body"] = s(after["body"]["S"][: -len("v") - 2])  # same size after as before
    assert billing.item_size(after) == 10_240
    cost = billing.change_cost(Table("t", ("pk", "sk")), before, after)
    assert cost.table == 10
    assert cost.total == 10


def test_the_larger_image_sets_the_size_and_one_byte_over_a_kb_is_two_units():
    small, large = sized(300), sized(1_025)
    bare = Table("t", ("pk", "sk"))
    assert billing.change_cost(bare, small, large).table == 2
    assert billing.change_cost(bare, large, small).table == 2
    assert billing.change_cost(bare, None, sized(1_024)).table == 1
    assert billing.change_cost(bare, large, None).table == 2  # a delete: the deleted item


def test_a_transactional_write_costs_double_and_a_condition_check_counts_as_one():
    bare = Table("t", ("pk", "sk"))
    assert billing.change_cost(bare, None, sized(2_000), transactional=True).table == 4
    assert billing.condition_check_cost(sized(3_000)).table == 6


def test_index_writes_put_delete_key_change_and_untouched():
    body = "d" * 3_000
    before = {"pk": s("P"), "sk": s("S"), "st": s("open"), "upd": s("1"), "title": s("t"), "body": s(body)}
    entry_all = billing.write_units(billing.item_size(before))  # 3 KB entry in the ALL index
    assert entry_all == 3

    created = billing.change_cost(TABLE, None, before)
    assert created.indexes == {"by-status": 3, "keys": 1, "summary": 1}

    # the index key changes: a delete and a put in every index
    moved = billing.change_cost(TABLE, before, dict(before, upd=s("2")))
    assert moved.indexes == {"by-status": 6, "keys": 2, "summary": 2}

    # a projected attribute changes: one write where it is projected, none elsewhere
    retitled = billing.change_cost(TABLE, before, dict(before, title=s("u")))
    assert retitled.indexes == {"by-status": 3, "summary": 1}

    # an attribute no index projects (but ALL) changes
    rewritten = billing.change_cost(TABLE, before, dict(before, body=s("e" * 3_000)))
    assert rewritten.indexes == {"by-status": 3}

    # the item leaves the (sparse) indexes: one delete each
    dropped = {k: v for k, v in before.items() if k != "st"}
    left = billing.change_cost(TABLE, before, dropped)
    assert left.indexes == {"by-status": 3, "keys": 1, "summary": 1}

    # an item in no index before or after costs the table only
    outside = {"pk": s("P"), "sk": s("M"), "text": s("hi")}
    assert billing.change_cost(TABLE, outside, dict(outside, text=s("ho"))).indexes == {}


def test_index_writes_are_not_doubled_by_a_transaction():
    item = {"pk": s("P"), "sk": s("S"), "st": s("open"), "upd": s("1")}
    cost = billing.change_cost(TABLE, None, item, transactional=True)
    assert cost.table == 2 and cost.indexes == {"by-status": 1, "keys": 1, "summary": 1}


@pytest.mark.parametrize("size, consistent, units", [
    (0, True, 1), (0, False, 0.5), (4_096, True, 1), (4_097, True, 2), (10_000, False, 1.5),
])
def test_reads_round_to_4_kb_and_halve_when_eventually_consistent(size, consistent, units):
    assert billing.read_units(size, consistent) == units


def test_a_query_rounds_once_over_everything_it_evaluated():
    items = [sized(1_000) for _ in range(5)]  # 5,000 bytes: 2 blocks, not 5
    assert billing.query_cost(items, consistent=True) == 2
    assert billing.query_cost(items, consistent=False) == 1
    assert billing.query_cost([], consistent=False) == 0.5


def test_gets_round_per_item_and_a_miss_costs_the_minimum():
    assert billing.get_cost(sized(5_000), consistent=True) == 2
    assert billing.get_cost(None, consistent=False) == 0.5
    assert billing.get_cost(sized(100), consistent=False, transactional=True) == 2


def test_the_table_description_is_read_as_the_template_declares_it():
    table = Table.from_description({
        "TableName": "x",
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        "GlobalSecondaryIndexes": [{
            "IndexName": "i",
            "KeySchema": [{"AttributeName": "a", "KeyType": "HASH"}],
            "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["title"]},
        }],
    })
    item = {"pk": s("p"), "sk": s("s"), "a": s("1"), "title": s("t"), "other": s("o")}
    assert table.entry(table.indexes[0], item) == {"pk": s("p"), "sk": s("s"), "a": s("1"), "title": s("t")}
