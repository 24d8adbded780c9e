"""The seam between variables and gradient tapes.

Variables call `variable_accessed(var, tensor)` whenever a trainable variable's value is read
(`Variable.value()`, and so every op that takes the variable). Each tape active on this thread
then decides whether to watch it (tf.GradientTape's watch_accessed_variables). The tape module
registers its tapes in `active_tapes()`; the variable module needs nothing else from it.
"""
import threading

_local = threading.local()


def active_tapes():
    """The tapes recording on this thread, innermost last (a list the tape module maintains)."""
    tapes = getattr(_local, "tapes", None)
    if tapes is None:
        tapes = _local.tapes = []
    return tapes


def variable_accessed(var, tensor):
    """Tell every active tape that `var` was read and gave `tensor`."""
    tapes = getattr(_local, "tapes", None)
    if tapes:
        for tape in tapes:
            tape._variable_accessed(var, tensor)
