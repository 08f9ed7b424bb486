"""The judges: one module per check kind, each turning a target's answers to
one case into Results (runner/checks.py plans and drives them).

=============  =================================================================
load.py        ``load``, ``reject``, ``defined``, and a dump case's canonical
               stream loaded
dump.py        ``dump-bytes``, ``dump-equivalent``, ``dump-readable``; ``dump``
               for a producer that is not CPython
cross.py       ``cross``: every producer's stream read by every consumer
parse.py       ``parse``: whether a stream is well formed
scan.py        ``scan``: the globals a stream would import and call
transform.py   ``transform``: bytes in, bytes out
common.py      what they share: calls, the per-case preparation, comparing a
               loaded object (under the target's projections)
=============  =================================================================

Each judge is a generator: it yields the `Call`s it needs and appends its
Results as soon as it can judge them, so the same code serves a one-case
check and a whole pipelined run.
"""
