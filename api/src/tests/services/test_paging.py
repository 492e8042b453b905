"""Keyset paging: cursors round-trip their key and reject anything that is not one of ours;
paginate() trims the extra row and points the cursor at the last row kept."""

import base64
import json
import uuid
from datetime import UTC, datetime

import pytest

from app.core.errors import InvalidCursor
from app.services.paging import Keyset, decode_cursor, encode_cursor, paginate

ROW = 42


def _raw(parts: list[object]) -> str:
    """A cursor made by hand: base64url JSON, as ours are."""
    raw = json.dumps(parts).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


@pytest.mark.parametrize(
    ("key", "key_type"),
    [
        (12, "int"),
        ("acme", "str"),
        (datetime(2026, 1, 2, tzinfo=UTC), "datetime"),
        (None, "datetime"),
    ],
)
def test_cursor_round_trips_its_key(key: object, key_type: str) -> None:
    cursor = encode_cursor("stars", key, ROW)

    assert decode_cursor(cursor, "stars", key_type) == (key, ROW)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("cursor", "key_type"),
    [
        (encode_cursor("stars", 1, ROW), "str"),
        (encode_cursor("stars", "x\x00", ROW), "str"),
        (encode_cursor("stars", 2**70, ROW), "int"),
        (encode_cursor("stars", True, ROW), "int"),
        (encode_cursor("stars", "2026-01-02", ROW), "datetime"),
        ("not base64 !", "int"),
        # Row ids are integers: a uuid (a cursor from before they were), a bool, or one out of
        # PostgreSQL's range.
        (_raw(["stars", 1, "00000000-0000-0000-0000-00000000002a"]), "int"),
        (_raw(["stars", 1, True]), "int"),
        (_raw(["stars", 1, 2**31]), "int"),
        (_raw(["stars", 1, 0]), "int"),
        ("", "int"),
    ],
)
def test_foreign_or_malformed_cursor_is_rejected(cursor: str, key_type: str) -> None:
    with pytest.raises(InvalidCursor):
        decode_cursor(cursor, "stars", key_type)  # type: ignore[arg-type]


def test_cursor_of_another_sort_is_rejected() -> None:
    with pytest.raises(InvalidCursor):
        decode_cursor(encode_cursor("name", "acme", ROW), "stars", "str")


class Row:
    def __init__(self, stars: int, number: int) -> None:
        self.stars = stars
        self.id = number


STARS = Keyset("stars", "stars", "int")


@pytest.mark.parametrize("text", ["\ud800", "a\x00b"])
def test_cursor_carrying_text_postgresql_cannot_store_is_rejected(text: str) -> None:
    cursor = encode_cursor("name", text, ROW)

    with pytest.raises(InvalidCursor):
        decode_cursor(cursor, "name", "str")


def test_paginate_trims_the_extra_row_and_points_the_cursor_at_the_last_row_kept() -> None:
    rows = [Row(30, 1), Row(20, 2), Row(10, 3)]

    page, cursor = paginate(rows, 2, STARS)

    assert [row.id for row in page] == [1, 2]
    assert cursor is not None
    assert STARS.after(cursor) == (20, 2)


@pytest.mark.parametrize("count", [0, 1, 2])
def test_paginate_without_the_extra_row_is_the_last_page(count: int) -> None:
    rows = [Row(30 - n, n) for n in range(count)]

    page, cursor = paginate(rows, 2, STARS)

    assert page == rows
    assert cursor is None


def test_keyset_without_a_key_pages_by_id_alone() -> None:
    by_id = Keyset("jobs", None, "none")

    _, cursor = paginate([Row(0, 9), Row(0, 8)], 1, by_id)

    assert cursor is not None
    assert by_id.after(cursor) == (None, 9)
    assert by_id.after(None) is None
    with pytest.raises(InvalidCursor):
        STARS.after(cursor)


THEN = Keyset(
    "repositories", "repository_count", "int", then=(("total_stars", "int"), ("login_key", "str"))
)


class UserRow:
    def __init__(self, repositories: int, stars: int, login: str) -> None:
        self.repository_count, self.total_stars, self.login_key = repositories, stars, login


def test_a_keyset_with_tie_breaks_carries_every_sort_value_in_its_cursor() -> None:
    page, cursor = paginate([UserRow(3, 10, "b"), UserRow(3, 10, "c")], 1, THEN)

    assert [row.login_key for row in page] == ["b"]
    assert cursor is not None
    assert THEN.after(cursor) == (3, 10, "b")
    # A two-part cursor of the same sort, or values of the wrong type, are not its cursors.
    for foreign in (encode_cursor("repositories", 3, ROW), THEN.cursor(UserRow(3, "10", "b"))):  # type: ignore[arg-type]
        with pytest.raises(InvalidCursor):
            THEN.after(foreign)


def test_a_keyset_of_uuid_ids_round_trips_a_uuid_and_refuses_an_integer() -> None:
    deliveries = Keyset("deliveries", None, "none", id_type="uuid")
    row_id = uuid.UUID(int=7)

    assert deliveries.after(encode_cursor("deliveries", None, row_id)) == (None, row_id)
    with pytest.raises(InvalidCursor):
        deliveries.after(encode_cursor("deliveries", None, 7))
