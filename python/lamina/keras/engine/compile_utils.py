"""What compile() builds: LossesContainer (compiled_loss) and MetricsContainer
(compiled_metrics), which map losses / metrics given as one object, a list or a dict onto a
model's outputs, and compute them the way tf.keras 2 does (match_dtype_and_rank first)."""
from lamina import _core
from lamina.keras import losses as losses_mod
from lamina.keras.losses_utils import apply_mask, get_mask, cast_losses_to_common_dtype
from lamina.keras.engine.keras_tensor import flatten


def _t(x):
    return _core.convert_to_tensor(x)


def match_dtype_and_rank(y_t, y_p, sw):
    """A (N,) target or weight against a (N, k) prediction gets a last axis; a float target
    takes the prediction's float dtype (an integer one its integer dtype)."""
    y_t = _t(y_t)
    if y_t.ndim == 1 and y_p.ndim == 2:
        y_t = _core.expand_dims(y_t, -1)
    if sw is not None:
        sw = _t(sw)
        if sw.ndim == 1 and y_p.ndim == 2:
            sw = _core.expand_dims(sw, -1)
    if (y_t.dtype.is_floating and y_p.dtype.is_floating) or \
            (y_t.dtype.is_integer and y_p.dtype.is_integer):
        if y_t.dtype != y_p.dtype:
            y_t = _core.cast(y_t, y_p.dtype)
    return y_t, y_p, sw


def _map_to_outputs(value, output_names, what):
    """One entry per output: a dict keyed by output name, a list in output order, or a single
    object shared by all outputs."""
    n = len(output_names)
    if isinstance(value, dict):
        unknown = [k for k in value if k not in output_names]
        if unknown:
            raise ValueError(f"Found unexpected {what} keys {unknown}: the model's outputs are "
                             f"named {output_names}")
        return [value.get(name) for name in output_names]
    if isinstance(value, (list, tuple)) and what == "losses":
        if len(value) != n:
            raise ValueError(f"When passing a list as loss, it should have one entry per model "
                             f"outputs. The model has {n} outputs, but you passed "
                             f"loss={value}")
        return list(value)
    return [value] * n


def _output_names(model, n):
    names = getattr(model, "output_names", None)
    if names and len(names) == n:
        return list(names)
    return [f"output_{i + 1}" for i in range(n)]


def _split(y, output_names, what):
    """Targets (or weights) as a list in output order."""
    if y is None:
        return [None] * len(output_names)
    if isinstance(y, dict):
        return [y.get(name) for name in output_names]
    if isinstance(y, (list, tuple)) and len(output_names) > 1:
        if len(y) != len(output_names):
            raise ValueError(f"The model has {len(output_names)} outputs but {len(y)} {what} "
                             f"were given")
        return list(y)
    if len(output_names) == 1 and isinstance(y, (list, tuple)) and len(y) == 1 and \
            hasattr(y[0], "shape"):
        return [y[0]]
    return [y] if len(output_names) == 1 else [y] * len(output_names)


class LossesContainer:
    """compiled_loss: callable as (y_true, y_pred, sample_weight, regularization_losses)."""

    def __init__(self, losses, loss_weights=None, output_names=None):
        from lamina.keras.metrics import Mean
        self._user_losses = losses
        self._user_loss_weights = loss_weights
        self._output_names = output_names
        self._loss_metric = Mean(name="loss")
        self._per_output_metrics = None
        self._built = False

    @property
    def metrics(self):
        if not self._built:
            return []
        per = [m for m in self._per_output_metrics if m is not None]
        return [self._loss_metric] + per

    def _build(self, y_pred, model):
        flat = flatten(y_pred)
        names = self._output_names or _output_names(model, len(flat))
        self._output_names = names
        self._losses = [_get_loss(l) for l in _map_to_outputs(self._user_losses, names,
                                                              "losses")]
        lw = self._user_loss_weights
        if lw is None:
            self._loss_weights = [None] * len(names)
        elif isinstance(lw, dict):
            self._loss_weights = [lw.get(n, 1.0) for n in names]
        elif isinstance(lw, (list, tuple)):
            if len(lw) != len(names):
                raise ValueError(f"When passing a list as loss_weights, it should have one "
                                 f"entry per model output. The model has {len(names)} outputs, "
                                 f"but you passed loss_weights={lw}")
            self._loss_weights = list(lw)
        else:
            self._loss_weights = [lw] * len(names)
        from lamina.keras.metrics import Mean
        if len(names) > 1:
            self._per_output_metrics = [None if l is None else Mean(name=f"{n}_loss")
                                        for n, l in zip(names, self._losses)]
        else:
            self._per_output_metrics = []
        self._built = True

    def __call__(self, y_true, y_pred, sample_weight=None, regularization_losses=None,
                 model=None):
        if not self._built:
            self._build(y_pred, model)
        names = self._output_names
        y_preds = flatten(y_pred) if not isinstance(y_pred, dict) else \
            [y_pred[n] for n in names]
        y_trues = _split(y_true, names, "targets")
        sws = _split(sample_weight, names, "sample weights")
        loss_values, mean_values = [], []
        batch_dim = None
        per = self._per_output_metrics or [None] * len(names)
        for i, (y_t, y_p, sw, loss_obj, lw) in enumerate(zip(y_trues, y_preds, sws,
                                                             self._losses,
                                                             self._loss_weights)):
            if y_t is None or loss_obj is None:
                continue
            y_t, y_p, sw = match_dtype_and_rank(y_t, y_p, sw)
            sw = apply_mask(y_p, sw, get_mask(y_p))
            value = loss_obj(y_t, y_p, sample_weight=sw)
            mean_value = value
            if batch_dim is None:
                batch_dim = y_t.shape[0] if y_t.ndim else 1
            if per[i] is not None:
                per[i].update_state(mean_value, sample_weight=float(batch_dim))
            if lw is not None:
                value = value * lw
                mean_value = mean_value * lw
            loss_values.append(value)
            mean_values.append(mean_value)
        if regularization_losses:
            regs = cast_losses_to_common_dtype([_t(r) for r in regularization_losses])
            reg = regs[0]
            for r in regs[1:]:
                reg = reg + r
            loss_values.append(reg)
            mean_values.append(reg)
        if not loss_values:
            return None
        mean_values = cast_losses_to_common_dtype(mean_values)
        total_mean = mean_values[0]
        for v in mean_values[1:]:
            total_mean = total_mean + v
        self._loss_metric.update_state(total_mean,
                                       sample_weight=None if batch_dim is None
                                       else float(batch_dim))
        loss_values = cast_losses_to_common_dtype(loss_values)
        total = loss_values[0]
        for v in loss_values[1:]:
            total = total + v
        return total

    def reset_state(self):
        for m in self.metrics:
            m.reset_state()


def _get_loss(loss):
    if loss is None:
        return None
    obj = losses_mod.get(loss)
    if isinstance(obj, losses_mod.Loss):
        return obj
    name = getattr(loss, "__name__", None) if not isinstance(loss, str) else loss
    name = getattr(obj, "__name__", name) if isinstance(loss, str) else name
    return losses_mod.LossFunctionWrapper(obj, name=name)


class MetricsContainer:
    """compiled_metrics: update_state(y_true, y_pred, sample_weight) for every output."""

    def __init__(self, metrics=None, weighted_metrics=None, output_names=None):
        self._user_metrics = metrics
        self._user_weighted_metrics = weighted_metrics
        self._output_names = output_names
        self._built = False

    @property
    def metrics(self):
        if not self._built:
            return []
        out = []
        for ms in self._metrics + self._weighted_metrics:
            out.extend(m for m in ms if m is not None)
        # a metric object shared by two outputs is listed once
        seen, unique = set(), []
        for m in out:
            if id(m) not in seen:
                seen.add(id(m))
                unique.append(m)
        return unique

    def _per_output(self, value, names):
        if value is None:
            return [[] for _ in names]
        if isinstance(value, dict):
            unknown = [k for k in value if k not in names]
            if unknown:
                raise ValueError(f"Found unexpected metrics keys {unknown}: the model's outputs "
                                 f"are named {names}")
            return [_as_list(value.get(n)) for n in names]
        if isinstance(value, (list, tuple)) and len(names) > 1 and value and \
                all(isinstance(v, (list, tuple, dict)) or v is None for v in value):
            if len(value) != len(names):
                raise ValueError(f"When passing a list of lists as metrics, it should have one "
                                 f"entry per model output ({len(names)}); got {len(value)}")
            return [_as_list(v) for v in value]
        return [list(_as_list(value)) for _ in names]

    def _build(self, y_true, y_pred, model):
        flat_p = flatten(y_pred)
        names = self._output_names or _output_names(model, len(flat_p))
        self._output_names = names
        y_trues = _split(y_true, names, "targets")
        self._metrics, self._weighted_metrics = [], []
        for i, name in enumerate(names):
            y_t, y_p = y_trues[i], flat_p[i]
            ms = self._per_output(self._user_metrics, names)[i]
            wms = self._per_output(self._user_weighted_metrics, names)[i]
            self._metrics.append([_get_metric(m, y_t, y_p) for m in ms])
            self._weighted_metrics.append([_get_metric(m, y_t, y_p) for m in wms])
        self._set_metric_names()
        self._built = True

    def _set_metric_names(self):
        seen = set()
        multi = len(self._output_names) > 1
        for name, ms, wms in zip(self._output_names, self._metrics, self._weighted_metrics):
            for m in ms:
                if m is None:
                    continue
                if multi:
                    m._name = name + "_" + m._name
                if m._name in seen:
                    raise ValueError(f"Found two metrics with the same name: {m._name}. All the "
                                     f"metrics added to the model need to have unique names.")
                seen.add(m._name)
            for wm in wms:
                if wm is None:
                    continue
                if multi:
                    wm._name = (name + "_weighted_" + wm._name if name + "_" + wm._name in seen
                                else name + "_" + wm._name)
                elif wm._name in seen:
                    wm._name = "weighted_" + wm._name
                if wm._name in seen:
                    raise ValueError(f"Found two weighted metrics with the same name: "
                                     f"{wm._name}. All the metrics added to the model need to "
                                     f"have unique names.")
                seen.add(wm._name)

    def update_state(self, y_true, y_pred, sample_weight=None, model=None):
        if not self._built:
            self._build(y_true, y_pred, model)
        names = self._output_names
        y_preds = flatten(y_pred) if not isinstance(y_pred, dict) else \
            [y_pred[n] for n in names]
        y_trues = _split(y_true, names, "targets")
        sws = _split(sample_weight, names, "sample weights")
        for y_t, y_p, sw, ms, wms in zip(y_trues, y_preds, sws, self._metrics,
                                         self._weighted_metrics):
            if y_t is None or (not any(ms) and not any(wms)):
                continue
            y_t, y_p, sw = match_dtype_and_rank(y_t, y_p, sw)
            mask = get_mask(y_p)
            sw = apply_mask(y_p, sw, mask)
            for m in ms:
                if m is not None:
                    m.update_state(y_t, y_p, sample_weight=mask)
            for wm in wms:
                if wm is not None:
                    wm.update_state(y_t, y_p, sample_weight=sw)

    def reset_state(self):
        for m in self.metrics:
            m.reset_state()


def _as_list(v):
    if v is None:
        return []
    if isinstance(v, (list, tuple)):
        return list(v)
    return [v]


def _get_metric(metric, y_t, y_p):
    """A compile() metric argument as a Metric object; 'accuracy' / 'crossentropy' resolve to
    their binary, categorical or sparse form from the target and prediction shapes."""
    from lamina.keras import metrics as metrics_mod
    if metric is None:
        return None
    if isinstance(metric, str) and metric.lower() in ("accuracy", "acc", "crossentropy", "ce"):
        y_t = _t(y_t) if y_t is not None else None
        y_p = _t(y_p)
        t_shape = y_t.shape.as_list() if y_t is not None else []
        p_shape = y_p.shape.as_list()
        is_binary = p_shape[-1:] == [1]
        is_sparse = len(t_shape) < len(p_shape) or (t_shape[-1:] == [1] and
                                                      p_shape[-1:] != [1])
        if metric.lower() in ("accuracy", "acc"):
            fn = (metrics_mod.binary_accuracy if is_binary else
                  metrics_mod.sparse_categorical_accuracy if is_sparse else
                  metrics_mod.categorical_accuracy)
        else:
            fn = (metrics_mod.binary_crossentropy if is_binary else
                  metrics_mod.sparse_categorical_crossentropy if is_sparse else
                  metrics_mod.categorical_crossentropy)
        return metrics_mod.MeanMetricWrapper(fn, name=metric)
    obj = metrics_mod.get(metric)
    if isinstance(obj, type):
        obj = obj()
    if isinstance(obj, metrics_mod.Metric):
        return obj
    if isinstance(obj, losses_mod.Loss):
        loss_obj = obj
        return metrics_mod.MeanMetricWrapper(
            lambda yt, yp: loss_obj(yt, yp), name=metric if isinstance(metric, str)
            else loss_obj.name)
    name = metric if isinstance(metric, str) else getattr(metric, "__name__", None)
    if name is None:
        raise ValueError(f"Metric should be a callable, received: {metric}")
    return metrics_mod.MeanMetricWrapper(obj, name=name)
