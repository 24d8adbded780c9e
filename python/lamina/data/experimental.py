"""tf.data.experimental: the parts of it guides use."""
from lamina.data.dataset import AUTOTUNE, INFINITE as INFINITE_CARDINALITY, \
    UNKNOWN as UNKNOWN_CARDINALITY


def cardinality(dataset):
    """The dataset's number of elements as an int64 scalar tensor (-1 infinite, -2 unknown)."""
    return dataset.cardinality()
