"""SHACL validation with pySHACL: violations stop the build, warnings are reported."""

from __future__ import annotations

from dataclasses import dataclass

from pyshacl import validate as shacl_validate
from rdflib import Graph
from rdflib.namespace import RDF

from ascn_kg.namespaces import SH


@dataclass(frozen=True)
class ValidationResult:
    """The SHACL report graph and a line per result."""

    conforms: bool
    report: Graph
    violations: tuple[str, ...]
    warnings: tuple[str, ...]


class ShaclViolationError(Exception):
    """The data breaks shapes of severity sh:Violation."""

    def __init__(self, result: ValidationResult):
        self.result = result
        lines = "\n".join(f"  {v}" for v in result.violations[:50])
        super().__init__(f"{len(result.violations)} SHACL violation(s):\n{lines}")


class ShapesError(Exception):
    """The shapes graph itself is broken (pySHACL could not run it)."""


def _describe(report: Graph, node) -> str:
    focus = report.value(node, SH.focusNode)
    path = report.value(node, SH.resultPath)
    message = report.value(node, SH.resultMessage)
    value = report.value(node, SH.value)
    parts = [str(focus)]
    if path is not None:
        inverse = report.value(path, SH.inversePath)
        parts.append(f"path ^{inverse}" if inverse is not None else f"path {path}")
    if value is not None:
        parts.append(f"value {value}")
    return f"{' | '.join(parts)}: {message}"


def validate_graph(data: Graph, shapes: Graph) -> ValidationResult:
    """Validate ``data`` (ontology, data and inferred types together) against ``shapes``."""
    conforms, report, _ = shacl_validate(
        data, shacl_graph=shapes, inference="none", advanced=True, allow_warnings=True
    )
    if not isinstance(report, Graph):
        raise ShapesError(str(getattr(report, "message", report)))
    violations: list[str] = []
    warnings: list[str] = []
    for node in report.subjects(RDF.type, SH.ValidationResult):
        severity = report.value(node, SH.resultSeverity)
        (warnings if severity == SH.Warning else violations).append(_describe(report, node))
    return ValidationResult(bool(conforms), report, tuple(sorted(violations)), tuple(sorted(warnings)))
