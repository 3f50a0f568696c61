"""The web pages: what people and linked-data clients browse.

Owns the page registrar (``registrar``), one page kit of shared helpers and the labeller
(``kit``), one text table (``text``), one RDF-document module (``rdf_document``: formats, 406,
404, serialization), the interface language (``language``), the ontology as pages see it
(``ontology_view``) and the pages themselves: entity pages and dereferencing (``entity``),
browse pages (``browse``), the typology chart (``charts``), downloads, the ontology
documentation (``ontology_doc``), the query page (``query_page``), search, permalinks and the
OpenAPI document. It may import sparql, ops, the store and the ground modules.
"""
