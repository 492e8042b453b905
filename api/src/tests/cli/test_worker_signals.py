"""`wump worker` stopped while it starts (its metrics served, its database not yet up) exits
cleanly, as `wump serve` does: its stop signals end it as a normal exit from before it serves
anything, so nothing it started is left running."""

import signal
from collections.abc import Iterator

import pytest
from typer.testing import CliRunner

import app.core.metrics as metrics
from app.cli import cli

runner = CliRunner()
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


@pytest.fixture(autouse=True)
def restored_handlers() -> Iterator[None]:
    handlers = {stop_signal: signal.getsignal(stop_signal) for stop_signal in STOP_SIGNALS}
    yield
    for stop_signal, handler in handlers.items():
        signal.signal(stop_signal, handler)


def test_a_worker_exits_cleanly_when_stopped_before_it_runs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    installed = {}

    def start_metrics_server(host: str, port: int) -> None:
        installed.update({s: signal.getsignal(s) for s in STOP_SIGNALS})
        raise OSError("address in use")

    monkeypatch.setattr(metrics, "start_metrics_server", start_metrics_server)
    monkeypatch.setenv("WORKER_METRICS_PORT", "9100")

    result = runner.invoke(cli, ["worker"])

    assert result.exit_code == 2, result.output
    assert "cannot serve metrics on" in result.output
    for stop_signal in STOP_SIGNALS:
        handler = installed[stop_signal]
        # Python's own handlers: SIGINT raises KeyboardInterrupt, SIGTERM kills the process.
        assert handler not in (signal.default_int_handler, signal.SIG_DFL)
        assert callable(handler)
        with pytest.raises(SystemExit) as stopped:
            handler(stop_signal, None)
        assert stopped.value.code == 0
