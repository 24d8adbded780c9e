"""Files written by real tf_keras 2.21 and Keras 3.15 (tests/fixtures/keras_files, made by
tests/fixtures/make_keras_files.py in a side environment) load in lamina and predict the outputs
those libraries stored; files lamina wrote (tests/fixtures/lamina_written, checked by hand to
load in tf_keras 2.21 and Keras 3 with the same predictions: `make_keras_files.py check ...`;
written by running this file as a script) still load and predict, and lamina writes the same
configs today."""
import json
import os
import sys
import zipfile

import numpy as np
import pytest

import lamina as tf
from _keras_session import fresh_keras_session  # noqa: F401

FIXTURES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "fixtures")
sys.path.insert(0, FIXTURES)
import make_keras_files  # noqa: E402  (the model builders, shared with the side environment)

make_keras_files.scale_layer(tf.keras)   # registers 'fixtures>Scale' with lamina
KERAS_FILES = os.path.join(FIXTURES, "keras_files")
LAMINA_WRITTEN = os.path.join(FIXTURES, "lamina_written")


def _lamina_has_layers(name):
    """Models whose layers lamina has (CNN / recurrent models join once their layers exist)."""
    return all(hasattr(tf.keras.layers, n) for n in make_keras_files.NEEDS.get(name, ()))


AVAILABLE = [n for n in make_keras_files.MODELS if _lamina_has_layers(n)]
# the models lamina has written files of (by running this file as a script)
WRITTEN = [n for n in AVAILABLE if os.path.exists(os.path.join(LAMINA_WRITTEN, n + ".npz"))]


def _cases():
    out = []
    for flavor in ("tf_keras", "keras3"):
        for name in AVAILABLE:
            base = os.path.join(KERAS_FILES, flavor, name)
            for kind in ("keras", "h5", "weights.h5", "legacy_weights.h5"):
                if os.path.exists(f"{base}.{kind}"):
                    out.append(pytest.param(base, kind, id=f"{flavor}-{name}-{kind}"))
    return out


def _load(base, kind):
    if kind in ("keras", "h5"):
        return tf.keras.models.load_model(f"{base}.{kind}")
    with open(base + ".json") as f:
        model = tf.keras.models.model_from_json(f.read())
    model.load_weights(f"{base}.{kind}")
    return model


@pytest.mark.parametrize("base,kind", _cases())
def test_keras_written_files_predict_the_stored_outputs(base, kind):
    ref = np.load(base + ".npz")
    model = _load(base, kind)
    np.testing.assert_allclose(model.predict(ref["x"]), ref["y"], rtol=1e-5, atol=1e-6)


def test_every_fixture_model_has_files_from_both_keras_versions():
    for name in make_keras_files.MODELS:
        assert os.path.exists(os.path.join(KERAS_FILES, "tf_keras", name + ".h5"))
        assert os.path.exists(os.path.join(KERAS_FILES, "keras3", name + ".keras"))


def _compiled_cases():
    out = []
    for flavor in ("tf_keras", "keras3"):
        for name in AVAILABLE:
            optimizer = make_keras_files.MODELS[name][1]
            for kind in ("keras", "h5"):
                base = os.path.join(KERAS_FILES, flavor, name)
                if optimizer and os.path.exists(f"{base}.{kind}"):
                    out.append(pytest.param(base, kind, id=f"{flavor}-{name}-{kind}"))
    return out


@pytest.mark.parametrize("base,kind", _compiled_cases())
def test_training_continues_exactly_where_keras_stopped(base, kind):
    """The optimizer's state (Adam's iterations, m and v) comes back: one more step on the
    stored batch gives the prediction Keras gave after the same step."""
    ref = np.load(base + ".npz")
    model = tf.keras.models.load_model(f"{base}.{kind}")
    assert int(model.optimizer.iterations.numpy()) == 3
    model.train_on_batch(ref["tx"], ref["ty"])
    np.testing.assert_allclose(model.predict(ref["x"]), ref["y_after"], rtol=1e-4, atol=1e-4)
    # (a fresh optimizer would not: its first Adam step moves each weight by about lr)
    fresh = tf.keras.models.load_model(f"{base}.{kind}", compile=False)
    fresh.compile(optimizer=tf.keras.optimizers.Adam(0.01), loss="mse")
    fresh.train_on_batch(ref["tx"], ref["ty"])
    assert np.abs(fresh.predict(ref["x"]) - ref["y_after"]).max() > 1e-3


@pytest.mark.parametrize("flavor", ["tf_keras", "keras3"])
def test_compile_restores_loss_metrics_and_optimizer_config(flavor):
    model = tf.keras.models.load_model(os.path.join(KERAS_FILES, flavor, "mlp.keras"))
    assert type(model.optimizer).__name__ == "Adam"
    assert abs(float(np.asarray(model.optimizer.learning_rate)) - 0.01) < 1e-7
    assert model.loss in ("mse", "mean_squared_error") or callable(model.loss)
    raw = tf.keras.models.load_model(os.path.join(KERAS_FILES, flavor, "mlp.keras"),
                                     compile=False)
    assert not getattr(raw, "_is_compiled", False)


# ---- files lamina writes -------------------------------------------------------------------------
def _lamina_model(name):
    build, optimizer = make_keras_files.MODELS[name]
    model, shape = build(tf.keras)
    rng = np.random.default_rng(11)
    for w in model.weights:
        value = rng.normal(scale=0.5, size=w.shape.as_list())
        if "variance" in w.name:
            value = 0.5 + np.abs(value)
        w.assign(value.astype("float32"))
    return model, shape, optimizer


def _write_lamina_files(name, out):
    """The files of one model, as make_keras_files.py writes Keras's (a compiled model trained
    three steps, then one more step on the stored batch for `y_after`)."""
    model, shape, optimizer = _lamina_model(name)
    rng = np.random.default_rng(5)
    x = make_keras_files._input(rng, (6,) + shape, model)
    n_out = model.outputs[0].shape[-1]
    if optimizer is not None:
        model.compile(optimizer=tf.keras.optimizers.Adam(0.01), loss="mse", metrics=["mae"])
        for _ in range(3):
            model.train_on_batch(make_keras_files._input(rng, (8,) + shape, model),
                                 rng.uniform(size=(8, n_out)).astype("float32"))
    base = os.path.join(out, name)
    model.save(base + ".keras")
    model.save(base + ".h5")
    model.save_weights(base + ".weights.h5")
    model.save_weights(base + ".h5w.h5")
    with open(base + ".json", "w") as f:
        f.write(model.to_json())
    arrays = {"x": x, "y": model.predict(x)}
    if optimizer is not None:
        tx = make_keras_files._input(rng, (8,) + shape, model)
        ty = rng.uniform(size=(8, n_out)).astype("float32")
        model.train_on_batch(tx, ty)
        arrays.update(tx=tx, ty=ty, y_after=model.predict(x))
    np.savez(base + ".npz", **arrays)
    return base


@pytest.mark.parametrize("name", WRITTEN)
@pytest.mark.parametrize("kind", ["keras", "h5", "weights.h5", "h5w.h5"])
def test_lamina_written_files_load_and_predict(name, kind):
    base = os.path.join(LAMINA_WRITTEN, name)
    ref = np.load(base + ".npz")
    model = _load(base, kind)
    np.testing.assert_allclose(model.predict(ref["x"]), ref["y"], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", [n for n in WRITTEN if make_keras_files.MODELS[n][1]])
@pytest.mark.parametrize("kind", ["keras", "h5"])
def test_lamina_written_files_continue_training(name, kind):
    base = os.path.join(LAMINA_WRITTEN, name)
    ref = np.load(base + ".npz")
    model = tf.keras.models.load_model(f"{base}.{kind}")
    model.train_on_batch(ref["tx"], ref["ty"])
    np.testing.assert_allclose(model.predict(ref["x"]), ref["y_after"], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", WRITTEN)
def test_lamina_writes_the_configs_that_keras_was_shown_to_read(name, tmp_path):
    base = _write_lamina_files(name, str(tmp_path))
    stored = os.path.join(LAMINA_WRITTEN, name)
    with zipfile.ZipFile(base + ".keras") as a, zipfile.ZipFile(stored + ".keras") as b:
        assert a.namelist() == b.namelist() == ["metadata.json", "config.json",
                                                "model.weights.h5"]
        assert json.loads(a.read("config.json")) == json.loads(b.read("config.json"))
    with open(base + ".json") as a, open(stored + ".json") as b:
        assert json.load(a) == json.load(b)


if __name__ == "__main__":
    # (by hand, after a change to what lamina writes: `cd tests/keras && python
    # test_saving_fixtures.py`, then `make_keras_files.py check ...` in the side environment)
    os.makedirs(LAMINA_WRITTEN, exist_ok=True)
    for model_name in AVAILABLE:
        tf.keras.backend.clear_session()
        print("wrote", _write_lamina_files(model_name, LAMINA_WRITTEN))
