"""Contracts of a package's charts: its users by language and its repositories by last push."""

from pydantic import BaseModel, Field


class LanguageCount(BaseModel):
    language: str | None = Field(description="Primary language; null when GitHub reports none.")
    organizations: int = Field(description="Organizations with a repository in this language.")
    repositories: int


class PushAgeCount(BaseModel):
    label: str = Field(examples=["1-3 months"])
    repositories: int


class PackageChartsRead(BaseModel):
    """Counted like the default users list: direct use only, forks and archived repositories
    left out."""

    languages: list[LanguageCount] = Field(description="The most used languages, most first.")
    other_languages: int = Field(description="Languages beyond those listed.")
    push_ages: list[PushAgeCount] = Field(description="Repositories by the age of their last push.")
