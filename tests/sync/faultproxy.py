"""The tests' fault-injecting TCP proxy (latency, bandwidth cap, reset at byte N either
way, stall then close, reply dropped after the server committed).

The implementation is ``sync.linksim`` so that ``kiosk bench`` can simulate the
2G link with the very same code; this module is the tests' name for it.
"""

from sync.linksim import Fault, FaultProxy

__all__ = ["Fault", "FaultProxy"]
