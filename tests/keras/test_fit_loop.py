"""fit / evaluate / predict against tf.keras 2: the order of every callback hook and the keys of
its logs (TF_HOOKS, recorded from tf_keras 2.21 with the same script), and the progress output a
user sees, run in a child process the way a terminal (a pty) and a log file (a pipe) get it
(TF_SCREEN: tf_keras 2.21's output as a terminal shows it, with times and values replaced by
T and V)."""
import json
import os
import pty
import re
import subprocess
import sys
import time

import numpy as np
import pytest

import lamina as tf
from lamina.keras import callbacks as C

keras = tf.keras

TF_HOOKS = {'evaluate': [['on_test_begin', {}], ['on_test_batch_begin', 0, {}],
              ['on_test_batch_end', 0, ['loss', 'accuracy']], ['on_test_batch_begin', 1, {}],
              ['on_test_batch_end', 1, ['loss', 'accuracy']], ['on_test_batch_begin', 2, {}],
              ['on_test_batch_end', 2, ['loss', 'accuracy']],
              ['on_test_end', ['loss', 'accuracy']]],
 'fit': [['on_train_begin', {}], ['params', {'epochs': 1, 'steps': 3, 'verbose': 0}],
         ['on_epoch_begin', 0, {}], ['on_train_batch_begin', 0, {}],
         ['on_train_batch_end', 0, ['loss', 'accuracy']], ['on_train_batch_begin', 1, {}],
         ['on_train_batch_end', 1, ['loss', 'accuracy']], ['on_train_batch_begin', 2, {}],
         ['on_train_batch_end', 2, ['loss', 'accuracy']], ['on_epoch_end', 0, ['loss', 'accuracy']],
         ['on_train_end', ['loss', 'accuracy']]],
 'fit_ds': [['on_train_begin', {}], ['params', {'epochs': 2, 'steps': 2, 'verbose': 0}],
            ['on_epoch_begin', 0, {}], ['on_train_batch_begin', 0, {}],
            ['on_train_batch_end', 0, ['loss', 'accuracy']], ['on_train_batch_begin', 1, {}],
            ['on_train_batch_end', 1, ['loss', 'accuracy']], ['on_test_begin', {}],
            ['on_test_batch_begin', 0, {}], ['on_test_batch_end', 0, ['loss', 'accuracy']],
            ['on_test_end', ['loss', 'accuracy']],
            ['on_epoch_end', 0, ['loss', 'accuracy', 'val_loss', 'val_accuracy']],
            ['on_epoch_begin', 1, {}], ['on_train_batch_begin', 0, {}],
            ['on_train_batch_end', 0, ['loss', 'accuracy']], ['on_train_batch_begin', 1, {}],
            ['on_train_batch_end', 1, ['loss', 'accuracy']], ['on_test_begin', {}],
            ['on_test_batch_begin', 0, {}], ['on_test_batch_end', 0, ['loss', 'accuracy']],
            ['on_test_end', ['loss', 'accuracy']],
            ['on_epoch_end', 1, ['loss', 'accuracy', 'val_loss', 'val_accuracy']],
            ['on_train_end', ['loss', 'accuracy', 'val_loss', 'val_accuracy']]],
 'fit_gen': [['on_train_begin', {}], ['params', {'epochs': 1, 'steps': None, 'verbose': 0}],
             ['on_epoch_begin', 0, {}], ['on_train_batch_begin', 0, {}],
             ['on_train_batch_end', 0, ['loss', 'accuracy']], ['on_train_batch_begin', 1, {}],
             ['on_train_batch_end', 1, ['loss', 'accuracy']], ['on_train_batch_begin', 2, {}],
             ['on_train_batch_end', 2, ['loss', 'accuracy']], ['on_train_batch_begin', 3, {}],
             ['on_epoch_end', 0, ['loss', 'accuracy']], ['on_train_end', ['loss', 'accuracy']]],
 'fit_val': [['on_train_begin', {}], ['params', {'epochs': 2, 'steps': 3, 'verbose': 0}],
             ['on_epoch_begin', 0, {}], ['on_train_batch_begin', 0, {}],
             ['on_train_batch_end', 0, ['loss', 'accuracy']], ['on_train_batch_begin', 1, {}],
             ['on_train_batch_end', 1, ['loss', 'accuracy']], ['on_train_batch_begin', 2, {}],
             ['on_train_batch_end', 2, ['loss', 'accuracy']], ['on_test_begin', {}],
             ['on_test_batch_begin', 0, {}], ['on_test_batch_end', 0, ['loss', 'accuracy']],
             ['on_test_batch_begin', 1, {}], ['on_test_batch_end', 1, ['loss', 'accuracy']],
             ['on_test_batch_begin', 2, {}], ['on_test_batch_end', 2, ['loss', 'accuracy']],
             ['on_test_end', ['loss', 'accuracy']],
             ['on_epoch_end', 0, ['loss', 'accuracy', 'val_loss', 'val_accuracy']],
             ['on_epoch_begin', 1, {}], ['on_train_batch_begin', 0, {}],
             ['on_train_batch_end', 0, ['loss', 'accuracy']], ['on_train_batch_begin', 1, {}],
             ['on_train_batch_end', 1, ['loss', 'accuracy']], ['on_train_batch_begin', 2, {}],
             ['on_train_batch_end', 2, ['loss', 'accuracy']], ['on_test_begin', {}],
             ['on_test_batch_begin', 0, {}], ['on_test_batch_end', 0, ['loss', 'accuracy']],
             ['on_test_batch_begin', 1, {}], ['on_test_batch_end', 1, ['loss', 'accuracy']],
             ['on_test_batch_begin', 2, {}], ['on_test_batch_end', 2, ['loss', 'accuracy']],
             ['on_test_end', ['loss', 'accuracy']],
             ['on_epoch_end', 1, ['loss', 'accuracy', 'val_loss', 'val_accuracy']],
             ['on_train_end', ['loss', 'accuracy', 'val_loss', 'val_accuracy']]],
 'hist_params': {'epochs': 2, 'steps': 2, 'verbose': 0},
 'history_keys': ['loss', 'accuracy', 'val_loss', 'val_accuracy'],
 'predict': [['on_predict_begin', {}], ['on_predict_batch_begin', 0, {}],
             ['on_predict_batch_end', 0, ['outputs']], ['on_predict_batch_begin', 1, {}],
             ['on_predict_batch_end', 1, ['outputs']], ['on_predict_batch_begin', 2, {}],
             ['on_predict_batch_end', 2, ['outputs']], ['on_predict_end', {}]],
 'stop_batch': [['on_train_begin', {}], ['on_epoch_begin', 0, {}], ['on_train_batch_begin', 0, {}],
                ['on_train_batch_end', 0, ['loss', 'accuracy']], ['on_train_batch_begin', 1, {}],
                ['on_train_batch_end', 1, ['loss', 'accuracy']],
                ['on_epoch_end', 0, ['loss', 'accuracy']], ['on_train_end', ['loss', 'accuracy']]]}

TF_SCREEN = {'0': 'FIT\nEVALUATE\nPREDICT\nONE EPOCH\nDATASET\nGENERATOR\nEND',
 '1': 'FIT\n'
      'Epoch 1/2\n'
      '3/3 [==============================] - Ts T/step - loss: V - accuracy: V - val_loss: V - '
      'val_accuracy: V\n'
      'Epoch 2/2\n'
      '3/3 [==============================] - Ts T/step - loss: V - accuracy: V - val_loss: V - '
      'val_accuracy: V\n'
      'EVALUATE\n'
      '4/4 [==============================] - Ts T/step - loss: V - accuracy: V\n'
      'PREDICT\n'
      '4/4 [==============================] - Ts T/step\n'
      'ONE EPOCH\n'
      '4/4 [==============================] - Ts T/step - loss: V - accuracy: V\n'
      'DATASET\n'
      'Epoch 1/2\n'
      '3/3 [==============================] - Ts T/step - loss: V - accuracy: V\n'
      'Epoch 2/2\n'
      '3/3 [==============================] - Ts T/step - loss: V - accuracy: V\n'
      'GENERATOR\n'
      '3/3 [==============================] - Ts T/step - loss: V - accuracy: V\n'
      'END',
 '2': 'FIT\n'
      'Epoch 1/2\n'
      '3/3 - Ts - loss: V - accuracy: V - val_loss: V - val_accuracy: V - T/epoch - T/step\n'
      'Epoch 2/2\n'
      '3/3 - Ts - loss: V - accuracy: V - val_loss: V - val_accuracy: V - T/epoch - T/step\n'
      'EVALUATE\n'
      '4/4 - Ts - loss: V - accuracy: V - T/epoch - T/step\n'
      'PREDICT\n'
      '4/4 - Ts - T/epoch - T/step\n'
      'ONE EPOCH\n'
      '4/4 - Ts - loss: V - accuracy: V - T/epoch - T/step\n'
      'DATASET\n'
      'Epoch 1/2\n'
      '3/3 - Ts - loss: V - accuracy: V - T/epoch - T/step\n'
      'Epoch 2/2\n'
      '3/3 - Ts - loss: V - accuracy: V - T/epoch - T/step\n'
      'GENERATOR\n'
      '3/3 - Ts - loss: V - accuracy: V - T/epoch - T/step\n'
      'END'}
TF_SCREEN["auto"] = TF_SCREEN["1"]     # tf.keras 2.21 prints the same for "auto" as for 1

HOOKS_SCRIPT = 'import os, sys, json\nos.environ["TF_USE_LEGACY_KERAS"]="1"\nos.environ["TF_CPP_MIN_LOG_LEVEL"]="3"\nimport numpy as np\nif sys.argv[1] == "tf":\n    import tensorflow as tf\nelse:\n    import lamina as tf\nkeras = tf.keras\nrec = []\nclass Rec(keras.callbacks.Callback):\n    pass\ndef mk(name):\n    def f(self, *a, **k):\n        args = [a[0]] if a and isinstance(a[0], int) else []\n        logs = k.get("logs", a[-1] if a and not isinstance(a[-1], int) else None)\n        rec.append([name] + args + [sorted(logs) if False else (list(logs.keys()) if logs else logs)])\n    return f\nfor h in ["on_train_begin","on_train_end","on_epoch_begin","on_epoch_end","on_train_batch_begin","on_train_batch_end",\n          "on_test_begin","on_test_end","on_test_batch_begin","on_test_batch_end","on_predict_begin","on_predict_end",\n          "on_predict_batch_begin","on_predict_batch_end"]:\n    setattr(Rec, h, mk(h))\nclass P(keras.callbacks.Callback):\n    def on_train_begin(self, logs=None):\n        rec.append(["params", {k: v for k, v in self.params.items()}])\nnp.random.seed(0)\nx = np.random.rand(10, 4).astype("float32"); y = (x.sum(1) > 2).astype("float32")\nm = keras.Sequential([keras.layers.Dense(1, activation="sigmoid", input_shape=(4,))])\nm.compile("sgd", "binary_crossentropy", metrics=["accuracy"])\nout = {}\nrec.clear(); m.fit(x, y, batch_size=4, epochs=2, verbose=0, validation_data=(x, y), callbacks=[Rec(), P()]); out["fit_val"] = list(rec)\nrec.clear(); m.fit(x, y, batch_size=4, epochs=1, verbose=0, callbacks=[Rec(), P()]); out["fit"] = list(rec)\nrec.clear(); m.evaluate(x, y, batch_size=4, verbose=0, callbacks=[Rec()]); out["evaluate"] = list(rec)\nrec.clear(); m.predict(x, batch_size=4, verbose=0, callbacks=[Rec()]); out["predict"] = list(rec)\nclass Stop(keras.callbacks.Callback):\n    def on_train_batch_end(self, batch, logs=None):\n        if batch == 1: self.model.stop_training = True\nrec.clear(); m.fit(x, y, batch_size=4, epochs=3, verbose=0, callbacks=[Rec(), Stop()]); out["stop_batch"] = list(rec)\nds = tf.data.Dataset.from_tensor_slices((x, y)).batch(4)\nrec.clear(); m.fit(ds.repeat(), epochs=2, steps_per_epoch=2, verbose=0, validation_data=ds.repeat(), validation_steps=1, callbacks=[Rec(), P()]); out["fit_ds"] = list(rec)\ndef gen():\n    for i in range(3): yield x[i*3:i*3+3], y[i*3:i*3+3]\nrec.clear(); m.fit(gen(), epochs=1, verbose=0, callbacks=[Rec(), P()]); out["fit_gen"] = list(rec)\nh = m.fit(x, y, batch_size=4, epochs=2, verbose=0, validation_split=0.5)\nout["history_keys"] = list(h.history.keys()); out["hist_params"] = h.params\nprint(json.dumps(out))\n'

USER_SCRIPT = 'import os, sys\nos.environ["TF_USE_LEGACY_KERAS"] = "1"\nos.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"\nimport numpy as np\nif sys.argv[1] == "tf":\n    import tensorflow as tf\nelse:\n    import lamina as tf\nkeras = tf.keras\nv = sys.argv[2]\nv = v if v == "auto" else int(v)\nrng = np.random.default_rng(0)\nx = rng.random((100, 4)).astype("float32")\ny = (x.sum(1) > 2).astype("float32")\nm = keras.Sequential([keras.layers.Dense(3, activation="relu", input_shape=(4,)),\n                      keras.layers.Dense(1, activation="sigmoid")])\nm.compile("sgd", "binary_crossentropy", metrics=["accuracy"])\nprint("FIT")\nm.fit(x, y, batch_size=32, epochs=2, verbose=v, validation_split=0.2)\nprint("EVALUATE")\nm.evaluate(x, y, verbose=v)\nprint("PREDICT")\nm.predict(x, verbose=v)\nprint("ONE EPOCH")\nm.fit(x, y, epochs=1, verbose=v)\nprint("DATASET")\nds = tf.data.Dataset.from_tensor_slices((x, y)).batch(10).repeat()\nm.fit(ds, epochs=2, steps_per_epoch=3, verbose=v)\nprint("GENERATOR")\ndef gen():\n    for i in range(3):\n        yield x[i * 10:(i + 1) * 10], y[i * 10:(i + 1) * 10]\nm.fit(gen(), epochs=1, verbose=v)\nprint("END")\n'


def render(raw):
    """What a terminal shows: per line, the text after the last carriage return."""
    out = []
    for line in raw.replace("\r\n", "\n").split("\n"):
        parts = line.replace("\b", "").split("\r")
        shown = parts[-1] if parts[-1].strip() or len(parts) == 1 else parts[-2]
        out.append(shown.rstrip())
    return "\n".join(out).strip("\n")


def normalize(text):
    text = re.sub(r"\d+(ms|us|s)/(step|epoch)", r"T/\2", text)
    text = re.sub(r" - \d+s", " - Ts", text)
    text = re.sub(r"ETA: [\d:]+s?", "ETA: T", text)
    return re.sub(r"\d+\.\d+(e-\d+)?", "V", text)


def run_child(path, args, tty):
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    cmd = [sys.executable, str(path)] + args
    if not tty:
        p = subprocess.run(cmd, capture_output=True, env=env, timeout=300)
        assert p.returncode == 0, p.stderr.decode()
        return p.stdout.decode()
    pid, fd = pty.fork()
    if pid == 0:
        os.execve(sys.executable, cmd, env)
    chunks = []
    while True:
        try:
            data = os.read(fd, 65536)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, b"".join(chunks).decode()
    return b"".join(chunks).decode()


@pytest.fixture(scope="module")
def hooks_run(tmp_path_factory):
    path = tmp_path_factory.mktemp("hooks") / "hooks.py"
    path.write_text(HOOKS_SCRIPT)
    return json.loads(run_child(path, ["lamina"], tty=False))


@pytest.mark.parametrize("case", sorted(TF_HOOKS))
def test_hook_order_and_log_keys_are_tf_keras(hooks_run, case):
    assert hooks_run[case] == TF_HOOKS[case]


@pytest.fixture(scope="module")
def user_script(tmp_path_factory):
    path = tmp_path_factory.mktemp("user") / "user_script.py"
    path.write_text(USER_SCRIPT)
    return path


@pytest.mark.parametrize("verbose", ["1", "2", "0", "auto"])
def test_output_to_a_pipe_is_what_tf_keras_shows(user_script, verbose):
    raw = run_child(user_script, ["lamina", verbose], tty=False)
    assert "\r" not in raw and "\b" not in raw          # a log file gets no redraws
    assert normalize(render(raw)) == TF_SCREEN[verbose]


def test_output_to_a_terminal_redraws_one_line(user_script):
    raw = run_child(user_script, ["lamina", "1"], tty=True)
    assert normalize(render(raw)) == TF_SCREEN["1"]
    # the first step of every bar is drawn, with its ETA, then redrawn in place
    assert re.search(r"\r1/3 \[=========>\.{20}\] - ETA: \d+s - loss: \d\.\d{4} - "
                     r"accuracy: \d\.\d{4}\r3/3 \[={30}\] - \d+s \d+m?u?s/step", raw)
    assert "\b" not in raw


SLOW_SCRIPT = """
import sys, time
import numpy as np
import lamina as tf
class Slow(tf.keras.callbacks.Callback):
    def on_train_batch_end(self, batch, logs=None):
        time.sleep(0.05)
m = tf.keras.Sequential([tf.keras.layers.Dense(1, input_shape=(2,))])
m.compile("sgd", "mse")
m.fit(np.zeros((40, 2)), np.zeros(40), batch_size=1, callbacks=[Slow()], verbose=1)
"""


def test_a_long_epoch_shows_progress_before_it_ends_in_a_log(tmp_path):
    path = tmp_path / "slow.py"
    path.write_text(SLOW_SCRIPT)
    lines = run_child(path, [], tty=False).splitlines()
    # 40 steps of 50 ms: a progress line after half a second, then the final line
    assert len(lines) == 2
    assert re.match(r" ?\d+/40 \[=*>\.*\] - ETA: \d+s - loss: ", lines[0])
    assert lines[1].startswith("40/40 [==============================]")


# ---- the loop in-process ------------------------------------------------------------------------
def model(n_in=4):
    m = keras.Sequential([keras.layers.Dense(8, activation="relu", input_shape=(n_in,)),
                          keras.layers.Dense(1)])
    m.compile(keras.optimizers.SGD(0.05), "mse", metrics=["mae"])
    return m


def data(n=64, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 4)).astype("float32")
    return x, (x @ np.array([1.0, -2.0, 0.5, 0.0], np.float32))[:, None]


def test_fit_on_a_dataset_a_generator_and_a_sequence_learns():
    x, y = data()
    ds = tf.data.Dataset.from_tensor_slices((x, y)).shuffle(64).batch(16)

    def gen():
        while True:
            for i in range(0, 64, 16):
                yield x[i:i + 16], y[i:i + 16]

    class Seq(keras.utils.Sequence):
        def __len__(self):
            return 4

        def __getitem__(self, i):
            return x[i * 16:(i + 1) * 16], y[i * 16:(i + 1) * 16]

    for source, kw in [(ds, {}), (gen(), {"steps_per_epoch": 4}), (Seq(), {})]:
        m = model()
        h = m.fit(source, epochs=15, verbose=0, **kw)
        assert h.params["steps"] == 4
        assert h.history["loss"][-1] < 0.5 * h.history["loss"][0]
        assert list(h.history) == ["loss", "mae"]


def test_fit_validation_logs_and_history():
    x, y = data()
    m = model()
    h = m.fit(x, y, batch_size=16, epochs=3, verbose=0, validation_data=(x[:16], y[:16]))
    assert list(h.history) == ["loss", "mae", "val_loss", "val_mae"]
    assert h.epoch == [0, 1, 2] and m.history is h
    assert h.params == {"verbose": 0, "epochs": 3, "steps": 4}
    # the last val_loss is evaluate's on the same data
    np.testing.assert_allclose(h.history["val_loss"][-1],
                               m.evaluate(x[:16], y[:16], verbose=0)[0], rtol=1e-6)
    h = m.fit(x, y, batch_size=16, epochs=4, verbose=0, validation_split=0.25,
              validation_freq=2)
    assert len(h.history["loss"]) == 4 and len(h.history["val_loss"]) == 2


def test_fit_with_named_inputs_and_sample_weights_from_a_dataset():
    a = keras.Input((2,), name="a")
    b = keras.Input((2,), name="b")
    out = keras.layers.Dense(1)(keras.layers.Concatenate()([a, b]) if hasattr(
        keras.layers, "Concatenate") else a + b)
    m = keras.Model([a, b], out)
    m.compile("sgd", "mse")
    xa = np.ones((8, 2), np.float32)
    y = np.ones((8, 1), np.float32)
    ds = tf.data.Dataset.from_tensor_slices(({"a": xa, "b": xa}, y, np.ones(8, np.float32)))
    h = m.fit(ds.batch(4), epochs=2, verbose=0)
    assert len(h.history["loss"]) == 2
    p = m.predict(tf.data.Dataset.from_tensor_slices({"a": xa, "b": xa}).batch(3), verbose=0)
    assert p.shape == (8, 1)


def test_stop_training_and_early_stopping_in_fit():
    x, y = data()
    m = model()

    class StopAt(C.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 1:
                self.model.stop_training = True
    h = m.fit(x, y, epochs=10, verbose=0, callbacks=[StopAt()])
    assert h.epoch == [0, 1]
    m = model()
    m.compile(keras.optimizers.SGD(0.0), "mse")          # nothing improves: stops after patience
    es = C.EarlyStopping(monitor="loss", patience=2, min_delta=1e-4)  # shuffling moves the
    # epoch mean in its last bits
    h = m.fit(x, y, epochs=20, verbose=0, callbacks=[es])
    assert len(h.epoch) == 3 and es.stopped_epoch == 2


def test_learning_rate_callbacks_change_the_optimizer():
    x, y = data()
    m = model()
    h = m.fit(x, y, epochs=3, verbose=0,
              callbacks=[C.LearningRateScheduler(lambda e, lr: 0.1 * 0.5 ** e)])
    np.testing.assert_allclose(h.history["lr"], [0.1, 0.05, 0.025], rtol=1e-6)
    assert float(C._get_lr(m.optimizer)) == pytest.approx(0.025)


def test_csv_logger_and_lambda_in_fit(tmp_path):
    x, y = data()
    m = model()
    f = tmp_path / "log.csv"
    ends = []
    m.fit(x, y, epochs=2, verbose=0, validation_split=0.25,
          callbacks=[C.CSVLogger(str(f)), C.LambdaCallback(on_train_end=lambda logs:
                                                            ends.append(sorted(logs)))])
    rows = f.read_text().splitlines()
    assert rows[0] == "epoch,loss,mae,val_loss,val_mae" and len(rows) == 3
    assert ends == [["loss", "mae", "val_loss", "val_mae"]]


def test_evaluate_and_predict_on_datasets_and_generators():
    x, y = data()
    m = model()
    want = m.evaluate(x, y, batch_size=16, verbose=0, return_dict=True)
    ds = tf.data.Dataset.from_tensor_slices((x, y)).batch(16)
    got = m.evaluate(ds, verbose=0, return_dict=True)
    assert got == pytest.approx(want, rel=1e-6)
    np.testing.assert_allclose(m.predict(ds, verbose=0), m.predict(x, verbose=0), rtol=1e-6)
    gen = ((x[i:i + 16],) for i in range(0, 64, 16))
    assert m.predict(gen, verbose=0).shape == (64, 1)
    assert m.evaluate(ds.repeat(), steps=2, verbose=0, return_dict=True).keys() == want.keys()
    with pytest.raises(ValueError, match="infinite dataset"):
        m.evaluate(ds.repeat(), verbose=0)


def test_fit_errors_are_tf_keras_errors():
    x, y = data()
    m = model()
    ds = tf.data.Dataset.from_tensor_slices((x, y)).batch(16)
    with pytest.raises(ValueError, match="`y` argument is not supported when using dataset"):
        m.fit(ds, y, verbose=0)
    with pytest.raises(ValueError, match="`validation_split` is only supported for Tensors or "
                                         "NumPy arrays"):
        m.fit(ds, validation_split=0.2, verbose=0)
    with pytest.raises(ValueError, match="verbose"):
        m.fit(x, y, verbose=3)
    with pytest.raises(ValueError, match="Empty logs"):
        m.fit(tf.data.Dataset.from_tensor_slices((x, y)).take(0).batch(4), verbose=0)


def test_model_checkpoint_and_backup_need_saving_or_use_it(tmp_path):
    x, y = data()
    m = model()
    if not hasattr(m, "save_weights"):
        with pytest.raises(NotImplementedError, match="save_weights"):
            m.fit(x, y, verbose=0, callbacks=[C.ModelCheckpoint(str(tmp_path / "w.h5"),
                                                                save_weights_only=True)])
        return
    m.fit(x, y, epochs=2, verbose=0, callbacks=[C.ModelCheckpoint(
        str(tmp_path / "w.{epoch:02d}.weights.h5"), save_weights_only=True)])
    assert sorted(os.listdir(tmp_path)) == ["w.01.weights.h5", "w.02.weights.h5"]

    class Interrupt(C.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            if epoch == 2:
                raise RuntimeError("interrupted")
    backup = str(tmp_path / "backup")
    with pytest.raises(RuntimeError, match="interrupted"):
        model().fit(x, y, epochs=5, verbose=0, callbacks=[C.BackupAndRestore(backup),
                                                          Interrupt()])
    assert sorted(os.listdir(backup)) == ["training_state.json", "weights.h5"]
    h = model().fit(x, y, epochs=5, verbose=0, callbacks=[C.BackupAndRestore(backup)])
    assert h.epoch == [2, 3, 4] and not os.path.exists(backup)   # resumed, then cleaned up
