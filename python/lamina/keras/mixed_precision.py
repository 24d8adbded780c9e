"""tf.keras.mixed_precision: dtype policies (the compute and the variable dtype of a layer)."""
from lamina._core import as_dtype

_VALID = {
    "float16": ("float16", "float16"), "bfloat16": ("bfloat16", "bfloat16"),
    "float32": ("float32", "float32"), "float64": ("float64", "float64"),
    "mixed_float16": ("float16", "float32"), "mixed_bfloat16": ("bfloat16", "float32"),
    "_infer": (None, None),
}
_global_policy = None


class Policy:
    """A dtype policy: `compute_dtype` (what a layer computes in) and `variable_dtype` (what
    its weights are stored in). Names: float16, bfloat16, float32, float64, mixed_float16,
    mixed_bfloat16, or any other dtype name lamina knows (int32, bool, ...)."""

    def __init__(self, name):
        if isinstance(name, Policy):
            name = name.name
        if not isinstance(name, str):
            raise TypeError(f"'name' must be a string, not a {type(name).__name__}: {name!r}")
        if name in _VALID:
            compute, variable = _VALID[name]
        else:
            if name in ("mixed_float32", "mixed_float64", "mixed_int32"):
                raise ValueError(f"Cannot convert value {name!r} to a mixed precision Policy. "
                                 f"Valid policies include 'mixed_float16', 'mixed_bfloat16', "
                                 f"and the name of any dtype such as 'float32'.")
            try:
                compute = variable = as_dtype(name).name
            except TypeError:
                raise ValueError(f"Cannot convert value {name!r} to a mixed precision Policy. "
                                 f"Valid policies include 'mixed_float16', 'mixed_bfloat16', "
                                 f"and the name of any dtype such as 'float32'.") from None
        self._name = name
        self._compute_dtype = compute
        self._variable_dtype = variable

    @property
    def name(self):
        return self._name

    @property
    def compute_dtype(self):
        return self._compute_dtype

    @property
    def variable_dtype(self):
        return self._variable_dtype

    def __repr__(self):
        return f'<Policy "{self._name}">'

    def __eq__(self, other):
        return isinstance(other, Policy) and other._name == self._name

    def __hash__(self):
        return hash(("Policy", self._name))

    def get_config(self):
        return {"name": self._name}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        config.pop("loss_scale", None)
        return cls(**config)


DTypePolicy = Policy


def global_policy():
    """The policy layers get when they are given no dtype: float32 unless set (floatx)."""
    if _global_policy is not None:
        return _global_policy
    from lamina.keras import backend
    return Policy(backend.floatx())


def set_global_policy(policy):
    """Set the default policy of layers created from now on (None: back to floatx)."""
    global _global_policy
    if policy is None:
        _global_policy = None
        return
    if isinstance(policy, str):
        policy = Policy(policy)
    elif isinstance(policy, dict):
        policy = deserialize(policy)
    if not isinstance(policy, Policy):
        raise ValueError(f"set_global_policy: policy must be a string, a Policy or None, got "
                         f"{policy!r}")
    if policy.compute_dtype is not None and not as_dtype(policy.compute_dtype).is_floating:
        raise ValueError(f"set_global_policy requires a floating-point policy, got {policy.name!r}"
                         f" whose compute dtype is {policy.compute_dtype}")
    _global_policy = policy


import contextlib


@contextlib.contextmanager
def policy_scope(policy):
    """Use `policy` as the global policy inside the block."""
    global _global_policy
    old = _global_policy
    try:
        set_global_policy(policy)
        yield
    finally:
        _global_policy = old


def serialize(policy):
    if policy.name == "_infer":
        return None
    if policy.name in ("float16", "bfloat16", "float32", "float64") or (
            policy.compute_dtype == policy.variable_dtype and policy.name not in _VALID):
        return None if policy.name == "_infer" else policy.name
    return {"module": "keras.mixed_precision", "class_name": "Policy",
            "config": {"name": policy.name}, "registered_name": None}


def deserialize(config, custom_objects=None):
    if isinstance(config, str):
        return Policy(config)
    if isinstance(config, Policy):
        return config
    if isinstance(config, dict):
        cls = config.get("class_name")
        if cls in ("Policy", "DTypePolicy", "PolicyV1"):
            return Policy.from_config(config.get("config", {}))
    raise ValueError(f"Cannot deserialize a dtype policy from {config!r}")


def __getattr__(name):
    # LossScaleOptimizer lives with the optimizers (imported lazily: optimizers import keras)
    if name == "LossScaleOptimizer":
        from lamina.keras.optimizers.loss_scale import LossScaleOptimizer
        return LossScaleOptimizer
    raise AttributeError(f"module 'lamina.keras.mixed_precision' has no attribute {name!r}")


experimental = type("experimental", (), {"Policy": Policy, "global_policy": staticmethod(global_policy),
                                          "set_policy": staticmethod(set_global_policy)})
