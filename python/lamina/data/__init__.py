"""lamina.data (tf.data): Dataset input pipelines over lamina tensors and NumPy arrays."""
from lamina.data.dataset import Dataset, Iterator, AUTOTUNE, INFINITE as INFINITE_CARDINALITY, \
    UNKNOWN as UNKNOWN_CARDINALITY
from lamina.data import experimental

__all__ = ["Dataset", "Iterator", "AUTOTUNE", "INFINITE_CARDINALITY", "UNKNOWN_CARDINALITY",
           "experimental"]
