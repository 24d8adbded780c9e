# Shape ops and indexing (included by _core.pyx).  STUB: bodies to be written.

def _getitem(x, key):
    raise NotImplementedError("indexing")

def reshape(tensor, shape, name=None):
    raise NotImplementedError("reshape")

def transpose(a, perm=None, conjugate=False, name="transpose"):
    raise NotImplementedError("transpose")

def expand_dims(input, axis, name=None):
    raise NotImplementedError("expand_dims")

def squeeze(input, axis=None, name=None):
    raise NotImplementedError("squeeze")

def broadcast_to(input, shape, name=None):
    raise NotImplementedError("broadcast_to")

def concat(values, axis, name="concat"):
    raise NotImplementedError("concat")

def stack(values, axis=0, name="stack"):
    raise NotImplementedError("stack")

def unstack(value, num=None, axis=0, name="unstack"):
    raise NotImplementedError("unstack")

def gather(params, indices, validate_indices=None, axis=None, batch_dims=0, name=None):
    raise NotImplementedError("gather")

def one_hot(indices, depth, on_value=None, off_value=None, axis=None, dtype=None, name=None):
    raise NotImplementedError("one_hot")

def shape(input, out_type=int32, name=None):
    raise NotImplementedError("shape")

def rank(input, name=None):
    raise NotImplementedError("rank")

def size(input, out_type=int32, name=None):
    raise NotImplementedError("size")
