"""Leader election with a Redis lock: one watcher leads, the others stand by.

:class:`~reconciler.leader.elector.LeaderElector` takes, renews and releases the lock;
:class:`~reconciler.leader.config.LeaderConfig` holds the timings (lease 15 s, renew deadline
10 s, retry 2 s) and refuses impossible ones. Every term has an epoch, a fencing token that
the leader's queue writes carry, so a deposed leader cannot write. See ``docs/watcher.md``.
"""

from reconciler.leader.config import LeaderConfig
from reconciler.leader.elector import LeaderElector, LeadershipLostError, Renewal, Term

__all__ = ["LeaderConfig", "LeaderElector", "LeadershipLostError", "Renewal", "Term"]
