"""OWL reasoning with owlready2 and HermiT: inferred class memberships, or why it is inconsistent.

HermiT accepts only the OWL 2 datatype map, so literals typed xsd:gYear,
xsd:gYearMonth or xsd:date (dates of the timeline) are left out of the reasoner's
input; no class of the ontology depends on them. ``owl:imports`` is left out too:
the build never fetches a remote document.
"""

from __future__ import annotations

import re
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import owlready2
from owlready2 import reasoning as owl_reasoning
from rdflib import Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import OWL, RDF, RDFS, XSD

NON_OWL2_DATATYPES = frozenset({XSD.gYear, XSD.gYearMonth, XSD.date})
JAVA_MEMORY_MB = 2000


class InconsistentOntologyError(Exception):
    """The ontology with the data is inconsistent; lists the individuals involved."""

    def __init__(self, individuals: list[str], explanation: str):
        self.individuals = individuals
        self.explanation = explanation
        names = ", ".join(individuals) if individuals else "(none identified)"
        super().__init__(
            f"the ontology and data are inconsistent; individuals involved: {names}\n"
            f"{explanation.strip()}"
        )


@dataclass(frozen=True)
class ReasoningResult:
    """Class memberships the reasoner inferred that the input did not assert."""

    inferred: frozenset[tuple[URIRef, URIRef, URIRef]]


def reasoner_input(graph: Graph) -> Graph:
    """A copy of ``graph`` without what HermiT cannot read (see module docstring)."""
    kept = Graph()
    for s, p, o in graph:
        if isinstance(o, Literal) and o.datatype in NON_OWL2_DATATYPES:
            continue
        if p == RDFS.range and o in NON_OWL2_DATATYPES:
            continue
        if p == OWL.imports:  # never let the reasoner's loader fetch anything
            continue
        kept.add((s, p, o))
    return kept


def _write_ntriples(graph: Graph, folder: Path) -> Path:
    path = folder / "reasoner-input.nt"
    path.write_bytes(graph.serialize(format="nt", encoding="utf-8"))
    return path


def _explain(path: Path, individuals: dict[str, list[str]]) -> InconsistentOntologyError:
    """Ask Pellet (bundled with owlready2) why the input is inconsistent."""
    command = [
        owlready2.JAVA_EXE,
        f"-Xmx{JAVA_MEMORY_MB}M",
        "-cp",
        owl_reasoning._PELLET_CLASSPATH,
        "pellet.Pellet",
        "explain",
        "--ignore-imports",
        str(path),
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=False, timeout=120)
    explanation = done.stdout or done.stderr
    involved: set[str] = set()
    for line in explanation.splitlines():
        match = re.match(r"^\s*(?:\d+\)\s+)?(\S+)\s+(type|[a-zA-Z]+)\s", line)
        if match and match.group(1) in individuals:
            involved.update(individuals[match.group(1)])
    return InconsistentOntologyError(sorted(involved), explanation)


def reason(graph: Graph, ontology_namespace: str, individual_prefix: str) -> ReasoningResult:
    """Run HermiT over ontology + data; return inferred rdf:type triples in our namespace."""
    source = reasoner_input(graph)
    local_names: dict[str, list[str]] = {}
    for subject in set(source.subjects()):
        if isinstance(subject, URIRef) and str(subject).startswith(individual_prefix):
            local_names.setdefault(str(subject).rsplit("/", 1)[-1], []).append(str(subject))
    with tempfile.TemporaryDirectory(prefix="ascn-reason-") as folder:
        path = _write_ntriples(source, Path(folder))
        world = owlready2.World()
        ontology = world.get_ontology(path.as_uri()).load(format="ntriples")
        try:
            with ontology:
                owlready2.sync_reasoner_hermit(world, infer_property_values=False, debug=0)
        except owlready2.OwlReadyInconsistentOntologyError:
            raise _explain(path, local_names) from None
        subjects = [iri for names in local_names.values() for iri in names]
        inferred = _inferred_types(world, subjects, graph, ontology_namespace)
        world.close()
    return ReasoningResult(frozenset(inferred))


def told_superclasses(ontology: Graph, cls: URIRef) -> set[str]:
    """Named superclasses stated by rdfs:subClassOf or by an equivalent intersection, transitively."""
    found: set[str] = set()
    todo = [cls]
    while todo:
        current = todo.pop()
        parents = set(ontology.objects(current, RDFS.subClassOf))
        for equivalent in ontology.objects(current, OWL.equivalentClass):
            for members in ontology.objects(equivalent, OWL.intersectionOf):
                parents.update(Collection(ontology, members))
        for parent in parents:
            if isinstance(parent, URIRef) and str(parent) not in found:
                found.add(str(parent))
                todo.append(parent)
    return found


def _inferred_types(
    world: owlready2.World, subjects: list[str], asserted: Graph, namespace: str
) -> set[tuple[URIRef, URIRef, URIRef]]:
    """Every named class of ours an individual belongs to, minus what was asserted."""
    found: set[tuple[URIRef, URIRef, URIRef]] = set()
    for iri in subjects:
        individual = world[iri]
        if not isinstance(individual, owlready2.Thing):
            continue
        classes: set[str] = set()
        for parent in individual.is_a:
            if isinstance(parent, owlready2.ThingClass):
                classes.update(c.iri for c in parent.ancestors() if isinstance(c, owlready2.ThingClass))
        for cls in set(classes):
            classes |= told_superclasses(asserted, URIRef(cls))
        for cls in classes:
            triple = (URIRef(iri), RDF.type, URIRef(cls))
            if cls.startswith(namespace) and triple not in asserted:
                found.add(triple)
    return found
