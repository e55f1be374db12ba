"""Where the bridge keeps its files: ``~/.openllm`` (moved by ``OPENLLM_HOME``) and a workspace's
``.openllm`` folder. Every caller gets the environment injected, so tests never touch a real home."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

CONFIG_FILE = "config.yaml"
DOTENV_FILE = ".env"


def openllm_home(environ: Mapping[str, str] | None = None) -> Path:
    """``$OPENLLM_HOME``, else ``~/.openllm`` (``HOME`` from the same environment when it has one)."""
    environ = os.environ if environ is None else environ
    explicit = environ.get("OPENLLM_HOME")
    if explicit:
        return Path(explicit).expanduser()
    home = environ.get("HOME")
    return (Path(home) if home else Path.home()) / ".openllm"


def workspace_dir(workspace: Path) -> Path:
    return workspace / ".openllm"


def user_config_path(environ: Mapping[str, str] | None = None) -> Path:
    return openllm_home(environ) / CONFIG_FILE


def workspace_config_path(workspace: Path) -> Path:
    return workspace_dir(workspace) / CONFIG_FILE


def workspace_dotenv_paths(workspace: Path) -> list[Path]:
    """The workspace's .env files, most specific first: its ``.openllm/.env``, then its ``.env``."""
    return [workspace_dir(workspace) / DOTENV_FILE, workspace / DOTENV_FILE]


def dotenv_paths(environ: Mapping[str, str] | None, workspace: Path | None) -> list[Path]:
    """The .env files, most specific first: the workspace's (:func:`workspace_dotenv_paths`), then the user's."""
    paths = workspace_dotenv_paths(workspace) if workspace is not None else []
    paths.append(openllm_home(environ) / DOTENV_FILE)
    return paths
