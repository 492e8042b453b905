"""The sponsorship readiness score: which rules an organization meets and what each is worth.

A score is the sum of the points of the rules met (0-100). Rules are stored as a bit mask with
the score, so the users list filters and sorts on it through an index and renders the reasons
from the mask; the SQL that sets both is generated from this one table.
"""

from dataclasses import dataclass

# Days since the latest push for the recency rules.
RECENT_DAYS = 30
ACTIVE_DAYS = 180
# Repositories using the package for the usage rules.
MANY_REPOSITORIES = 10
SEVERAL_REPOSITORIES = 3


@dataclass(frozen=True, slots=True)
class Rule:
    name: str
    bit: int
    points: int
    # The condition in SQL over: sponsors (int), fundable (bool), repositories (int), pushed
    # (timestamptz or NULL), verified (bool), contact (bool); `now` is the scoring time.
    sql: str


RULES = (
    Rule("sponsors_others", 1, 40, "{sponsors} > 0"),
    Rule("can_be_sponsored", 2, 10, "{fundable}"),
    Rule("many_repositories", 4, 20, f"{{repositories}} >= {MANY_REPOSITORIES}"),
    Rule(
        "several_repositories",
        8,
        10,
        f"{{repositories}} >= {SEVERAL_REPOSITORIES} AND {{repositories}} < {MANY_REPOSITORIES}",
    ),
    Rule("pushed_recently", 16, 15, f"{{pushed}} >= now() - interval '{RECENT_DAYS} days'"),
    Rule(
        "pushed_this_half_year",
        32,
        8,
        f"{{pushed}} < now() - interval '{RECENT_DAYS} days'"
        f" AND {{pushed}} >= now() - interval '{ACTIVE_DAYS} days'",
    ),
    Rule("verified", 64, 10, "{verified}"),
    Rule("reachable", 128, 5, "{contact}"),
)
MAX_SCORE = 100
# Every bit mask of the rules: each rule has a bit of its own, from 1 up.
_MASKS = 1 << len(RULES)
BY_NAME = {rule.name: rule for rule in RULES}
SPONSORS_OTHERS_BIT = BY_NAME["sponsors_others"].bit


def score(rules: int) -> int:
    return sum(rule.points for rule in RULES if rules & rule.bit)


def met(rules: int) -> list[Rule]:
    return [rule for rule in RULES if rules & rule.bit]


def rules_sql(**operands: str) -> str:
    """The bit mask of the rules met, as SQL over the given operand expressions."""
    parts = [
        f"CASE WHEN coalesce(({rule.sql.format(**operands)}), false) THEN {rule.bit} ELSE 0 END"
        for rule in RULES
    ]
    return "(" + " + ".join(parts) + ")"


def score_sql(rules: str) -> str:
    """The score of a bit mask expression, in SQL: the mask indexes the scores of every mask,
    so the expression (a dozen conditions over the owner's columns) is evaluated once, not
    once per rule."""
    scores = ",".join(str(score(mask)) for mask in range(_MASKS))
    return f"('{{{scores}}}'::smallint[])[({rules}) + 1]"
