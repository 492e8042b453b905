"""Which text PostgreSQL can store: valid UTF-8 without NUL characters."""


def is_storable(value: str) -> bool:
    """False for a NUL character or a lone surrogate (text no UTF-8 encoding can carry)."""
    if "\x00" in value:
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def is_storable_bytes(raw: bytes) -> bool:
    """False for a NUL byte or bytes that are not strict UTF-8 (encoded surrogates included)."""
    if b"\x00" in raw:
        return False
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True
