"""Downloads: the dumps and descriptions of the build, served from ``dist/``.

Only the files named in :data:`FILES` are served (no other name reaches the file system,
so no path traversal); each with its media type, ``Content-Length`` and an ``ETag`` made
of the dataset version and the file name (304 on a match). ``/.well-known/void`` is the
VoID + DCAT description (``void.ttl``); ``/dataset`` (the VoID dataset IRI) dereferences
like every other IRI (see :mod:`ascn_kg.entity`).
"""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
from flask import Blueprint, Response, redirect, request, send_file

from ascn_kg.namespaces import prefixes
from ascn_kg.store.dataset_counts import dataset_counts
from ascn_kg.web.kit import base_iri, not_found_page, page_lang, render, settings, store, t
from ascn_kg.web.rdf_document import (
    EXTENSION_OF,
    PREFIXED_EXTENSIONS,
    QUAD_EXTENSIONS,
    wanted_media,
)

bp = Blueprint("downloads", __name__)

# name → (media type, English description, Korean description)
FILES: dict[str, tuple[str, str, str]] = {
    "ascn.trig": ("application/trig", "The dataset with its named graphs (TriG)",
                  "이름 있는 그래프를 포함한 데이터셋 (TriG)"),
    "ascn.nq": ("application/n-quads", "The dataset with its named graphs (N-Quads, sorted)",
                "이름 있는 그래프를 포함한 데이터셋 (N-Quads, 정렬됨)"),
    "ascn.ttl": ("text/turtle", "The union of the graphs (Turtle)", "모든 그래프의 합집합 (Turtle)"),
    "ascn.nt": ("application/n-triples", "The union of the graphs (N-Triples, sorted)",
                "모든 그래프의 합집합 (N-Triples, 정렬됨)"),
    "ascn.jsonld": ("application/ld+json", "The union of the graphs (JSON-LD)", "모든 그래프의 합집합 (JSON-LD)"),
    "ascn.rdf": ("application/rdf+xml", "The union of the graphs (RDF/XML)", "모든 그래프의 합집합 (RDF/XML)"),
    "ontology.ttl": ("text/turtle", "The OWL ontology", "OWL 온톨로지"),
    "shapes.ttl": ("text/turtle", "The SHACL shapes", "SHACL 형상"),
    "shacl-report.ttl": ("text/turtle", "The SHACL validation report of this build", "이번 빌드의 SHACL 검증 보고서"),
    "void.ttl": ("text/turtle", "VoID and DCAT description of the dataset", "데이터셋의 VoID·DCAT 설명"),
}


def path_of(name: str) -> Path | None:
    """The file of an allow-listed name in the current dist, or None."""
    if name not in FILES:
        return None
    path = Path(settings().dist_dir) / name
    return path if path.is_file() else None


def send(name: str) -> Response:
    """The file, gzip-compressed (``Content-Encoding``) when the build wrote ``NAME.gz`` and the
    client accepts gzip; ETag and 304 per version and coding."""
    path = path_of(name)
    if path is None:
        return not_found_page()
    version = store().version() or str(path.stat().st_mtime_ns)
    packed = path.with_name(f"{name}.gz")
    gzipped = request.accept_encodings["gzip"] > 0 and packed.is_file()
    response = send_file(packed if gzipped else path, mimetype=FILES[name][0],
                         etag=f"{version}-{name}" + ("-gzip" if gzipped else ""), conditional=True,
                         max_age=300, download_name=name, as_attachment=False)
    if gzipped:
        response.headers["Content-Encoding"] = "gzip"
    if packed.is_file():
        response.vary.add("Accept-Encoding")
    if FILES[name][0].startswith("text/"):
        response.headers["Content-Type"] = f"{FILES[name][0]}; charset=utf-8"
    return response


@bp.get("/download/")
def index() -> Response:
    lang = page_lang()
    files = []
    for name, (media, en, ko) in FILES.items():
        path = path_of(name)
        files.append({"name": name, "media": media, "text": ko if lang == "ko" else en,
                      "size": path.stat().st_size if path else None})
    counts = dataset_counts(store(), settings().base_iri)
    return render("downloads.html", title=t("downloads"), files=files, version=store().version(), counts=counts)


@bp.get("/download")
def index_redirect() -> Response:
    return redirect(f"{request.script_root}/download/", code=301)


@bp.get("/download/<name>")
def download(name: str) -> Response:
    return send(name)


@bp.get("/.well-known/void")
def well_known_void() -> Response:
    """The VoID description, in the RDF format ``Accept`` prefers; the file itself (Turtle) when it
    names none of them (a browser asking for HTML still gets the description, as text)."""
    offered = tuple(media for media, ext in EXTENSION_OF.items() if ext not in QUAD_EXTENSIONS)
    media = (wanted_media(offered) if request.headers.get("Accept") else None) or "text/turtle"
    if media == "text/turtle":
        response = send("void.ttl")
    else:
        path = path_of("void.ttl")
        if path is None:
            return not_found_page()
        triples = ox.parse(path.read_bytes(), format=ox.RdfFormat.TURTLE)
        options = {"prefixes": prefixes(base_iri())} if EXTENSION_OF[media] in PREFIXED_EXTENSIONS else {}
        body = ox.serialize(triples, format=ox.RdfFormat.from_media_type(media), **options)
        response = Response(body, mimetype=media)
        version = store().version()
        if version:
            response.set_etag(f"{version}-void-{EXTENSION_OF[media]}")
        response.headers["Cache-Control"] = "public, max-age=300"
        response.make_conditional(request)
    response.vary.add("Accept")
    return response
