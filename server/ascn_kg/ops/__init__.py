"""Operations: what keeps the server observable and well-behaved in production.

Owns the app's state (``app_state``: its settings and store, reached one way), the
bookkeeping of requests with ``init_app`` installing this whole layer (``bookkeeping``),
Prometheus metrics (``metrics``, ``multiproc``), the JSON query log (``querylog``), response
headers, ETags and the dataset version (``headers``), health probes (``health``), the server
runner (``runner``, granian) and its listening socket (``listener``), the front door that
refuses malformed and oversized requests (``request_guard``), who a client is (``clients``)
and its fair share of a worker (``client_limits``), and sending answers in chunks
(``answer_stream``). It may import the store and the ground modules, never sparql or web.
"""
