"""Tracking of a layer's state held in containers: the list / dict / tuple wrappers that see
layers and variables appended later (tf.keras's ListWrapper / DictWrapper), and what they expose
about their contents (.layers, .weights)."""
import weakref

from lamina.variables import Variable, Module

_LAYER_CLASS = []
_METRIC_CLASS = []


def _layer_class():
    # (base_layer imports this module, so Layer is looked up on first use)
    if not _LAYER_CLASS:
        from lamina.keras.engine.base_layer import Layer
        _LAYER_CLASS.append(Layer)
    return _LAYER_CLASS[0]


def dedup(weights):
    """weights without repeats, in first-seen order."""
    seen, out = set(), []
    for w in weights:
        if id(w) not in seen:
            seen.add(id(w))
            out.append(w)
    return out


class _ContainerViews:
    """What tf.keras's ListWrapper / DictWrapper expose about their contents: the layers in
    them (through nested containers) and the weights of those layers and of the variables
    held directly."""

    def _items(self):
        return list(self.values()) if isinstance(self, dict) else list(self)

    @property
    def layers(self):
        out = []
        for v in self._items():
            if isinstance(v, _layer_class()):
                if not _is_metric(v):
                    out.append(v)
            elif isinstance(v, (list, tuple, dict)):
                out.extend(_ContainerViews.layers.fget(_as_view(v)))
        return out

    def _gather(self, attr, trainable):
        from_layers, direct = [], []
        for v in self._items():
            if isinstance(v, Variable):
                if trainable is None or v.trainable == trainable:
                    direct.append(v)
            elif isinstance(v, (_layer_class(), Module)) and not _is_metric(v):
                from_layers.extend(getattr(v, attr))
            elif isinstance(v, (list, tuple, dict)):
                from_layers.extend(_as_view(v)._gather(attr, trainable))
        return dedup(from_layers + direct)

    @property
    def trainable_weights(self):
        return self._gather("trainable_weights", True)

    @property
    def non_trainable_weights(self):
        return self._gather("non_trainable_weights", False)

    @property
    def weights(self):
        return dedup(self.trainable_weights + self.non_trainable_weights)

    variables = weights
    trainable_variables = trainable_weights
    non_trainable_variables = non_trainable_weights


def _as_view(v):
    """A container as a _ContainerViews (plain ones are viewed through a wrapper copy)."""
    if isinstance(v, _ContainerViews):
        return v
    if isinstance(v, dict):
        return _DictView(v)
    return _ListView(v)


class _ListView(list, _ContainerViews):
    pass


class _DictView(dict, _ContainerViews):
    pass


class _TrackedTuple(tuple, _ContainerViews):
    """A tuple attribute of a layer (immutable: nothing to notify), with the container views."""

    def __reduce_ex__(self, protocol):
        return (tuple, (tuple(self),))

    def __deepcopy__(self, memo):
        import copy
        new = _TrackedTuple(copy.deepcopy(v, memo) for v in self)
        memo[id(self)] = new
        return new


class _TrackedList(list, _ContainerViews):
    """A list attribute of a layer: layers and variables appended later are tracked too."""

    def __init__(self, owner, items):
        super().__init__(items)
        self._owner = weakref.ref(owner)

    def _notify(self, values):
        owner = self._owner()
        if owner is not None:
            owner._track_variables(values)

    def append(self, v):
        super().append(v)
        self._notify([v])

    def extend(self, vs):
        vs = list(vs)
        super().extend(vs)
        self._notify(vs)

    def insert(self, i, v):
        super().insert(i, v)
        self._notify([v])

    def __setitem__(self, i, v):
        super().__setitem__(i, v)
        self._notify(v if isinstance(i, slice) else [v])

    def __iadd__(self, vs):
        self.extend(vs)
        return self

    def __reduce_ex__(self, protocol):
        return (list, (list(self),))

    def __deepcopy__(self, memo):
        import copy
        owner = self._owner()
        new_owner = memo.get(id(owner), owner) if owner is not None else None
        new = _TrackedList.__new__(_TrackedList)
        memo[id(self)] = new
        list.extend(new, [copy.deepcopy(v, memo) for v in self])
        new._owner = weakref.ref(new_owner) if new_owner is not None else (lambda: None)
        return new


class _TrackedDict(dict, _ContainerViews):
    def __init__(self, owner, items):
        super().__init__(items)
        self._owner = weakref.ref(owner)

    def __setitem__(self, k, v):
        super().__setitem__(k, v)
        owner = self._owner()
        if owner is not None:
            owner._track_variables([v])

    def update(self, *a, **k):
        for key, v in dict(*a, **k).items():
            self[key] = v

    def setdefault(self, k, v=None):
        if k not in self:
            self[k] = v
        return self[k]

    def __reduce_ex__(self, protocol):
        return (dict, (dict(self),))

    def __deepcopy__(self, memo):
        import copy
        owner = self._owner()
        new_owner = memo.get(id(owner), owner) if owner is not None else None
        new = _TrackedDict.__new__(_TrackedDict)
        memo[id(self)] = new
        for k, v in self.items():
            dict.__setitem__(new, k, copy.deepcopy(v, memo))
        new._owner = weakref.ref(new_owner) if new_owner is not None else (lambda: None)
        return new


def _is_metric(x):
    if not _METRIC_CLASS:
        from lamina.keras.metrics import Metric
        _METRIC_CLASS.append(Metric)
    return isinstance(x, _METRIC_CLASS[0])


def _flat_values(v):
    """Leaves of a (list / tuple / dict) attribute value."""
    if isinstance(v, (list, tuple)):
        out = []
        for x in v:
            out.extend(_flat_values(x))
        return out
    if isinstance(v, dict):
        out = []
        for x in v.values():
            out.extend(_flat_values(x))
        return out
    return [v]


def _wrap_container(owner, v):
    if isinstance(v, (_TrackedList, _TrackedDict, _TrackedTuple)):
        return v
    if type(v) is tuple and any(isinstance(x, (_layer_class(), Variable, Module))
                                for x in _flat_values(v)):
        # (tuples of plain values, such as shapes, stay plain tuples)
        return _TrackedTuple(_wrap_container(owner, x) for x in v)
    if type(v) is list:
        return _TrackedList(owner, [_wrap_container(owner, x) for x in v])
    if type(v) is dict:
        return _TrackedDict(owner, {k: _wrap_container(owner, x) for k, x in v.items()})
    return v


def _init_tracking(layer):
    """The containers of tracked state, created once: by Layer.__init__, or earlier by the
    first assignment of state in a subclass's __init__ that runs before it."""
    d = layer.__dict__
    if "_self_tracked" not in d:
        s = object.__setattr__
        s(layer, "_trainable_weights", [])
        s(layer, "_non_trainable_weights", [])
        s(layer, "_self_tracked", [])        # sublayers and tracked containers, in order
        s(layer, "_ref_counts", {})          # id(value) -> attribute references
        s(layer, "_metrics", [])
