"""The HTTP edge's public names, kept at their historical import path.

Everything lives in `pipelines.edge` (domains, allow-list, the polite bounded session); import from either.
`registrable_domain(host)` is the one rule for "the same owner" that discovery and the allow-list share.
"""

from pipelines.edge import *  # noqa: F401,F403
from pipelines.edge import __all__  # noqa: F401

DEFAULT_TIMEOUT = (10, 30)  # (connect, read) seconds: EdgeLimits' defaults
