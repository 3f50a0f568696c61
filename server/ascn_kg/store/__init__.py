"""The store seam: everything that reads the dataset goes through one protocol.

Owns the protocol with its types and errors (``protocol``), term conversions (``terms``),
the choice of backend (``backend``) between the embedded read-only pyoxigraph store
(``embedded``, with its killable query pool ``pool`` and ``evaluate``) and any SPARQL 1.1
endpoint (``remote``), serialization of answers (``results``), the safety gate every public
query passes first (``safety``) and the label index behind search (``label_index``). It imports
only the ground modules (config, labels, errors): no Flask, no web.
"""
