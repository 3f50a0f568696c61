"""The one table from an error to its HTTP status and client message.

A malformed or refused query is explained in plain words in the request's language, with its
line, column and a caret (:mod:`ascn_kg.sparql.query_errors`).
"""

from __future__ import annotations

from ascn_kg.errors import Refusal
from ascn_kg.sparql.query_errors import QueryProblem, explain
from ascn_kg.store.protocol import (
    BackendUnavailable,
    QueryFailed,
    QueryMemoryExceeded,
    QuerySyntaxError,
    QueryTimeout,
    StoreBusy,
    StoreMissing,
)
from ascn_kg.store.safety import QueryRefused

# Messages are the errors' own, written for clients.
ERROR_STATUS: dict[type[Exception], int] = {
    QuerySyntaxError: 400,
    QueryTimeout: 504,
    QueryMemoryExceeded: 503,
    StoreBusy: 503,
    StoreMissing: 503,
    BackendUnavailable: 502,
    QueryFailed: 500,
}


def status_and_message(
    error: Exception, query: str | None = None, lang: str = "en"
) -> tuple[int, str, QueryProblem | None]:
    """The HTTP status, the client's message and, for a malformed or refused query, its explanation."""
    status = error.status if isinstance(error, Refusal) else next(
        (s for k, s in ERROR_STATUS.items() if isinstance(error, k)), 500)
    if isinstance(error, QueryRefused | QuerySyntaxError):
        problem = explain(error, query, lang)
        return status, problem.text(), problem
    return status, error.message if isinstance(error, Refusal) else str(error), None


def classify(error: Exception) -> tuple[str, int | None, str | None]:
    """Outcome, rows and reason of a failed request, as the operations log counts them."""
    if isinstance(error, Refusal):
        return "refused", None, error.reason
    if isinstance(error, QuerySyntaxError):
        return "refused", None, "syntax"
    if isinstance(error, QueryTimeout):
        return "timeout", None, None
    if isinstance(error, StoreBusy):  # overload, not a fault: no traceback
        return "refused", None, "busy"
    if isinstance(error, QueryMemoryExceeded):
        return "refused", None, "memory"
    return "error", None, None
