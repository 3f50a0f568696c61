"""The build pipeline: tables → RDF → reasoning → SHACL → dist/, swapped in atomically.

``dist`` is a symbolic link to a folder under ``.dist-builds/``; a build writes a
new folder and then replaces the link in one ``rename``, so a reader sees either
the old build or the new one, never a half-written one. A failed or killed build
leaves the previous ``dist`` as it was.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox
from rdflib import Graph

from ascn_kg import iris
from ascn_kg.catalogue import load_catalogue
from ascn_kg.config import DEFAULT_BASE_IRI, Settings
from ascn_kg.build.convert import Quad, convert
from ascn_kg.build.describe import DOWNLOADS, dataset_description, provenance
from ascn_kg.store.label_index import index_dist
from ascn_kg.namespaces import ascn_namespace, prefixes
from ascn_kg.build.reason import ReasoningResult, reason
from ascn_kg.store.terms import to_oxigraph
from ascn_kg.build.tables import Tables, load_tables
from ascn_kg.build.validate import ShaclViolationError, ValidationResult, validate_graph
from ascn_kg.store.dataset_counts import DESCRIPTION_GRAPH

KEEP_OLD_BUILDS = 4  # servers not yet reloaded keep reading the build they opened
ONTOLOGY_GRAPH = "ontology"
INFERRED_GRAPH = "inferred"
PROVENANCE_GRAPH = "provenance"
VOID_GRAPH = DESCRIPTION_GRAPH  # the description, loaded beside the data (not in the dumps)
DUMPS = {
    "ascn.ttl": ox.RdfFormat.TURTLE,
    "ascn.jsonld": ox.RdfFormat.JSON_LD,
    "ascn.rdf": ox.RdfFormat.RDF_XML,
}


@dataclass
class Assembled:
    """Everything a build computes before writing: the quads and the checks' results."""

    tables: Tables
    quads: set[Quad]
    reasoning: ReasoningResult
    validation: ValidationResult
    version: str
    timings: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class BuildResult:
    """What a finished build reports."""

    dist: Path
    version: str
    triples: int
    graphs: int
    warnings: tuple[str, ...]
    timings: dict[str, float]


class Stopwatch:
    """Times the stages of a build and reports each as it ends."""

    def __init__(self, report: Callable[[str], None] | None):
        self.timings: dict[str, float] = {}
        self.report = report

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        start = time.perf_counter()
        yield
        self.timings[name] = time.perf_counter() - start
        if self.report:
            self.report(f"  {name:<12} {self.timings[name] * 1000:8.0f} ms")


def read_turtle(path: Path, base: str) -> Graph:
    """Parse a Turtle file of ours, moving its IRIs from the default base to ``base``."""
    text = path.read_text(encoding="utf-8")
    if base != DEFAULT_BASE_IRI:
        text = text.replace(DEFAULT_BASE_IRI, base)
    return Graph().parse(data=text, format="turtle")


def assemble(settings: Settings, report: Callable[[str], None] | None = None) -> Assembled:
    """Load, convert, reason and validate; raise on any error, write nothing."""
    base = settings.base_iri
    watch = Stopwatch(report)
    with watch.stage("load tables"):
        tables = load_tables(settings.data_dir)
        load_catalogue(settings.queries_dir)  # a query header that does not parse fails the build
    with watch.stage("convert"):
        quads = convert(tables, base)
        ontology = read_turtle(settings.ontology_dir / "ascn.ttl", base)
        quads |= {(s, p, o, iris.graph(ONTOLOGY_GRAPH, base)) for s, p, o in ontology}
        union = Graph()
        for s, p, o, _ in quads:
            union.add((s, p, o))
    with watch.stage("reason"):
        reasoning = reason(union, str(ascn_namespace(base)), f"{base}id/")
        inferred_graph = iris.graph(INFERRED_GRAPH, base)
        quads |= {(s, p, o, inferred_graph) for s, p, o in reasoning.inferred}
        for triple in reasoning.inferred:
            union.add(triple)
    with watch.stage("validate"):
        shapes = read_turtle(settings.ontology_dir / "shapes.ttl", base)
        validation = validate_graph(union, shapes)
        if validation.violations:
            raise ShaclViolationError(validation)
    with watch.stage("provenance"):
        quads |= provenance(quads, tables, base, PROVENANCE_GRAPH)
        version = content_hash(quads)
    return Assembled(tables, quads, reasoning, validation, version, watch.timings)


def sorted_nquads(quads: set[Quad]) -> bytes:
    """Canonical, sorted N-Quads: same quads, same bytes."""
    dataset = ox.Dataset(_to_oxigraph(q) for q in quads)
    dataset.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
    text = ox.serialize(dataset, format=ox.RdfFormat.N_QUADS)
    lines = sorted(set(text.splitlines(keepends=True)))
    return b"".join(lines)


def sorted_ntriples(nquads: bytes) -> bytes:
    """The default-graph union of sorted N-Quads as sorted N-Triples."""
    triples = ox.Dataset(ox.parse(nquads, format=ox.RdfFormat.N_QUADS))
    graph = {ox.Triple(q.subject, q.predicate, q.object) for q in triples}
    lines = {f"{t.subject} {t.predicate} {t.object} .\n".encode() for t in graph}
    return b"".join(sorted(lines))


def content_hash(quads: set[Quad]) -> str:
    """The dataset's version: a hash of its canonical N-Quads."""
    return hashlib.sha256(sorted_nquads(quads)).hexdigest()[:16]


def _to_oxigraph(quad: Quad) -> ox.Quad:
    return ox.Quad(*(to_oxigraph(t) for t in quad[:3]), ox.NamedNode(str(quad[3])))


def write_dist(assembled: Assembled, settings: Settings, folder: Path, report=None) -> BuildResult:
    """Write every artefact of a build into ``folder`` (a fresh directory)."""
    watch = Stopwatch(report)
    base = settings.base_iri
    with watch.stage("serialize"):
        nquads = sorted_nquads(assembled.quads)
        (folder / "ascn.nq").write_bytes(nquads)
        (folder / "ascn.nt").write_bytes(sorted_ntriples(nquads))
        quads = list(ox.parse(nquads, format=ox.RdfFormat.N_QUADS))
        triples = sorted({ox.Triple(q.subject, q.predicate, q.object) for q in quads}, key=str)
        names = prefixes(base)
        (folder / "ascn.trig").write_bytes(
            ox.serialize(quads, format=ox.RdfFormat.TRIG, prefixes=names)
        )
        for name, fmt in DUMPS.items():
            (folder / name).write_bytes(ox.serialize(triples, format=fmt, prefixes=names))
        for name in DOWNLOADS:  # the same bytes gzip-compressed, for clients that accept it
            (folder / f"{name}.gz").write_bytes(gzip.compress((folder / name).read_bytes(), 6, mtime=0))
        assembled.validation.report.serialize(folder / "shacl-report.ttl", format="turtle")
        shutil.copy(settings.ontology_dir / "ascn.ttl", folder / "ontology.ttl")
        shutil.copy(settings.ontology_dir / "shapes.ttl", folder / "shapes.ttl")
        (folder / "VERSION").write_text(assembled.version + "\n", encoding="utf-8")
        void = dataset_description(assembled.quads, folder, base, assembled.version)
        void.serialize(folder / "void.ttl", format="turtle")
    with watch.stage("store"):
        store = ox.Store(str(folder / "store"))
        store.bulk_load(path=str(folder / "ascn.nq"), format=ox.RdfFormat.N_QUADS)
        store.bulk_load(
            path=str(folder / "void.ttl"),
            format=ox.RdfFormat.TURTLE,
            to_graph=ox.NamedNode(str(iris.graph(VOID_GRAPH, base))),
        )
        store.optimize()
        store.flush()
        del store
    with watch.stage("search index"):
        index_dist(folder, base)
    graphs = {q[3] for q in assembled.quads}
    return BuildResult(
        folder,
        assembled.version,
        len(assembled.quads),
        len(graphs),
        assembled.validation.warnings,
        assembled.timings | watch.timings,
    )


def builds_dir(dist: Path) -> Path:
    """Where the build folders behind the ``dist`` link live."""
    return dist.parent / f".{dist.name}-builds"


def swap_in(folder: Path, dist: Path) -> None:
    """Point ``dist`` at ``folder`` in one atomic rename; keep a few old builds."""
    link = dist.parent / f".{dist.name}.link-{os.getpid()}"
    if link.is_symlink() or link.exists():
        link.unlink()
    link.symlink_to(os.path.relpath(folder, dist.parent))
    if dist.exists() and not dist.is_symlink():
        legacy = builds_dir(dist) / f"legacy-{int(time.time())}"
        dist.rename(legacy)
    os.replace(link, dist)
    _prune(builds_dir(dist), keep={folder.name})


def _prune(folder: Path, keep: set[str]) -> None:
    builds = sorted(
        (p for p in folder.iterdir() if p.is_dir() and not p.name.startswith("tmp")),
        key=lambda p: p.stat().st_mtime,
        reverse=True,
    )
    for old in builds[KEEP_OLD_BUILDS + 1 :]:
        if old.name not in keep:
            shutil.rmtree(old, ignore_errors=True)
    for stale in folder.glob("tmp-*"):
        if time.time() - stale.stat().st_mtime > 3600:
            shutil.rmtree(stale, ignore_errors=True)


def build(settings: Settings, report: Callable[[str], None] | None = None) -> BuildResult:
    """Assemble, write to a temporary folder beside dist, then swap it in."""
    assembled = assemble(settings, report)
    target = builds_dir(settings.dist_dir)
    target.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="tmp-", dir=target))
    folder.chmod(0o755)  # readable by a server running as another user
    try:
        result = write_dist(assembled, settings, folder, report)
        final = target / f"{assembled.version}-{time.strftime('%Y%m%d%H%M%S')}-{os.getpid()}"
        folder.rename(final)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    swap_in(final, settings.dist_dir)
    return BuildResult(
        settings.dist_dir, result.version, result.triples, result.graphs, result.warnings,
        result.timings,
    )
