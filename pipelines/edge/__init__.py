"""The network edge: every outside byte comes through here (style.md §16).

`domains` decides who may be contacted (registrable domains, allow-list, address policy); `session` holds the
polite, bounded `PoliteSession` (redirect checks, per-host spacing, robots.txt, caps, deadlines, streaming
into the raw store). Sources describe only what is particular to them.
"""

from pipelines.edge.domains import AllowList, address_refusal, registrable_domain
from pipelines.edge.session import (
    TRANSIENT_REASONS, USER_AGENT, AddressRefused, BudgetedSession, BudgetExceeded, DeadlineExceeded, Download,
    EdgeError, EdgeLimits, HostDown, HostNotAllowed, IncompleteBody, NetworkError, PoliteSession, RedirectLoop,
    RedirectNotAllowed, RobotsDisallowed, RobotsUnavailable, TooLarge, TooManyRedirects, TransferTimeout,
    status_reason, sweep_incoming, user_agent,
)

__all__ = [
    "AddressRefused", "AllowList", "BudgetExceeded", "BudgetedSession", "DeadlineExceeded", "Download",
    "EdgeError", "EdgeLimits", "HostDown", "HostNotAllowed", "IncompleteBody", "NetworkError", "PoliteSession",
    "RedirectLoop", "RedirectNotAllowed", "RobotsDisallowed", "RobotsUnavailable", "TRANSIENT_REASONS",
    "TooLarge", "TooManyRedirects", "TransferTimeout", "USER_AGENT", "address_refusal", "registrable_domain",
    "status_reason", "sweep_incoming", "user_agent",
]
