"""Smaller base-Layer behaviours of tf.keras 2 (attribute tracking edge cases, properties,
node attributes, config round trips), checked as user code after `import lamina as tf`.
Each follows tf_keras/engine/base_layer.py and its tests (base_layer_test.py,
functional_test.py, base_layer_utils_test.py)."""
import copy

import numpy as np
import pytest

import lamina as tf

keras = tf.keras
layers = tf.keras.layers


def _np(t):
    return np.asarray(t)


def test_name_property_is_read_only():
    layer = layers.Dense(2, name="d")
    with pytest.raises(AttributeError):
        layer.name = "other"
    assert layer.name == "d"


def test_uniquified_names_per_class_zero_based():
    keras.backend.clear_session()
    names = [layers.Dense(1).name for _ in range(3)]
    assert names == ["dense", "dense_1", "dense_2"]

    class MyFancyLayer(layers.Layer):
        pass

    assert MyFancyLayer().name == "my_fancy_layer"
    assert MyFancyLayer().name == "my_fancy_layer_1"
    keras.backend.clear_session()
    assert layers.Dense(1).name == "dense"


def test_tuple_of_layers_and_variables_tracked():
    class L(layers.Layer):
        def __init__(self):
            super().__init__()
            self.pair = (layers.Dense(1), tf.Variable(1.0))

        def call(self, x):
            return self.pair[0](x) * self.pair[1]

    layer = L()
    layer(tf.ones((1, 2)))
    assert len(layer.weights) == 3
    assert layer.weights[0] is layer.pair[1]


def test_list_mutations_after_assignment_tracked():
    class L(layers.Layer):
        def __init__(self):
            super().__init__()
            self.items = []
            self.items.append(tf.Variable(1.0))
            self.items.extend([tf.Variable(2.0)])
            self.items += [tf.Variable(3.0, trainable=False)]
            self.table = {}
            self.table["w"] = tf.Variable(4.0)

    layer = L()
    assert [float(v) for v in layer.trainable_weights] == [1.0, 2.0, 4.0]
    assert [float(v) for v in layer.non_trainable_weights] == [3.0]


def test_reassigning_attribute_to_non_trackable_untracks():
    layer = layers.Layer()
    layer.v = tf.Variable(1.0)
    assert len(layer.weights) == 1
    layer.v = 3
    assert layer.weights == []
    layer.sub = layers.Dense(1)
    layer.sub = None
    assert list(layer._flatten_layers(include_self=False)) == []


def test_same_variable_under_two_attributes_counted_once_until_both_removed():
    layer = layers.Layer()
    v = tf.Variable(1.0)
    layer.a = v
    layer.b = v
    assert layer.weights == [v]
    del layer.a
    assert layer.weights == [v]
    del layer.b
    assert layer.weights == []


def test_weights_order_trainable_first_then_non_trainable():
    layer = layers.Layer()
    a = layer.add_weight("a", shape=(), trainable=False)
    b = layer.add_weight("b", shape=())
    c = layer.add_weight("c", shape=(), trainable=False)
    assert layer.weights == [b, a, c]
    assert layer.variables == [b, a, c]
    assert layer.trainable_weights == [b]
    assert layer.non_trainable_weights == [a, c]


def test_frozen_layer_reports_all_weights_non_trainable_but_keeps_variable_flags():
    layer = layers.Dense(2)
    layer.build((None, 3))
    layer.trainable = False
    assert layer.trainable_weights == []
    assert layer.non_trainable_weights == [layer.kernel, layer.bias]
    assert layer.kernel.trainable    # the variables themselves are unchanged


def test_add_weight_errors():
    layer = layers.Layer()
    with pytest.raises(TypeError, match="Unknown keyword argument"):
        layer.add_weight("w", shape=(), foo=1)
    with pytest.raises(ValueError, match="Synchronization value can be set to "
                                         "VariableSynchronization.ON_READ only for "
                                         "non-trainable variables"):
        layer.add_weight("w", shape=(), trainable=True,
                         synchronization=tf.VariableSynchronization.ON_READ)


def test_add_weight_on_read_defaults_to_non_trainable():
    layer = layers.Layer()
    v = layer.add_weight("w", shape=(), synchronization=tf.VariableSynchronization.ON_READ)
    assert not v.trainable
    assert layer.non_trainable_weights == [v]


def test_add_weight_constraint_and_initializer_objects():
    layer = layers.Layer()
    v = layer.add_weight("w", shape=(2,), initializer=keras.initializers.Constant(3.0),
                         constraint=keras.constraints.NonNeg())
    np.testing.assert_array_equal(_np(v), [3.0, 3.0])
    assert isinstance(v.constraint, keras.constraints.NonNeg)


def test_output_shape_and_input_after_functional_call():
    inputs = keras.Input((3,))
    layer = layers.Dense(4)
    out = layer(inputs)
    assert layer.input_shape == (None, 3)
    assert layer.output_shape == (None, 4)
    assert layer.input is inputs
    assert layer.output is out
    layer(keras.Input((5, 3)))
    with pytest.raises(AttributeError, match="multiple inbound nodes"):
        layer.input_shape
    assert layer.get_input_shape_at(0) == (None, 3)
    assert layer.get_output_shape_at(1) == (None, 5, 4)


def test_output_attribute_errors_for_unconnected_layer():
    layer = layers.Dense(1)
    with pytest.raises(AttributeError, match="has never been called"):
        layer.output_shape
    with pytest.raises(AttributeError, match="has no inbound nodes"):
        layer.output
    with pytest.raises(AttributeError, match="is not connected, no input to return"):
        layer.input
    with pytest.raises(RuntimeError, match="has never been called and thus has no defined "
                                           "input"):
        layer.get_input_at(0)
    layer(keras.Input((2,)))
    with pytest.raises(ValueError, match="Asked to get output shape at node 1, but the layer "
                                         "has only 1 inbound nodes"):
        layer.get_output_shape_at(1)


def test_input_and_output_of_shared_layer_are_those_of_first_node():
    layer = layers.Dense(2)
    a, b = keras.Input((3,)), keras.Input((3,))
    out_a = layer(a)
    out_b = layer(b)
    assert layer.input is a and layer.output is out_a
    assert layer.get_input_at(1) is b and layer.get_output_at(1) is out_b


def test_compute_output_shape_of_base_layer_infers_from_call():
    class Twice(layers.Layer):
        def call(self, x):
            return tf.concat([x, x], axis=-1)

    assert Twice().compute_output_shape((None, 3)).as_list() == [None, 6]
    assert layers.Dense(4).compute_output_shape((2, 3)).as_list() == [2, 4]


def test_compute_mask_default_and_supports_masking_errors():
    layer = layers.Layer()
    assert layer.compute_mask(tf.ones((2, 2))) is None
    with pytest.raises(TypeError, match="does not support masking"):
        layer.compute_mask(tf.ones((2, 2)), mask=tf.ones((2,)))
    layer.supports_masking = True
    m = tf.constant([True, False])
    assert layer.compute_mask(tf.ones((2, 2)), m) is m


def test_from_config_round_trip_of_base_layer():
    layer = layers.Layer(name="plain", trainable=False, dtype="float64")
    config = layer.get_config()
    assert config == {"name": "plain", "trainable": False, "dtype": "float64"}
    new = layers.Layer.from_config(config)
    assert (new.name, new.trainable, new.dtype) == ("plain", False, "float64")


def test_get_config_includes_batch_input_shape():
    layer = layers.Dense(2, input_shape=(3,))
    assert layer.get_config()["batch_input_shape"] == (None, 3)
    layer = layers.Dense(2, batch_input_shape=(4, 3))
    assert layer.get_config()["batch_input_shape"] == (4, 3)
    layer = layers.Dense(2, input_dim=5, batch_size=8)
    assert layer.get_config()["batch_input_shape"] == (8, 5)


def test_unknown_constructor_kwarg():
    with pytest.raises(TypeError, match="Keyword argument not understood"):
        layers.Layer(foo=1)


def test_build_called_once_and_built_flag():
    calls = []

    class L(layers.Layer):
        def build(self, input_shape):
            calls.append(input_shape)
            super().build(input_shape)

        def call(self, x):
            return x

    layer = L()
    layer(tf.ones((2, 3)))
    layer(tf.ones((4, 3)))
    assert len(calls) == 1
    assert isinstance(calls[0], tf.TensorShape)
    assert calls[0].as_list() == [2, 3]
    assert layer.built


def test_build_receives_list_of_shapes_for_list_input():
    seen = {}

    class L(layers.Layer):
        def build(self, input_shape):
            seen["shape"] = input_shape

        def call(self, x):
            return x[0] + x[1]

    L()([tf.ones((2, 3)), tf.ones((2, 3))])
    assert isinstance(seen["shape"], list)
    assert [s.as_list() for s in seen["shape"]] == [[2, 3], [2, 3]]


def test_build_receives_dict_of_shapes_for_dict_input():
    seen = {}

    class L(layers.Layer):
        def build(self, input_shape):
            seen["shape"] = input_shape

        def call(self, x):
            return x["a"] + x["b"]

    L()({"a": tf.ones((2, 3)), "b": tf.ones((2, 3))})
    assert isinstance(seen["shape"], dict)
    assert seen["shape"]["a"].as_list() == [2, 3]


def test_state_created_in_call_is_tracked():
    class L(layers.Layer):
        def call(self, x):
            if not hasattr(self, "w"):
                self.w = tf.Variable(tf.ones(x.shape[-1:]))
            return x * self.w

    layer = L()
    layer(tf.ones((2, 3)))
    assert len(layer.trainable_weights) == 1


def test_training_passed_positionally_and_by_keyword():
    class L(layers.Layer):
        def call(self, x, training=None):
            return x * (2.0 if training else 1.0)

    layer = L()
    assert float(layer(tf.ones(()), True)) == 2.0
    assert float(layer(tf.ones(()), training=True)) == 2.0
    assert float(layer(tf.ones(()))) == 1.0


def test_training_kwarg_swallowed_when_call_does_not_take_it():
    class L(layers.Layer):
        def call(self, x):
            return x

    assert float(L()(tf.ones(()), training=True)) == 1.0


def test_call_with_kwargs_forwarded():
    class L(layers.Layer):
        def call(self, x, scale=1.0, **kwargs):
            return x * scale + kwargs.get("shift", 0.0)

    assert float(L()(tf.ones(()), scale=3.0, shift=1.0)) == 4.0


def test_layer_call_convert_python_list_not_converted():
    seen = {}

    class L(layers.Layer):
        def call(self, x):
            seen["type"] = type(x)
            return x

    L()([tf.ones(()), tf.ones(())])
    assert seen["type"] is list


def test_deepcopy_unbuilt_layer():
    layer = layers.Dense(3, name="dd")
    new = copy.deepcopy(layer)
    assert new.get_config() == layer.get_config()
    new(tf.ones((1, 2)))
    assert not layer.built and new.built


def test_deepcopy_of_nested_layer_copies_sublayers():
    class Outer(layers.Layer):
        def __init__(self):
            super().__init__()
            self.inner = [layers.Dense(2)]

        def call(self, x):
            return self.inner[0](x)

    outer = Outer()
    outer(tf.ones((1, 3)))
    new = copy.deepcopy(outer)
    assert new.inner[0] is not outer.inner[0]
    assert len(new.weights) == 2
    assert all(a is not b for a, b in zip(new.weights, outer.weights))
    new.inner.append(layers.Dense(1))
    new(tf.ones((1, 3)))
    assert len(outer.inner) == 1


def test_set_weights_accepts_tensors_and_variables_and_checks_shapes():
    layer = layers.Dense(2)
    layer.build((None, 3))
    layer.set_weights([tf.ones((3, 2)), tf.Variable(tf.zeros((2,)))])
    np.testing.assert_array_equal(layer.get_weights()[0], np.ones((3, 2)))
    with pytest.raises(ValueError, match=r"weight shape \(3, 2\) is not compatible with "
                                         r"provided weight shape \(2, 3\)"):
        layer.set_weights([np.ones((2, 3)), np.zeros((2,))])


def test_get_weights_returns_copies():
    layer = layers.Dense(2)
    layer.build((None, 3))
    w = layer.get_weights()
    w[0][...] = 7.0
    assert not np.any(layer.get_weights()[0] == 7.0)


def test_count_params_of_layer_without_build_but_weights():
    layer = layers.Layer()
    layer.add_weight("w", shape=(2, 3))
    with pytest.raises(ValueError, match="isn't built"):
        layer.count_params()
    layer.built = True
    assert layer.count_params() == 6


def test_dtype_and_compute_dtype_of_policy_string():
    layer = layers.Layer(dtype="mixed_bfloat16")
    assert layer.dtype == "float32"
    assert layer.compute_dtype == "bfloat16"
    assert layer.dtype_policy.name == "mixed_bfloat16"
    assert layer.variable_dtype == "float32"


def test_global_policy_applies_to_new_layers_only():
    keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        layer = layers.Dense(1)
        assert layer.compute_dtype == "float16"
    finally:
        keras.mixed_precision.set_global_policy("float32")
    assert layer.compute_dtype == "float16"
    assert layers.Dense(1).compute_dtype == "float32"


def test_input_spec_allow_last_axis_squeeze_and_dtype_list():
    class L(layers.Layer):
        def __init__(self):
            super().__init__()
            self.input_spec = [keras.layers.InputSpec(ndim=2), keras.layers.InputSpec(ndim=1)]

        def call(self, xs):
            return xs[0]

    L()([tf.ones((2, 2)), tf.ones((2,))])
    with pytest.raises(ValueError, match="Input 1 of layer"):
        L()([tf.ones((2, 2)), tf.ones((2, 2))])


def test_submodules_and_flatten_layers():
    class Outer(layers.Layer):
        def __init__(self):
            super().__init__()
            self.a = layers.Dense(1)
            self.b = [layers.Dense(1), {"c": layers.Dense(1)}]

    outer = Outer()
    assert [l.name for l in outer._flatten_layers(include_self=False)] == \
        [outer.a.name, outer.b[0].name, outer.b[1]["c"].name]
    assert len(outer.submodules) == 3


def test_stateful_property():
    layer = layers.Layer()
    assert layer.stateful is False
    layer.stateful = True
    assert layer.stateful is True


def test_nested_build_weight_names_follow_call_scopes():
    class InnerInnerLayer(layers.Layer):
        def build(self, _):
            self.var = self.add_weight(shape=(1,), name="inner")

        def call(self, x):
            return self.var + x

    class InnerLayer(layers.Layer):
        def __init__(self):
            super().__init__()
            self.inner = InnerInnerLayer()

        def build(self, _):
            self.var = self.add_weight(shape=(1,), name="inner")

        def call(self, x):
            return self.var + self.inner(x)

    class TrainingLayer(layers.Layer):
        def __init__(self):
            super().__init__()
            self.inner = InnerLayer()

        def call(self, x):
            return self.inner(x)

    keras.backend.clear_session()
    layer = TrainingLayer()
    out = layer(keras.Input(batch_shape=(4, 1)))
    assert out.shape == (4, 1)
    assert {v.name for v in layer.variables} == {
        "training_layer/inner_layer/inner:0",
        "training_layer/inner_layer/inner_inner_layer/inner:0"}


@pytest.mark.parametrize("kind", ["tuple", "list", "dict"])
def test_dynamic_layer_output_structure_from_compute_output_shape(kind):
    class TestLayer(layers.Layer):
        def __init__(self):
            super().__init__(dynamic=True)

        def call(self, x):
            return {"tuple": (x, x), "list": [x, x], "dict": {"1": x, "2": x}}[kind]

        def compute_output_shape(self, input_shape):
            return {"tuple": (input_shape, input_shape), "list": [input_shape, input_shape],
                    "dict": {"1": input_shape, "2": input_shape}}[kind]

    out = TestLayer()(keras.Input(batch_shape=(2, 3)))
    assert type(out).__name__ == kind
    for o in (out.values() if kind == "dict" else out):
        assert tuple(o.shape) == (2, 3)


def test_dynamic_layer_in_functional_model_not_called_symbolically():
    calls = []

    class D(layers.Layer):
        def __init__(self):
            super().__init__(dynamic=True)

        def call(self, x):
            calls.append(type(x).__name__)
            return x * 2.0

        def compute_output_shape(self, input_shape):
            return input_shape

    inp = keras.Input((3,))
    model = keras.Model(inp, D()(inp))
    assert calls == []
    out = model(np.ones((2, 3), "float32"))
    np.testing.assert_array_equal(_np(out), 2 * np.ones((2, 3)))
    assert calls == ["Tensor"]


def test_non_tensor_positional_argument_on_symbolic_call():
    class SomeLayer(layers.Layer):
        def call(self, x, bool_arg):
            return x if bool_arg else x + 1

    x = keras.Input((3,))
    out = SomeLayer()(x, bool_arg=True)
    model = keras.Model(x, out)
    np.testing.assert_array_equal(_np(model(np.zeros((1, 3)))), np.zeros((1, 3)))


def test_layer_call_on_keras_tensor_records_node_and_history():
    x = keras.Input((3,))
    layer = layers.Dense(2)
    y = layer(x)
    assert len(layer.inbound_nodes) == 1
    assert y._keras_history[0] is layer
    assert y.shape.as_list() == [None, 2]
    assert y.dtype == "float32"


def test_eager_call_records_no_node():
    layer = layers.Dense(2)
    layer(tf.ones((1, 3)))
    assert layer.inbound_nodes == []


def test_call_with_var_kwargs_receives_training_and_mask():
    # tf.keras 2 counts **kwargs as expecting the call-context arguments
    seen = []

    class L(layers.Layer):
        def call(self, x, **kwargs):
            seen.append(dict(kwargs))
            return x

    layer = L()
    layer(tf.ones((1, 2)))
    assert seen[-1] == {"training": None}
    layer(tf.ones((1, 2)), training=True)
    assert seen[-1] == {"training": True}

    class Outer(layers.Layer):
        def __init__(self):
            super().__init__()
            self.inner = L()

        def call(self, x, training=None):
            return self.inner(x)

    Outer()(tf.ones((1, 2)), training=False)
    assert seen[-1] == {"training": False}

    masked = layers.Masking()(np.array([[[1.0], [0.0]]], "float32"))
    layer(masked)
    np.testing.assert_array_equal(_np(seen[-1]["mask"]), [[True, False]])


def test_explicit_training_none_takes_outer_mode():
    seen = {}

    class Inner(layers.Layer):
        def call(self, x, training=None):
            seen["training"] = training
            return x

    class Outer(layers.Layer):
        def __init__(self):
            super().__init__()
            self.inner = Inner()

        def call(self, x):
            return self.inner(x, training=None)

    Outer()(tf.ones(()), training=True)
    assert seen["training"] is True
    Outer()(tf.ones(()))
    assert seen["training"] is None


def test_op_layers_do_not_receive_training():
    inp = keras.Input((3,))
    out = tf.reduce_sum(inp, axis=-1)
    model = keras.Model(inp, out)
    np.testing.assert_array_equal(_np(model(np.ones((2, 3)), training=True)), [3.0, 3.0])


def test_tensor_op_layer_cast_in_functional_model():
    # tf_keras/engine/base_layer_utils_test.py: OpLayerTest.test_tensor_op_layer
    int_values = keras.Input(shape=(2,), dtype=tf.int32)
    float_values = tf.cast(int_values, tf.float32)
    model = keras.Model(int_values, float_values)
    model.compile(loss="mse")
    output = model.predict(np.array([[1, 2], [3, 4]], dtype=np.int32), verbose=0)
    np.testing.assert_allclose(output, [[1.0, 2.0], [3.0, 4.0]])


def test_frozen_outer_hides_trainable_inner_weights():
    class Outer(layers.Layer):
        def __init__(self):
            super().__init__()
            self.a = self.add_weight("a", shape=())
            self.b = self.add_weight("b", shape=(), trainable=False)
            self.inner = layers.Dense(1)
            self.inner.build((None, 1))

    outer = Outer()
    assert outer.weights == [outer.a, outer.inner.kernel, outer.inner.bias, outer.b]
    outer.trainable = False
    outer.inner.trainable = True
    # tf.keras 2: a frozen layer lists own trainable, own non-trainable, then sublayers'
    assert outer.trainable_weights == []
    assert outer.non_trainable_weights == [outer.a, outer.b, outer.inner.kernel,
                                           outer.inner.bias]


def test_snake_case_names_of_subclasses():
    class HTTPLayer(layers.Layer):
        pass

    class Conv2DThing(layers.Layer):
        pass

    class _Private(layers.Layer):
        pass

    assert HTTPLayer().name.startswith("http_layer")
    assert Conv2DThing().name.startswith("conv2d_thing")
    assert _Private().name.startswith("private__private")


def test_callable_updates_skipped_when_frozen():
    class UpdateLayer(layers.Layer):
        def __init__(self):
            super().__init__()
            self.v = tf.Variable(0.0, trainable=False)

        def call(self, x):
            self.add_update(lambda: self.v.assign_add(1.0))
            return x * self.v

    layer = UpdateLayer()
    layer(tf.ones((1,)))
    assert float(layer.v) == 1.0
    layer.trainable = False
    layer(tf.ones((1,)))
    assert float(layer.v) == 1.0
    layer.trainable = True
    model = keras.Sequential([keras.Input((1,)), layer])   # building runs no update
    assert float(layer.v) == 1.0
    model(tf.ones((1, 1)))
    assert float(layer.v) == 2.0


# ---- Model weights (tf_keras/tests/model_subclassing_test.py, engine/sequential_test.py) -------
def test_model_lists_sublayer_weights_before_its_own():
    class ExtraVar(keras.Model):
        def __init__(self):
            super().__init__()
            self.dense = layers.Dense(1)
            self.var = tf.Variable(1.0)
            self.not_trainable_var = tf.Variable(2.0, trainable=False)

        def call(self, inputs):
            return self.dense(inputs + self.var)

    m = ExtraVar()
    assert m.trainable
    assert m.layers == [m.dense]
    assert m.variables == [m.var, m.not_trainable_var]
    assert m.trainable_variables == [m.var]
    assert m.non_trainable_variables == [m.not_trainable_var]
    assert len(m.get_weights()) == 2
    m.trainable = False
    assert m.variables == [m.var, m.not_trainable_var]
    assert m.trainable_variables == []
    assert m.non_trainable_variables == [m.var, m.not_trainable_var]
    m.trainable = True
    m(tf.ones([1, 1]))
    assert m.dense.variables == [m.dense.kernel, m.dense.bias]
    assert len(m.get_weights()) == 4
    assert m.variables == [m.dense.kernel, m.dense.bias, m.var, m.not_trainable_var]
    assert m.trainable_variables == [m.dense.kernel, m.dense.bias, m.var]
    assert m.non_trainable_variables == [m.not_trainable_var]
    m.dense.trainable = False
    assert m.variables == [m.dense.kernel, m.dense.bias, m.var, m.not_trainable_var]
    assert m.trainable_variables == [m.var]
    assert m.non_trainable_variables == [m.dense.kernel, m.dense.bias, m.not_trainable_var]
    np.testing.assert_array_equal(m.get_weights()[2], 1.0)


def test_model_with_custom_build_has_no_weights_before_built():
    class DummyModel(keras.Model):
        def __init__(self):
            super().__init__()
            self.layer1 = layers.Dense(10, activation="relu")

        def build(self, input_shape):
            self.layer2 = layers.Dense(1, activation="relu")

        def call(self, inputs):
            return self.layer2(self.layer1(inputs))

    model = DummyModel()
    with pytest.raises(ValueError, match="Weights for model .* have not yet been created"):
        model.weights
    model.compile("sgd", "mse")
    model.fit(np.ones((10, 10)), np.ones((10, 1)), batch_size=2, epochs=2, verbose=0)
    assert len(model.layers) == 2
    assert len(model.trainable_variables) == 4


def test_deferred_sequential_weights_error_then_fit():
    model = keras.Sequential([layers.Dense(5), layers.Dense(2)])
    model.compile(loss="mse", optimizer="rmsprop")
    with pytest.raises(ValueError, match="Weights for model .* have not yet been created"):
        len(model.weights)
    assert not model.built
    model.fit(np.random.random((4, 3)), np.random.random((4, 2)), epochs=1, verbose=0)
    assert model.built
    assert len(model.weights) == 4


def test_add_weight_in_model_init_and_build():
    class MyModel(keras.Model):
        def __init__(self):
            super().__init__()
            self.b = self.add_weight("bias", (10,))
            self.c = self.add_weight("bias2", (10,), trainable=False)

        def call(self, inputs):
            return inputs + self.b + self.c

    model = MyModel()
    model(tf.ones((10, 10)))
    assert len(model.trainable_weights) == 1
    assert len(model.non_trainable_weights) == 1
    assert len(model.weights) == 2

    class MyModelCustomBuild(keras.Model):
        def build(self, input_shape):
            self.b = self.add_weight("bias", (10,))
            self.c = self.add_weight("bias2", (10,), trainable=False)

        def call(self, inputs):
            return inputs + self.b + self.c

    model = MyModelCustomBuild()
    model(tf.ones((10, 10)))
    assert len(model.trainable_weights) == 1
    assert len(model.non_trainable_weights) == 1
    assert len(model.weights) == 2


def test_model_read_only_property_conflict():
    class ModelWithProperty(keras.Model):
        @property
        def read_only(self):
            return 1.0

    m = ModelWithProperty()
    with pytest.raises(AttributeError, match='Can\'t set the attribute "read_only", likely because '
                                             'it conflicts with an existing read-only @property'):
        m.read_only = 2.0


def test_build_without_super_leaves_layer_unbuilt_and_call_builds_again():
    shapes = []

    class L(layers.Layer):
        def build(self, input_shape):
            shapes.append(input_shape)
            self.w = self.add_weight("w", shape=())

        def call(self, x):
            return x * self.w

    layer = L()
    layer.build((1,))
    assert not layer.built
    layer(tf.ones((1,)))
    assert layer.built
    assert len(shapes) == 2 and shapes[1].as_list() == [1]
    assert len(layer.weights) == 1     # the reassigned attribute untracks the first weight


def test_mask_keyword_to_call_without_mask_parameter_is_type_error():
    class L(layers.Layer):
        def __init__(self):
            super().__init__()
            self.supports_masking = True

        def call(self, x):
            return x

    with pytest.raises(TypeError, match="mask"):
        L()(tf.ones((2, 2)), mask=tf.constant([True, False]))


def test_variables_appended_to_list_attribute_are_tracked():
    # tf.keras 2 copies the variables of tracked lists into the layer's weights
    layer = layers.Layer()
    layer.vs = [tf.Variable(1.0), tf.Variable(2.0)]
    assert len(layer.weights) == 2
    layer.vs.append(tf.Variable(3.0, trainable=False))
    assert [float(v) for v in layer.weights] == [1.0, 2.0, 3.0]


def test_shape_properties_messages_for_multiple_inbound_nodes():
    layer = layers.Dense(2, name="shared_d")
    layer(keras.Input((3,)))
    layer(keras.Input((4, 3)))
    with pytest.raises(AttributeError, match=r'ill-defined for the layer. Use '
                                             r'`get_input_shape_at\(node_index\)` instead'):
        layer.input_shape
    with pytest.raises(AttributeError, match=r'The layer "shared_d" has multiple inbound nodes, '
                                             r'with different output shapes'):
        layer.output_shape
    same = layers.Dense(2)
    same(keras.Input((3,)))
    same(keras.Input((3,)))
    assert same.input_shape == (None, 3)     # equal shapes at every node are fine
    with pytest.raises(AttributeError, match="only available for Functional and Sequential"):
        layers.Dense(1).input_shape


def test_masks_at_nodes():
    inp = keras.Input((2, 1))
    masked = layers.Masking()(inp)
    layer = layers.Dense(2)
    out = layer(masked)
    # symbolic outputs of masking layers carry a symbolic mask
    assert masked._keras_mask.shape.as_list() == [None, 2]
    assert masked._keras_mask.dtype == "bool"
    assert layer.input_mask is masked._keras_mask
    assert layer.get_input_mask_at(0) is masked._keras_mask
    # Dense supports masking: its output carries the mask on
    assert layer.output_mask is out._keras_mask
    assert layer.get_output_mask_at(0).shape.as_list() == [None, 2]
    plain = layers.Dense(1)
    plain(inp)
    assert plain.input_mask is None
    assert plain.get_output_mask_at(0) is None
    two = layers.Add()
    two([masked, inp])
    assert two.input_mask == [masked._keras_mask, None]


def test_save_and_load_own_variables():
    layer = layers.Dense(2)
    layer.build((None, 3))
    store = {}
    layer.save_own_variables(store)
    assert sorted(store) == ["0", "1"]
    other = layers.Dense(2)
    other.build((None, 3))
    other.load_own_variables(store)
    for a, b in zip(layer.get_weights(), other.get_weights()):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match="expected 2 variables, but received 1 variables"):
        other.load_own_variables({"0": store["0"]})


def test_expects_training_and_mask_arg_flags():
    class A(layers.Layer):
        def call(self, x, training=None, mask=None):
            return x

    class B(layers.Layer):
        def call(self, x):
            return x

    class C(layers.Layer):
        def call(self, x, **kwargs):
            return x

    assert (A()._expects_training_arg, A()._expects_mask_arg) == (True, True)
    assert (B()._expects_training_arg, B()._expects_mask_arg) == (False, False)
    assert (C()._expects_training_arg, C()._expects_mask_arg) == (True, True)
    assert layers.Layer(dtype="mixed_float16")._dtype == "float32"


def test_subclass_may_assign_its_own_layers_attribute():
    class Stack(layers.Layer):
        def __init__(self):
            super().__init__()
            self._layers = [layers.Dense(2), layers.Dense(1)]

        def call(self, x):
            for layer in self._layers:
                x = layer(x)
            return x

    s = Stack()
    assert s(tf.ones((1, 3))).shape == (1, 1)
    assert len(s.weights) == 4
    assert len(layers.Layer()._layers) == 0


def test_model_subclass_forgetting_super_init_fails_at_assignment():
    # tf_keras/engine/functional_test.py: a Model (unlike a Layer) refuses state before
    # Model.__init__
    class MyNetwork(keras.Model):
        def __init__(self):
            self._foo = [layers.Dense(10), layers.Dense(10)]

    with pytest.raises(RuntimeError, match="forgot to call"):
        MyNetwork()

    class Fine(keras.Model):
        def __init__(self):
            self.units = 3          # plain values are fine before Model.__init__
            super().__init__()
            self.d = layers.Dense(self.units)

    assert Fine().units == 3


def test_topological_attributes():
    # tf_keras/engine/functional_test.py: testTopologicalAttributes*
    a = keras.Input(shape=(32,), name="input_a")
    b = keras.Input(shape=(32,), name="input_b")
    test_layer = layers.Dense(16, name="test_layer")
    a_test = test_layer(a)
    assert test_layer.input is a
    assert test_layer.output is a_test
    assert test_layer.input_shape == (None, 32)
    assert test_layer.output_shape == (None, 16)

    dense = layers.Dense(16, name="dense_1")
    a_2 = dense(a)
    b_2 = dense(b)
    assert dense.get_input_at(0) is a
    assert dense.get_input_at(1) is b
    assert dense.get_output_at(0) is a_2
    assert dense.get_output_at(1) is b_2
    assert dense.get_input_shape_at(0) == (None, 32)
    assert dense.get_input_shape_at(1) == (None, 32)
    assert dense.get_output_shape_at(0) == (None, 16)
    assert dense.get_output_shape_at(1) == (None, 16)
    with pytest.raises(ValueError):
        dense.get_input_at(2)
    for attr in ("input", "output", "output_shape", "input_shape"):
        with pytest.raises(AttributeError):
            getattr(layers.Dense(16), attr)


def test_topological_attributes_multi_output_and_multi_input():
    class PowersLayer(layers.Layer):
        def call(self, inputs):
            return [inputs ** 2, inputs ** 3]

    x = keras.Input(shape=(32,))
    test_layer = PowersLayer()
    p1, p2 = test_layer(x)
    assert test_layer.input is x
    assert all(u is v for u, v in zip(test_layer.output, [p1, p2]))
    assert test_layer.input_shape == (None, 32)
    assert test_layer.output_shape == [(None, 32), (None, 32)]

    class AddLayer(layers.Layer):
        def call(self, inputs):
            assert len(inputs) == 2
            return inputs[0] + inputs[1]

    a = keras.Input(shape=(32,))
    b = keras.Input(shape=(32,))
    test_layer = AddLayer()
    y = test_layer([a, b])
    assert all(u is v for u, v in zip(test_layer.input, [a, b]))
    assert test_layer.output is y
    assert test_layer.input_shape == [(None, 32), (None, 32)]
    assert test_layer.output_shape == (None, 32)


def test_trainable_weights_of_functional_and_sequential_models():
    def all_is(a, b):
        return len(a) == len(b) and all(x is y for x, y in zip(a, b))

    a = keras.Input(shape=(2,))
    model = keras.Model(a, layers.Dense(1)(a))
    weights = model.weights
    assert all_is(model.trainable_weights, weights) and model.non_trainable_weights == []
    model.trainable = False
    assert model.trainable_weights == [] and all_is(model.non_trainable_weights, weights)
    model.trainable = True
    assert all_is(model.trainable_weights, weights) and model.non_trainable_weights == []
    model.layers[1].trainable = False
    assert model.trainable_weights == [] and all_is(model.non_trainable_weights, weights)

    model = keras.Sequential()
    model.add(layers.Dense(1, input_dim=2))
    weights = model.weights
    assert all_is(model.trainable_weights, weights) and model.non_trainable_weights == []
    model.trainable = False
    assert model.trainable_weights == [] and all_is(model.non_trainable_weights, weights)
    model.trainable = True
    model.layers[0].trainable = False
    assert model.trainable_weights == [] and all_is(model.non_trainable_weights, weights)


def test_subclassed_network_dtype_and_autocast():
    class IdentityNetwork(keras.Model):
        def call(self, inputs):
            return inputs

    network = IdentityNetwork()
    assert network.dtype == "float32"
    assert network(tf.constant(1, "float64")).dtype == "float32"
    network = IdentityNetwork(dtype="float16")
    assert network.dtype == "float16"
    assert network(tf.constant(1, "float64")).dtype == "float16"
    network = IdentityNetwork(autocast=False)
    assert network.dtype == "float32"
    assert network(tf.constant(1, "float64")).dtype == "float64"

    inputs = keras.Input((10,))
    assert keras.Model(inputs, layers.Dense(10)(inputs)).dtype == "float32"


def test_training_passed_during_functional_construction():
    def _call(inputs, training):
        if training is None:
            return inputs * -1.0
        if training:
            return inputs
        return inputs * 0.0

    class MyLayer(layers.Layer):
        def call(self, inputs, training=True):
            return _call(inputs, training)

    my_layer = MyLayer()
    x = np.ones((1, 10), "float32")

    def check(network, with_true, with_false, without):
        np.testing.assert_array_equal(_np(network(x, training=True)), _call(x, with_true))
        np.testing.assert_array_equal(_np(network(x, training=False)), _call(x, with_false))
        np.testing.assert_array_equal(_np(network(x)), _call(x, without))

    inputs = keras.Input(10)
    check(keras.Model(inputs, my_layer(inputs, training=True)), True, True, True)
    inputs = keras.Input(10)
    check(keras.Model(inputs, my_layer(inputs, training=False)), False, False, False)
    inputs = keras.Input(10)
    check(keras.Model(inputs, my_layer(inputs)), True, False, True)
    inputs = keras.Input(10)
    check(keras.Model(inputs, my_layer(inputs, None)), True, False, True)
    inputs = keras.Input(10)
    check(keras.Model(inputs, my_layer(inputs, training=None)), True, False, True)


# ---- functional_test.py behaviours that exercise the base Layer ---------------------------------
def test_activity_regularization_with_model_composition():
    def reg(x):
        return tf.reduce_sum(x)

    net_a_input = keras.Input((2,))
    net_a = layers.Dense(2, kernel_initializer="ones", use_bias=False,
                         activity_regularizer=reg)(net_a_input)
    model_a = keras.Model([net_a_input], [net_a])
    net_b_input = keras.Input((2,))
    model_b = keras.Model([net_b_input], [model_a(net_b_input)])
    model_b.compile(optimizer="sgd", loss=None)
    assert model_b.evaluate(np.ones((1, 2)), verbose=0) == 4.0


def test_layer_sharing_at_heterogenous_depth():
    x_val = np.random.random((10, 5)).astype("float32")
    x = keras.Input(shape=(5,))
    a = layers.Dense(5, name="A")
    b = layers.Dense(5, name="B")
    m = keras.Model(x, a(b(a(b(x)))))
    out = m.predict(x_val, verbose=0)
    m2 = keras.Model.from_config(m.get_config())
    m2.set_weights(m.get_weights())
    np.testing.assert_allclose(m2.predict(x_val, verbose=0), out, atol=1e-6)


def test_layer_sharing_maintains_node_order():
    inp = keras.Input(shape=[5], name="main_input")
    shared_layer = layers.Layer(name="shared")
    ones_result = shared_layer(tf.ones_like(inp))
    zeros_result = shared_layer(tf.zeros_like(inp))
    zeros_result = layers.Layer(name="blank")(zeros_result)
    m = keras.Model(inputs=[inp], outputs=[zeros_result, ones_result])
    m2 = keras.Model.from_config(m.get_config())
    for a, b in zip(m2.predict_on_batch(tf.zeros([1, 5])), m.predict_on_batch(tf.zeros([1, 5]))):
        np.testing.assert_allclose(_np(a), _np(b))


def test_explicit_training_argument_on_nested_model():
    a = keras.Input(shape=(2,))
    base_model = keras.Model(a, layers.Dropout(0.5)(a))
    a = keras.Input(shape=(2,))
    model = keras.Model(a, base_model(a, training=False))
    x = np.ones((100, 2), "float32")
    model.compile(optimizer="sgd", loss="mse")
    assert model.train_on_batch(x, x) == 0
    a = keras.Input(shape=(2,))
    model = keras.Model(a, base_model(a, training=True))
    assert np.min(model.predict(x, verbose=0)) == 0.0


# ---- tf_keras/tests/tracking_test.py ----------------------------------------------------------
class HasList(keras.Model):
    def __init__(self):
        super().__init__()
        self.layer_list = [layers.Dense(3)]
        self.layer_list.append(layers.Dense(4))
        self.layer_list.extend([layers.Dense(5), layers.Dense(6, kernel_regularizer=tf.reduce_sum)])
        self.layer_list += [layers.Dense(7, bias_regularizer=tf.reduce_sum), layers.Dense(8)]
        self.layer_list += [layers.Dense(9)] + [layers.Dense(10)]
        self.layer_list.extend(list([layers.Dense(11)]) + [layers.Dense(12)])
        self.layers_with_updates = [layers.BatchNormalization()]

    def call(self, x):
        aggregation = 0.0
        for layer in self.layer_list:
            x = layer(x)
            aggregation += tf.reduce_sum(x)
        (bn,) = self.layers_with_updates
        return bn(x) / aggregation


def test_list_tracking_in_model():
    model = HasList()
    output = model(tf.ones([32, 2]))
    assert output.shape.as_list() == [32, 12]
    assert len(model.layers) == 11
    assert len(model.layer_list.layers) == 10
    assert len(model.layers) == len(model.layer_list.layers + model.layers_with_updates)
    for index in range(10):
        assert model.layer_list.layers[index].units == 3 + index
    assert len(model.losses) == 2
    v = tf.Variable(1.0)
    model.var_list = [v]
    assert any(v is t for t in model.variables)
    assert any(v is t for t in model.trainable_variables)
    assert not any(v is t for t in model.non_trainable_variables)
    assert any(model.layer_list[0].trainable_weights[0] is t for t in model.trainable_weights)


def test_sub_model_tracking_through_lists():
    model = keras.Model()
    model.v = tf.Variable(1.0)
    assert any(model.v is w for w in model.trainable_weights)
    model2 = keras.Model()
    model2.m = [model]
    assert any(model.v is w for w in model2.trainable_weights)


def test_layer_tracked_through_sequential_in_list():
    def ffnet(layer_sizes, name):
        ff = keras.Sequential(name=name)
        for i, width in enumerate(layer_sizes):
            ff.add(layers.Dense(width, activation="relu" if i < len(layer_sizes) - 1 else None))
        return ff

    class MyModel2(keras.Model):
        def __init__(self, num_tokens, module_layers, name="my_model_2"):
            super().__init__(name=name)
            self._num_tokens = num_tokens
            self._ffnet = [ffnet(module_layers + (num_tokens,), "ff")]

        def call(self, input_, module_index=None):
            return self._ffnet[0](input_)

    m2 = MyModel2(5, (50, 30))
    m2(tf.zeros([1, 5], dtype=tf.float32))
    assert len(m2.trainable_variables) == 6


def test_model_containers_compare_equal():
    class HasEqualContainers(keras.Model):
        def __init__(self):
            super().__init__()
            self.l1 = []
            self.l2 = []

    model = HasEqualContainers()
    first_layer = HasEqualContainers()
    model.l1.append(first_layer)
    second_layer = HasEqualContainers()
    model.l2.append(second_layer)
    assert model.layers == [first_layer, second_layer]


def test_dict_tracking_in_model():
    class HasMapping(keras.Model):
        def __init__(self):
            super().__init__()
            self.layer_dict = dict(output=layers.Dense(7))
            self.layer_dict["norm"] = []
            self.layer_dict["dense"] = []
            self.layer_dict["dense"].extend(
                [layers.Dense(5), layers.Dense(6, kernel_regularizer=tf.reduce_sum)])
            self.layer_dict["norm"].append(layers.BatchNormalization())
            self.layer_dict["norm"].append(layers.BatchNormalization())

        def call(self, x):
            aggregation = 0.0
            for norm, dense in zip(self.layer_dict["norm"], self.layer_dict["dense"]):
                x = norm(dense(x))
                aggregation += tf.reduce_sum(x)
            return self.layer_dict["output"](x) / aggregation

    model = HasMapping()
    output = model(tf.ones([32, 2]))
    assert output.shape.as_list() == [32, 7]
    assert len(model.layers) == 5
    assert len(model.layers) == len(model.layer_dict.layers)


def test_tuple_tracking_in_model():
    class HasTuple(keras.Model):
        def __init__(self):
            super().__init__()
            self.layer_list = (layers.Dense(3), layers.Dense(4),
                               layers.Dense(5, kernel_regularizer=tf.reduce_sum))
            self.layers_with_updates = (layers.BatchNormalization(),)

        def call(self, x):
            aggregation = 0.0
            for layer in self.layer_list:
                x = layer(x)
                aggregation += tf.reduce_sum(x)
            (bn,) = self.layers_with_updates
            return bn(x) / aggregation

    model = HasTuple()
    output = model(tf.ones([32, 2]))
    assert output.shape.as_list() == [32, 5]
    assert len(model.layers) == 4
    assert len(model.layer_list.layers) == 3
    assert len(model.layers) == len(tuple(model.layer_list.layers) + model.layers_with_updates)
    assert [l.units for l in model.layer_list.layers] == [3, 4, 5]
    assert len(model.losses) == 1
    assert isinstance(model.layer_list, tuple) and model.layer_list == tuple(model.layer_list)


def test_dict_iteration_and_update():
    model = keras.Model()
    model.d = {1: 3}
    model.d[1] = 3
    assert list(model.d) == [1]
    new_dict = {}
    new_dict.update(model.d)
    assert new_dict == {1: 3}


def test_container_weights_views():
    layer = layers.Layer()
    dense = layers.Dense(1)
    dense.build((None, 2))
    v = tf.Variable(1.0)
    nv = tf.Variable(2.0, trainable=False)
    layer.items = [dense, v, {"n": nv}]
    assert layer.items.trainable_weights == [dense.kernel, dense.bias, v]
    assert layer.items.non_trainable_weights == [nv]
    assert layer.items.layers == [dense]


# ---- base_layer_test.py: SymbolicSupportTest (eager parts) -------------------------------------
def test_using_symbolic_tensors_with_ops():
    x = keras.Input((3,))
    assert tf.square(x).shape.as_list() == [None, 3]
    x1, x2 = keras.Input((3,)), keras.Input((3,))
    assert tf.concat([x1, x2], axis=1).shape.as_list() == [None, 6]
    # the unknown batch dims must equal 3 here: building still works
    x1, x2 = keras.Input((3,)), keras.Input((3,))
    y = tf.matmul(x1, x2)
    model = keras.Model([x1, x2], y)
    a = np.random.random((3, 3)).astype("float32")
    np.testing.assert_allclose(_np(model([a, a])), a @ a, rtol=1e-5)


@pytest.mark.parametrize("other", ["tensor", "numpy"])
def test_mixing_symbolic_tensors_with_eager_tensors_and_numpy(other):
    x1 = keras.Input((3,))
    x2 = tf.ones((3, 3)) if other == "tensor" else np.ones((3, 3), dtype="float32")
    model = keras.Model(x1, tf.matmul(x1, x2))
    x_val = np.random.random((3, 3)).astype("float32")
    np.testing.assert_allclose(_np(model(x_val)), x_val @ np.ones((3, 3)), atol=1e-5)


def test_reraising_exception_keeps_the_origin():
    class TypeErrorLayer(layers.Layer):
        def call(self, inputs):
            def easily_identifiable_name():
                raise TypeError("Non-matching TypeError message.")

            easily_identifiable_name()

    with pytest.raises(TypeError, match="Non-matching TypeError message.") as info:
        TypeErrorLayer()(keras.Input((3,)))
    assert "easily_identifiable_name" in "".join(
        str(entry.name) for entry in info.traceback)
