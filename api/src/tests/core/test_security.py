"""API key format: shape, checksum, HMAC, display prefix and the server secret."""

import os
import stat
import string
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from app.core.config import Settings, SettingsError, load_settings
from app.core.security import (
    SECRET_FILE,
    display_prefix,
    generate_api_key,
    hash_api_key,
    is_well_formed,
    resolve_api_key_secret,
)

_BASE62 = string.digits + string.ascii_letters


def test_generated_keys_have_the_documented_shape() -> None:
    key = generate_api_key()

    assert key.startswith("wump_")
    assert len(key) == 5 + 36 + 6
    assert set(key[5:]) <= set(_BASE62)
    assert is_well_formed(key)
    assert len({generate_api_key() for _ in range(1000)}) == 1000


def test_every_single_character_typo_is_caught_by_the_checksum() -> None:
    key = generate_api_key()

    for position in range(5, len(key)):
        for replacement in "0aZ":
            if key[position] == replacement:
                continue
            typo = key[:position] + replacement + key[position + 1 :]
            assert not is_well_formed(typo), typo


@pytest.mark.parametrize(
    "candidate",
    ["", "wump_", "wump_short", "ghp_" + "a" * 42, "wump_" + "a" * 41, "wump_" + "!" * 42],
)
def test_malformed_keys_are_refused(candidate: str) -> None:
    assert not is_well_formed(candidate)


def test_hash_is_an_hmac_under_the_secret() -> None:
    key = generate_api_key()

    digest = hash_api_key(key, b"s" * 32)

    assert len(digest) == 64
    assert key not in digest
    assert digest == hash_api_key(key, b"s" * 32)
    assert digest != hash_api_key(key, b"t" * 32)


def test_display_prefix_shows_eight_characters_after_wump() -> None:
    key = generate_api_key()

    assert display_prefix(key) == key[:13]


def test_configured_secret_is_used(tmp_path: Path) -> None:
    settings = Settings(_env_file=None, api_key_secret="x" * 40, wump_data_dir=tmp_path)

    assert resolve_api_key_secret(settings) == b"x" * 40
    assert not (tmp_path / SECRET_FILE).exists()


def test_development_secret_is_generated_once_with_mode_0600(tmp_path: Path) -> None:
    settings = Settings(_env_file=None, environment="development", wump_data_dir=tmp_path)

    first = resolve_api_key_secret(settings)
    second = resolve_api_key_secret(settings)

    assert first == second
    assert len(first) >= 32
    mode = stat.S_IMODE(os.stat(tmp_path / SECRET_FILE).st_mode)
    assert mode == 0o600


def test_processes_racing_for_the_development_secret_agree(tmp_path: Path) -> None:
    settings = Settings(_env_file=None, wump_data_dir=tmp_path / "fresh")

    with ThreadPoolExecutor(max_workers=8) as pool:
        secrets = set(pool.map(lambda _: resolve_api_key_secret(settings), range(16)))

    assert len(secrets) == 1
    assert [path.name for path in (tmp_path / "fresh").iterdir()] == [SECRET_FILE]


@pytest.mark.parametrize("environment", ["staging", "production"])
def test_secret_is_required_outside_development(
    monkeypatch: pytest.MonkeyPatch, environment: str
) -> None:
    monkeypatch.setenv("ENVIRONMENT", environment)
    monkeypatch.delenv("API_KEY_SECRET", raising=False)

    with pytest.raises(SettingsError, match=r"API_KEY_SECRET: .*required"):
        load_settings()


def test_short_secret_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("API_KEY_SECRET", "too short")

    with pytest.raises(SettingsError, match=r"API_KEY_SECRET: .*at least 32"):
        load_settings()


def test_secret_never_shows_in_the_settings_repr() -> None:
    settings = Settings(_env_file=None, api_key_secret="y" * 32)

    assert "y" * 32 not in repr(settings)
    assert "y" * 32 not in str(settings.model_dump())
