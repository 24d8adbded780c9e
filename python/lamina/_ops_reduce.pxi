# Reductions, arg-reductions and softmax (included by _core.pyx).  STUB: bodies to be written.

def reduce_sum(input_tensor, axis=None, keepdims=False, name=None):
    raise NotImplementedError("reduce_sum")

def reduce_mean(input_tensor, axis=None, keepdims=False, name=None):
    raise NotImplementedError("reduce_mean")

def reduce_max(input_tensor, axis=None, keepdims=False, name=None):
    raise NotImplementedError("reduce_max")

def reduce_min(input_tensor, axis=None, keepdims=False, name=None):
    raise NotImplementedError("reduce_min")

def reduce_prod(input_tensor, axis=None, keepdims=False, name=None):
    raise NotImplementedError("reduce_prod")

def reduce_any(input_tensor, axis=None, keepdims=False, name=None):
    raise NotImplementedError("reduce_any")

def reduce_all(input_tensor, axis=None, keepdims=False, name=None):
    raise NotImplementedError("reduce_all")

def argmax(input, axis=None, output_type=int64, name=None):
    raise NotImplementedError("argmax")

def argmin(input, axis=None, output_type=int64, name=None):
    raise NotImplementedError("argmin")

def softmax(logits, axis=None, name=None):
    raise NotImplementedError("softmax")

def log_softmax(logits, axis=None, name=None):
    raise NotImplementedError("log_softmax")
