"""Opaque keyset cursors: the sort and the last row's key, base64url-encoded JSON."""

import base64
import binascii
import json
import uuid
from datetime import datetime
from typing import Any, Literal

from app.services.errors import InvalidCursor

KeyType = Literal["int", "str", "datetime"]


def encode_cursor(sort: str, key: Any, row_id: uuid.UUID) -> str:
    value = key.isoformat() if isinstance(key, datetime) else key
    raw = json.dumps([sort, value, str(row_id)], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def decode_cursor(cursor: str, sort: str, key_type: KeyType) -> tuple[Any, uuid.UUID]:
    """The (key, id) a cursor carries; raises InvalidCursor on anything but our own cursor."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        tag, value, row_id = json.loads(raw)
        parsed_id = uuid.UUID(row_id)
    except (binascii.Error, ValueError, TypeError, UnicodeDecodeError):
        raise InvalidCursor() from None
    if tag != sort:
        raise InvalidCursor()
    return _typed(value, key_type), parsed_id


def _typed(value: Any, key_type: KeyType) -> Any:
    match key_type:
        case "int" if isinstance(value, int) and not isinstance(value, bool):
            if abs(value) < 2**63:
                return value
        case "str" if isinstance(value, str) and len(value) <= 500 and "\x00" not in value:
            return value
        case "datetime" if value is None:
            return None
        case "datetime" if isinstance(value, str):
            try:
                parsed = datetime.fromisoformat(value)
            except ValueError:
                raise InvalidCursor() from None
            if parsed.tzinfo is not None:
                return parsed
        case _:
            pass
    raise InvalidCursor()
