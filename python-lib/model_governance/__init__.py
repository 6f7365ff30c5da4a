"""Model Governance: an enforced review gate, deployment and monitoring for DSS.

The package is layered so that dependencies point inward:

- ``core``: pure governance logic (policy, evidence, checks, metrics, workflow, audit
  maths); no I/O, no clock reads, no ``dataiku`` imports.
- ``ledger``: the SQL store (SQLAlchemy Core) of every decision and the audit chain.
- ``services``: use cases that combine the core with a ledger and a clock.
- ``cli``, ``dss``, ``webapp``: entry adapters (local command line, DSS, review webapp).
"""

__version__ = "0.1.0"
