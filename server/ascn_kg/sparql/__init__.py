"""The SPARQL 1.1 Protocol service at ``/sparql``.

Owns the endpoint blueprint (``endpoint``), planning, running and reporting a query
(``answer``), the one table from errors to statuses (``errors``), strict request reading
(``request``), the WSGI fast lane for GET queries (``lane``), HTML results and the query form
(``html``) and the service description (``service_description``). It may import ops, the
store and the ground modules, never the web pages.
"""
