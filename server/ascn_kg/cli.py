"""The ``ascn-kg`` command: build, validate, serve, query, publish.

Exit codes: 0 success; 1 the data or ontology is invalid (the message names what);
2 a usage or environment error (missing store, unreachable endpoint, bad option).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click

from ascn_kg.catalogue import CatalogueError, load_catalogue
from ascn_kg.config import Settings, load_settings

# Each command imports its part of the package when it runs (the build loads owlready2 and
# pySHACL, serving loads Flask): `ascn-kg --help` and `ascn-kg serve` start without the rest.

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
@click.option("--source", type=click.Path(file_okay=False, exists=True),
              help="A checkout (or copy) whose data/, ontology/ and queries/ to use.")
@click.pass_context
def main(ctx: click.Context, config, base_iri, data_dir, ontology_dir, dist_dir, queries_dir, source) -> None:
    """ASCN-KG: the ASEAN Smart Cities Network knowledge graph.

    The source tables, ontology and catalogue are those of --source DIR when given, else those
    of the checkout the working folder is in, else the copies the package carries; builds go
    to ./dist unless --dist-dir says otherwise.
    """
    folders = {name: Path(source) / name for name in ("data", "ontology", "queries")} if source else {}
    ctx.obj = load_settings(
        config,
        base_iri=base_iri,
        data_dir=data_dir or folders.get("data"),
        ontology_dir=ontology_dir or folders.get("ontology"),
        dist_dir=dist_dir,
        queries_dir=queries_dir or folders.get("queries"),
    )


def _checked(action):
    """Run a build step, turning invalid data into a clear message and exit code 1."""
    from ascn_kg.build.reason import InconsistentOntologyError
    from ascn_kg.build.tables import DataError
    from ascn_kg.build.validate import ShaclViolationError, ShapesError

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
    from ascn_kg.build.pipeline import build as run_build

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
    from ascn_kg.build.pipeline import assemble

    settings = _settings(ctx)
    assembled = _checked(lambda: assemble(settings, report=click.echo))
    for warning in assembled.validation.warnings:
        click.echo(f"  warning: {warning}")
    click.echo(
        f"valid: {len(assembled.quads)} quads, {len(assembled.reasoning.inferred)} inferred, "
        f"{len(assembled.validation.warnings)} SHACL warnings (version {assembled.version})"
    )


DEFAULTS = Settings()


@main.command()
@click.option("--host", help=f"Address to bind (default {DEFAULTS.host}).")
@click.option("--port", type=int, help=f"Port to listen on (default {DEFAULTS.port}).")
@click.option("--workers", type=int, help=f"Worker processes (default {DEFAULTS.workers}).")
@click.option("--threads", type=int, help=f"Threads per worker answering requests (default {DEFAULTS.threads}).")
@click.option("--backend", "backend_url", help="Answer from this external SPARQL endpoint instead.")
@click.option("--query-timeout", type=float,
              help=f"Seconds after which a query is stopped (default {DEFAULTS.query_timeout:g}).")
@click.option("--dist-dir", type=click.Path(file_okay=False), help="The build to serve (default ./dist).")
@click.pass_context
def serve(ctx: click.Context, host, port, workers, threads, backend_url, query_timeout, dist_dir) -> None:
    """Serve the built graph under granian (SIGHUP: serve a new build in place)."""
    from ascn_kg.ops.runner import serve as run_server

    settings = _settings(ctx).with_overrides(
        **{
            k: v
            for k, v in {
                "host": host,
                "port": port,
                "workers": workers,
                "threads": threads,
                "backend_url": backend_url,
                "query_timeout": query_timeout,
                "dist_dir": dist_dir,
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
    from ascn_kg.build.publish import publish as run_publish

    settings = _settings(ctx)
    if not settings.store_dir.is_dir():
        _fail(f"no build at {settings.dist_dir}: run `ascn-kg build` first", EXIT_ENVIRONMENT)
    try:
        counts = run_publish(settings.dist_dir, to_url, timeout=timeout)
    except OSError as exc:
        _fail(f"publish failed: {exc}", EXIT_ENVIRONMENT)
    click.echo(f"published {sum(counts.values())} triples in {len(counts)} graphs to {to_url}")


class CatalogueCommand(click.Command):
    """A command whose help ends with the names of the catalogue's queries."""

    def format_epilog(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        settings = ctx.find_root().obj
        try:
            names = [entry.name for entry in load_catalogue(settings.queries_dir)] if settings else []
        except (CatalogueError, OSError):
            names = []
        if names:
            with formatter.section("Catalogue queries (`--list` shows their questions and parameters)"):
                line = ""
                for name in names:  # whole names per line: a name is never cut at its hyphens
                    if line and len(line) + len(name) + 2 > (formatter.width or 78) - formatter.current_indent:
                        formatter.write(f"{'':>{formatter.current_indent}}{line},\n")
                        line = ""
                    line = f"{line}, {name}" if line else name
                formatter.write(f"{'':>{formatter.current_indent}}{line}\n")


def default_lang() -> str:
    """Korean when the locale is Korean (LC_ALL, LC_MESSAGES, LANG), else English."""
    import os

    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(name, "")
        if value:
            return "ko" if value.lower().startswith("ko") else "en"
    return "en"


@main.command(cls=CatalogueCommand)
@click.argument("query", required=False)
@click.option("--list", "list_catalogue", is_flag=True,
              help="List the catalogue: each query's name, question and parameters.")
@click.option("--lang", type=click.Choice(["en", "ko"]), help="Language of the questions (default: the locale's).")
@click.option("--param", "params", multiple=True, metavar="NAME=VALUE",
              help="Bind a parameter the catalogue query declares (repeatable).")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table",
              show_default=True, help="table (aligned text), csv, or SPARQL JSON results.")
@click.option("--endpoint", help="Ask this SPARQL endpoint instead of the built store.")
@click.pass_context
def query(ctx: click.Context, query: str | None, list_catalogue: bool, lang: str | None, params: tuple[str, ...],
          fmt: str, endpoint: str | None) -> None:
    """Run QUERY: a catalogue name (queries/NAME.rq), a query file, or the text of a query."""
    from ascn_kg.catalogue import UnknownQuery
    from ascn_kg.querycli import print_catalogue, run_query
    from ascn_kg.sparql.query_errors import explain
    from ascn_kg.store.catalogue_bind import query_text
    from ascn_kg.store.protocol import BackendUnavailable, QuerySyntaxError, StoreError, StoreMissing
    from ascn_kg.store.safety import QueryRefused

    settings = _settings(ctx)
    if list_catalogue:
        try:
            print_catalogue(load_catalogue(settings.queries_dir), lang or default_lang(), sys.stdout)
        except CatalogueError as exc:
            _fail(str(exc), EXIT_INVALID)
        return
    if query is None:
        _fail("give a QUERY (a catalogue name, a query file or query text), or --list to see the catalogue",
              EXIT_ENVIRONMENT)
    bound: dict[str, str] = {}
    for item in params:
        name, equals, value = item.partition("=")
        if not equals or not name.strip():
            _fail(f"--param takes NAME=VALUE, not {item!r}", EXIT_ENVIRONMENT)
        bound[name.strip()] = value
    try:
        text = query_text(query, bound, settings.queries_dir)
        rows = run_query(settings, text, endpoint=endpoint, fmt=fmt)
        if rows == 0 and bound and not endpoint:
            for name, close in _unmatched(settings, bound).items():
                hint = f"; the closest names are {', '.join(close)}" if close else ""
                click.echo(f"ascn-kg: no rows; {name}={bound[name]!r} names nothing in the graph (give a key, "
                           f"or any English or Korean name of it){hint}", err=True)
    except (UnknownQuery, ValueError) as exc:
        _fail(str(exc), EXIT_ENVIRONMENT)
    except CatalogueError as exc:
        _fail(str(exc), EXIT_INVALID)
    except QueryRefused as exc:
        _fail(f"query refused: {exc.message}", EXIT_INVALID)
    except (StoreMissing, BackendUnavailable) as exc:
        _fail(str(exc), EXIT_ENVIRONMENT)
    except QuerySyntaxError as exc:
        _fail(explain(exc, text, lang or default_lang()).summary, EXIT_INVALID)
    except StoreError as exc:
        _fail(f"query failed: {exc}", EXIT_INVALID)


def _unmatched(settings: Settings, bound: dict[str, str]) -> dict[str, list[str]]:
    """The bound parameters that name nothing in the built graph, with the closest names."""
    from ascn_kg.store.backend import open_store
    from ascn_kg.store.catalogue_bind import parameter_names, unmatched

    store = open_store(settings)
    try:
        return unmatched(parameter_names(store), bound)
    finally:
        store.close()


def run() -> None:
    """Entry point that never shows a traceback for expected errors."""
    main(standalone_mode=True)


if __name__ == "__main__":  # pragma: no cover
    main()


__all__ = ["EXIT_ENVIRONMENT", "EXIT_INVALID", "Path", "main"]
