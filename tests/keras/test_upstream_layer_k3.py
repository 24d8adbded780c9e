"""Base-Layer behaviours from Keras 3's layer tests (keras/src/layers/layer_test.py) that
tf.keras 2 shares, restated as user code after `import lamina as tf`.

Not ported because tf.keras 2 behaves differently or lacks the feature: remat, quantization,
stateless_call, SeedGenerator tracking, metrics_variables, build() signatures matched by
argument name (`foo_shape`), the state-tracker lock (tf.keras 2 lets call create weights),
activity regularization skipped on KerasTensors (tf.keras 2 records a symbolic loss),
DTypePolicyMap, `_untrack_variable`, masks carried on eager tensors (set_keras_mask),
`layer.path`, torch parameter registration.
"""
import pickle

import numpy as np
import pytest

import lamina as tf

keras = tf.keras
layers = tf.keras.layers


def _np(t):
    return np.asarray(t)


def test_layer_tracking_through_dicts_lists_and_build():
    class LayerWithDenseLayers(layers.Layer):
        def __init__(self, units):
            super().__init__()
            self.dense1 = layers.Dense(units)
            self.layer_dict = {"dense2": layers.Dense(units)}
            self.layer_list = [layers.Dense(units)]
            self.units = units

        def build(self, input_shape):
            self.layer_list.append(layers.Dense(self.units))

        def call(self, x):
            x = self.dense1(x)
            x = self.layer_dict["dense2"](x)
            x = self.layer_list[0](x)
            return self.layer_list[1](x)

    class ParentLayer(layers.Layer):
        def __init__(self, inner_layer):
            super().__init__()
            self.inner_layer = inner_layer

        def call(self, x):
            return self.inner_layer(x)

    layer = LayerWithDenseLayers(3)
    layer.build((1, 3))
    assert len(list(layer._flatten_layers(include_self=False))) == 4
    layer(np.zeros((1, 3)))
    assert len(layer.weights) == 8
    assert len(layer.variables) == 8

    layer = ParentLayer(ParentLayer(LayerWithDenseLayers(3)))
    assert len(list(layer._flatten_layers(include_self=False, recursive=False))) == 1
    layer(np.zeros((1, 3)))
    assert len(layer.weights) == 8
    assert len(layer.submodules) == 6


def test_metric_objects_tracked_as_attributes():
    class LayerWithMetric(layers.Layer):
        def __init__(self, units):
            super().__init__()
            self.dense = layers.Dense(units)
            self.metric = keras.metrics.Mean(name="my_metric")

        def build(self, input_shape):
            self.dense.build(input_shape)

        def call(self, x):
            return self.dense(x)

    class ParentLayerWithMetric(layers.Layer):
        def __init__(self, inner_layer):
            super().__init__()
            self.inner_layer = inner_layer
            self.metric = keras.metrics.Mean(name="my_metric")

        def build(self, input_shape):
            self.inner_layer.build(input_shape)

        def call(self, x):
            return self.inner_layer(x)

    layer = LayerWithMetric(3)
    layer.build((1, 3))
    assert len(layer.metrics) == 1
    assert len(layer.trainable_variables) == 2
    assert len(layer.non_trainable_variables) == 0

    layer = ParentLayerWithMetric(ParentLayerWithMetric(LayerWithMetric(3)))
    layer.build((1, 3))
    assert len(layer.metrics) == 3
    assert len(layer.trainable_variables) == 2
    assert len(layer.non_trainable_variables) == 0


def test_build_on_call_with_symbolic_inputs():
    class LayerWithUnbuiltState(layers.Layer):
        def __init__(self, units):
            super().__init__()
            self.dense1 = layers.Dense(units)

        def call(self, x):
            return self.dense1(x)

    layer = LayerWithUnbuiltState(2)
    layer(keras.Input(batch_shape=(3, 4)))
    assert len(layer.weights) == 2

    class KwargsLayer(layers.Layer):
        def __init__(self, units):
            super().__init__()
            self.dense1 = layers.Dense(units)
            self.dense2 = layers.Dense(units)

        def call(self, x1, x2):
            return self.dense1(x1) + self.dense2(x2)

    layer = KwargsLayer(2)
    layer(keras.Input(batch_shape=(3, 4)), keras.Input(batch_shape=(3, 4)))
    assert len(layer.weights) == 4
    layer = KwargsLayer(2)
    layer(x1=keras.Input(batch_shape=(3, 4)), x2=keras.Input(batch_shape=(3, 4)))
    assert len(layer.weights) == 4

    class DictLayer(layers.Layer):
        def __init__(self, units):
            super().__init__()
            self.dense = layers.Dense(units)

        def call(self, xs):
            result = self.dense(xs["x1"])
            if xs.get("x2", None) is not None:
                result += self.dense(xs["x2"])
            return result

    layer = DictLayer(2)
    layer({"x1": keras.Input(batch_shape=(3, 4)), "x2": keras.Input(batch_shape=(3, 4))})
    assert len(layer.weights) == 2
    layer = DictLayer(2)
    layer({"x1": keras.Input(batch_shape=(3, 4)), "x2": None})
    assert len(layer.weights) == 2

    class ListLayer(layers.Layer):
        def __init__(self, units):
            super().__init__()
            self.dense = layers.Dense(units)

        def call(self, xs):
            result = self.dense(xs[0])
            if xs[1] is not None:
                result += self.dense(xs[1])
            return result

    layer = ListLayer(2)
    layer([keras.Input(batch_shape=(3, 4)), keras.Input(batch_shape=(3, 4))])
    assert len(layer.weights) == 2
    layer = ListLayer(2)
    layer([keras.Input(batch_shape=(3, 4)), None])
    assert len(layer.weights) == 2


def test_activity_regularization_divided_by_batch_and_reset_each_call():
    class ActivityRegularizer(layers.Layer):
        def call(self, x):
            return x

    layer = ActivityRegularizer(activity_regularizer="l1")
    layer(np.ones((1,)))
    assert len(layer.losses) == 1
    np.testing.assert_allclose(float(layer.losses[0]), 0.01, rtol=1e-6)
    layer(np.ones((1,)))
    assert len(layer.losses) == 1
    np.testing.assert_allclose(float(layer.losses[0]), 0.01, rtol=1e-6)


@pytest.mark.parametrize("batch_size", [1, 5, 10])
def test_activity_regularization_mean_over_batch(batch_size):
    class SimpleLayer(layers.Layer):
        def call(self, x):
            return x

    layer = SimpleLayer(activity_regularizer="l2")
    layer(tf.ones((batch_size, 5)) * 2.0)
    assert len(layer.losses) == 1
    np.testing.assert_allclose(float(layer.losses[0]), 0.2, rtol=1e-5)


def test_add_loss_in_models_and_nested_models():
    class LossLayer(layers.Layer):
        def call(self, x):
            self.add_loss(tf.reduce_sum(x))
            return x

    layer = LossLayer()
    layer(np.ones((1,)))
    assert len(layer.losses) == 1
    assert float(layer.losses[0]) == 1.0
    model = keras.Sequential([layer])
    model(np.ones((1,)))
    assert len(model.losses) == 1
    assert float(model.losses[0]) == 1.0
    model = keras.Sequential([model])
    model(np.ones((1,)))
    assert len(model.losses) == 1
    assert float(model.losses[0]) == 1.0


def test_training_arg_value_resolution():
    class TrainingLayer(layers.Layer):
        def __init__(self):
            super().__init__()
            self.dp = layers.Dropout(0.9)

        def call(self, x, training=False):
            return self.dp(x)

    x = np.ones((4, 4))
    layer = TrainingLayer()
    assert float(tf.reduce_min(layer(x))) == 1
    assert float(tf.reduce_min(layer(x, training=True))) == 0

    class WrappedTrainingLayer(layers.Layer):
        def __init__(self):
            super().__init__()
            self.dp = TrainingLayer()

        def call(self, x, training=False):
            return self.dp(x)

    layer = WrappedTrainingLayer()
    assert float(tf.reduce_min(layer(x))) == 1
    assert float(tf.reduce_min(layer(x, training=True))) == 0

    class TrainingLayerExplicit(layers.Layer):
        def __init__(self):
            super().__init__()
            self.dp = layers.Dropout(0.9)

        def call(self, x, training=False):
            return self.dp(x, training=True)

    assert float(tf.reduce_min(TrainingLayerExplicit()(x, training=False))) == 0

    class BadLayer(layers.Layer):
        def call(self, x, training=False):
            raise RuntimeError("oops!")

    with pytest.raises(RuntimeError, match="oops!"):
        BadLayer()(x, training=True)
    # the interrupted call leaves no training value behind
    assert float(tf.reduce_min(TrainingLayer()(x))) == 1


def test_signature_default_training_stays_local():
    class DefaultsTrainingTrue(layers.Layer):
        def call(self, x, training=True):
            return x

    seen = {}

    class RecordTraining(layers.Layer):
        def call(self, x, training=None):
            seen["training"] = training
            return x

    x = np.ones((4, 4))
    inp = keras.Input((4,))
    model = keras.Model(inp, RecordTraining()(DefaultsTrainingTrue()(inp)))
    model(x)
    assert seen["training"] is None
    model(x, training=True)
    assert seen["training"]

    class Wrapper(layers.Layer):
        def __init__(self):
            super().__init__()
            self.pre = DefaultsTrainingTrue()
            self.dp = layers.Dropout(0.9)

        def call(self, x):
            return self.dp(self.pre(x))

    layer = Wrapper()
    assert float(tf.reduce_min(layer(x))) == 1
    assert float(tf.reduce_min(layer(x, training=True))) == 0


def test_mixed_precision_dense():
    x = np.ones((4, 4))
    layer = layers.Dense(2, dtype="float16")
    y = layer(x)
    assert layer.compute_dtype == "float16"
    assert layer.variable_dtype == "float16"
    assert y.dtype == "float16"
    layer = layers.Dense(2, dtype="mixed_float16")
    y = layer(x)
    assert layer.compute_dtype == "float16"
    assert layer.variable_dtype == "float32"
    assert y.dtype == "float16"
    assert layer.kernel.dtype == "float32"


def test_autocast_of_variables_in_nested_layers():
    class InnerLayerOne(layers.Layer):
        def __init__(self):
            super().__init__(dtype="int32")
            self.v = self.add_weight(shape=(), initializer="ones", trainable=True,
                                     dtype="float32")

        def call(self, x):
            assert self.v.dtype == "float32"
            return tf.add(tf.cast(x, "float32"), self.v)

    class InnerLayerTwo(layers.Layer):
        def __init__(self):
            super().__init__(dtype="float32")
            self.v = self.add_weight(shape=(), initializer="ones", trainable=True)

        def call(self, x):
            assert self.v.dtype == "float32"
            return tf.add(x, self.v)

    class InnerLayerThree(layers.Layer):
        def __init__(self):
            super().__init__(dtype="mixed_float16")
            self.v = self.add_weight(shape=(), initializer="ones", trainable=True,
                                     autocast=False)

        def call(self, x):
            assert self.v.dtype == "float32"
            return tf.add(tf.cast(x, "float32"), self.v)

    class MixedPrecisionLayer(layers.Layer):
        def __init__(self):
            super().__init__(dtype="mixed_float16")
            self.v = self.add_weight(shape=(), initializer="ones", trainable=True)
            self.inner_one = InnerLayerOne()
            self.inner_two = InnerLayerTwo()
            self.inner_three = InnerLayerThree()

        def call(self, x):
            assert self.v.dtype == "float16"
            return self.inner_three(self.inner_two(self.inner_one(tf.add(x, self.v))))

    y = MixedPrecisionLayer()(np.array(0.0))
    assert float(y) == 4.0


def test_autocast_with_np_array_list():
    seen = {}

    class CustomLayer(layers.Layer):
        def call(self, x):
            seen["dtypes"] = (x[0].dtype, x[1].dtype)
            return x

    CustomLayer()([np.zeros(1, dtype="float64"), np.zeros(1, dtype="int32")])
    assert seen["dtypes"] == ("float32", "int32")


def test_explicit_mask_argument_and_mask_list():
    seen = {}

    class BasicMaskedLayer(layers.Layer):
        def __init__(self):
            super().__init__()
            self.supports_masking = True

        def call(self, x, mask=None):
            seen["mask"] = mask
            return x

    layer = BasicMaskedLayer()
    layer(tf.ones((4, 4)), mask=tf.ones((4,)))
    assert seen["mask"] is not None
    layer([tf.ones((4, 4)), tf.ones((4, 4))], mask=[tf.ones((4,)), tf.ones((4,))])
    assert isinstance(seen["mask"], list) and len(seen["mask"]) == 2
    layer(tf.ones((4, 4)))
    assert seen["mask"] is None


def test_masking_in_sequential_with_embedding():
    model = keras.Sequential([layers.Embedding(2, 2, mask_zero=True,
                                               embeddings_initializer="ones")])
    out = model(np.array([[1, 0, 0, 1]]))
    assert out.shape == (1, 4, 2)
    mask = model.layers[0].compute_mask(np.array([[1, 0, 0, 1]]))
    np.testing.assert_array_equal(_np(mask), [[True, False, False, True]])


def test_training_arg_not_specified_inner_layer_built_in_build():
    class NoTrainingSpecified(layers.Layer):
        def build(self, input_shape):
            self.activation = layers.Activation("linear")

        def call(self, inputs):
            return self.activation(inputs)

    layer = NoTrainingSpecified()
    out = layer(tf.random.uniform(shape=(1, 10, 10, 3)), training=True)
    assert out.shape == (1, 10, 10, 3)


def test_state_assigned_before_super_init_is_tracked():
    class MyLayer(layers.Layer):
        def __init__(self):
            self.some_attr = True
            self.w = tf.Variable(np.random.random((2,)))
            super().__init__()

    layer = MyLayer()
    assert len(layer.weights) == 1
    assert layer.some_attr is True


def test_sublayer_assigned_before_super_init_is_tracked():
    class MyLayer(layers.Layer):
        def __init__(self):
            self.dense = layers.Dense(2)
            super().__init__()

        def call(self, x):
            return self.dense(x)

    layer = MyLayer()
    layer(tf.ones((1, 3)))
    assert len(layer.weights) == 2


def test_add_weight_defaults_per_dtype():
    class MyLayer(layers.Layer):
        def __init__(self):
            super().__init__()
            self.w1 = self.add_weight()
            self.w2 = self.add_weight(dtype="int32", trainable=False)
            self.w3 = self.add_weight(dtype="bool", trainable=False)
            self.w4 = self.add_weight(dtype="int32", shape=(2, 2), trainable=False)
            self.w5 = self.add_weight(initializer="ones", shape=(2, 2))

    layer = MyLayer()
    assert layer.w1.shape == () and layer.w1.dtype == "float32"
    assert layer.w2.shape == () and layer.w2.dtype == "int32"
    assert _np(layer.w2) == 0
    assert layer.w3.shape == () and layer.w3.dtype == "bool"
    assert not _np(layer.w3)
    assert layer.w4.shape == (2, 2) and layer.w4.dtype == "int32"
    np.testing.assert_array_equal(_np(layer.w4), np.zeros((2, 2)))
    assert layer.w5.shape == (2, 2) and layer.w5.dtype == "float32"
    np.testing.assert_array_equal(_np(layer.w5), np.ones((2, 2)))


def test_trainable_setting_flips_nested_weights():
    class NonTrainableWeightsLayer(layers.Layer):
        def build(self, _):
            self.w1 = self.add_weight(shape=(), initializer="ones", trainable=True)
            self.w2 = self.add_weight(shape=(), initializer="ones", trainable=False)

        def call(self, inputs):
            return inputs

    class NestedNonTrainableWeightsLayer(layers.Layer):
        def build(self, _):
            self.w1 = self.add_weight(shape=(), initializer="ones", trainable=True)
            self.w2 = self.add_weight(shape=(), initializer="ones", trainable=False)
            self.nested = NonTrainableWeightsLayer()
            self.nested.build(None)

        def call(self, inputs):
            return inputs

    layer = NestedNonTrainableWeightsLayer()
    layer.build(None)
    assert len(layer.trainable_weights) == 2
    assert len(layer.trainable_variables) == 2
    assert len(layer.non_trainable_weights) == 2
    layer.trainable = False
    assert len(layer.trainable_weights) == 0
    assert len(layer.trainable_variables) == 0
    assert len(layer.non_trainable_weights) == 4
    layer.trainable = True
    assert len(layer.trainable_weights) == 2
    assert len(layer.non_trainable_weights) == 2

    layer = NestedNonTrainableWeightsLayer(trainable=False)
    layer.build(None)
    assert len(layer.trainable_weights) == 0
    assert len(layer.non_trainable_weights) == 4
    layer.trainable = True
    assert len(layer.trainable_weights) == 2
    assert len(layer.non_trainable_weights) == 2


def test_trainable_init_arg_in_functional_model():
    inputs = keras.Input(shape=(1,))
    layer = layers.Dense(2, trainable=False)
    model = keras.Model(inputs, layer(inputs))
    assert not layer.trainable
    assert len(layer.trainable_weights) == 0
    assert len(model.trainable_weights) == 0
    assert len(model.non_trainable_weights) == 2
    layer.trainable = True
    assert layer.trainable
    assert len(layer.trainable_weights) == 2
    assert len(model.trainable_weights) == 2
    assert len(model.non_trainable_weights) == 0


def test_trainable_init_arg_validation():
    for bad in ("yes", 1, None):
        with pytest.raises(TypeError, match="to be a boolean"):
            layers.Dense(2, trainable=bad)


def test_pickle_layer():
    layer = layers.Dense(2)
    reloaded = pickle.loads(pickle.dumps(layer))
    assert layer.get_config() == reloaded.get_config()


def test_pickle_built_layer_keeps_weights():
    layer = layers.Dense(2)
    layer(tf.ones((1, 3)))
    reloaded = pickle.loads(pickle.dumps(layer))
    assert len(reloaded.weights) == 2
    for a, b in zip(layer.get_weights(), reloaded.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_serialize_activity_regularizer():
    layer = layers.Dense(2, activity_regularizer="l2")
    config = layer.get_config()
    assert "activity_regularizer" in config
    new_layer = layers.Dense.from_config(config)
    assert new_layer.activity_regularizer.__class__.__name__ == "L2"
    assert layers.Dense(2).get_config()["activity_regularizer"] is None


def test_weight_names_of_add_weight_in_init_and_build():
    class TrainingLayer(layers.Layer):
        def __init__(self):
            super().__init__(name="training_layer")
            self.w = self.add_weight(shape=(), name="w_in_init")

        def build(self, input_shape):
            self.b = self.add_weight(shape=(), name="b_in_build")

        def call(self, x):
            return x + self.w + self.b

    layer = TrainingLayer()
    layer(tf.ones((1,)))
    # add_weight in __init__ runs outside the layer's name scope, in build inside it
    assert layer.w.name == "w_in_init:0"
    assert layer.b.name == "training_layer/b_in_build:0"


def test_layer_variable_tracking_counts():
    class MyLayer(layers.Layer):
        def __init__(self):
            super().__init__()
            self.w = self.add_weight(shape=(2,), name="w")
            self.dense = layers.Dense(3)
            self.others = [layers.Dense(2), {"x": tf.Variable(1.0, trainable=False)}]

        def call(self, x):
            return self.others[0](self.dense(x))

    layer = MyLayer()
    layer(tf.ones((1, 4)))
    assert len(layer.weights) == 6
    assert len(layer.trainable_weights) == 5
    assert len(layer.non_trainable_weights) == 1
    assert layer.weights[0] is layer.w
    assert layer.non_trainable_weights[0] is layer.others[1]["x"]


def test_call_context_args_registered_in_keras3_style():
    class Inner(layers.Layer):
        def __init__(self):
            super().__init__()
            self._register_call_context_args("foo_mode")

        def call(self, x, foo_mode=None):
            return x + (1 if foo_mode else 0)

    class Middle(layers.Layer):
        def __init__(self):
            super().__init__()
            self._register_call_context_args("foo_mode")
            self.inner = Inner()

        def call(self, x, foo_mode=None):
            # an explicit value given to the inner layer wins over the context
            return self.inner(x, foo_mode=not foo_mode)

    layer = Middle()
    assert int(layer(np.array(0), foo_mode=True)) == 0
    assert int(layer(np.array(0), foo_mode=False)) == 1


def test_keras_mask_with_autocast():
    K = keras.backend
    seen = {}

    class CustomLayer(layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.supports_masking = True

        def call(self, x, mask=None):
            seen["mask"], seen["dtype"] = mask, x.dtype
            return x

    x = tf.zeros((1, 2), dtype="float32")
    mask = tf.constant([True, False])
    K.set_keras_mask(x, mask)
    y = CustomLayer(dtype="float16")(x)
    assert seen["mask"] is not None and seen["dtype"] == "float16"
    np.testing.assert_array_equal(_np(K.get_keras_mask(y)), [True, False])


def test_masking_from_tensors_and_mask_unset_during_call():
    K = keras.backend
    seen = []

    class BasicMaskedLayer(layers.Layer):
        def __init__(self):
            super().__init__()
            self.supports_masking = True

        def call(self, x, mask=None):
            seen.append(mask)
            return x

    x = tf.ones((4, 4))
    K.set_keras_mask(x, tf.ones((4,)))
    BasicMaskedLayer()(x)
    assert seen[-1] is not None

    x1, x2 = tf.ones((4, 4)), tf.ones((4, 4))
    K.set_keras_mask(x1, tf.ones((4,)))
    K.set_keras_mask(x2, tf.ones((4,)))
    BasicMaskedLayer()([x1, x2])
    assert isinstance(seen[-1], list) and len(seen[-1]) == 2

    class MaskUnsetDuringCallLayer(layers.Layer):
        def __init__(self):
            super().__init__()
            self.supports_masking = True

        def call(self, x, mask=None):
            assert mask is not None
            K.set_keras_mask(x, None)
            return x

    x = tf.ones((4, 4))
    mask = tf.ones((4,))
    K.set_keras_mask(x, mask)
    y = MaskUnsetDuringCallLayer()(x)
    np.testing.assert_array_equal(_np(K.get_keras_mask(y)), _np(mask))


def test_explicit_mask_kwarg_is_attached_to_output():
    K = keras.backend

    class PassthroughMaskLayer(layers.Layer):
        def __init__(self):
            super().__init__()
            self.supports_masking = True

        def call(self, x, mask=None):
            self.used_mask = mask is not None
            return x * 1.0

    layer = PassthroughMaskLayer()
    x = tf.ones((4, 4))
    assert K.get_keras_mask(x) is None
    explicit_mask = tf.constant([True, True, False, False])
    y = layer(x, mask=explicit_mask)
    assert layer.used_mask
    np.testing.assert_array_equal(_np(K.get_keras_mask(y)), _np(explicit_mask))
