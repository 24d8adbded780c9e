"""tf.keras.callbacks: objects fit/evaluate/predict call at fixed points of the loop.

The order of calls is tf.keras 2's (checked against it in tests/keras/test_callbacks.py):

    fit:      on_train_begin, then per epoch on_epoch_begin, per step on_train_batch_begin /
              on_train_batch_end, [validation: on_test_begin, per step on_test_batch_begin /
              on_test_batch_end, on_test_end], on_epoch_end; finally on_train_end
    evaluate: on_test_begin, per step on_test_batch_begin / on_test_batch_end, on_test_end
    predict:  on_predict_begin, per step on_predict_batch_begin / on_predict_batch_end,
              on_predict_end

Logs are plain dicts of Python floats: batch and epoch logs hold the model's metrics in the order
model.metrics lists them (loss first), epoch logs then the val_ ones; predict batch logs hold
{"outputs": ...}."""
import collections
import csv
import json
import os
import shutil
import sys
import warnings

import numpy as np

from lamina.keras.progbar import Progbar


def _print(msg):
    sys.stdout.write(msg + "\n")
    sys.stdout.flush()


def _default(method):
    method._is_default = True
    return method


def _is_default(method):
    return getattr(method, "_is_default", False)


class Callback:
    """The base class: override the hooks you need. `self.model` is the model being trained and
    `self.params` a dict with `verbose`, `epochs` and `steps` (None when unknown)."""

    def __init__(self):
        self.validation_data = None
        self.model = None
        self.params = {}
        self._supports_tf_logs = False

    def set_params(self, params):
        self.params = params

    def set_model(self, model):
        self.model = model

    @_default
    def on_batch_begin(self, batch, logs=None):
        """A training batch begins (alias of on_train_batch_begin)."""

    @_default
    def on_batch_end(self, batch, logs=None):
        """A training batch ended (alias of on_train_batch_end)."""

    def on_epoch_begin(self, epoch, logs=None):
        """An epoch of fit begins."""

    def on_epoch_end(self, epoch, logs=None):
        """An epoch of fit ended; logs hold its metrics and the val_ metrics."""

    @_default
    def on_train_batch_begin(self, batch, logs=None):
        self.on_batch_begin(batch, logs=logs)

    @_default
    def on_train_batch_end(self, batch, logs=None):
        self.on_batch_end(batch, logs=logs)

    @_default
    def on_test_batch_begin(self, batch, logs=None):
        """A batch of evaluate (or of fit's validation) begins."""

    @_default
    def on_test_batch_end(self, batch, logs=None):
        """A batch of evaluate ended; logs hold the metrics so far."""

    @_default
    def on_predict_batch_begin(self, batch, logs=None):
        """A batch of predict begins."""

    @_default
    def on_predict_batch_end(self, batch, logs=None):
        """A batch of predict ended; logs["outputs"] holds its outputs."""

    def on_train_begin(self, logs=None):
        """fit begins."""

    def on_train_end(self, logs=None):
        """fit ended; logs are the last epoch's."""

    def on_test_begin(self, logs=None):
        """evaluate (or a validation pass) begins."""

    def on_test_end(self, logs=None):
        """evaluate ended; logs hold its metrics."""

    def on_predict_begin(self, logs=None):
        """predict begins."""

    def on_predict_end(self, logs=None):
        """predict ended."""

    def _implements_train_batch_hooks(self):
        return not all(_is_default(m) for m in (self.on_batch_begin, self.on_batch_end,
                                                self.on_train_batch_begin,
                                                self.on_train_batch_end))

    def _implements_test_batch_hooks(self):
        return not (_is_default(self.on_test_batch_begin) and
                    _is_default(self.on_test_batch_end))

    def _implements_predict_batch_hooks(self):
        return not (_is_default(self.on_predict_batch_begin) and
                    _is_default(self.on_predict_batch_end))


class CallbackList:
    """Calls a list of callbacks as one. fit/evaluate/predict make one with add_history /
    add_progbar, which append a History and a ProgbarLogger (in that order) unless the list holds
    one already; batch hooks are skipped when no callback overrides them (the loop stays cheap)."""

    def __init__(self, callbacks=None, add_history=False, add_progbar=False, model=None,
                 **params):
        if callbacks is None:
            callbacks = []
        elif isinstance(callbacks, CallbackList):
            callbacks = list(callbacks.callbacks)
        elif isinstance(callbacks, Callback):
            callbacks = [callbacks]
        else:
            callbacks = list(callbacks)
        for cb in callbacks:
            if not isinstance(cb, Callback):
                raise TypeError(f"callbacks must be keras.callbacks.Callback instances, got "
                                f"{cb!r} ({type(cb).__name__})")
        self.callbacks = callbacks
        self._add_default_callbacks(add_history, add_progbar)
        self.model = None
        self.params = {}
        if model is not None:
            self.set_model(model)
        if params:
            self.set_params(params)
        self._refresh_batch_hooks()

    def _add_default_callbacks(self, add_history, add_progbar):
        self._history = next((c for c in self.callbacks if isinstance(c, History)), None)
        self._progbar = next((c for c in self.callbacks if isinstance(c, ProgbarLogger)), None)
        if self._history is None and add_history:
            self._history = History()
            self.callbacks.append(self._history)
        if self._progbar is None and add_progbar:
            self._progbar = ProgbarLogger(count_mode="steps")
            self.callbacks.append(self._progbar)

    def _refresh_batch_hooks(self):
        self._train_hooks = any(c._implements_train_batch_hooks() for c in self.callbacks)
        self._test_hooks = any(c._implements_test_batch_hooks() for c in self.callbacks)
        self._predict_hooks = any(c._implements_predict_batch_hooks() for c in self.callbacks)

    def append(self, callback):
        self.callbacks.append(callback)
        self._refresh_batch_hooks()

    def set_params(self, params):
        self.params = params
        for cb in self.callbacks:
            cb.set_params(params)
        self._refresh_batch_hooks()   # ProgbarLogger's batch hooks depend on verbose

    def set_model(self, model):
        self.model = model
        if self._history is not None:
            model.history = self._history
        for cb in self.callbacks:
            cb.set_model(model)

    def __iter__(self):
        return iter(self.callbacks)

    def _call(self, hook, *args):
        logs = args[-1] if args else None
        logs = {} if logs is None else logs
        args = args[:-1] + (logs,)
        for cb in self.callbacks:
            getattr(cb, hook)(*args)

    def on_train_begin(self, logs=None):
        self._call("on_train_begin", logs)

    def on_train_end(self, logs=None):
        self._call("on_train_end", logs)

    def on_test_begin(self, logs=None):
        self._call("on_test_begin", logs)

    def on_test_end(self, logs=None):
        self._call("on_test_end", logs)

    def on_predict_begin(self, logs=None):
        self._call("on_predict_begin", logs)

    def on_predict_end(self, logs=None):
        self._call("on_predict_end", logs)

    def on_epoch_begin(self, epoch, logs=None):
        self._call("on_epoch_begin", epoch, logs)

    def on_epoch_end(self, epoch, logs=None):
        self._call("on_epoch_end", epoch, logs)

    def on_batch_begin(self, batch, logs=None):
        self.on_train_batch_begin(batch, logs)

    def on_batch_end(self, batch, logs=None):
        self.on_train_batch_end(batch, logs)

    def on_train_batch_begin(self, batch, logs=None):
        if self._train_hooks:
            self._call("on_train_batch_begin", batch, logs)

    def on_train_batch_end(self, batch, logs=None):
        if self._train_hooks:
            self._call("on_train_batch_end", batch, logs)

    def on_test_batch_begin(self, batch, logs=None):
        if self._test_hooks:
            self._call("on_test_batch_begin", batch, logs)

    def on_test_batch_end(self, batch, logs=None):
        if self._test_hooks:
            self._call("on_test_batch_end", batch, logs)

    def on_predict_batch_begin(self, batch, logs=None):
        if self._predict_hooks:
            self._call("on_predict_batch_begin", batch, logs)

    def on_predict_batch_end(self, batch, logs=None):
        if self._predict_hooks:
            self._call("on_predict_batch_end", batch, logs)


class History(Callback):
    """Records each epoch's logs: history.history[name] is the list of per-epoch values;
    fit returns it."""

    def __init__(self):
        super().__init__()
        self.history = {}
        self.epoch = []

    def on_train_begin(self, logs=None):
        self.epoch = []

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        self.epoch.append(epoch)
        for k, v in logs.items():
            self.history.setdefault(k, []).append(v)
        self.model.history = self


class BaseLogger(Callback):
    """Averages batch metrics over each epoch into the epoch logs (weighted by logs["size"]);
    kept for old code: fit's epoch logs already hold whole-epoch values."""

    def __init__(self, stateful_metrics=None):
        super().__init__()
        self.stateful_metrics = set(stateful_metrics or [])

    def on_epoch_begin(self, epoch, logs=None):
        self.seen = 0
        self.totals = {}

    def on_batch_end(self, batch, logs=None):
        logs = logs or {}
        batch_size = logs.get("size", 0)
        num_steps = logs.get("num_steps", 1)
        self.seen += batch_size * num_steps
        for k, v in logs.items():
            if k in self.stateful_metrics:
                self.totals[k] = v
            else:
                self.totals[k] = self.totals.get(k, 0) + v * batch_size

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            for k in self.params.get("metrics", []):
                if k in self.totals:
                    logs[k] = self.totals[k] if k in self.stateful_metrics else \
                        self.totals[k] / self.seen


class TerminateOnNaN(Callback):
    """Stops training when a batch's loss is NaN or infinite."""

    def __init__(self):
        super().__init__()

    def on_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None:
            loss = float(np.asarray(loss))
            if np.isnan(loss) or np.isinf(loss):
                _print(f"Batch {batch}: Invalid loss, terminating training")
                self.model.stop_training = True


class ProgbarLogger(Callback):
    """Prints the progress bar (verbose=1) or one line per epoch (verbose=2); fit, evaluate and
    predict add one when verbose is not 0."""

    def __init__(self, count_mode="samples", stateful_metrics=None):
        super().__init__()
        if count_mode == "samples":
            self.use_steps = False
        elif count_mode == "steps":
            self.use_steps = True
        else:
            raise ValueError(f"Unknown `count_mode`: {count_mode}. Expected values are "
                             f'["samples", "steps"]')
        self.stateful_metrics = set(stateful_metrics) if stateful_metrics else set()
        self.seen = 0
        self.progbar = None
        self.target = None
        self.verbose = 1
        self.epochs = 1
        self._call_batch_hooks = True
        self._called_in_fit = False

    def set_params(self, params):
        self.verbose = params["verbose"]
        self.epochs = params["epochs"]
        if self.use_steps and "steps" in params:
            self.target = params["steps"]
        elif not self.use_steps and "samples" in params:
            self.target = params["samples"]
        else:
            self.target = None   # learnt at the end of the first epoch
        # verbose=2 needs the batch hooks only to count steps when their number is unknown
        self._call_batch_hooks = self.verbose == 1 or self.target is None

    def on_train_begin(self, logs=None):
        self._called_in_fit = True

    def on_test_begin(self, logs=None):
        if not self._called_in_fit:
            self._reset_progbar()
            self._maybe_init_progbar()

    def on_predict_begin(self, logs=None):
        self._reset_progbar()
        self._maybe_init_progbar()

    def on_epoch_begin(self, epoch, logs=None):
        self._reset_progbar()
        self._maybe_init_progbar()
        if self.verbose and self.epochs > 1:
            _print(f"Epoch {epoch + 1}/{self.epochs}")

    def on_train_batch_end(self, batch, logs=None):
        self._batch_update_progbar(batch, logs)

    def on_test_batch_end(self, batch, logs=None):
        if not self._called_in_fit:
            self._batch_update_progbar(batch, logs)

    def on_predict_batch_end(self, batch, logs=None):
        self._batch_update_progbar(batch, None)

    def on_epoch_end(self, epoch, logs=None):
        self._finalize_progbar(logs)

    def on_test_end(self, logs=None):
        if not self._called_in_fit:
            self._finalize_progbar(logs)

    def on_predict_end(self, logs=None):
        self._finalize_progbar(logs)

    def on_train_end(self, logs=None):
        self._called_in_fit = False

    def _reset_progbar(self):
        self.seen = 0
        self.progbar = None

    def _maybe_init_progbar(self):
        if self.model is not None:
            self.stateful_metrics |= {m.name for m in getattr(self.model, "metrics", [])}
        if self.progbar is None:
            self.progbar = Progbar(target=self.target, verbose=self.verbose,
                                   stateful_metrics=self.stateful_metrics,
                                   unit_name="step" if self.use_steps else "sample")
        self.progbar._update_stateful_metrics(self.stateful_metrics)

    def _implements_train_batch_hooks(self):
        return self._call_batch_hooks

    def _implements_test_batch_hooks(self):
        return self._call_batch_hooks

    def _implements_predict_batch_hooks(self):
        return self._call_batch_hooks

    def _batch_update_progbar(self, batch, logs=None):
        logs = logs or {}
        self._maybe_init_progbar()
        if self.use_steps:
            self.seen = batch + 1
        else:
            logs = dict(logs)
            batch_size = logs.pop("size", 0)
            num_steps = logs.pop("num_steps", 1)
            logs.pop("batch", None)
            self.seen += num_steps * batch_size
        if self.verbose == 1:
            self.progbar.update(self.seen, _scalar_items(logs), finalize=False)

    def _finalize_progbar(self, logs):
        logs = logs or {}
        if self.target is None:
            self.target = self.seen
            self.progbar.target = self.target
        self.progbar.update(self.target, _scalar_items(logs), finalize=True)


def _scalar_items(logs):
    out = []
    for k, v in logs.items():
        if k == "outputs":
            continue
        try:
            out.append((k, float(np.asarray(v))))
        except (TypeError, ValueError):
            continue
    return out


# ---- monitoring a metric ---------------------------------------------------------------------
def _monitor_op(mode, monitor, what, greater_if):
    if mode not in ("auto", "min", "max"):
        warnings.warn(f"{what} mode {mode} is unknown, fallback to auto mode.")
        mode = "auto"
    if mode == "min":
        return np.less
    if mode == "max":
        return np.greater
    return np.greater if greater_if(monitor) else np.less


def _get_lr(optimizer):
    lr = getattr(optimizer, "learning_rate", None)
    if lr is None:
        lr = getattr(optimizer, "lr", None)
    if lr is None:
        raise ValueError('Optimizer must have a "lr" attribute.')
    if hasattr(lr, "numpy"):
        return np.float32(lr.numpy())
    if callable(lr):
        raise TypeError(f"The optimizer's learning rate is a schedule ({type(lr).__name__}); "
                        f"a callback cannot set it. Use a float learning rate.")
    return np.float32(lr)


def _set_lr(optimizer, value):
    value = float(np.asarray(value))
    lr = getattr(optimizer, "learning_rate", None)
    if hasattr(lr, "assign"):
        lr.assign(value)
    else:
        optimizer.learning_rate = value


class EarlyStopping(Callback):
    """Stops training when `monitor` has not improved by more than min_delta for `patience`
    epochs (counting from start_from_epoch); optionally restores the best epoch's weights."""

    def __init__(self, monitor="val_loss", min_delta=0, patience=0, verbose=0, mode="auto",
                 baseline=None, restore_best_weights=False, start_from_epoch=0):
        super().__init__()
        self.monitor = monitor
        self.patience = patience
        self.verbose = verbose
        self.baseline = baseline
        self.min_delta = abs(min_delta)
        self.wait = 0
        self.stopped_epoch = 0
        self.restore_best_weights = restore_best_weights
        self.best_weights = None
        self.start_from_epoch = start_from_epoch
        self.monitor_op = _monitor_op(mode, monitor, "EarlyStopping", lambda m: m.endswith(
            ("acc", "accuracy", "auc")))
        if self.monitor_op == np.less:
            self.min_delta *= -1

    def on_train_begin(self, logs=None):
        self.wait = 0
        self.stopped_epoch = 0
        self.best = np.inf if self.monitor_op == np.less else -np.inf
        self.best_weights = None
        self.best_epoch = 0

    def on_epoch_end(self, epoch, logs=None):
        current = self.get_monitor_value(logs)
        if current is None or epoch < self.start_from_epoch:
            return
        if self.restore_best_weights and self.best_weights is None:
            self.best_weights = self.model.get_weights()
            self.best_epoch = epoch
        self.wait += 1
        if self._is_improvement(current, self.best):
            self.best = current
            self.best_epoch = epoch
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
            if self.baseline is None or self._is_improvement(current, self.baseline):
                self.wait = 0
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        if self.stopped_epoch > 0 and self.verbose > 0:
            _print(f"Epoch {self.stopped_epoch + 1}: early stopping")
        if self.restore_best_weights and self.best_weights is not None:
            if self.verbose > 0:
                _print(f"Restoring model weights from the end of the best epoch: "
                       f"{self.best_epoch + 1}.")
            self.model.set_weights(self.best_weights)

    def get_monitor_value(self, logs):
        logs = logs or {}
        value = logs.get(self.monitor)
        if value is None:
            warnings.warn(f"Early stopping conditioned on metric `{self.monitor}` which is not "
                          f"available. Available metrics are: {','.join(logs)}")
        return value

    def _is_improvement(self, monitor_value, reference_value):
        return self.monitor_op(monitor_value - self.min_delta, reference_value)


class ModelCheckpoint(Callback):
    """Saves the model (model.save) or its weights (model.save_weights) every epoch or every
    `save_freq` batches, to `filepath` formatted with the epoch and the logs
    ("w.{epoch:02d}-{val_loss:.2f}.h5"); with save_best_only only when `monitor` improves."""

    def __init__(self, filepath, monitor="val_loss", verbose=0, save_best_only=False,
                 save_weights_only=False, mode="auto", save_freq="epoch", options=None,
                 initial_value_threshold=None, **kwargs):
        super().__init__()
        self.monitor = monitor
        self.verbose = verbose
        self.filepath = os.fspath(filepath)
        self.save_best_only = save_best_only
        self.save_weights_only = save_weights_only
        self.save_freq = save_freq
        self.epochs_since_last_save = 0
        self._batches_seen_since_last_saving = 0
        self._last_batch_seen = -1
        self._current_epoch = 0
        self.period = kwargs.pop("period", 1)
        self.best = initial_value_threshold
        self.monitor_op = _monitor_op(mode, monitor, "ModelCheckpoint",
                                      lambda m: "acc" in m or m.startswith("fmeasure"))
        if self.best is None:
            self.best = np.inf if self.monitor_op == np.less else -np.inf
        if save_freq != "epoch" and not isinstance(save_freq, int):
            raise ValueError(f"Unrecognized save_freq: {save_freq}. Expected save_freq are "
                             f'"epoch" or integer')

    def set_model(self, model):
        super().set_model(model)
        method = "save_weights" if self.save_weights_only else "save"
        if not callable(getattr(model, method, None)):
            raise NotImplementedError(f"ModelCheckpoint needs model.{method}(), which this "
                                      f"lamina build does not have yet (model saving).")

    def _implements_train_batch_hooks(self):
        return self.save_freq != "epoch"

    def on_train_batch_end(self, batch, logs=None):
        if self._should_save_on_batch(batch):
            self._save_model(self._current_epoch, batch, logs)

    def on_epoch_begin(self, epoch, logs=None):
        self._current_epoch = epoch

    def on_epoch_end(self, epoch, logs=None):
        self.epochs_since_last_save += 1
        if self.save_freq == "epoch":
            self._save_model(epoch, None, logs)

    def _should_save_on_batch(self, batch):
        if self.save_freq == "epoch":
            return False
        if batch <= self._last_batch_seen:      # a new epoch
            add = batch + 1
        else:
            add = batch - self._last_batch_seen
        self._batches_seen_since_last_saving += add
        self._last_batch_seen = batch
        if self._batches_seen_since_last_saving >= self.save_freq:
            self._batches_seen_since_last_saving = 0
            return True
        return False

    def _save_model(self, epoch, batch, logs):
        logs = logs or {}
        if not (isinstance(self.save_freq, int) or self.epochs_since_last_save >= self.period):
            return
        self.epochs_since_last_save = 0
        filepath = self._get_file_path(epoch, batch, logs)
        dirname = os.path.dirname(filepath)
        if dirname and not os.path.exists(dirname):
            os.makedirs(dirname, exist_ok=True)
        if os.path.isdir(filepath) and (self.save_weights_only or "." in
                                        os.path.basename(filepath)):
            raise IOError(f"Please specify a non-directory filepath for ModelCheckpoint. "
                          f"Filepath used is an existing directory: {filepath}")
        if self.save_best_only:
            current = logs.get(self.monitor)
            if current is None:
                warnings.warn(f"Can save best model only with {self.monitor} available, "
                              f"skipping.")
            elif self.monitor_op(current, self.best):
                if self.verbose > 0:
                    _print(f"\nEpoch {epoch + 1}: {self.monitor} improved from "
                           f"{self.best:.5f} to {current:.5f}, saving model to {filepath}")
                self.best = current
                self._save_handler(filepath)
            elif self.verbose > 0:
                _print(f"\nEpoch {epoch + 1}: {self.monitor} did not improve from "
                       f"{self.best:.5f}")
        else:
            if self.verbose > 0:
                _print(f"\nEpoch {epoch + 1}: saving model to {filepath}")
            self._save_handler(filepath)

    def _save_handler(self, filepath):
        if self.save_weights_only:
            self.model.save_weights(filepath, overwrite=True)
        else:
            self.model.save(filepath, overwrite=True)

    def _get_file_path(self, epoch, batch, logs):
        try:
            if batch is None or "batch" in logs:
                return self.filepath.format(epoch=epoch + 1, **logs)
            return self.filepath.format(epoch=epoch + 1, batch=batch + 1, **logs)
        except KeyError as e:
            raise KeyError(f'Failed to format this callback filepath: "{self.filepath}". '
                           f"Reason: {e}") from None


class BackupAndRestore(Callback):
    """Backs up the model's weights and the epoch reached in `backup_dir` at the end of every
    epoch; a fit that finds a backup restores the weights and resumes after the epoch it holds.
    The backup is deleted when fit completes (delete_checkpoint=True). The optimizer's state is
    not backed up (lamina saves model weights only)."""

    def __init__(self, backup_dir, save_freq="epoch", delete_checkpoint=True,
                 save_before_preemption=False):
        super().__init__()
        if not backup_dir:
            raise ValueError("Empty `backup_dir` argument passed")
        if save_freq != "epoch":
            raise NotImplementedError("BackupAndRestore: lamina backs up at epoch ends only "
                                      "(save_freq='epoch').")
        self.backup_dir = os.fspath(backup_dir)
        self.save_freq = save_freq
        self.delete_checkpoint = delete_checkpoint
        self._weights = os.path.join(self.backup_dir, "weights.h5")
        self._state = os.path.join(self.backup_dir, "training_state.json")

    def set_model(self, model):
        super().set_model(model)
        for method in ("save_weights", "load_weights"):
            if not callable(getattr(model, method, None)):
                raise NotImplementedError(f"BackupAndRestore needs model.{method}(), which "
                                          f"this lamina build does not have yet (model saving).")

    def on_train_begin(self, logs=None):
        self.model._initial_epoch_from_backup = None
        if os.path.exists(self._state) and os.path.exists(self._weights):
            with open(self._state) as f:
                epoch = json.load(f)["epoch"]
            self.model.load_weights(self._weights)
            self.model._initial_epoch_from_backup = epoch + 1

    def on_epoch_end(self, epoch, logs=None):
        os.makedirs(self.backup_dir, exist_ok=True)
        self.model.save_weights(self._weights, overwrite=True)
        with open(self._state, "w") as f:
            json.dump({"epoch": epoch}, f)

    def on_train_end(self, logs=None):
        if self.delete_checkpoint and os.path.isdir(self.backup_dir):
            shutil.rmtree(self.backup_dir, ignore_errors=True)


class LearningRateScheduler(Callback):
    """Sets the optimizer's learning rate to schedule(epoch, lr) (or schedule(epoch)) at the
    start of every epoch; the epoch logs get "lr"."""

    def __init__(self, schedule, verbose=0):
        super().__init__()
        self.schedule = schedule
        self.verbose = verbose

    def on_epoch_begin(self, epoch, logs=None):
        lr = float(_get_lr(self.model.optimizer))
        try:
            lr = self.schedule(epoch, lr)
        except TypeError:       # the older one-argument schedule
            lr = self.schedule(epoch)
        if hasattr(lr, "dtype") and hasattr(lr, "numpy"):
            if not lr.dtype.is_floating:
                raise ValueError(f"The dtype of `lr` Tensor should be float. Got: {lr.dtype}")
        elif not isinstance(lr, (float, np.float32, np.float64)):
            raise ValueError(f'The output of the "schedule" function should be float. '
                             f"Got: {lr}")
        _set_lr(self.model.optimizer, lr)
        if self.verbose > 0:
            _print(f"\nEpoch {epoch + 1}: LearningRateScheduler setting learning rate to "
                   f"{lr}.")

    def on_epoch_end(self, epoch, logs=None):
        logs = logs if logs is not None else {}
        logs["lr"] = _get_lr(self.model.optimizer)


class ReduceLROnPlateau(Callback):
    """Multiplies the learning rate by `factor` when `monitor` has not improved for `patience`
    epochs, then waits `cooldown` epochs; never below min_lr."""

    def __init__(self, monitor="val_loss", factor=0.1, patience=10, verbose=0, mode="auto",
                 min_delta=1e-4, cooldown=0, min_lr=0, **kwargs):
        super().__init__()
        self.monitor = monitor
        if factor >= 1.0:
            raise ValueError(f"ReduceLROnPlateau does not support a factor >= 1.0. Got {factor}")
        if "epsilon" in kwargs:
            min_delta = kwargs.pop("epsilon")
        self.factor = factor
        self.min_lr = min_lr
        self.min_delta = min_delta
        self.patience = patience
        self.verbose = verbose
        self.cooldown = cooldown
        self.mode = mode
        self._reset()

    def _reset(self):
        if self.mode not in ("auto", "min", "max"):
            warnings.warn(f"Learning rate reduction mode {self.mode} is unknown, fallback to "
                          f"auto mode.")
            self.mode = "auto"
        if self.mode == "min" or (self.mode == "auto" and "acc" not in self.monitor):
            self.monitor_op = lambda a, b: np.less(a, b - self.min_delta)
            self.best = np.inf
        else:
            self.monitor_op = lambda a, b: np.greater(a, b + self.min_delta)
            self.best = -np.inf
        self.cooldown_counter = 0
        self.wait = 0

    def on_train_begin(self, logs=None):
        self._reset()

    def on_epoch_end(self, epoch, logs=None):
        logs = logs if logs is not None else {}
        logs["lr"] = _get_lr(self.model.optimizer)
        current = logs.get(self.monitor)
        if current is None:
            warnings.warn(f"Learning rate reduction is conditioned on metric `{self.monitor}` "
                          f"which is not available. Available metrics are: {','.join(logs)}")
            return
        if self.in_cooldown():
            self.cooldown_counter -= 1
            self.wait = 0
        if self.monitor_op(current, self.best):
            self.best = current
            self.wait = 0
        elif not self.in_cooldown():
            self.wait += 1
            if self.wait >= self.patience:
                old_lr = _get_lr(self.model.optimizer)
                if old_lr > np.float32(self.min_lr):
                    new_lr = max(old_lr * self.factor, self.min_lr)
                    _set_lr(self.model.optimizer, new_lr)
                    if self.verbose > 0:
                        _print(f"\nEpoch {epoch + 1}: ReduceLROnPlateau reducing learning rate "
                               f"to {new_lr}.")
                    self.cooldown_counter = self.cooldown
                    self.wait = 0

    def in_cooldown(self):
        return self.cooldown_counter > 0


class CSVLogger(Callback):
    """Writes each epoch's logs as a CSV row: an "epoch" column, then the log names sorted
    (with val_ columns, "NA" when there is no validation)."""

    def __init__(self, filename, separator=",", append=False):
        super().__init__()
        self.sep = separator
        self.filename = os.fspath(filename)
        self.append = append
        self.writer = None
        self.keys = None
        self.append_header = True
        self.csv_file = None

    def on_train_begin(self, logs=None):
        if self.append:
            if os.path.exists(self.filename):
                with open(self.filename) as f:
                    self.append_header = not bool(len(f.readline()))
            mode = "a"
        else:
            mode = "w"
        self.csv_file = open(self.filename, mode, newline="")

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}

        def handle_value(k):
            if isinstance(k, str):
                return k
            if isinstance(k, collections.abc.Iterable) and not (
                    isinstance(k, np.ndarray) and k.ndim == 0):
                return f"\"[{', '.join(map(str, k))}]\""
            return k

        if self.keys is None:
            self.keys = sorted(logs.keys())
            if not any(k.startswith("val_") for k in self.keys):
                self.keys.extend(["val_" + k for k in self.keys])
        if not self.writer:
            class Dialect(csv.excel):
                delimiter = self.sep
            self.writer = csv.DictWriter(self.csv_file, fieldnames=["epoch"] + self.keys,
                                         dialect=Dialect)
            if self.append_header:
                self.writer.writeheader()
        row = {"epoch": epoch}
        row.update((key, handle_value(logs.get(key, "NA"))) for key in self.keys)
        self.writer.writerow(row)
        self.csv_file.flush()

    def on_train_end(self, logs=None):
        if self.csv_file is not None:
            self.csv_file.close()
        self.writer = None


class LambdaCallback(Callback):
    """A callback made of functions: on_epoch_begin(epoch, logs), on_epoch_end(epoch, logs),
    on_batch_begin(batch, logs), on_batch_end(batch, logs), on_train_begin(logs),
    on_train_end(logs); further hooks by keyword (e.g. on_test_batch_end=...)."""

    def __init__(self, on_epoch_begin=None, on_epoch_end=None, on_batch_begin=None,
                 on_batch_end=None, on_train_begin=None, on_train_end=None, **kwargs):
        super().__init__()
        self.__dict__.update(kwargs)
        for name, fn in (("on_epoch_begin", on_epoch_begin), ("on_epoch_end", on_epoch_end),
                         ("on_batch_begin", on_batch_begin), ("on_batch_end", on_batch_end),
                         ("on_train_begin", on_train_begin), ("on_train_end", on_train_end)):
            if fn is not None:
                setattr(self, name, fn)


class RemoteMonitor(Callback):
    def __init__(self, *args, **kwargs):
        raise NotImplementedError("keras.callbacks.RemoteMonitor is not part of lamina.")


class TensorBoard(Callback):
    def __init__(self, *args, **kwargs):
        raise NotImplementedError("keras.callbacks.TensorBoard is not part of lamina (it needs "
                                  "TensorFlow's event-file writer); use CSVLogger.")
