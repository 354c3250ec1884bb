"""A strict parser for a command's ordinary flags: click's keyword arguments, or None.

It follows click's parser for the forms it knows — `--opt value`, `--opt=value`,
`-j2`, `-qj2`, `-ofile`, repeats (the last wins, or all for a multiple option),
`--` and paths anywhere — and converts values as click's types do. Whatever else
(an unknown option, `-h`/`--help`, a missing or refused value, a flag given a
value) returns None, and the caller runs click, which says what is wrong in its
own words. The result is the keyword arguments click would pass, in its order:
options in the order first given, then the paths, then the rest as declared.
"""

from __future__ import annotations

from typing import Any, Sequence

from prcheck.cli_spec import Opt, PathType


def parse(args: Sequence[str], options: Sequence[Opt], argument: str, argument_type: PathType) -> dict[str, Any] | None:
    strings: dict[str, tuple[Opt, bool | None]] = {
        text: (option, value) for option in options for text, value in option.strings().items()}
    given: dict[str, list[Any]] = {}  # option name → raw values (flags: the value set), in order first given
    positional: list[str] = []
    rest = list(args)
    while rest:
        arg = rest.pop(0)
        if arg == "--":
            positional.extend(rest)
            break
        if arg[:1] != "-" or len(arg) == 1:
            positional.append(arg)
        elif arg[:2] == "--":  # a long option, with its value attached after `=` or in the next argument
            text, equals, attached = arg.partition("=")
            option, flag = strings.get(text, (None, None))
            if option is None or (flag is not None and equals):
                return None
            if flag is not None:
                given.setdefault(option.name, []).append(flag)
            elif equals:
                given.setdefault(option.name, []).append(attached)
            elif rest:
                given.setdefault(option.name, []).append(rest.pop(0))
            else:
                return None
        else:  # short options run together: flags, then at most one taking the rest (or the next argument)
            for index in range(1, len(arg)):
                option, flag = strings.get("-" + arg[index], (None, None))
                if option is None:
                    return None
                if flag is not None:
                    given.setdefault(option.name, []).append(flag)
                    continue
                if index + 1 < len(arg):
                    given.setdefault(option.name, []).append(arg[index + 1:])
                elif rest:
                    given.setdefault(option.name, []).append(rest.pop(0))
                else:
                    return None
                break
    return _values(given, positional, options, argument, argument_type)


def _values(given: dict[str, list[Any]], positional: list[str], options: Sequence[Opt], argument: str,
            argument_type: PathType) -> dict[str, Any] | None:
    by_name = {option.name: option for option in options}
    params: dict[str, Any] = {}
    try:
        for name, raw in given.items():
            params[name] = _value(by_name[name], raw)
        params[argument] = tuple(argument_type.convert(p) for p in positional)
        for option in options:
            if option.name not in params:
                params[option.name] = _value(option, [])
    except ValueError:
        return None
    return params


def _value(option: Opt, raw: list[Any]) -> Any:
    kind = option.attrs.get("type")
    convert = kind.convert if kind is not None else (lambda v: v)
    if not raw:
        value = option.default
    elif option.attrs.get("multiple"):
        value = tuple(convert(v) for v in raw)
    else:
        value = raw[-1] if not option.takes_value else convert(raw[-1])
    return option.convert(value) if option.convert is not None else value
