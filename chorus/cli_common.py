"""What every ``chorus`` sub-command shares: the stderr console, the ``--config``/``--data-dir`` options,
one-line failures and loading the settings (``chorus.cli`` and ``chorus.cli_users`` import it; neither can
import the other without a cycle)."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from rich.console import Console

from chorus.errors import ChorusError
from chorus.settings import Settings, load_settings

__all__ = ["err", "ConfigOpt", "DataOpt", "fail", "load"]

err = Console(stderr=True, markup=False, highlight=False, emoji=False, soft_wrap=True)
ConfigOpt = typer.Option(None, "--config", "-c", help="chorus.toml to use (default: ./chorus.toml if present).")
DataOpt = typer.Option(None, "--data-dir", "-d", help="Data directory (default: ./chorus-data).")


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print ``chorus: <message>`` as one line of plain text on stderr; raise the returned Exit."""
    err.print(f"chorus: {' '.join(str(message).split())}", style="red")
    return typer.Exit(code)


def load(config: Optional[Path], data_dir: Optional[Path]) -> Settings:
    """The settings, or exit 2 with a one-line configuration error."""
    try:
        return load_settings(config, data_dir)
    except (FileNotFoundError, ValueError, ChorusError) as e:
        raise fail(f"configuration error: {e}", 2) from e
