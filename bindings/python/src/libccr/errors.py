# SPDX-License-Identifier: Apache-2.0
"""Exceptions raised by the ccr binding.

Every failing libccr call returns an error object with a stable code; the
binding turns it into an instance of the :class:`CcrError` subclass chosen by
that code (:data:`ERROR_CLASSES`) and frees the C object. The exception keeps
everything the C error carried: the code and its name, the errno, the one-line
message, CRIU's own ``cr_errno`` and ``cr_errmsg``, the path of CRIU's log and
the lines of that log around each ``Error``.

A few subclasses also derive from the matching built-in exception so that
generic handlers work: :class:`InvalidArgument` is a :class:`ValueError`,
:class:`NoMemory` a :class:`MemoryError`, :class:`CcrOSError` an
:class:`OSError` and :class:`Timeout` a :class:`TimeoutError`.

Errors that keep the binding from loading libccr at all are ImportErrors:
:class:`LibraryNotFound` and :class:`LibraryTooOld`.
"""

from __future__ import annotations

import enum
from typing import Dict, Optional, Type

__all__ = [
    "ErrorCode",
    "CcrError",
    "InvalidArgument",
    "NoMemory",
    "CcrOSError",
    "NotFound",
    "ConfigError",
    "UnsafePath",
    "CriuStartError",
    "CriuFailed",
    "CriuDied",
    "ProtocolError",
    "Unsupported",
    "CallbackError",
    "Timeout",
    "Canceled",
    "ImageError",
    "InternalError",
    "ERROR_CLASSES",
    "LibraryError",
    "LibraryNotFound",
    "LibraryTooOld",
]


class ErrorCode(enum.IntEnum):
    """The stable ``ccr_error_code`` values of ``ccr.h``."""

    OK = 0
    INVALID_ARGUMENT = 1
    NO_MEMORY = 2
    SYSTEM = 3
    NOT_FOUND = 4
    CONFIG = 5
    UNSAFE_PATH = 6
    CRIU_START = 7
    CRIU_FAILED = 8
    CRIU_DIED = 9
    PROTOCOL = 10
    UNSUPPORTED = 11
    CALLBACK = 12
    TIMEOUT = 13
    CANCELED = 14
    IMAGE = 15
    INTERNAL = 16


class CcrError(Exception):
    """An error reported by libccr.

    Attributes:
        code: the stable error code (an :class:`ErrorCode`, or a plain int for
            a code newer than this binding).
        code_name: libccr's short name for the code, e.g. ``"criu-failed"``.
        errno: the errno behind the error, or 0.
        message: one line saying what failed; also ``str(error)``.
        criu_errno: CRIU's own ``cr_errno``, or 0.
        criu_message: CRIU's own ``cr_errmsg``, or None.
        log_path: the path of CRIU's log for the failed operation, or None.
        log_excerpt: the lines of CRIU's log around each ``Error``, or None.
    """

    #: The code instances of this class carry unless told otherwise.
    default_code: int = ErrorCode.INTERNAL

    code: int
    code_name: str
    errno: int
    message: str
    criu_errno: int
    criu_message: Optional[str]
    log_path: Optional[str]
    log_excerpt: Optional[str]

    def __init__(
        self,
        message: str,
        *,
        code: Optional[int] = None,
        code_name: Optional[str] = None,
        errno: int = 0,
        criu_errno: int = 0,
        criu_message: Optional[str] = None,
        log_path: Optional[str] = None,
        log_excerpt: Optional[str] = None,
    ) -> None:
        super().__init__(message)
        code = self.default_code if code is None else code
        try:
            code = ErrorCode(code)
        except ValueError:
            pass
        self.code = code
        self.code_name = code_name if code_name is not None else _default_code_name(code)
        self.errno = errno
        self.message = message
        self.criu_errno = criu_errno
        self.criu_message = criu_message
        self.log_path = log_path
        self.log_excerpt = log_excerpt

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r}, code_name={self.code_name!r})"

    def describe(self) -> str:
        """Everything the error carries, one item per line, for logs and reports."""
        lines = [f"ccr error {self.code_name} ({int(self.code)}): {self.message}"]
        if self.errno:
            lines.append(f"  errno: {self.errno}")
        if self.criu_errno:
            lines.append(f"  criu errno: {self.criu_errno}")
        if self.criu_message:
            lines.append(f"  criu message: {self.criu_message}")
        if self.log_path:
            lines.append(f"  criu log: {self.log_path}")
        if self.log_excerpt:
            lines.append("  log excerpt:")
            lines.extend("    " + line for line in self.log_excerpt.splitlines())
        return "\n".join(lines)


def _default_code_name(code: int) -> str:
    try:
        return ErrorCode(code).name.lower().replace("_", "-")
    except ValueError:
        return "unknown"


class InvalidArgument(CcrError, ValueError):
    """An argument is wrong: a bad id, a negative pid, a relative path, ..."""

    default_code = ErrorCode.INVALID_ARGUMENT


class NoMemory(CcrError, MemoryError):
    """Memory ran out."""

    default_code = ErrorCode.NO_MEMORY


class CcrOSError(CcrError, OSError):  # type: ignore[misc]  # errno: int, never None
    """A system call failed; ``errno`` says which errno (``CCR_ERR_SYSTEM``)."""

    default_code = ErrorCode.SYSTEM


class NotFound(CcrError):
    """Something named does not exist: the pid, a directory, the CRIU binary."""

    default_code = ErrorCode.NOT_FOUND


class ConfigError(CcrError):
    """The OCI config.json is unreadable or invalid."""

    default_code = ErrorCode.CONFIG


class UnsafePath(CcrError):
    """A path would leave the container's rootfs, or is otherwise unsafe."""

    default_code = ErrorCode.UNSAFE_PATH


class CriuStartError(CcrError):
    """CRIU could not be started (missing binary, exec failure)."""

    default_code = ErrorCode.CRIU_START


class CriuFailed(CcrError):
    """CRIU answered that the operation failed; see ``criu_message`` and ``log_excerpt``."""

    default_code = ErrorCode.CRIU_FAILED


class CriuDied(CcrError):
    """CRIU exited or closed its socket in the middle of the operation."""

    default_code = ErrorCode.CRIU_DIED


class ProtocolError(CcrError):
    """CRIU sent a message ccr cannot read."""

    default_code = ErrorCode.PROTOCOL


class Unsupported(CcrError):
    """The installed CRIU or kernel lacks a feature the options ask for."""

    default_code = ErrorCode.UNSUPPORTED


class CallbackError(CcrError):
    """The notify callback failed and the operation was aborted.

    When the callback was a Python callable that raised, the binding does not
    raise this error: it re-raises the callable's own exception, with this
    error as its ``__cause__``.
    """

    default_code = ErrorCode.CALLBACK


class Timeout(CcrError, TimeoutError):  # type: ignore[misc]  # errno: int, never None
    """The operation's time limit (``timeout_ms``) ran out; CRIU was stopped."""

    default_code = ErrorCode.TIMEOUT


class Canceled(CcrError):
    """:meth:`ccr.Options.cancel` was called; CRIU was stopped."""

    default_code = ErrorCode.CANCELED


class ImageError(CcrError):
    """A file in the images directory is missing or malformed."""

    default_code = ErrorCode.IMAGE


class InternalError(CcrError):
    """A bug in ccr: an internal invariant broke. Please report it."""

    default_code = ErrorCode.INTERNAL


#: The exception class for each error code; codes not listed raise CcrError.
ERROR_CLASSES: Dict[int, Type[CcrError]] = {
    cls.default_code: cls
    for cls in (
        InvalidArgument,
        NoMemory,
        CcrOSError,
        NotFound,
        ConfigError,
        UnsafePath,
        CriuStartError,
        CriuFailed,
        CriuDied,
        ProtocolError,
        Unsupported,
        CallbackError,
        Timeout,
        Canceled,
        ImageError,
        InternalError,
    )
}


def error_class(code: int) -> Type[CcrError]:
    """The exception class for `code`: CcrError itself for an unknown code."""
    return ERROR_CLASSES.get(code, CcrError)


class LibraryError(ImportError):
    """libccr cannot be used: not found, or older than this binding."""


class LibraryNotFound(LibraryError):
    """No way of finding libccr worked."""


class LibraryTooOld(LibraryError):
    """The libccr found lacks functions, or a version, this binding needs."""
