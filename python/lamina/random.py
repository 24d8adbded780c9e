"""tf.random: seeded random tensors from a counter-based generator.  STUB: to be written."""


def set_seed(seed):
    raise NotImplementedError("random.set_seed")


def normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None, name=None):
    raise NotImplementedError("random.normal")


def uniform(shape, minval=0, maxval=None, dtype=None, seed=None, name=None):
    raise NotImplementedError("random.uniform")


def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None, name=None):
    raise NotImplementedError("random.truncated_normal")
