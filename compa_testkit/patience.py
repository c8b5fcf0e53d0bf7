"""How long a test waits for an outcome before it calls it a hang.

Tests assert outcomes (who got what, how many times, in which state), never how long they
took. They wait on events: an answer arriving, a count reached, a process exiting. PATIENCE is
only the ceiling on such a wait, so that a real hang (a lost message, a deadlock) fails with a
message instead of stalling the suite. It is minutes on purpose: a busy 2-core machine running
the whole suite on both cores must never reach it.
"""

PATIENCE = 300.0
