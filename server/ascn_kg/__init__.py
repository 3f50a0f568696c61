"""ASCN-KG: a linked-data knowledge graph of the ASEAN Smart Cities Network.

The package is cut by what each part owns; imports run one way, from the top down:

- ground (this folder): ``config``, ``errors``, ``namespaces``, ``iris``, ``labels`` (the
  label rule), ``catalogue``, ``negotiation``, ``bounded_cache`` (the one kind of in-memory
  cache), ``memory_release``; they import nothing of the parts below.
- ``store``: the store seam (protocol, embedded and remote backends, the killable pool,
  evaluation, serialization, the safety gate, the label index); imports only the ground.
- ``build``: tables → RDF → reasoning → SHACL → ``dist/``, and publishing; imports the store
  and the ground, never Flask.
- ``ops``: the app's state, bookkeeping, metrics, logs, headers, health, the server runner;
  imports the store and the ground.
- ``sparql``: the Protocol endpoint and its lane; imports ops, the store and the ground.
- ``web``: the pages; imports sparql, ops, the store and the ground.
- ``app`` (the factory), ``cli`` and ``querycli`` sit on top.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask

    from ascn_kg.config import Settings

__all__ = ["create_app"]


def create_app(test_config: dict[str, Any] | Settings | None = None) -> Flask:
    """The Flask application (see :func:`ascn_kg.app.create_app`)."""
    # Imported here, not above: the build and the CLI import this package without Flask.
    from ascn_kg.app import create_app as make_app

    return make_app(test_config)
