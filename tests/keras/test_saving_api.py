"""The saving API as the "Save, serialize, and export models" guide uses it: whole models in
.keras and .h5, custom objects (registered, passed, scoped), configs and JSON, clone_model,
weights-only files, weight transfer; and the serialization utilities."""
import json
import os

import numpy as np
import pytest

import lamina as tf
from lamina import keras
from _keras_session import fresh_keras_session  # noqa: F401


def _compiled_model():
    inputs = keras.Input(shape=(32,))
    outputs = keras.layers.Dense(1)(inputs)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer=keras.optimizers.Adam(), loss="mean_squared_error")
    return model


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    return rng.random((128, 32)).astype("float32"), rng.random((128, 1)).astype("float32")


@pytest.mark.parametrize("suffix", [".keras", ".h5"])
def test_whole_model_round_trip_and_training_resumes(tmp_path, data, suffix):
    x, y = data
    model = _compiled_model()
    model.fit(x, y, verbose=0)
    path = str(tmp_path / ("my_model" + suffix))
    model.save(path)
    loaded = keras.models.load_model(path)
    np.testing.assert_allclose(model.predict(x), loaded.predict(x), rtol=1e-6)
    assert type(loaded.optimizer).__name__ == "Adam"
    loaded.fit(x, y, verbose=0)       # compiled: training resumes


def test_save_model_function_and_overwrite(tmp_path):
    model = _compiled_model()
    path = str(tmp_path / "m.keras")
    keras.models.save_model(model, path)
    with pytest.raises(FileExistsError):
        keras.models.save_model(model, path, overwrite=False)
    assert keras.saving.load_model(path).count_params() == 33


def test_save_without_a_known_suffix_is_refused(tmp_path):
    with pytest.raises(ValueError, match=r"\.keras"):
        _compiled_model().save(str(tmp_path / "my_model"))


def test_registered_custom_layer_and_function(tmp_path):
    @keras.saving.register_keras_serializable(package="my_package", name="custom_fn")
    def custom_fn(x):
        return x ** 2

    @keras.saving.register_keras_serializable(package="MyLayers")
    class CustomLayer(keras.layers.Layer):
        def __init__(self, factor, **kwargs):
            super().__init__(**kwargs)
            self.factor = factor

        def call(self, x):
            return x * self.factor

        def get_config(self):
            config = super().get_config()
            config["factor"] = self.factor
            return config

    assert keras.saving.get_registered_name(CustomLayer) == "MyLayers>CustomLayer"
    assert keras.saving.get_registered_object("my_package>custom_fn") is custom_fn
    inputs = keras.Input(shape=(4,))
    outputs = keras.layers.Dense(1, activation=custom_fn)(CustomLayer(0.5)(inputs))
    model = keras.Model(inputs, outputs)
    model.compile(optimizer="rmsprop", loss="mean_squared_error")
    path = str(tmp_path / "custom_model.keras")
    model.save(path)
    config = json.loads(__import__("zipfile").ZipFile(path).read("config.json"))
    layer = config["config"]["layers"][1]
    assert layer["registered_name"] == "MyLayers>CustomLayer" and layer["module"] is None
    assert config["config"]["layers"][2]["config"]["activation"] == "my_package>custom_fn"
    x = np.random.default_rng(1).random((3, 4)).astype("float32")
    loaded = keras.models.load_model(path)
    np.testing.assert_allclose(loaded.predict(x), model.predict(x), rtol=1e-6)


def test_custom_objects_argument_and_scope(tmp_path):
    class CustomLayer(keras.layers.Layer):
        def __init__(self, units=32, **kwargs):
            super().__init__(**kwargs)
            self.units = units

        def build(self, input_shape):
            self.w = self.add_weight(shape=(input_shape[-1], self.units),
                                     initializer="random_normal", trainable=True)
            self.b = self.add_weight(shape=(self.units,), initializer="random_normal",
                                     trainable=True)

        def call(self, inputs):
            return tf.matmul(inputs, self.w) + self.b

        def get_config(self):
            config = super().get_config()
            config.update({"units": self.units})
            return config

    def custom_activation(x):
        return tf.nn.tanh(x) ** 2

    inputs = keras.Input((32,))
    outputs = keras.layers.Activation(custom_activation)(CustomLayer(32)(inputs))
    model = keras.Model(inputs, outputs)
    custom_objects = {"CustomLayer": CustomLayer, "custom_activation": custom_activation}
    config = model.get_config()
    with pytest.raises(ValueError, match="CustomLayer"):
        keras.Model.from_config(config)
    with keras.saving.custom_object_scope(custom_objects):
        new_model = keras.Model.from_config(config)
    assert type(new_model.layers[1]) is CustomLayer
    path = str(tmp_path / "c.keras")
    model.save(path)
    x = np.random.default_rng(2).random((2, 32)).astype("float32")
    loaded = keras.models.load_model(path, custom_objects=custom_objects)
    np.testing.assert_allclose(loaded.predict(x), model.predict(x), rtol=1e-5)
    with keras.utils.custom_object_scope(custom_objects):
        loaded = keras.models.load_model(path)
    np.testing.assert_allclose(loaded.predict(x), model.predict(x), rtol=1e-5)


def test_layer_and_model_configs():
    layer = keras.layers.Dense(3, activation="relu")
    new_layer = keras.layers.Dense.from_config(layer.get_config())
    assert new_layer.units == 3 and new_layer.activation is keras.activations.relu
    model = keras.Sequential([keras.Input((32,)), keras.layers.Dense(1)])
    new_model = keras.Sequential.from_config(model.get_config())
    assert [type(l).__name__ for l in new_model.layers] == ["Dense"]
    inputs = keras.Input((32,))
    model = keras.Model(inputs, keras.layers.Dense(1)(inputs))
    new_model = keras.Model.from_config(model.get_config())
    assert new_model.count_params() == 33
    json_config = keras.Sequential([keras.Input((32,)), keras.layers.Dense(1)]).to_json()
    assert json.loads(json_config)["class_name"] == "Sequential"
    new_model = keras.models.model_from_json(json_config)
    assert new_model.count_params() == 33
    assert keras.models.model_from_config(json.loads(json_config)).count_params() == 33


def test_serialize_arbitrary_objects():
    config = keras.saving.serialize_keras_object(keras.regularizers.L1(0.01))
    assert config == {"module": "keras.regularizers", "class_name": "L1",
                      "config": {"l1": pytest.approx(0.01)}, "registered_name": None}
    reg = keras.saving.deserialize_keras_object(config)
    assert type(reg).__name__ == "L1"
    init = keras.saving.deserialize_keras_object(
        keras.saving.serialize_keras_object(keras.initializers.GlorotUniform(seed=3)))
    assert type(init).__name__ == "GlorotUniform" and init.seed == 3
    assert keras.saving.serialize_keras_object(keras.activations.relu) == "relu"
    assert keras.activations.deserialize("relu") is keras.activations.relu


def test_every_kind_of_get_resolves_names_and_configs():
    assert type(keras.optimizers.get("adam")).__name__ == "Adam"
    assert type(keras.optimizers.get("Adam")).__name__ == "Adam"
    opt = keras.optimizers.get({"class_name": "SGD", "config": {"learning_rate": 0.5}})
    assert opt.learning_rate == 0.5
    assert keras.losses.get("mse") is keras.losses.mean_squared_error
    assert type(keras.losses.get({"class_name": "MeanSquaredError", "config": {}})).__name__ \
        == "MeanSquaredError"
    assert type(keras.metrics.get("Mean")).__name__ == "Mean"
    assert type(keras.initializers.get("glorot_uniform")).__name__ == "GlorotUniform"
    assert type(keras.regularizers.get({"class_name": "L2", "config": {"l2": 0.1}})).__name__ \
        == "L2"
    assert type(keras.constraints.get("non_neg")).__name__ == "NonNeg"
    for get, kind in [(keras.optimizers.get, "optimizer"), (keras.losses.get, "loss"),
                      (keras.initializers.get, "initializer"),
                      (keras.regularizers.get, "regularizer"),
                      (keras.constraints.get, "constraint"),
                      (keras.activations.get, "activation")]:
        with pytest.raises(ValueError, match=f"Unknown {kind}.*no_such_thing"):
            get("no_such_thing")


def test_clone_model_has_new_weights_and_same_architecture():
    inputs = keras.Input((4,))
    x = keras.layers.Dense(3, activation="relu")(inputs)
    model = keras.Model(inputs, keras.layers.Dense(2)(x))
    clone = keras.models.clone_model(model)
    assert clone is not model and [type(l) for l in clone.layers] == [type(l) for l in
                                                                      model.layers]
    assert all(a is not b for a, b in zip(clone.weights, model.weights))
    seq = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])
    seq_clone = keras.models.clone_model(
        seq, clone_function=lambda l: keras.layers.Dense(5) if l.name.startswith("dense")
        else l)
    assert seq_clone.outputs[0].shape.as_list() == [None, 5]
    new_input = keras.Input((4,), name="new_in")
    assert keras.models.clone_model(model, input_tensors=new_input).inputs[0] is new_input


def test_weights_transfer_and_weights_files(tmp_path):
    def create_functional_model():
        inputs = keras.Input(shape=(784,), name="digits")
        x = keras.layers.Dense(64, activation="relu", name="dense_1")(inputs)
        x = keras.layers.Dense(64, activation="relu", name="dense_2")(x)
        outputs = keras.layers.Dense(10, name="predictions")(x)
        return keras.Model(inputs=inputs, outputs=outputs, name="3_layer_mlp")

    class SubclassedModel(keras.Model):
        def __init__(self, output_dim, name=None):
            super().__init__(name=name)
            self.output_dim = output_dim
            self.dense_1 = keras.layers.Dense(64, activation="relu", name="dense_1")
            self.dense_2 = keras.layers.Dense(64, activation="relu", name="dense_2")
            self.dense_3 = keras.layers.Dense(output_dim, name="predictions")

        def call(self, inputs):
            return self.dense_3(self.dense_2(self.dense_1(inputs)))

        def get_config(self):
            return {"output_dim": self.output_dim, "name": self.name}

    x = np.random.default_rng(3).random((2, 784)).astype("float32")
    functional_model = create_functional_model()
    subclassed_model = SubclassedModel(10)
    subclassed_model(np.ones((1, 784), "float32"))
    subclassed_model.set_weights(functional_model.get_weights())
    np.testing.assert_allclose(subclassed_model.predict(x), functional_model.predict(x),
                               rtol=1e-5)
    for suffix in (".weights.h5", ".h5"):
        path = str(tmp_path / ("pretrained" + suffix))
        functional_model.save_weights(path)
        pretrained = create_functional_model()
        pretrained.load_weights(path)
        np.testing.assert_allclose(pretrained.predict(x), functional_model.predict(x))
    # a subclassed model saved whole and loaded with its class
    path = str(tmp_path / "sub.keras")
    subclassed_model.save(path)
    loaded = keras.models.load_model(path, custom_objects={"SubclassedModel": SubclassedModel})
    np.testing.assert_allclose(loaded.predict(x), subclassed_model.predict(x), rtol=1e-5)


def test_h5_weights_by_name_and_skip_mismatch(tmp_path):
    src = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, name="a"),
                            keras.layers.Dense(2, name="b")])
    path = str(tmp_path / "w.h5")
    src.save_weights(path)
    dst = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, name="a"),
                            keras.layers.Dense(3, name="other"), keras.layers.Dense(2, name="b")])
    before = dst.get_layer("other").get_weights()
    dst.load_weights(path, by_name=True)
    np.testing.assert_array_equal(dst.get_layer("a").get_weights()[0],
                                  src.get_layer("a").get_weights()[0])
    np.testing.assert_array_equal(dst.get_layer("other").get_weights()[0], before[0])
    wrong = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, name="a"),
                              keras.layers.Dense(5, name="b")])
    with pytest.raises(ValueError, match="shape"):
        wrong.load_weights(path, by_name=True)
    b_before = wrong.get_layer("b").get_weights()[0].copy()
    wrong.load_weights(path, by_name=True, skip_mismatch=True)
    np.testing.assert_array_equal(wrong.get_layer("a").get_weights()[0],
                                  src.get_layer("a").get_weights()[0])
    np.testing.assert_array_equal(wrong.get_layer("b").get_weights()[0], b_before)


def test_h5py_is_imported_only_for_files():
    import subprocess
    import sys
    code = "import lamina, sys; lamina.keras.Sequential(); print('h5py' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"


def test_files_written_are_the_v3_and_legacy_layouts(tmp_path):
    import h5py
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3),
                              keras.layers.BatchNormalization()])
    model.save_weights(str(tmp_path / "m.weights.h5"))
    with h5py.File(str(tmp_path / "m.weights.h5")) as f:
        assert f["layers/dense/vars/0"].shape == (4, 3)
        assert [f[f"layers/batch_normalization/vars/{i}"].shape for i in range(4)] == [(3,)] * 4
        assert "vars" in f
    model.save(str(tmp_path / "m.h5"))
    with h5py.File(str(tmp_path / "m.h5")) as f:
        assert json.loads(f.attrs["model_config"])["class_name"] == "Sequential"
        names = [n.decode() for n in f["model_weights"].attrs["layer_names"]]
        assert names == [l.name for l in model.layers]
        g = f["model_weights"][model.layers[0].name]
        assert [n.decode() for n in g.attrs["weight_names"]] == [w.name for w in
                                                                 model.layers[0].weights]
    assert os.path.getsize(str(tmp_path / "m.h5")) > 0


def test_layers_that_save_their_own_state(tmp_path):
    @keras.saving.register_keras_serializable(package="my_custom_package")
    class LayerWithCustomVariables(keras.layers.Dense):
        def __init__(self, units, **kwargs):
            super().__init__(units, **kwargs)
            self.stored_variables = tf.Variable(np.random.random((10,)), name="special_arr",
                                                dtype=tf.float32)

        def save_own_variables(self, store):
            super().save_own_variables(store)
            store["variables"] = self.stored_variables.numpy()

        def load_own_variables(self, store):
            self.stored_variables.assign(store["variables"])
            for i, v in enumerate(self.weights):
                v.assign(store[f"{i}"])

        def get_config(self):
            return {**super().get_config(), "units": self.units}

    layer = LayerWithCustomVariables(1)
    model = keras.Sequential([keras.Input((3,)), layer])
    layer.stored_variables.assign(np.arange(10, dtype="float32"))
    path = str(tmp_path / "custom_vars.keras")
    model.save(path)
    loaded = keras.models.load_model(path)
    np.testing.assert_array_equal(loaded.layers[0].stored_variables.numpy(), np.arange(10))
    np.testing.assert_array_equal(loaded.layers[0].kernel.numpy(), layer.kernel.numpy())


def test_models_may_customize_build_and_compile_configs(tmp_path):
    @keras.saving.register_keras_serializable(package="guide")
    class ModelWithCustomCompile(keras.Model):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.dense = keras.layers.Dense(2)

        def call(self, x):
            return self.dense(x)

        def get_config(self):
            return {"name": self.name}

        def get_compile_config(self):
            return {"model_optimizer": "sgd", "loss_fn": "mae"}

        def compile_from_config(self, config):
            self.compile(optimizer=config["model_optimizer"], loss=config["loss_fn"])

    model = ModelWithCustomCompile()
    model.compile(optimizer="adam", loss="mse")
    model(np.ones((1, 3), "float32"))
    path = str(tmp_path / "cc.keras")
    model.save(path)
    loaded = keras.models.load_model(path)
    assert type(loaded.optimizer).__name__ == "SGD" and loaded.loss == "mae"
    np.testing.assert_allclose(loaded.predict(np.ones((2, 3), "float32")),
                               model.predict(np.ones((2, 3), "float32")))


def test_keras3_and_tf_keras_differences_are_mapped_on_reading():
    from lamina.keras.saving.compat import to_lamina_config
    assert to_lamina_config("InputLayer", {"batch_shape": [None, 3], "optional": False}) == \
        {"batch_input_shape": [None, 3]}
    assert to_lamina_config("BatchNormalization", {"axis": [1], "renorm": False,
                                                   "synchronized": False}) == {"axis": 1}
    assert to_lamina_config("Dense", {"units": 2, "quantization_config": None}) == {"units": 2}
    assert to_lamina_config("LSTM", {"units": 2, "seed": 7, "use_cudnn": "auto"}) == {"units": 2}
    assert to_lamina_config("Adam", {"learning_rate": 0.1, "jit_compile": True,
                                     "loss_scale_factor": None}) == {"learning_rate": 0.1}
    with pytest.raises(NotImplementedError, match="quantization_config"):
        to_lamina_config("Dense", {"units": 2, "quantization_config": {"mode": "int8"}})
    with pytest.raises(NotImplementedError, match="several axes"):
        to_lamina_config("BatchNormalization", {"axis": [1, 2]})
    dtype = {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "mixed_float16"},
             "registered_name": None, "shared_object_id": 1}
    layer = keras.layers.deserialize({"class_name": "Dense", "config": {"units": 2,
                                                                       "dtype": dtype}})
    assert layer.dtype_policy.name == "mixed_float16"


def test_layers_with_assets(tmp_path):
    @keras.saving.register_keras_serializable(package="guide")
    class LayerWithCustomAssets(keras.layers.Dense):
        def __init__(self, vocab=None, **kwargs):
            super().__init__(**kwargs)
            self.vocab = vocab

        def save_assets(self, inner_path):
            os.makedirs(os.path.join(inner_path, "sub"))
            with open(os.path.join(inner_path, "sub", "vocabulary.txt"), "w") as f:
                f.write(self.vocab)

        def load_assets(self, inner_path):
            with open(os.path.join(inner_path, "sub", "vocabulary.txt")) as f:
                self.vocab = f.read()

    model = keras.Sequential([keras.Input((2,)), LayerWithCustomAssets(vocab="a b c", units=1)])
    path = str(tmp_path / "assets.keras")
    model.save(path)
    import zipfile
    assert "assets/layers/layer_with_custom_assets/sub/vocabulary.txt" in \
        zipfile.ZipFile(path).namelist()
    model.layers[0].vocab = "changed"
    assert keras.models.load_model(path).layers[0].vocab == "a b c"


def test_mixed_precision_model_round_trip(tmp_path):
    keras.mixed_precision.set_global_policy("mixed_bfloat16")
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    keras.mixed_precision.set_global_policy("float32")
    path = str(tmp_path / "mp.keras")
    model.save(path)
    loaded = keras.models.load_model(path)
    assert loaded.layers[0].dtype_policy.name == "mixed_bfloat16"
    x = np.ones((1, 3), "float32")
    np.testing.assert_array_equal(loaded.predict(x), model.predict(x))


@pytest.mark.parametrize("suffix", [".keras", ".h5"])
def test_compiled_metrics_and_loss_weights_come_back(tmp_path, suffix):
    inputs = keras.Input((3,))
    model = keras.Model(inputs, keras.layers.Dense(2)(inputs))
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse",
                  metrics=["mae", keras.metrics.RootMeanSquaredError()])
    x, y = np.ones((4, 3), "float32"), np.zeros((4, 2), "float32")
    model.fit(x, y, verbose=0)
    path = str(tmp_path / ("m" + suffix))
    model.save(path)
    loaded = keras.models.load_model(path)
    a = model.evaluate(x, y, return_dict=True, verbose=0)
    b = loaded.evaluate(x, y, return_dict=True, verbose=0)
    assert sorted(a) == sorted(b) == ["loss", "mae", "root_mean_squared_error"]
    for k in a:
        assert a[k] == pytest.approx(b[k], rel=1e-6)


def test_subclassed_model_to_h5_is_refused_as_in_tf_keras(tmp_path):
    class Sub(keras.Model):
        def __init__(self):
            super().__init__()
            self.d = keras.layers.Dense(2)

        def call(self, x):
            return self.d(x)

    model = Sub()
    model(np.ones((1, 3), "float32"))
    with pytest.raises(NotImplementedError, match="subclassed"):
        model.save(str(tmp_path / "sub.h5"))
    assert not os.path.exists(str(tmp_path / "sub.h5"))
    model.save_weights(str(tmp_path / "sub_w.h5"))
    other = Sub()
    other(np.ones((1, 3), "float32"))
    other.load_weights(str(tmp_path / "sub_w.h5"))
    np.testing.assert_array_equal(other.d.kernel.numpy(), model.d.kernel.numpy())


@pytest.mark.parametrize("suffix", [".keras", ".h5"])
def test_load_model_from_an_open_file(tmp_path, suffix):
    import io
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])
    path = str(tmp_path / ("f" + suffix))
    model.save(path)
    x = np.ones((1, 4), "float32")
    with open(path, "rb") as f:
        np.testing.assert_array_equal(keras.models.load_model(f).predict(x), model.predict(x))
    with open(path, "rb") as f:
        loaded = keras.models.load_model(io.BytesIO(f.read()))
    np.testing.assert_array_equal(loaded.predict(x), model.predict(x))
