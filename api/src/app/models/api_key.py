"""API keys: only an HMAC of the key is stored, with a short prefix for display."""

from datetime import datetime

from sqlalchemy import CheckConstraint, DateTime, Integer, String, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, Timestamps, UUIDPrimaryKey

API_KEY_TIERS = ("free", "pro", "enterprise")


class ApiKey(UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "api_keys"
    __table_args__ = (
        CheckConstraint(f"tier IN {API_KEY_TIERS!r}", name="tier"),
        CheckConstraint("rate_limit IS NULL OR rate_limit > 0", name="rate_limit"),
    )

    key_hash: Mapped[str] = mapped_column(String(128), nullable=False, unique=True)
    key_prefix: Mapped[str] = mapped_column(String(32), nullable=False)
    name: Mapped[str] = mapped_column(String(255), nullable=False)
    tier: Mapped[str] = mapped_column(String(20), nullable=False, server_default="free")
    rate_limit: Mapped[int | None] = mapped_column(Integer)
    scopes: Mapped[list[str]] = mapped_column(
        ARRAY(String(20)), nullable=False, server_default=text("ARRAY['read']::varchar[]")
    )
    created_by: Mapped[str | None] = mapped_column(String(255))
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
