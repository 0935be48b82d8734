"""The top floor: the one place that puts the kiosk together.

``kiosk`` (the core), ``sync`` (destinations), ``ui`` (the window) and ``central``
never reach up here. This package holds the command line and its commands, the
doctor and its probes, the self-test, the demo and the benchmarks, and imports
every part it wires together statically (docs/internals.md).
"""
