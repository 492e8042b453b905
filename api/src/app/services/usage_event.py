"""Usage events: derived from each refresh's rollup changes, read back as feeds, pruned."""

import uuid
from collections.abc import Sequence

from app.repositories.usage_event import NewEvent
from app.repositories.usage_refresh import DependentChange, Pair, RollupChanges


def derive_events(rollup: RollupChanges, changes: Sequence[DependentChange]) -> list[NewEvent]:
    """One event per (package, organization) whose default-view use started (no rollup row
    before), stopped (none after) or changed (repository count or kinds moved); the
    repositories involved are those whose rows for the pair changed."""
    involved: dict[Pair, list[tuple[uuid.UUID, str]]] = {}
    for change in changes:
        pair = (change.package_id, change.organization_id)
        involved.setdefault(pair, []).append((change.repository_id, change.change))
    events: list[NewEvent] = []
    for pair in sorted(set(rollup.before) | set(rollup.after)):
        before, after = rollup.before.get(pair), rollup.after.get(pair)
        if before is None and after is not None:
            event_type = "started"
        elif after is None and before is not None:
            event_type = "stopped"
        elif before is not None and after is not None and before != after:
            event_type = "changed"
        else:
            continue
        events.append(
            NewEvent(
                package_id=pair[0],
                organization_id=pair[1],
                event_type=event_type,
                repositories_before=before.repositories if before else 0,
                repositories_after=after.repositories if after else 0,
                kinds_before=before.kinds if before else 0,
                kinds_after=after.kinds if after else 0,
                repositories=involved.get(pair, []),
            )
        )
    return events
