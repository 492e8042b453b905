"""API key format, checksum and HMAC, the server secret, and the authentication errors."""

import hashlib
import hmac
import os
import re
import secrets
import string
import zlib
from pathlib import Path

from app.core.config import Settings

KEY_PREFIX = "wump_"
SCOPES = ("read", "ingest", "admin", "webhooks")
_ALPHABET = string.digits + string.ascii_uppercase + string.ascii_lowercase
# 36 base62 characters carry 214 random bits; the 8 shown for display leave 166 secret.
_BODY_LENGTH = 36
_CHECKSUM_LENGTH = 6
_DISPLAY_LENGTH = 8
_KEY_PATTERN = re.compile(rf"{KEY_PREFIX}[0-9A-Za-z]{{{_BODY_LENGTH + _CHECKSUM_LENGTH}}}")
SECRET_FILE = "api_key_secret"


def _base62(number: int, width: int) -> str:
    digits = []
    while number:
        number, remainder = divmod(number, 62)
        digits.append(_ALPHABET[remainder])
    return "".join(reversed(digits)).rjust(width, _ALPHABET[0])


def _checksum(body: str) -> str:
    return _base62(zlib.crc32(body.encode("ascii")), _CHECKSUM_LENGTH)


def generate_api_key() -> str:
    body = "".join(secrets.choice(_ALPHABET) for _ in range(_BODY_LENGTH))
    return f"{KEY_PREFIX}{body}{_checksum(body)}"


def is_well_formed(key: str) -> bool:
    """True when `key` has the wump shape and its checksum matches; touches no storage."""
    if not _KEY_PATTERN.fullmatch(key):
        return False
    body = key[len(KEY_PREFIX) : len(KEY_PREFIX) + _BODY_LENGTH]
    return key[-_CHECKSUM_LENGTH:] == _checksum(body)


def display_prefix(key: str) -> str:
    return key[: len(KEY_PREFIX) + _DISPLAY_LENGTH]


def hash_api_key(key: str, secret: bytes) -> str:
    return hmac.new(secret, key.encode("ascii"), hashlib.sha256).hexdigest()


def resolve_api_key_secret(settings: Settings) -> bytes:
    """API_KEY_SECRET, else (development and test only) one generated once in the data dir."""
    if settings.api_key_secret is not None:
        return settings.api_key_secret.get_secret_value().encode()
    return _data_dir_secret(settings.wump_data_dir / SECRET_FILE)


def _data_dir_secret(path: Path) -> bytes:
    try:
        return path.read_bytes().strip()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    draft = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(secrets.token_urlsafe(48))
    try:
        # link() never replaces: a process that loses the race reads the winner's secret,
        # and nobody ever reads a half-written file.
        os.link(draft, path)
    except FileExistsError:
        pass
    finally:
        draft.unlink()
    return path.read_bytes().strip()
