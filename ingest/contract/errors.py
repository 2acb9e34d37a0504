"""One error tree for the project: retriable failures are retried with backoff, permanent ones are not."""

from __future__ import annotations


class IdlibStreamError(Exception):
    """Root of every error this project raises on purpose."""

    retriable: bool = False


class RetriableError(IdlibStreamError):
    """A transient failure (timeout, 5xx, broker unavailable): try again later."""

    retriable = True


class PermanentError(IdlibStreamError):
    """A failure that retrying will not fix (bad payload, schema mismatch, empty text)."""


class ConfigurationError(PermanentError):
    """A setting or a curated data file is invalid; the service must not start."""


class BrokerUnavailable(RetriableError):
    """Kafka did not acknowledge in time."""
