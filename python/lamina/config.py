"""tf.config: the runtime settings lamina has (threads)."""
import types

from lamina._core import get_num_threads, set_num_threads


def _set_intra(num_threads):
    # tf: 0 means "let the runtime choose"; lamina then uses its default (the CPU count).
    import os
    set_num_threads(num_threads if num_threads else (os.cpu_count() or 1))


threading = types.SimpleNamespace(
    get_intra_op_parallelism_threads=get_num_threads,
    set_intra_op_parallelism_threads=_set_intra,
    get_inter_op_parallelism_threads=lambda: 1,
    set_inter_op_parallelism_threads=lambda num_threads: None,
)
