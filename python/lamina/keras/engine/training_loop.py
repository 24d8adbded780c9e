"""The loops behind Model.fit / evaluate / predict, as tf.keras 2 runs them: a DataHandler gives
the epochs and batches (arrays, datasets, generators, Sequences), a CallbackList (with History and
the ProgbarLogger that prints the progress bar) is called at tf.keras's points, and each batch goes
through the model's train_step / test_step / predict_step. model.stop_training ends fit after the
current batch (its epoch still ends with on_epoch_end)."""
import numpy as np

from lamina.keras import callbacks as callbacks_module
from lamina.keras.engine import data_adapter
from lamina.keras.engine.training_arrays import to_python, flatten_metrics_in_order


def get_verbosity(verbose):
    """verbose="auto" is 1 (the progress bar), as in tf.keras 2 outside a parameter server."""
    if verbose == "auto":
        return 1
    if verbose not in (0, 1, 2) and not isinstance(verbose, bool):
        raise ValueError(f"verbose must be 'auto', 0, 1 or 2, got {verbose!r}")
    return int(verbose)


def should_validate(epoch, validation_freq):
    if isinstance(validation_freq, int):
        if validation_freq < 1:
            raise ValueError(f"`validation_freq` can not be less than 1, got {validation_freq}")
        return (epoch + 1) % validation_freq == 0
    return (epoch + 1) in validation_freq


def _callback_list(callbacks, model, verbose, epochs, steps, add_history):
    if isinstance(callbacks, callbacks_module.CallbackList):
        return callbacks
    return callbacks_module.CallbackList(callbacks, add_history=add_history,
                                         add_progbar=verbose != 0, model=model, verbose=verbose,
                                         epochs=epochs, steps=steps)


def fit(model, x=None, y=None, batch_size=None, epochs=1, verbose="auto", callbacks=None,
        validation_split=0.0, validation_data=None, shuffle=True, class_weight=None,
        sample_weight=None, initial_epoch=0, steps_per_epoch=None, validation_steps=None,
        validation_batch_size=None, validation_freq=1):
    model._assert_compile_was_called()
    verbose = get_verbosity(verbose)
    if validation_split and validation_data is None:
        if data_adapter.is_iterator_input(x):
            raise ValueError(f"`validation_split` is only supported for Tensors or NumPy "
                             f"arrays, found following types in the input: [{type(x)}]")
        (x, y, sample_weight), validation_data = data_adapter.train_validation_split(
            (x, y, sample_weight), validation_split)
    handler = data_adapter.DataHandler(x, y, sample_weight, batch_size=batch_size,
                                       steps_per_epoch=steps_per_epoch,
                                       initial_epoch=initial_epoch, epochs=epochs,
                                       shuffle=shuffle, class_weight=class_weight, model=model)
    val_handler = None
    if validation_data is not None:
        vx, vy, vw = data_adapter.unpack_x_y_sample_weight(validation_data)
        val_handler = data_adapter.DataHandler(
            vx, vy, vw, batch_size=validation_batch_size or handler.batch_size or batch_size,
            steps_per_epoch=validation_steps, epochs=1, shuffle=False, model=model)
    cbs = _callback_list(callbacks, model, verbose, epochs, handler.inferred_steps, True)
    model.stop_training = False
    cbs.on_train_begin()
    resume = getattr(model, "_initial_epoch_from_backup", None)
    if resume is not None:           # BackupAndRestore found a backup
        handler._initial_epoch = max(handler._initial_epoch, resume)
        model._initial_epoch_from_backup = None
    logs = None
    training_logs = None
    for epoch, iterator in handler.enumerate_epochs():
        model.reset_metrics()
        cbs.on_epoch_begin(epoch)
        for step in handler.steps():
            cbs.on_train_batch_begin(step)
            batch = handler.next_batch(iterator)
            if batch is None:
                break
            logs = to_python(model._traced_step(model.train_step, batch))
            cbs.on_train_batch_end(step, logs)
            if model.stop_training:
                break
        if logs is None:
            raise ValueError("Unexpected result of `train_function` (Empty logs). This could be "
                             "due to issues in input pipeline that resulted in an empty dataset. "
                             "Otherwise, please use `Model.compile(..., run_eagerly=True)`, or "
                             "`tf.config.run_functions_eagerly(True)` for more information of "
                             "where went wrong, or file a issue/bug to `tf.keras`.")
        epoch_logs = dict(logs)
        if val_handler is not None and should_validate(epoch, validation_freq):
            val_logs = evaluate(model, callbacks=cbs, return_dict=True, _handler=val_handler)
            epoch_logs.update({"val_" + k: v for k, v in val_logs.items()})
        cbs.on_epoch_end(epoch, epoch_logs)
        training_logs = epoch_logs
        if model.stop_training:
            break
    cbs.on_train_end(logs=training_logs)
    return model.history


def evaluate(model, x=None, y=None, batch_size=None, verbose="auto", sample_weight=None,
             steps=None, callbacks=None, return_dict=False, _handler=None):
    model._assert_compile_was_called()
    verbose = get_verbosity(verbose)
    handler = _handler or data_adapter.DataHandler(x, y, sample_weight, batch_size=batch_size,
                                                   steps_per_epoch=steps, epochs=1,
                                                   shuffle=False, model=model)
    cbs = _callback_list(callbacks, model, verbose, 1, handler.inferred_steps, False)
    logs = {}
    cbs.on_test_begin()
    for _, iterator in handler.enumerate_epochs():
        model.reset_metrics()
        for step in handler.steps():
            cbs.on_test_batch_begin(step)
            batch = handler.next_batch(iterator)
            if batch is None:
                break
            logs = to_python(model.test_step(batch))
            cbs.on_test_batch_end(step, logs)
    cbs.on_test_end(logs=logs)
    return logs if return_dict else flatten_metrics_in_order(logs, model.metrics_names)


def _numpy(out):
    if isinstance(out, dict):
        return {k: _numpy(v) for k, v in out.items()}
    if isinstance(out, (list, tuple)):
        return type(out)(_numpy(v) for v in out)
    return np.asarray(out)


def concat_outputs(outputs):
    """The per-batch outputs of predict_step joined along the batch axis (as NumPy)."""
    first = outputs[0]
    if isinstance(first, dict):
        return {k: concat_outputs([o[k] for o in outputs]) for k in first}
    if isinstance(first, (list, tuple)):
        return type(first)(concat_outputs([o[i] for o in outputs]) for i in range(len(first)))
    return np.concatenate(outputs) if outputs[0].ndim else np.stack(outputs)


def predict(model, x, batch_size=None, verbose="auto", steps=None, callbacks=None):
    verbose = get_verbosity(verbose)
    handler = data_adapter.DataHandler(x, batch_size=batch_size, steps_per_epoch=steps,
                                       epochs=1, shuffle=False, model=model)
    cbs = _callback_list(callbacks, model, verbose, 1, handler.inferred_steps, False)
    outputs = []
    cbs.on_predict_begin()
    for _, iterator in handler.enumerate_epochs():
        for step in handler.steps():
            cbs.on_predict_batch_begin(step)
            batch = handler.next_batch(iterator)
            if batch is None:
                break
            out = _numpy(model.predict_step(batch))
            outputs.append(out)
            cbs.on_predict_batch_end(step, {"outputs": out})
    if not outputs:
        raise ValueError("Unexpected result of `predict_function` (Empty batch_outputs). Please "
                         "use `Model.compile(..., run_eagerly=True)`, or "
                         "`tf.config.run_functions_eagerly(True)` for more information of where "
                         "went wrong, or file a issue/bug to `tf.keras`.")
    cbs.on_predict_end()
    return concat_outputs(outputs)
