"""Where tf_keras 2 and Keras 3 name a class or an argument differently from lamina (which
follows tf.keras 2), map it on reading; arguments lamina does not implement are accepted only at
the value that means "off" and refused otherwise, so a file never loads into a different model."""
import inspect

# Keras 3 / tf_keras class names -> the lamina name
CLASS_ALIASES = {"Functional": "Model", "DTypePolicy": "Policy", "FloatDTypePolicy": "Policy",
                 "PolicyV1": "Policy", "MeanMetricWrapper": "MeanMetricWrapper"}

# class name -> {argument: the value that means lamina's behaviour}; dropped when equal
_OFF = {
    "Dense": {"quantization_config": None, "lora_rank": None, "lora_alpha": None},
    "Embedding": {"quantization_config": None, "lora_rank": None, "lora_alpha": None,
                  "embeddings_initializer_seed": None, "sparse": False},
    "BatchNormalization": {"synchronized": False, "renorm": False, "renorm_clipping": None,
                           "renorm_momentum": 0.99, "fused": None, "virtual_batch_size": None,
                           "adjustment": None},
    "InputLayer": {"optional": False},
    "LSTM": {"seed": None, "use_cudnn": "auto"},
    "GRU": {"seed": None, "use_cudnn": "auto"},
    "SimpleRNN": {"seed": None},
    "LayerNormalization": {"rms_scaling": False},
    "GlorotUniform": {"input_axes": None, "output_axes": None},
    "GlorotNormal": {"input_axes": None, "output_axes": None},
    "HeNormal": {"input_axes": None, "output_axes": None},
    "HeUniform": {"input_axes": None, "output_axes": None},
    "LecunNormal": {"input_axes": None, "output_axes": None},
    "LecunUniform": {"input_axes": None, "output_axes": None},
    "VarianceScaling": {"input_axes": None, "output_axes": None},
    "Orthogonal": {"input_axes": None, "output_axes": None},
}
# optimizer arguments tf_keras 2 or Keras 3 write that lamina's optimizers do not take, with the
# value that changes nothing
_OPTIMIZER_OFF = {"is_legacy_optimizer": None, "jit_compile": None, "loss_scale_factor": None,
                  "gradient_accumulation_steps": None, "use_ema": False, "ema_momentum": None,
                  "ema_overwrite_frequency": None, "weight_decay": None, "clipnorm": None,
                  "global_clipnorm": None, "clipvalue": None, "decay": 0.0}
# (whatever their value: they change how a step is compiled or which device kernel runs, matter
# only with use_ema, or seed a recurrent layer's dropout)
_ALWAYS_DROPPED = {"is_legacy_optimizer", "jit_compile", "ema_momentum",
                   "ema_overwrite_frequency", "use_cudnn", "seed"}
OPTIMIZERS = ("SGD", "Adam", "RMSprop", "Adagrad", "Adadelta", "Adamax", "Nadam", "AdamW",
              "Ftrl", "Lion")


def to_lamina_config(class_name, config, cls=None):
    """A config written by tf_keras 2 or Keras 3, with its arguments in lamina's terms."""
    config.pop("shared_object_id", None)
    if class_name == "InputLayer" and "batch_shape" in config:
        config["batch_input_shape"] = config.pop("batch_shape")
    if class_name == "BatchNormalization" and isinstance(config.get("axis"), list):
        axis = config["axis"]
        if len(axis) != 1:
            raise NotImplementedError(f"BatchNormalization over several axes {axis} is not "
                                      f"supported by lamina")
        config["axis"] = axis[0]
    off = dict(_OFF.get(class_name, {}))
    if class_name.split(">")[-1] in OPTIMIZERS:
        off.update(_OPTIMIZER_OFF)
    taken = _named_arguments(cls)
    for key, value in off.items():
        if key not in config or key in taken:
            continue
        got = config.pop(key)
        if key not in _ALWAYS_DROPPED and got != value and got not in (None, False):
            raise NotImplementedError(f"{class_name}: the argument {key}={got!r} in this file "
                                      f"is not supported by lamina")
    return config


def _named_arguments(cls):
    """The argument names the constructors along cls's MRO take by name."""
    names = set()
    for k in getattr(cls, "__mro__", ()):
        init = k.__dict__.get("__init__")
        if init is not None:
            try:
                names.update(inspect.signature(init).parameters)
            except (TypeError, ValueError):
                pass
    names.discard("kwargs")
    return names


def known_classes(module=None):
    """Classes by the names Keras files give them, for a config that names no table of its
    own: the Keras module it names (keras.regularizers, ...), else layers and models."""
    import lamina.keras as K
    from lamina.keras.engine.training import Model
    from lamina.keras.engine.sequential import Sequential
    from lamina.keras.mixed_precision import Policy
    sub = str(module or "").split(".")
    tables = {"initializers": K.initializers, "regularizers": K.regularizers,
              "constraints": K.constraints, "optimizers": K.optimizers, "losses": K.losses,
              "metrics": K.metrics, "activations": K.activations}
    owner = next((tables[p] for p in sub[1:2] if p in tables), None)
    if owner is not None:
        return {k: v for k, v in vars(owner).items() if isinstance(v, type)}
    table = {k: v for k, v in vars(K.layers).items() if isinstance(v, type)}
    table.update({"Model": Model, "Functional": Model, "Sequential": Sequential,
                  "Policy": Policy})
    return table


# optimizer arguments only one of tf_keras 2 / Keras 3 takes (the other refuses them)
_ONE_VERSION_OPTIMIZER_ARGS = ("is_legacy_optimizer", "jit_compile", "loss_scale_factor",
                               "gradient_accumulation_steps")


def portable_optimizer_config(config):
    """A serialized optimizer both Keras versions read."""
    if isinstance(config, dict) and isinstance(config.get("config"), dict):
        config = dict(config, config={k: v for k, v in config["config"].items()
                                      if k not in _ONE_VERSION_OPTIMIZER_ARGS})
    return config
