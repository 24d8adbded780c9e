# The fused dense layer (included by _core.pyx): act(x @ w + bias) in one C call.

cdef extern from "lamina/lamina.h" nogil:
    ctypedef enum lm_act:
        LM_ACT_NONE, LM_ACT_RELU, LM_ACT_SIGMOID, LM_ACT_TANH, LM_ACT_GELU, LM_NACT
    lm_status lm_dense(const lm_tensor *x, const lm_tensor *w, const lm_tensor *bias, lm_act act,
                       lm_tensor **out)

_DENSE_ACTIVATIONS = {None: LM_ACT_NONE, "linear": LM_ACT_NONE, "relu": LM_ACT_RELU,
                      "sigmoid": LM_ACT_SIGMOID, "tanh": LM_ACT_TANH, "gelu": LM_ACT_GELU}


def dense(x, w, bias=None, activation=None):
    """act(x @ w + bias): a Dense layer's forward pass, fused (the bias and the activation are
    applied to each tile of the product while it is in cache).

    x: (..., in_features), rank >= 1; w: (in_features, units); bias: (units,) or None.
    activation: None or "linear", "relu", "sigmoid", "tanh", "gelu" (exact, erf-based).
    Float dtypes only, one for all operands (Python data adapts to x's dtype). The result has
    shape x.shape[:-1] + (units,).
    """
    cdef Tensor tx, tw
    cdef Tensor tb = None
    cdef lm_tensor *out = NULL
    cdef lm_tensor *bp = NULL
    cdef lm_status st
    cdef lm_act act
    key = activation.lower() if isinstance(activation, str) else activation
    try:
        act = _DENSE_ACTIVATIONS[key]
    except (KeyError, TypeError):
        raise ValueError(f"dense: activation must be None or one of 'linear', 'relu', "
                         f"'sigmoid', 'tanh', 'gelu', got {activation!r}") from None
    if type(x) is Tensor and type(w) is Tensor:
        tx = <Tensor>x
        tw = <Tensor>w
    else:
        tx, tw = _pair(x, w)
    if bias is not None:
        tb = _as_tensor_like(bias, tx.t.dtype)
        bp = tb.t
    cdef double work = <double>tx.t.numel * (tw.t.shape[1] if tw.t.ndim == 2 else 1)
    if work < BIG_WORK:
        st = lm_dense(tx.t, tw.t, bp, act, &out)
    else:
        with nogil:
            st = lm_dense(tx.t, tw.t, bp, act, &out)
    if st != LM_OK:
        raise_status(st)
    return wrap(out)
