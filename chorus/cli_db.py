"""``chorus db``: the catalog's schema (Alembic migrations) and backups.

Thin, like ``chorus.cli``: the work lives in ``chorus.catalog_schema``. Messages go to stderr as plain text,
one line each; ``chorus db current`` prints the migration alone on stdout (``none`` for an empty catalog),
so scripts can capture it, and ``chorus db backup`` prints the copy's path.
"""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from sqlalchemy.exc import SQLAlchemyError

from chorus.catalog_schema import backup as backup_catalog
from chorus.catalog_schema import open_engine, schema_state
from chorus.catalog_schema import upgrade as upgrade_catalog
from chorus.cli_common import ConfigOpt, DataOpt, err, fail, load
from chorus.errors import ChorusError

__all__ = ["app"]

app = typer.Typer(add_completion=False, no_args_is_help=True, rich_markup_mode=None,
                  help="The catalog's schema: migrations (SQLite or PostgreSQL) and backups.")
_Config, _Data = ConfigOpt, DataOpt


def _run(config: Optional[Path], data_dir: Optional[Path], action):
    engine = open_engine(load(config, data_dir).catalog)
    try:
        return action(engine)
    except ChorusError as e:
        raise fail(str(e)) from e
    except SQLAlchemyError as e:  # the database is unreachable, or refused a statement
        raise fail(f"{engine.url.render_as_string(hide_password=True)}: {str(getattr(e, 'orig', e))}") from e
    finally:
        engine.dispose()


@app.command()
def upgrade(data_dir: Optional[Path] = _Data, config: Optional[Path] = _Config) -> None:
    """Run the catalog's pending migrations (a SQLite catalog is first copied to catalog.db.bak-<time>);
    an empty database gets a new catalog. Back up a PostgreSQL catalog with pg_dump first."""
    result = _run(config, data_dir, upgrade_catalog)
    err.print(result.line())


@app.command()
def current(data_dir: Optional[Path] = _Data, config: Optional[Path] = _Config) -> None:
    """Print the catalog's migration (stdout), and on stderr whether migrations are pending."""
    st = _run(config, data_dir, schema_state)
    print(st.current or "none", flush=True)
    if st.up_to_date:
        err.print(f"up to date ({st.url})")
    elif st.empty:
        err.print(f"no catalog yet: the first use creates it at {st.head} ({st.url})")
    else:
        made = "made by the release before migrations; " if st.legacy else ""
        err.print(f"{made}pending: {', '.join(st.pending)}; run `chorus db upgrade` ({st.url})")


@app.command()
def backup(data_dir: Optional[Path] = _Data, config: Optional[Path] = _Config) -> None:
    """Copy a SQLite catalog to catalog.db.bak-<UTC time> beside it, safely while Chorus runs; print its path."""
    print(_run(config, data_dir, backup_catalog), flush=True)
