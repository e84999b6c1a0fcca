"""Every ``flask`` command of the app, and what ``flask --help`` shows when the app can't start.

A missing ``SECRET_KEY`` or an unreachable database should not hide the commands that would
fix or inspect it: the app that can't start still lists every command, with its options, and
each one answers with the start-up error in one line and a non-zero exit.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

import click
from flask import Flask
from flask.cli import AppGroup

F = TypeVar("F", bound=Callable[..., Any])


def explained(error: BaseException) -> bool:
    """Errors whose message is the whole story for whoever runs the command."""
    from .config import ConfigError
    from .domain.errors import ConnectError
    from .storage.database import DatabaseError

    return isinstance(error, ConfigError | ConnectError | DatabaseError)


def one_line_errors(callback: F) -> F:
    """A command whose refusals (a bad name, an unreachable database) are one line on stderr
    and exit 1, like click's own usage errors, instead of a traceback."""

    @functools.wraps(callback)
    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            return callback(*args, **kwargs)
        except Exception as error:
            if explained(error):
                raise click.ClickException(getattr(error, "message", None) or str(error)) from None
            raise

    return run  # type: ignore[return-value]


class CommandGroup(AppGroup):
    """An ``AppGroup`` whose commands all say their refusals in one line."""

    def add_command(self, cmd: click.Command, name: str | None = None) -> None:
        if cmd.callback is not None:
            cmd.callback = one_line_errors(cmd.callback)
        super().add_command(cmd, name)


def all_commands() -> list[click.Command]:
    from .api import keys_cli, secrets_cli
    from .callbacks.receiver import syncs_cli
    from .storage import db_cli
    from .sync.commands import callbacks_cli, jobs_cli, scheduler_command, worker_command

    return [
        db_cli,
        keys_cli,
        secrets_cli,
        worker_command,
        scheduler_command,
        jobs_cli,
        callbacks_cli,
        syncs_cli,
    ]


def app_that_cannot_start(import_name: str, message: str) -> Flask:
    """An app whose commands each say ``message``, and whose every request answers 503."""
    app = Flask(import_name)
    for command in all_commands():
        app.cli.add_command(_unavailable(command, message))

    def cannot_start(_environ, start_response):
        start_response("503 Service Unavailable", [("Content-Type", "text/plain; charset=utf-8")])
        return [f"This app cannot start: {message}\n".encode()]

    app.wsgi_app = cannot_start
    return app


def _unavailable(command: click.Command, message: str) -> click.Command:
    def fail(**_options) -> None:
        raise click.ClickException(message)

    if isinstance(command, click.Group):
        group = AppGroup(command.name, help=command.help, short_help=command.short_help)
        for sub in command.commands.values():
            group.add_command(_unavailable(sub, message))
        return group
    return click.Command(
        command.name,
        callback=fail,
        params=command.params,
        help=command.help,
        short_help=command.short_help,
    )
