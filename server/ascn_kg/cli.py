"""The ``ascn-kg`` command: build, validate, serve, query, publish.

Exit codes: 0 success; 1 the data or ontology is invalid (the message names what);
2 a usage or environment error (missing store, unreachable endpoint, bad option).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click

from .catalogue import CatalogueError
from .config import Settings, load_settings
from .reason import InconsistentOntologyError
from .tables import DataError
from .validate import ShaclViolationError, ShapesError

EXIT_INVALID = 1
EXIT_ENVIRONMENT = 2


def _settings(ctx: click.Context) -> Settings:
    return ctx.obj


def _fail(message: str, code: int) -> None:
    click.echo(f"ascn-kg: {message}", err=True)
    sys.exit(code)


@click.group()
@click.option("--config", type=click.Path(dir_okay=False), help="TOML settings file.")
@click.option("--base-iri", help="Base IRI of the graph (default from settings).")
@click.option("--data-dir", type=click.Path(file_okay=False), help="Folder of the source tables.")
@click.option("--ontology-dir", type=click.Path(file_okay=False), help="Folder of ascn.ttl/shapes.ttl.")
@click.option("--dist-dir", type=click.Path(file_okay=False), help="Where builds are written.")
@click.option("--queries-dir", type=click.Path(file_okay=False), help="Folder of the query catalogue.")
@click.pass_context
def main(ctx: click.Context, config, base_iri, data_dir, ontology_dir, dist_dir, queries_dir) -> None:
    """ASCN-KG: the ASEAN Smart Cities Network knowledge graph."""
    ctx.obj = load_settings(
        config,
        base_iri=base_iri,
        data_dir=data_dir,
        ontology_dir=ontology_dir,
        dist_dir=dist_dir,
        queries_dir=queries_dir,
    )


def _checked(action):
    """Run a build step, turning invalid data into a clear message and exit code 1."""
    try:
        return action()
    except DataError as exc:
        _fail(f"build failed: {exc}", EXIT_INVALID)
    except (ShaclViolationError, ShapesError, CatalogueError) as exc:
        _fail(f"build failed: {exc}", EXIT_INVALID)
    except InconsistentOntologyError as exc:
        _fail(f"build failed: {exc}", EXIT_INVALID)
    except OSError as exc:
        _fail(f"build failed: {exc}", EXIT_ENVIRONMENT)


@main.command()
@click.pass_context
def build(ctx: click.Context) -> None:
    """Convert, validate, reason and write dist/ (swapped in atomically)."""
    from .build import build as run_build

    settings = _settings(ctx)
    start = time.perf_counter()
    click.echo(f"building {settings.dist_dir} from {settings.data_dir}")
    result = _checked(lambda: run_build(settings, report=click.echo))
    for warning in result.warnings:
        click.echo(f"  warning: {warning}")
    click.echo(
        f"built version {result.version}: {result.triples} quads in {result.graphs} graphs, "
        f"{len(result.warnings)} SHACL warnings, {time.perf_counter() - start:.1f} s"
    )


@main.command()
@click.pass_context
def validate(ctx: click.Context) -> None:
    """Run every check of the build without writing anything."""
    from .build import assemble

    settings = _settings(ctx)
    assembled = _checked(lambda: assemble(settings, report=click.echo))
    for warning in assembled.validation.warnings:
        click.echo(f"  warning: {warning}")
    click.echo(
        f"valid: {len(assembled.quads)} quads, {len(assembled.reasoning.inferred)} inferred, "
        f"{len(assembled.validation.warnings)} SHACL warnings (version {assembled.version})"
    )


@main.command()
@click.option("--host", help="Address to bind (default 127.0.0.1).")
@click.option("--port", type=int, help="Port to listen on (default 8080).")
@click.option("--workers", type=int, help="gunicorn worker processes.")
@click.option("--backend", "backend_url", help="Answer from this external SPARQL endpoint instead.")
@click.option("--query-timeout", type=float, help="Seconds after which a query is stopped.")
@click.pass_context
def serve(ctx: click.Context, host, port, workers, backend_url, query_timeout) -> None:
    """Serve the built graph under gunicorn (reload on SIGHUP after a new build)."""
    from .serve import serve as run_server

    settings = _settings(ctx).with_overrides(
        **{
            k: v
            for k, v in {
                "host": host,
                "port": port,
                "workers": workers,
                "backend_url": backend_url,
                "query_timeout": query_timeout,
            }.items()
            if v is not None
        }
    )
    run_server(settings)


@main.command()
@click.option("--to", "to_url", required=True, help="Graph Store Protocol endpoint (e.g. http://host/store).")
@click.option("--timeout", type=float, default=60.0, show_default=True, help="Seconds per request.")
@click.pass_context
def publish(ctx: click.Context, to_url: str, timeout: float) -> None:
    """Load the built dataset, named graphs preserved, into a Graph Store Protocol endpoint."""
    from .publish import publish as run_publish

    settings = _settings(ctx)
    if not settings.store_dir.is_dir():
        _fail(f"no build at {settings.dist_dir}: run `ascn-kg build` first", EXIT_ENVIRONMENT)
    try:
        counts = run_publish(settings.dist_dir, to_url, timeout=timeout)
    except OSError as exc:
        _fail(f"publish failed: {exc}", EXIT_ENVIRONMENT)
    click.echo(f"published {sum(counts.values())} triples in {len(counts)} graphs to {to_url}")


@main.command()
@click.argument("query")
@click.option("--param", "params", multiple=True, metavar="NAME=VALUE",
              help="Bind a parameter the catalogue query declares (repeatable).")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table",
              show_default=True, help="table (aligned text), csv, or SPARQL JSON results.")
@click.option("--endpoint", help="Ask this SPARQL endpoint instead of the built store.")
@click.pass_context
def query(ctx: click.Context, query: str, params: tuple[str, ...], fmt: str, endpoint: str | None) -> None:
    """Run QUERY: a catalogue name (queries/NAME.rq), a query file, or the text of a query."""
    from .catalogue import CatalogueError, UnknownQuery
    from .catalogue_bind import query_text
    from .querycli import run_query
    from .safety import QueryRefused
    from .store import BackendUnavailable, QuerySyntaxError, StoreError, StoreMissing

    settings = _settings(ctx)
    bound: dict[str, str] = {}
    for item in params:
        name, equals, value = item.partition("=")
        if not equals or not name.strip():
            _fail(f"--param takes NAME=VALUE, not {item!r}", EXIT_ENVIRONMENT)
        bound[name.strip()] = value
    try:
        text = query_text(query, bound, settings.queries_dir)
        rows = run_query(settings, text, endpoint=endpoint, fmt=fmt)
        unknown = [f"{k}={v!r}" for k, v in bound.items() if rows == 0 and not endpoint
                   and not _names_something(settings, v)]
        if unknown:
            click.echo(f"ascn-kg: no rows; {', '.join(unknown)} names nothing in the graph "
                       "(give a key, or an exact English or Korean label)", err=True)
    except (UnknownQuery, ValueError) as exc:
        _fail(str(exc), EXIT_ENVIRONMENT)
    except CatalogueError as exc:
        _fail(str(exc), EXIT_INVALID)
    except QueryRefused as exc:
        _fail(f"query refused: {exc.message}", EXIT_INVALID)
    except (StoreMissing, BackendUnavailable) as exc:
        _fail(str(exc), EXIT_ENVIRONMENT)
    except QuerySyntaxError as exc:
        _fail(f"query does not parse: {str(exc).splitlines()[0] if str(exc) else exc}", EXIT_INVALID)
    except StoreError as exc:
        _fail(f"query failed: {exc}", EXIT_INVALID)


NAMES_SOMETHING = """ASK WHERE {
  { ?s ?label ?name . BIND(STR(?name) AS ?text)
    VALUES ?label { <http://www.w3.org/2000/01/rdf-schema#label> <http://www.w3.org/2004/02/skos/core#prefLabel>
                    <http://www.w3.org/2004/02/skos/core#altLabel> } }
  UNION { ?s ?p ?o . FILTER(isIRI(?s)) BIND(REPLACE(STR(?s), "^.*/", "") AS ?text) }
  FILTER(?text = ?value)
}"""


def _names_something(settings: Settings, value: str) -> bool:
    """Whether a parameter value is a key or an exact label of something in the built graph."""
    from rdflib import Literal

    from .store import open_store

    store = open_store(settings)
    try:
        return store.ask(NAMES_SOMETHING, {"value": Literal(value)})
    finally:
        store.close()


def run() -> None:
    """Entry point that never shows a traceback for expected errors."""
    main(standalone_mode=True)


if __name__ == "__main__":  # pragma: no cover
    main()


__all__ = ["EXIT_ENVIRONMENT", "EXIT_INVALID", "Path", "main"]
