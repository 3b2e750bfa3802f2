"""``chorus user``: add, list and remove the editor's volunteers and organisers, and make API tokens.

Thin, like ``chorus.cli``: the rules live in ``chorus.accounts``. Messages go to stderr as plain text,
one line each; ``chorus user token NAME`` prints the token alone on stdout, so scripts can capture it.
"""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer

from chorus.catalog import Catalog
from chorus.cli_common import ConfigOpt, DataOpt, err, fail, load
from chorus.errors import ChorusError

__all__ = ["app"]

app = typer.Typer(add_completion=False, no_args_is_help=True, rich_markup_mode=None,
                  help="Editor accounts: volunteers (editor) and organisers, and API tokens.")
_Config, _Data, _err, _fail = ConfigOpt, DataOpt, err, fail


def _catalog(config: Optional[Path], data_dir: Optional[Path]) -> Catalog:
    try:
        return Catalog(load(config, data_dir).catalog)
    except ChorusError as e:  # e.g. a PostgreSQL catalog that needs `chorus db upgrade`
        raise _fail(str(e)) from e


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return typer.prompt("Password", hide_input=True, confirmation_prompt=True, err=True)


@app.command()
def add(
    name: str = typer.Argument(..., help="User name: lowercase letters, digits, dots, dashes, underscores."),
    role: str = typer.Option("editor", "--role", help="editor (corrects transcripts and notes) or organiser "
                             "(also approves, unpublishes and manages users)."),
    password_stdin: bool = typer.Option(False, "--password-stdin", help="Read the password as one line of stdin "
                                        "instead of asking twice."),
    data_dir: Optional[Path] = _Data,
    config: Optional[Path] = _Config,
) -> None:
    """Add a user (asks for the password twice, hidden), or bring back a removed one."""
    from chorus.accounts import ROLES, add_user, validate_name

    catalog = _catalog(config, data_dir)
    try:
        validate_name(name)
        if role not in ROLES:
            raise ChorusError(f"role {role!r} is not one of {', '.join(ROLES)}")
        user = add_user(catalog, name, role, _password(password_stdin))
    except ChorusError as e:
        raise _fail(str(e)) from e
    _err.print(f"added {user.role} {user.name}")


@app.command(name="list")
def list_(data_dir: Optional[Path] = _Data, config: Optional[Path] = _Config) -> None:
    """Users: name, role, when they were added (removed users are not listed)."""
    from chorus.accounts import list_users

    users = list_users(_catalog(config, data_dir))
    if not users:
        _err.print("no users yet; `chorus user add NAME --role organiser` adds the first organiser")
        return
    width = max(len("NAME"), *(len(u.name) for u in users))
    print(f"{'NAME':<{width}}  {'ROLE':<9}  CREATED")
    for u in users:
        print(f"{u.name:<{width}}  {u.role:<9}  {u.created_at:%Y-%m-%d %H:%M} UTC")


@app.command()
def remove(
    name: str = typer.Argument(..., help="User name."),
    data_dir: Optional[Path] = _Data,
    config: Optional[Path] = _Config,
) -> None:
    """Remove a user: their tokens and logins stop working at once; their revisions keep their name."""
    from chorus.accounts import remove_user

    try:
        remove_user(_catalog(config, data_dir), name)
    except ChorusError as e:
        raise _fail(str(e)) from e
    _err.print(f"removed {name}; their tokens and logins no longer work")


@app.command()
def token(
    name: str = typer.Argument(..., help="User name."),
    data_dir: Optional[Path] = _Data,
    config: Optional[Path] = _Config,
) -> None:
    """Print a new API token for NAME, alone on stdout (for `Authorization: Bearer TOKEN`); shown only once."""
    from chorus.accounts import new_token

    try:
        value = new_token(_catalog(config, data_dir), name)
    except ChorusError as e:
        raise _fail(str(e)) from e
    print(value, flush=True)
