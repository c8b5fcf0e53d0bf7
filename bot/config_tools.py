"""The generic half of the configuration: TOML tables → frozen dataclasses, one error listing
every problem, and secrets from the environment variables the file names."""

from __future__ import annotations

import dataclasses
import os
import types
from typing import Any, Union, get_args, get_origin, get_type_hints


class ConfigError(Exception):
    """Raised with every problem found, one per line."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("invalid configuration:\n" + "\n".join(f"  - {p}" for p in problems))



def _type_name(tp: Any) -> str:
    return getattr(tp, "__name__", str(tp))


def convert(value: Any, tp: Any, where: str, problems: list[str]) -> Any:
    """Checks and converts one value against a type hint, collecting problems."""
    origin = get_origin(tp)
    if dataclasses.is_dataclass(tp) and isinstance(tp, type):
        if not isinstance(value, dict):
            problems.append(f"{where}: expected a table")
            return tp()
        return build(tp, value, where, problems)
    if origin in (Union, types.UnionType):
        options = [a for a in get_args(tp) if a is not type(None)]
        if value is None:
            return None
        return convert(value, options[0], where, problems)
    if origin is tuple:
        item_tp = get_args(tp)[0]
        if not isinstance(value, list):
            problems.append(f"{where}: expected a list")
            return ()
        return tuple(convert(v, item_tp, f"{where}[{i}]", problems) for i, v in enumerate(value))
    if origin is dict:
        if not isinstance(value, dict):
            problems.append(f"{where}: expected a table")
            return {}
        _key_tp, val_tp = get_args(tp)
        return {str(k): convert(v, val_tp, f"{where}.{k}", problems) for k, v in value.items()}
    if tp is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if tp is str and isinstance(value, int) and not isinstance(value, bool):
        # Ids (Telegram user ids, phone numbers) are opaque strings even when written bare.
        return str(value)
    if (tp is int and isinstance(value, bool)) or not isinstance(value, tp):
        problems.append(f"{where}: expected {_type_name(tp)}, got {type(value).__name__}")
        return None
    return value


def build(cls: type[Any], data: dict[str, Any], where: str, problems: list[str]) -> Any:
    hints = get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls) if f.init and f.name != "source"}
    for key in data:
        if key not in names:
            problems.append(f"{where + '.' if where else ''}{key}: unknown key")
    kwargs = {}
    for name in names:
        if name in data:
            value = convert(data[name], hints[name], f"{where + '.' if where else ''}{name}",
                             problems)
            if value is not None:
                kwargs[name] = value
    return cls(**kwargs)



def secret(env_name: str) -> str | None:
    """A secret from the environment variable the config names; None when unset or empty."""
    value = os.environ.get(env_name, "")
    return value or None
