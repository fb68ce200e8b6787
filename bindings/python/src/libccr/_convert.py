# SPDX-License-Identifier: Apache-2.0
"""Turning Python values into the C values libccr's setters take: each
conversion names the argument it checks, so a bad value raises a TypeError
or an InvalidArgument that says which."""

from __future__ import annotations

import os
from typing import Any, List, Mapping, Optional, Tuple, Union

from .errors import ErrorCode, InvalidArgument

PathLike = Union[str, bytes, "os.PathLike[str]", "os.PathLike[bytes]"]

_INT_MIN, _INT_MAX = -(2**31), 2**31 - 1
_U32_MAX = 2**32 - 1


def _invalid(message: str) -> InvalidArgument:
    return InvalidArgument(message, code=ErrorCode.INVALID_ARGUMENT, code_name="invalid-argument")


def _c_text(name: str, value: Any) -> bytes:
    """A str, bytes or os.PathLike as a NUL-free C string."""
    if isinstance(value, (str, bytes, os.PathLike)):
        data = os.fsencode(value)
    else:
        raise TypeError(f"{name} must be a str, bytes or path, not {type(value).__name__}")
    if b"\0" in data:
        raise _invalid(f"{name} contains a NUL character")
    return data


def _c_opt_text(name: str, value: Any) -> Optional[bytes]:
    return None if value is None else _c_text(name, value)


def _c_int(name: str, value: Any, lo: int = _INT_MIN, hi: int = _INT_MAX) -> int:
    # IntEnum members are ints; bools are not numbers here.
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, not {type(value).__name__}")
    v = int(value)
    if not lo <= v <= hi:
        raise _invalid(f"{name} {v} is outside {lo}..{hi}")
    return v


def _c_u32(name: str, value: Any) -> int:
    return _c_int(name, value, 0, _U32_MAX)


def _c_bool(name: str, value: Any) -> int:
    if not isinstance(value, (bool, int)):
        raise TypeError(f"{name} must be a bool, not {type(value).__name__}")
    return 1 if value else 0


def _c_fd(name: str, value: Any) -> int:
    """An int descriptor, or anything with fileno()."""
    if not isinstance(value, int) and hasattr(value, "fileno"):
        value = value.fileno()
    return _c_int(name, value)


def _c_enum(name: str, enum_cls: Any, value: Any) -> int:
    if isinstance(value, str):
        try:
            return int(enum_cls[value.upper().replace("-", "_")])
        except KeyError:
            names = ", ".join(m.name.lower() for m in enum_cls)
            raise _invalid(f"{name} {value!r} is not one of {names}") from None
    return _c_int(name, value)


def _list(name: str, value: Any) -> List[Any]:
    """An iterable of items, but not a lone string (which would iterate chars)."""
    if isinstance(value, (str, bytes, os.PathLike)):
        raise TypeError(f"{name} must be a list, not a single {type(value).__name__}")
    try:
        return list(value)
    except TypeError:
        raise TypeError(f"{name} must be iterable, not {type(value).__name__}") from None


def _pairs(name: str, value: Any) -> List[Tuple[Any, Any]]:
    """A mapping, or an iterable of 2-tuples, as a list of pairs."""
    if isinstance(value, Mapping):
        return list(value.items())
    out = []
    for item in _list(name, value):
        if not isinstance(item, (tuple, list)) or len(item) != 2:
            raise TypeError(f"{name} must hold (key, value) pairs, not {item!r}")
        out.append((item[0], item[1]))
    return out
