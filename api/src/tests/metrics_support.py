"""Reading series out of a Prometheus text exposition."""

from prometheus_client.parser import text_string_to_metric_families


def samples(body: str, name: str) -> dict[tuple[tuple[str, str], ...], float]:
    """Every sample called `name`, keyed by its sorted labels."""
    found: dict[tuple[tuple[str, str], ...], float] = {}
    for family in text_string_to_metric_families(body):
        for sample in family.samples:
            if sample.name == name:
                found[tuple(sorted(sample.labels.items()))] = sample.value
    return found


def value(body: str, name: str, **labels: str) -> float:
    """The sample with exactly these labels, 0 when the series does not exist (yet)."""
    return samples(body, name).get(tuple(sorted(labels.items())), 0.0)
