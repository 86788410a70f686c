"""What every command shares: the settings it runs with and the options that choose them.

Commands live in :mod:`policykg.cli.main` and :mod:`policykg.cli.network`; both import from
here, and ``main`` registers the network commands (no module imports the one importing it).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from policykg.settings import SETTINGS_BY_NAME, Settings, load_settings


class CliContext:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def open_store(self, *, read_only: bool = False):
        from policykg.graph.store import open_store

        return open_store(self.settings.store, read_only=read_only)

    @property
    def iris(self):
        from policykg.graph.iris import IriScheme

        return IriScheme(self.settings.base_iri)


def setting_help(name: str) -> str:
    s = SETTINGS_BY_NAME[name]
    return f"{s.help} [env: {s.env}]"


def store_options(func: Callable) -> Callable:
    """The option bundle of every command that touches the store."""

    @click.option("--store", "store", metavar="PATH", default=None, help=setting_help("store"))
    @click.option("--base-iri", "base_iri", metavar="IRI", default=None, help=setting_help("base_iri"))
    @functools.wraps(func)
    def wrapper(*args: Any, store: str | None, base_iri: str | None, **kwargs: Any) -> Any:
        ctx = CliContext(load_settings(store=store, base_iri=base_iri))
        return func(ctx, *args, **kwargs)

    return wrapper


def base_iri_option(func: Callable) -> Callable:
    @click.option("--base-iri", "base_iri", metavar="IRI", default=None, help=setting_help("base_iri"))
    @functools.wraps(func)
    def wrapper(*args: Any, base_iri: str | None, **kwargs: Any) -> Any:
        return func(CliContext(load_settings(base_iri=base_iri)), *args, **kwargs)

    return wrapper


def programs_option(func: Callable) -> Callable:
    """``--programs FILE``: registry files of the user's own, merged over the bundled registry
    for this extraction (and its worker processes, through ``POLICYKG_PROGRAMS``)."""

    @click.option(
        "--programs",
        "programs",
        metavar="FILE",
        multiple=True,
        type=click.Path(exists=True, dir_okay=False, path_type=Path),
        help=setting_help("programs"),
    )
    @functools.wraps(func)
    def wrapper(*args: Any, programs: tuple[Path, ...], **kwargs: Any) -> Any:
        if programs:
            import os

            from policykg.loaders.programs_registry import load_registry
            from policykg.loaders.registry_match import ENV

            load_registry([p.resolve() for p in programs])  # a bad file is one clear error, before any work
            os.environ[ENV] = os.pathsep.join(str(p.resolve()) for p in programs)
        return func(*args, **kwargs)

    return wrapper


def echo_json(data: Any) -> None:
    """``data`` as JSON on stdout, Chinese as written (JSON escapes every control character)."""
    import json

    click.echo(json.dumps(data, ensure_ascii=False, indent=1))
