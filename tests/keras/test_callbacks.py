"""keras.callbacks on their own, driven epoch by epoch with a stand-in model, against tf.keras 2:
TF holds what tf_keras 2.21's callbacks did on the same series of logs (the epoch training stopped
at, the weights left, the learning rates, the files saved)."""
import io
import os
import sys

import numpy as np
import pytest

import lamina as tf
from lamina.keras import callbacks as C

SERIES = [1.0, 0.9, 0.95, 0.96, 0.97, 0.8, 0.85, 0.86, 0.87, 0.88]

TF = {'ckpt': {'lr_logs': [None, None, None],
          'lrs': [0.10000000149011612, 0.10000000149011612, 0.10000000149011612],
          'saved': [('save', 'w.01-1.00.h5'), ('save', 'w.02-0.90.h5'), ('save', 'w.03-0.95.h5')],
          'stopped': None,
          'w': 2.0},
 'ckpt_best': {'lr_logs': [None, None, None, None, None, None],
               'lrs': [0.10000000149011612, 0.10000000149011612, 0.10000000149011612,
                       0.10000000149011612, 0.10000000149011612, 0.10000000149011612],
               'saved': [('save_weights', 'best.h5'), ('save_weights', 'best.h5'),
                         ('save_weights', 'best.h5')],
               'stopped': None,
               'w': 5.0},
 'ckpt_best_acc': {'lr_logs': [None, None, None, None, None, None],
                   'lrs': [0.10000000149011612, 0.10000000149011612, 0.10000000149011612,
                           0.10000000149011612, 0.10000000149011612, 0.10000000149011612],
                   'saved': [('save', 'best.h5')],
                   'stopped': None,
                   'w': 5.0},
 'es_baseline': {'lr_logs': [None, None, None],
                 'lrs': [0.10000000149011612, 0.10000000149011612, 0.10000000149011612],
                 'saved': [],
                 'stopped': 2,
                 'w': 2.0},
 'es_delta': {'lr_logs': [None, None],
              'lrs': [0.10000000149011612, 0.10000000149011612],
              'saved': [],
              'stopped': 1,
              'w': 1.0},
 'es_max': {'lr_logs': [None, None],
            'lrs': [0.10000000149011612, 0.10000000149011612],
            'saved': [],
            'stopped': 1,
            'w': 1.0},
 'es_mode_min_acc': {'lr_logs': [None, None, None],
                     'lrs': [0.10000000149011612, 0.10000000149011612, 0.10000000149011612],
                     'saved': [],
                     'stopped': 2,
                     'w': 2.0},
 'es_p0': {'lr_logs': [None, None, None],
           'lrs': [0.10000000149011612, 0.10000000149011612, 0.10000000149011612],
           'saved': [],
           'stopped': 2,
           'w': 2.0},
 'es_p2': {'lr_logs': [None, None, None, None],
           'lrs': [0.10000000149011612, 0.10000000149011612, 0.10000000149011612,
                   0.10000000149011612],
           'saved': [],
           'stopped': 3,
           'w': 3.0},
 'es_p2_restore': {'lr_logs': [None, None, None, None],
                   'lrs': [0.10000000149011612, 0.10000000149011612, 0.10000000149011612,
                           0.10000000149011612],
                   'saved': [],
                   'stopped': 3,
                   'w': 1.0},
 'es_start': {'lr_logs': [None, None, None, None, None],
              'lrs': [0.10000000149011612, 0.10000000149011612, 0.10000000149011612,
                      0.10000000149011612, 0.10000000149011612],
              'saved': [],
              'stopped': 4,
              'w': 3.0},
 'lrs': {'lr_logs': [0.10000000149011612, 0.10000000149011612, 0.05000000074505806,
                     0.02500000037252903, 0.012500000186264515],
         'lrs': [0.10000000149011612, 0.10000000149011612, 0.05000000074505806, 0.02500000037252903,
                 0.012500000186264515],
         'saved': [],
         'stopped': None,
         'w': 4.0},
 'lrs1': {'lr_logs': [0.10000000149011612, 0.05000000074505806, 0.03333333507180214,
                      0.02500000037252903],
          'lrs': [0.10000000149011612, 0.05000000074505806, 0.03333333507180214,
                  0.02500000037252903],
          'saved': [],
          'stopped': None,
          'w': 3.0},
 'rlr': {'lr_logs': [0.10000000149011612, 0.10000000149011612, 0.10000000149011612,
                     0.05000000074505806, 0.02500000037252903, 0.019999999552965164,
                     0.019999999552965164, 0.019999999552965164, 0.019999999552965164,
                     0.019999999552965164],
         'lrs': [0.10000000149011612, 0.10000000149011612, 0.05000000074505806, 0.02500000037252903,
                 0.019999999552965164, 0.019999999552965164, 0.019999999552965164,
                 0.019999999552965164, 0.019999999552965164, 0.019999999552965164],
         'saved': [],
         'stopped': None,
         'w': 9.0},
 'rlr_cool': {'lr_logs': [0.10000000149011612, 0.10000000149011612, 0.10000000149011612,
                          0.05000000074505806, 0.05000000074505806, 0.02500000037252903,
                          0.02500000037252903, 0.012500000186264515, 0.012500000186264515,
                          0.0062500000931322575],
              'lrs': [0.10000000149011612, 0.10000000149011612, 0.05000000074505806,
                      0.05000000074505806, 0.02500000037252903, 0.02500000037252903,
                      0.012500000186264515, 0.012500000186264515, 0.0062500000931322575,
                      0.0062500000931322575],
              'saved': [],
              'stopped': None,
              'w': 9.0}}

TF_CSV = 'epoch,acc,loss,val_acc,val_loss\n0,0.25,0.5,NA,NA\n1,0.5,0.4,NA,NA\n0,0.25,0.5,NA,NA\n'
TF_CSV_VAL = 'epoch;acc;loss;val_loss\n0;0.1;0.5;0.6\n0;0.1;0.5;0.6\n'
TF_NAN = [False, True, 'Batch 1: Invalid loss, terminating training\n']
TF_VERBOSE = 'Epoch 3: early stopping\nRestoring model weights from the end of the best epoch: 2.\n\nEpoch 1: val_loss improved from inf to 1.00000, saving model to x.h5\n\nEpoch 2: val_loss improved from 1.00000 to 0.90000, saving model to x.h5\n\nEpoch 3: val_loss did not improve from 0.90000\n\nEpoch 1: saving model to y.h5\n\nEpoch 3: ReduceLROnPlateau reducing learning rate to 0.010000000707805157.\n\nEpoch 4: ReduceLROnPlateau reducing learning rate to 0.0010000000474974513.\n\nEpoch 1: LearningRateScheduler setting learning rate to 0.10000000149011612.\n'


class FakeModel:
    def __init__(self):
        self.stop_training = False
        self.w = [np.array([0.0])]
        self.optimizer = tf.keras.optimizers.SGD(0.1)
        self.saved = []
        self.metrics = []

    def get_weights(self):
        return [a.copy() for a in self.w]

    def set_weights(self, w):
        self.w = [a.copy() for a in w]

    def save(self, fp, overwrite=True, options=None):
        self.saved.append(("save", fp))

    def save_weights(self, fp, overwrite=True, options=None):
        self.saved.append(("save_weights", fp))


def drive(cb, series, key="val_loss"):
    m = FakeModel()
    cb.set_model(m)
    cb.set_params({"verbose": 0, "epochs": len(series), "steps": 1})
    cb.on_train_begin({})
    stopped, lrs, lr_logs = None, [], []
    for e, v in enumerate(series):
        m.w = [np.array([float(e)])]
        cb.on_epoch_begin(e, {})
        logs = {key: v, "loss": v}
        cb.on_epoch_end(e, logs)
        lrs.append(float(C._get_lr(m.optimizer)))
        lr_logs.append(None if "lr" not in logs else float(logs["lr"]))
        if m.stop_training:
            stopped = e
            break
    cb.on_train_end({})
    return {"stopped": stopped, "w": float(m.w[0][0]), "lrs": lrs, "saved": m.saved,
            "lr_logs": lr_logs}


CASES = {
    "es_p0": lambda: (C.EarlyStopping(), SERIES, "val_loss"),
    "es_p2": lambda: (C.EarlyStopping(patience=2), SERIES, "val_loss"),
    "es_p2_restore": lambda: (C.EarlyStopping(patience=2, restore_best_weights=True), SERIES,
                              "val_loss"),
    "es_delta": lambda: (C.EarlyStopping(patience=1, min_delta=0.15), SERIES, "val_loss"),
    "es_max": lambda: (C.EarlyStopping(monitor="val_accuracy", patience=1), SERIES,
                       "val_accuracy"),
    "es_baseline": lambda: (C.EarlyStopping(patience=3, baseline=0.5), SERIES, "val_loss"),
    "es_start": lambda: (C.EarlyStopping(patience=1, start_from_epoch=3,
                                         restore_best_weights=True), SERIES, "val_loss"),
    "es_mode_min_acc": lambda: (C.EarlyStopping(monitor="val_accuracy", mode="min", patience=1),
                                SERIES, "val_accuracy"),
    "rlr": lambda: (C.ReduceLROnPlateau(patience=1, factor=0.5, min_lr=0.02), SERIES,
                    "val_loss"),
    "rlr_cool": lambda: (C.ReduceLROnPlateau(patience=1, factor=0.5, cooldown=2, min_delta=0.0),
                         SERIES, "val_loss"),
    "lrs": lambda: (C.LearningRateScheduler(lambda e, lr: lr * 0.5 if e > 1 else lr),
                    SERIES[:5], "val_loss"),
    "lrs1": lambda: (C.LearningRateScheduler(lambda e: 0.1 / (e + 1)), SERIES[:4], "val_loss"),
    "ckpt": lambda: (C.ModelCheckpoint("w.{epoch:02d}-{val_loss:.2f}.h5"), SERIES[:3],
                     "val_loss"),
    "ckpt_best": lambda: (C.ModelCheckpoint("best.h5", save_best_only=True,
                                            save_weights_only=True), SERIES[:6], "val_loss"),
    "ckpt_best_acc": lambda: (C.ModelCheckpoint("best.h5", monitor="val_acc",
                                                save_best_only=True), SERIES[:6], "val_acc"),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_callback_follows_tf_keras(name, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    cb, series, key = CASES[name]()
    got = drive(cb, series, key)
    want = TF[name]
    assert got["stopped"] == want["stopped"]
    assert got["w"] == want["w"]
    assert got["saved"] == want["saved"]
    np.testing.assert_allclose(got["lrs"], want["lrs"], rtol=1e-7)
    assert [x is None for x in got["lr_logs"]] == [x is None for x in want["lr_logs"]]
    np.testing.assert_allclose([x for x in got["lr_logs"] if x is not None],
                               [x for x in want["lr_logs"] if x is not None], rtol=1e-7)


def test_csv_logger_text_matches_tf(tmp_path):
    for name, kw, series_logs, want in [
            ("csv", {}, [{"loss": 0.5, "acc": 0.25}, {"loss": 0.4, "acc": 0.5}], TF_CSV),
            ("csv_val", {"separator": ";"}, [{"loss": 0.5, "val_loss": 0.6, "acc": 0.1}],
             TF_CSV_VAL)]:
        f = str(tmp_path / (name + ".csv"))
        cb = C.CSVLogger(f, **kw)
        cb.set_model(FakeModel())
        cb.on_train_begin({})
        for e, logs in enumerate(series_logs):
            cb.on_epoch_end(e, dict(logs))
        cb.on_train_end({})
        again = C.CSVLogger(f, append=True, **kw)     # appending writes no second header
        again.set_model(FakeModel())
        again.on_train_begin({})
        again.on_epoch_end(0, dict(series_logs[0]))
        again.on_train_end({})
        with open(f, newline="") as fh:
            assert fh.read().replace("\r\n", "\n") == want


def test_terminate_on_nan(capsys):
    cb = C.TerminateOnNaN()
    m = FakeModel()
    cb.set_model(m)
    cb.on_train_batch_end(0, {"loss": 1.0})
    first = m.stop_training
    cb.on_train_batch_end(1, {"loss": float("nan")})
    assert [first, m.stop_training, capsys.readouterr().out] == TF_NAN


def test_verbose_messages_match_tf(capsys):
    drive(C.EarlyStopping(patience=1, verbose=1, restore_best_weights=True), SERIES)
    drive(C.ModelCheckpoint("x.h5", verbose=1, save_best_only=True), SERIES[:3])
    drive(C.ModelCheckpoint("y.h5", verbose=1), SERIES[:1])
    drive(C.ReduceLROnPlateau(patience=1, verbose=1), SERIES[:4])
    drive(C.LearningRateScheduler(lambda e, lr: lr, verbose=1), SERIES[:1])
    assert capsys.readouterr().out == TF_VERBOSE


def test_model_checkpoint_on_batches_and_errors():
    cb = C.ModelCheckpoint("b{epoch}-{batch}.h5", save_freq=3, save_weights_only=True)
    m = FakeModel()
    cb.set_model(m)
    cb.on_train_begin({})
    for epoch in range(2):
        cb.on_epoch_begin(epoch, {})
        for b in range(4):
            cb.on_train_batch_end(b, {"loss": 1.0})
        cb.on_epoch_end(epoch, {"loss": 1.0})
    assert m.saved == [("save_weights", "b1-3.h5"), ("save_weights", "b2-2.h5")]
    with pytest.raises(ValueError, match="save_freq"):
        C.ModelCheckpoint("x.h5", save_freq="sometimes")
    with pytest.raises(KeyError, match="Failed to format"):
        drive(C.ModelCheckpoint("x-{val_acc}.h5"), SERIES[:1])


def test_model_checkpoint_without_saving_says_so():
    class NoSave:
        pass
    with pytest.raises(NotImplementedError, match="save_weights"):
        C.ModelCheckpoint("x.h5", save_weights_only=True).set_model(NoSave())
    with pytest.raises(NotImplementedError, match=r"model\.save\(\)"):
        C.ModelCheckpoint("x.h5").set_model(NoSave())


def test_lambda_callback_and_reduce_lr_bad_factor():
    seen = []
    cb = C.LambdaCallback(on_epoch_end=lambda e, logs: seen.append(("end", e)),
                          on_batch_begin=lambda b, logs: seen.append(("b", b)),
                          on_test_batch_end=lambda b, logs: seen.append(("t", b)))
    cl = C.CallbackList([cb])
    assert cl._train_hooks and cl._test_hooks and not cl._predict_hooks
    cl.on_train_batch_begin(0)
    cl.on_test_batch_end(1)
    cl.on_epoch_end(2, {})
    assert seen == [("b", 0), ("t", 1), ("end", 2)]
    with pytest.raises(ValueError, match="factor >= 1.0"):
        C.ReduceLROnPlateau(factor=1.5)


class Recorder(C.Callback):
    def __init__(self):
        super().__init__()
        self.calls = []

    def on_epoch_begin(self, epoch, logs=None):
        self.calls.append(("epoch_begin", epoch, logs))


def test_callback_list_defaults_and_logs():
    r = Recorder()
    cl = C.CallbackList([r], add_history=True, add_progbar=True, model=FakeModel(), verbose=0,
                        epochs=1, steps=2)
    kinds = [type(c).__name__ for c in cl.callbacks]
    assert kinds == ["Recorder", "History", "ProgbarLogger"]
    assert r.params == {"verbose": 0, "epochs": 1, "steps": 2}
    assert not cl._train_hooks          # nobody overrides a batch hook at verbose=0
    cl.on_epoch_begin(0)
    assert r.calls == [("epoch_begin", 0, {})]     # logs default to an empty dict, as in tf
    h = C.History()
    cl = C.CallbackList([h], add_history=True, add_progbar=False)
    assert cl.callbacks == [h]
    with pytest.raises(TypeError, match="Callback"):
        C.CallbackList([object()])


def test_callback_batch_hook_detection():
    class Batchy(C.Callback):
        def on_batch_end(self, batch, logs=None):
            pass

    class Epochy(C.Callback):
        def on_epoch_end(self, epoch, logs=None):
            pass
    assert Batchy()._implements_train_batch_hooks()
    assert not Epochy()._implements_train_batch_hooks()
    assert not Epochy()._implements_test_batch_hooks()


def test_not_provided_callbacks_say_so():
    with pytest.raises(NotImplementedError, match="TensorBoard"):
        C.TensorBoard()
