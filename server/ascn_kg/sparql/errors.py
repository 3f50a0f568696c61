"""The one table from an error to its HTTP status and client message."""

from __future__ import annotations

from ascn_kg.errors import Refusal
from ascn_kg.store.protocol import (
    BackendUnavailable,
    QueryFailed,
    QuerySyntaxError,
    QueryTimeout,
    StoreBusy,
    StoreMissing,
)

# Messages are the errors' own, written for clients.
ERROR_STATUS: dict[type[Exception], int] = {
    QuerySyntaxError: 400,
    QueryTimeout: 504,
    StoreBusy: 503,
    StoreMissing: 503,
    BackendUnavailable: 502,
    QueryFailed: 500,
}


def status_and_message(error: Exception) -> tuple[int, str]:
    """The HTTP status and the client's message for a refusal or a store error."""
    if isinstance(error, Refusal):
        return error.status, error.message
    status = next((s for k, s in ERROR_STATUS.items() if isinstance(error, k)), 500)
    message = str(error)
    if isinstance(error, QuerySyntaxError):
        message = f"malformed query: {shorten(message)}"
    return status, message


def shorten(message: str, limit: int = 300) -> str:
    """A parser message on one line, cut after ``limit`` characters."""
    flat = " ".join(message.split())
    return flat if len(flat) <= limit else flat[:limit].rstrip() + " …"


def classify(error: Exception) -> tuple[str, int | None, str | None]:
    """Outcome, rows and reason of a failed request, as the operations log counts them."""
    if isinstance(error, Refusal):
        return "refused", None, error.reason
    if isinstance(error, QuerySyntaxError):
        return "refused", None, "syntax"
    if isinstance(error, QueryTimeout):
        return "timeout", None, None
    return "error", None, None
