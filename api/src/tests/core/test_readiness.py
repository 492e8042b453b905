"""The readiness rules: points add up to 100 at most, and a mask scores the same in SQL."""

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.readiness import BY_NAME, MAX_SCORE, RULES, met, rules_sql, score, score_sql


def test_the_best_organization_scores_exactly_100() -> None:
    # The two tiers of usage and of recency exclude each other: take the higher of each.
    best = sum(
        rule.bit
        for rule in RULES
        if rule.name not in ("several_repositories", "pushed_this_half_year")
    )

    assert score(best) == MAX_SCORE == 100
    assert score(0) == 0
    assert [rule.name for rule in met(BY_NAME["verified"].bit | 1)] == [
        "sponsors_others",
        "verified",
    ]


@pytest.mark.parametrize(
    ("operands", "expected"),
    [
        # sponsors, fundable, repositories, days since push, verified, contact
        ((12, "false", 10, 3, "true", "true"), 90),
        ((0, "true", 3, 100, "false", "false"), 28),
        ((0, "false", 1, None, "false", "false"), 0),
        ((2, "false", 9, 181, "false", "true"), 40 + 10 + 5),
    ],
)
async def test_the_generated_sql_scores_like_the_table(
    session: AsyncSession, operands: tuple[object, ...], expected: int
) -> None:
    sponsors, fundable, repositories, days, verified, contact = operands
    pushed = "NULL" if days is None else f"now() - interval '{days} days'"
    rules = rules_sql(
        sponsors=str(sponsors),
        fundable=str(fundable),
        repositories=str(repositories),
        pushed=f"CAST({pushed} AS timestamptz)",
        verified=str(verified),
        contact=str(contact),
    )

    result = await session.execute(text(f"SELECT {rules} AS r, {score_sql(rules)} AS s"))

    mask, points = result.one()
    assert points == score(mask) == expected


async def test_the_sql_score_of_every_mask_is_the_table_s(session: AsyncSession) -> None:
    masks = range(1 << len(RULES))
    assert sorted(rule.bit for rule in RULES) == [1 << n for n in range(len(RULES))]

    result = await session.execute(
        text(f"SELECT m, {score_sql('m')} FROM generate_series(0, {len(masks) - 1}) AS m")
    )

    assert dict(result.all()) == {mask: score(mask) for mask in masks}
