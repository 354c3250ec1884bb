"""Command-line options as data, so one declaration serves click and the fast parser.

A one-file run (what pre-commit does) should not pay for importing click and
building forty click options before doing any work. `Opt` holds exactly what
`click.option` is given; `click_options` turns a table of them into click
decorators when click is needed (help, an error, another subcommand), and
`prcheck.cli_parse` reads the same table for the ordinary forms. The value
types are the three click types prcheck's flags use, each able to say whether
click would accept a value and what it would make of it.
"""

from __future__ import annotations

import os
import stat
from typing import Any, Callable, Sequence, TypeVar

_F = TypeVar("_F", bound=Callable[..., Any])


class Choice:
    """`click.Choice(choices)` (case-sensitive): the value itself, or refused."""

    def __init__(self, choices: Sequence[str]) -> None:
        self.choices = choices

    def click(self) -> Any:
        import click

        return click.Choice(self.choices)

    def convert(self, value: str) -> str:
        if value not in self.choices:
            raise ValueError(value)
        return value


class IntRange:
    """`click.IntRange(min=…)`: `int(value)`, as click converts it, at least `min`."""

    def __init__(self, min: int) -> None:
        self.min = min

    def click(self) -> Any:
        import click

        return click.IntRange(min=self.min)

    def convert(self, value: str) -> int:
        number = int(value)
        if number < self.min:
            raise ValueError(value)
        return number


class PathType:
    """`click.Path(dir_okay=…)` without `exists`: the text unchanged, an existing folder
    refused where a file is wanted (click stats the path to tell)."""

    def __init__(self, dir_okay: bool = True) -> None:
        self.dir_okay = dir_okay

    def click(self) -> Any:
        import click

        return click.Path() if self.dir_okay else click.Path(dir_okay=False)

    def convert(self, value: str) -> str:
        try:
            mode = os.stat(value).st_mode
        except OSError:
            return value
        if not self.dir_okay and stat.S_ISDIR(mode):
            raise ValueError(value)
        return value


class Opt:
    """One `click.option(*decls, name, **attrs)`.

    `convert` (not a click argument) turns the final value into the keyword
    argument, raising ValueError where click should report a bad value; click
    gets it as a callback."""

    __slots__ = ("name", "decls", "attrs", "convert")

    def __init__(self, name: str, *decls: str, convert: Callable[[Any], Any] | None = None, **attrs: Any) -> None:
        self.name, self.decls, self.attrs, self.convert = name, decls, attrs, convert

    @property
    def switch(self) -> bool:
        """`--x/--no-x`: two flags setting True and False."""
        return any("/" in decl for decl in self.decls)

    @property
    def takes_value(self) -> bool:
        return not (self.switch or self.attrs.get("is_flag"))

    @property
    def default(self) -> Any:
        """The keyword argument when the option is not given (what click passes)."""
        if "default" in self.attrs:
            return self.attrs["default"]
        if self.attrs.get("multiple"):
            return ()
        return False if self.attrs.get("is_flag") else None

    def strings(self) -> dict[str, bool | None]:
        """Each option string with the value it sets: True or False for a flag,
        None for an option that takes the next argument."""
        out: dict[str, bool | None] = {}
        for decl in self.decls:
            on, _, off = decl.partition("/")
            out[on] = None if self.takes_value else True
            if off:
                out[off] = False
        return out

    def click_option(self) -> Callable[[_F], _F]:
        import click

        attrs = dict(self.attrs)
        if "type" in attrs:
            attrs["type"] = attrs["type"].click()
        if self.convert is not None:
            attrs["callback"] = _callback(self.convert)
        return click.option(*self.decls, self.name, **attrs)


def _callback(convert: Callable[[Any], Any]) -> Callable[..., Any]:
    def callback(ctx: Any, param: Any, value: Any) -> Any:
        import click

        try:
            return convert(value)
        except ValueError as exc:
            raise click.BadParameter(str(exc)) from None
    return callback


def click_options(options: Sequence[Opt]) -> Callable[[_F], _F]:
    """The table as click decorators, applied so that click lists them in table order."""
    def decorate(func: _F) -> _F:
        for option in reversed(options):
            func = option.click_option()(func)
        return func
    return decorate
