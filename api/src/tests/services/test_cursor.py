"""Keyset cursors round-trip their key and reject anything that is not one of ours."""

import uuid
from datetime import UTC, datetime

import pytest

from app.services.cursor import decode_cursor, encode_cursor
from app.services.errors import InvalidCursor

ROW = uuid.UUID(int=42)


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
        ("", "int"),
    ],
)
def test_foreign_or_malformed_cursor_is_rejected(cursor: str, key_type: str) -> None:
    with pytest.raises(InvalidCursor):
        decode_cursor(cursor, "stars", key_type)  # type: ignore[arg-type]


def test_cursor_of_another_sort_is_rejected() -> None:
    with pytest.raises(InvalidCursor):
        decode_cursor(encode_cursor("name", "acme", ROW), "stars", "str")
