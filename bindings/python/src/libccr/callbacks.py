# SPDX-License-Identifier: Apache-2.0
"""The signatures of the notify and log callbacks, and a log callback that
feeds :mod:`logging`."""

from __future__ import annotations

import logging
from typing import Any, Callable, Mapping, Union

from .enums import LogLevel

#: ``notify(script, pid, fd)``: called for every notification CRIU sends.
NotifyCallback = Callable[[str, int, int], None]

#: ``log(level, message)``: called for every line of ccr's own log (not
#: CRIU's), without a trailing newline.
LogCallback = Callable[[LogLevel, str], None]

#: The :mod:`logging` level of each :class:`LogLevel`.
LOGGING_LEVELS: Mapping[LogLevel, int] = {
    LogLevel.ERROR: logging.ERROR,
    LogLevel.WARNING: logging.WARNING,
    LogLevel.INFO: logging.INFO,
    LogLevel.DEBUG: logging.DEBUG,
}


def log_to_logger(
    logger: Union[logging.Logger, "logging.LoggerAdapter[Any]", str, None] = None,
) -> LogCallback:
    """A ``log`` callback for :class:`Options` that sends each line of ccr's
    log to `logger` at the matching :mod:`logging` level (ERROR, WARNING,
    INFO, DEBUG; see :data:`LOGGING_LEVELS`).

    `logger` is a :class:`logging.Logger` (or ``LoggerAdapter``), the name of
    one, or None for ``logging.getLogger("ccr")``. The logger's own level and
    handlers filter as usual; ``log_max_level`` decides what ccr sends at all::

        log = logging.getLogger("myapp.ccr")
        ccr.Options(images_dir=d, log=ccr.log_to_logger(log), log_max_level="debug")
    """
    if logger is None or isinstance(logger, str):
        logger = logging.getLogger(logger or "ccr")
    elif not isinstance(logger, (logging.Logger, logging.LoggerAdapter)):
        raise TypeError(f"logger must be a logging.Logger, a name or None, not {type(logger).__name__}")
    target = logger

    def forward(level: LogLevel, message: str) -> None:
        # No arguments: the message is never %-formatted.
        target.log(LOGGING_LEVELS.get(level, logging.DEBUG), message)

    return forward
