"""How an app's settings become one typed value: a frozen dataclass whose fields are the
settings' names in lower case and whose field defaults are the only defaults in the code.

Each app's conf.py declares its dataclass and a cached accessor; `settings_from` reads every
field from django.conf.settings (the field's default when the setting is absent), and
`reset_on_change` drops the cached value whenever a setting changes (override_settings and
pytest-django's `settings` fixture send `setting_changed`), so a test never sees a stale value.
docs/settings.md's tables are checked against these defaults
(tests/project/test_settings_table.py).
"""

import types
import typing
from collections.abc import Callable
from dataclasses import MISSING, Field, fields
from typing import Any, Protocol, TypeVar

from django.conf import settings
from django.core import checks
from django.core.signals import setting_changed

T = TypeVar("T")


def field_default(f: Field[Any]) -> Any:
    if f.default is not MISSING:
        return f.default
    if f.default_factory is not MISSING:
        return f.default_factory()
    raise TypeError(f"{f.name} has no default: every app setting needs one")


def settings_from(cls: type[T]) -> T:
    """An instance of the dataclass `cls`, each field read from its setting."""
    names = fields(cls)  # type: ignore[arg-type]
    return cls(**{f.name: getattr(settings, f.name.upper(), field_default(f)) for f in names})


def defaults_of(cls: type) -> dict[str, Any]:
    """{SETTING_NAME: default} of an app's settings dataclass."""
    return {f.name.upper(): field_default(f) for f in fields(cls)}


class _Cached(Protocol):
    def cache_clear(self) -> None: ...


def reset_on_change(accessor: _Cached, uid: str) -> Callable[..., None]:
    """Connect a `setting_changed` receiver that forgets `accessor`'s cached value."""

    def reset(**kwargs: Any) -> None:
        accessor.cache_clear()

    setting_changed.connect(reset, weak=False, dispatch_uid=uid)
    return reset


# What a setting's value may be, by its field's annotation: an int is no bool, a float may be
# an int, a list may be a tuple (a settings module may write either).
_ACCEPTED: dict[Any, tuple[type, ...]] = {
    int: (int,),
    float: (int, float),
    str: (str,),
    bool: (bool,),
    list: (list, tuple),
    dict: (dict,),
}


def type_problems(conf: Any) -> list[str]:
    """A message per setting whose value is not of its field's type, naming the setting."""
    problems = []
    for f in fields(conf):
        expected = typing.get_origin(f.type) or f.type
        if expected in (types.UnionType, typing.Union):
            continue  # e.g. `str | None`: None has a meaning the app's code gives it
        accepted = _ACCEPTED.get(expected) or (typing.cast(type, expected),)
        value = getattr(conf, f.name)
        wrong_bool = isinstance(value, bool) and bool not in accepted
        if wrong_bool or not isinstance(value, accepted):
            problems.append(
                f"{f.name.upper()} must be {getattr(expected, '__name__', expected)}, "
                f"not {type(value).__name__} {value!r}."
            )
    return problems


def register_type_check(accessor: Callable[[], Any], check_id: str) -> None:
    """A system check (manage.py check, and every process's start) of the types."""

    def check_setting_types(**kwargs: Any) -> list[checks.CheckMessage]:
        return [checks.Error(problem, id=check_id) for problem in type_problems(accessor())]

    checks.register(check_setting_types)
