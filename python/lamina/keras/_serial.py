"""Shared (de)serialization helpers: tf.keras' {'module','class_name','config','registered_name'}."""
_custom_objects = {}


def register(name, obj):
    _custom_objects[name] = obj


def serialize(obj, module):
    if obj is None:
        return None
    if hasattr(obj, "get_config"):
        cls = type(obj)
        reg = getattr(cls, "_registered_name", None)
        name = cls.__dict__.get("_keras_class_name", cls.__name__)
        return {"module": module if reg is None else None, "class_name": reg or name,
                "config": obj.get_config(), "registered_name": reg}
    name = getattr(obj, "__name__", None)
    if name is None:
        raise ValueError(f"Cannot serialize {obj!r}: it has no get_config() and no __name__")
    return name


def lookup(name, table, custom_objects, kind):
    if custom_objects and name in custom_objects:
        return custom_objects[name]
    if name in table:
        return table[name]
    if name in _custom_objects:
        return _custom_objects[name]
    raise ValueError(f"Unknown {kind}: {name!r}. Please ensure you are using a "
                     f"`keras.utils.custom_object_scope` and that this object is included in "
                     f"the scope, or pass it in `custom_objects`.")


def deserialize(config, table, custom_objects, kind):
    if isinstance(config, str):
        obj = lookup(config, table, custom_objects, kind)
        return obj() if isinstance(obj, type) else obj
    if isinstance(config, dict):
        if "class_name" not in config:
            raise ValueError(f"Improper config format for {kind}: {config!r}")
        cls = lookup(config["class_name"], table, custom_objects, kind)
        inner = config.get("config") or {}
        if hasattr(cls, "from_config"):
            return cls.from_config(inner)
        return cls(**inner)
    raise ValueError(f"Could not interpret {kind} identifier: {config!r}")


def get(identifier, table, kind):
    """keras.<kind>s.get: None, a name or config, or a callable used as it is."""
    if identifier is None:
        return None
    if isinstance(identifier, (str, dict)):
        return deserialize(identifier, table, None, kind)
    if callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret {kind} identifier: {identifier!r}")
