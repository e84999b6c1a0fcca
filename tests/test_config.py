"""Settings come from the environment or the host's mapping, parsed once, with clear errors."""

from __future__ import annotations

import os
import stat

import pytest
from flask import Flask

from connect.config import ConfigError, load_settings


def configured(tmp_path, overrides=None, **environ) -> Flask:
    app = Flask("host", instance_path=str(tmp_path / "instance"))
    load_settings(app, overrides, environ=environ)
    return app


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    with pytest.raises(ConfigError, match="SECRET_KEY is required in production"):
        configured(tmp_path)


def test_development_generates_one_secret_key_and_keeps_it(tmp_path):
    first = configured(tmp_path, CONNECT_ENV="development").config["SECRET_KEY"]
    second = configured(tmp_path, CONNECT_ENV="development").config["SECRET_KEY"]

    assert first == second
    assert len(first) >= 32
    key_file = tmp_path / "instance" / "secret_key"
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    assert [p.name for p in (tmp_path / "instance").iterdir()] == ["secret_key"]


def test_defaults_follow_the_instance_folder_and_environment(tmp_path):
    development = configured(tmp_path, CONNECT_ENV="development").config
    production = configured(tmp_path, SECRET_KEY="k").config

    assert development["CONNECT_DATABASE"] == str(tmp_path / "instance" / "connect.sqlite3")
    assert development["CONNECT_ALLOW_PRIVATE_CALLBACKS"] is True
    assert production["CONNECT_ALLOW_PRIVATE_CALLBACKS"] is False
    assert production["CONTEXTIO_CALLBACK_TOLERANCE"] == 259200
    assert production["GMAIL_IMAP_HOST"] == "imap.gmail.com"
    assert production["GMAIL_IMAP_PORT"] == 993
    assert production["GOOGLE_SERVER_METADATA_URL"] == (
        "https://accounts.google.com/.well-known/openid-configuration"
    )


def test_environment_strings_are_parsed(tmp_path):
    config = configured(
        tmp_path,
        SECRET_KEY="k",
        CONTEXTIO_CALLBACK_TOLERANCE="600",
        CONTEXTIO_CALLBACK_SECRETS="new-secret, old-secret",
        CONNECT_ALLOW_PRIVATE_CALLBACKS="yes",
        GMAIL_IMAP_PORT="1993",
    ).config
    assert config["CONTEXTIO_CALLBACK_TOLERANCE"] == 600
    assert config["CONTEXTIO_CALLBACK_SECRETS"] == ("new-secret", "old-secret")
    assert config["CONNECT_ALLOW_PRIVATE_CALLBACKS"] is True
    assert config["GMAIL_IMAP_PORT"] == 1993


def test_the_hosts_mapping_wins_over_the_environment(tmp_path):
    config = configured(tmp_path, {"SECRET_KEY": "from-mapping", "EXTRA": 1}, SECRET_KEY="from-env").config
    assert config["SECRET_KEY"] == "from-mapping"
    assert config["EXTRA"] == 1


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("CONTEXTIO_CALLBACK_TOLERANCE", "three days"),
        ("CONTEXTIO_CALLBACK_TOLERANCE", "0"),
        ("GMAIL_IMAP_PORT", "70000"),
        ("CONNECT_ALLOW_PRIVATE_CALLBACKS", "maybe"),
        ("CONNECT_ENV", "staging"),
    ],
)
def test_a_malformed_setting_is_named(tmp_path, name, value):
    with pytest.raises(ConfigError, match=name):
        configured(tmp_path, SECRET_KEY="k", **{name: value})


@pytest.mark.parametrize(
    ("environment", "message"),
    [
        ({"CONNECT_ENV": "production"}, "Error: SECRET_KEY is required in production"),
        (
            {"CONNECT_ENV": "production", "SECRET_KEY": "k", "CONNECT_TRUSTED_PROXIES": "some"},
            "CONNECT_TRUSTED_PROXIES",
        ),
        (
            {"CONNECT_ENV": "production", "SECRET_KEY": "k", "CONNECT_DATABASE": "/proc/no/c.db"},
            "CONNECT_DATABASE",
        ),
    ],
)
def test_a_command_the_app_cannot_start_for_is_a_one_line_error(tmp_path, environment, message):
    import os
    import subprocess
    import sys

    from tests.servers import ROOT

    clean = {
        name: value for name, value in os.environ.items() if not name.startswith(("CONNECT_", "SECRET_"))
    }
    result = subprocess.run(
        [sys.executable, "-m", "flask", "--app", str(ROOT / "app.py"), "keys", "list"],
        cwd=tmp_path,
        env={**clean, "CONNECT_DATABASE": str(tmp_path / "c.db"), **environment},
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 1
    assert message in result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1


def flask_command(tmp_path, environment: dict[str, str], *arguments: str):
    import os
    import subprocess
    import sys

    from tests.servers import ROOT

    clean = {
        name: value for name, value in os.environ.items() if not name.startswith(("CONNECT_", "SECRET_"))
    }
    return subprocess.run(
        [sys.executable, "-m", "flask", "--app", str(ROOT / "app.py"), *arguments],
        cwd=tmp_path,
        env={**clean, "CONNECT_DATABASE": str(tmp_path / "c.db"), **environment},
        capture_output=True,
        text=True,
        timeout=60,
    )


def command_names(help_text: str) -> list[str]:
    listing = help_text[help_text.index("Commands:") :]
    return [line.split()[0] for line in listing.splitlines()[1:] if line.startswith("  ") and line.split()]


def test_the_help_lists_every_command_even_when_the_app_cannot_start(tmp_path):
    working = flask_command(tmp_path, {"CONNECT_ENV": "production", "SECRET_KEY": "k"}, "--help")
    without_key = flask_command(tmp_path, {"CONNECT_ENV": "production"}, "--help")
    worker_help = flask_command(tmp_path, {"CONNECT_ENV": "production"}, "worker", "--help")

    assert "Traceback" not in working.stderr + without_key.stderr
    assert {"worker", "scheduler", "jobs", "keys", "db", "callbacks", "syncs"} <= set(
        command_names(working.stdout)
    )
    assert command_names(without_key.stdout) == command_names(working.stdout)
    assert worker_help.returncode == 0 and "--concurrency" in worker_help.stdout


@pytest.mark.parametrize(
    "arguments",
    [
        ("worker", "--poll", "0"),
        ("scheduler", "--poll", "-1"),
        ("keys", "create", " "),
        ("worker", "--concurrency", "0"),
    ],
)
def test_a_commands_bad_input_is_a_one_line_error(tmp_path, arguments):
    result = flask_command(tmp_path, {"CONNECT_ENV": "production", "SECRET_KEY": "k"}, *arguments)

    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("Error:")
