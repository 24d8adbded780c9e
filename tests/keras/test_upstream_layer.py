"""Behaviours of the base Layer taken from the tests of tf.keras 2 (tf_keras/engine/
base_layer_test.py and friends), restated as user code after `import lamina as tf`.

Upstream behaviours not ported (graph mode, tf.function, TypeSpec/composite variables, legacy
tf.layers, summaries, SparseTensor / RaggedTensor casting, v1 dtype behaviour, name-scope node
names of traced graphs, learning-phase scopes of the v1 backend):
  test_dynamic_layer_error_running_in_graph_mode, test_training_arg_in_defun,
  test_composite_variable_assignment, test_no_legacy_model, test_no_legacy_sequential,
  test_summaries_in_tf_function, test_composite_tensors_input_casting, test_v1_behavior,
  test_apply_name_scope_on_model_declaration, test_conditional_callable_losses (tf.function),
  test_layer_instrumentation (internal counters), BaseRandomLayerTest (tf.random.Generator).
Known differences, left as they are:
  test_dynamic_layer_error: lamina builds functional models by running `call` eagerly on small
    stand-in tensors, so Python control flow on inputs works in a non-dynamic layer (tf.keras
    raises while tracing its graph);
  string variables (test_set_weights_accepts_output_of_get_weights, test_add_weight_by_getter):
    lamina has no string dtype; the same checks run with numeric variables;
  tf.TensorSpec and tf.nest are not in lamina yet: the tests use a small Spec class and lists.
"""
import copy

import numpy as np
import pytest

import lamina as tf

keras = tf.keras
layers = tf.keras.layers


class AddLayer(layers.Layer):
    def build(self, input_shape):
        self.v = self.add_weight("v", (), initializer="ones")
        super().build(input_shape)

    def call(self, inputs):
        return inputs + self.v


class IdentityLayer(layers.Layer):
    def call(self, inputs):
        return inputs


class Spec:
    """A stand-in for tf.TensorSpec (lamina has none yet): an object with shape and dtype."""

    def __init__(self, shape, dtype):
        self.shape = tf.TensorShape(shape)
        self.dtype = tf.as_dtype(dtype)


def _np(t):
    return np.asarray(t)


# ---- constructor argument checks ------------------------------------------------------------------
def test_trainable_must_be_boolean():
    layers.Layer(trainable=True)
    layers.Layer(trainable=tf.constant(True))
    layers.Layer(trainable=tf.Variable(tf.constant(True)))
    with pytest.raises(TypeError, match="Expected `trainable` argument to be a boolean"):
        layers.Layer(trainable=0)


def test_dynamic_must_be_boolean():
    layers.Layer(dynamic=True)
    with pytest.raises(TypeError, match="Expected `dynamic` argument to be a boolean"):
        layers.Layer(dynamic=0)


def test_name_must_be_string_or_none():
    layers.Layer(name=None)
    layers.Layer(name="layer_name")
    with pytest.raises(TypeError, match="Expected `name` argument to be a string"):
        layers.Layer(name=0)


def test_activity_regularizer_string():
    class MyLayer(layers.Layer):
        pass

    layer = MyLayer(activity_regularizer="l2")
    assert isinstance(layer.activity_regularizer, tf.keras.regularizers.L2)


# ---- compute_output_shape / signature ---------------------------------------------------------------
def test_manual_compute_output_shape_builds_once():
    class BuildCounter(layers.Layer):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.build_counter = 0

        def build(self, input_shape):
            self.build_counter += 1
            self.build_shape = input_shape

        def call(self, inputs):
            return inputs

    layer = BuildCounter(dtype=tf.float64)
    output_shape = layer.compute_output_shape((None, 10))
    assert layer.build_counter == 1
    assert layer.build_shape.as_list() == [None, 10]
    assert output_shape.as_list() == [None, 10]
    sig = layer.compute_output_signature(Spec(dtype=tf.float64, shape=[None, 10]))
    assert layer.build_counter == 1
    assert sig.dtype == tf.float64
    assert sig.shape.as_list() == [None, 10]
    layer(np.ones((5, 10)))
    assert layer.build_counter == 1
    assert layer.build_shape.as_list() == [None, 10]


def test_compute_output_signature_uses_compute_dtype():
    class IdentityWithShape(IdentityLayer):
        def compute_output_shape(self, input_shape):
            return input_shape

    layer = IdentityWithShape(dtype="float64")
    sig = layer.compute_output_signature(Spec(shape=(), dtype="float32"))
    assert sig.shape == ()
    assert sig.dtype == "float64"


# ---- dynamic layers --------------------------------------------------------------------------------
class DynamicLayer(layers.Layer):
    def __init__(self, dynamic=False, **kwargs):
        super().__init__(dynamic=dynamic, **kwargs)

    def call(self, inputs):
        return tf.stack([tf.square(s) for s in inputs])

    def compute_output_shape(self, input_shape):
        return input_shape


def test_dynamic_layer_in_sequential_runs_eagerly():
    model = keras.Sequential([keras.Input((3,)), DynamicLayer(dynamic=True)])
    assert model.dynamic is True
    model.compile(keras.optimizers.RMSprop(0.001), loss="mse")
    assert model.run_eagerly is True
    model.train_on_batch(np.random.random((2, 3)), np.random.random((2, 3)))


def test_nested_dynamic_layers_make_model_dynamic():
    inputs = keras.Input((3,))
    inner = keras.Model(inputs, DynamicLayer(dynamic=True)(inputs))
    assert inner.dynamic is True
    inputs = keras.Input((3,))
    x = DynamicLayer(dynamic=True)(inputs)
    model = keras.Model(inputs, inner(x))
    assert model.dynamic is True
    model.compile(keras.optimizers.RMSprop(0.001), loss="mse")
    assert model.run_eagerly is True
    model.train_on_batch(np.random.random((2, 3)), np.random.random((2, 3)))


def test_dynamic_subclassed_model():
    class MyModel(keras.Model):
        def __init__(self):
            super().__init__(dynamic=True)
            self.layer1 = layers.Dense(3)
            self.layer2 = layers.Dense(3)

        def call(self, inputs):
            if float(tf.reduce_sum(inputs)) > 0:
                return self.layer1(inputs)
            return self.layer2(inputs)

        def compute_output_shape(self, input_shape):
            return tuple(input_shape[:-1].as_list()) + (3,)

    model = MyModel()
    assert model.dynamic is True
    model.compile(keras.optimizers.RMSprop(0.001), loss="mse")
    assert model.run_eagerly is True
    x, y = np.random.random((2, 3)), np.random.random((2, 3))
    model.train_on_batch(x, y)
    assert model(x).shape.as_list() == [2, 3]


# ---- errors from call ------------------------------------------------------------------------------
def test_invalid_forward_pass_reraises_on_symbolic_input():
    class InvalidLayer(layers.Layer):
        def call(self, inputs):
            raise ValueError("You did something wrong!")

    with pytest.raises(ValueError, match="You did something wrong!"):
        InvalidLayer()(keras.Input((3,)))


def test_error_when_passing_non_tensor_to_layer_with_input_spec():
    with pytest.raises(TypeError, match="should be tensors"):
        layers.Dense(3)(object())


def test_passing_non_tensor_is_not_cast():
    x = object()
    assert IdentityLayer()(x) is x


# ---- deepcopy ----------------------------------------------------------------------------------------
def test_deepcopy_keeps_regularizer_and_config():
    bias_reg = lambda x: 1e-3 * tf.reduce_sum(x)  # noqa: E731
    layer = layers.Dense(4, bias_regularizer=bias_reg)
    layer(tf.ones((1, 3)))
    assert len(layer.losses) == 1
    new_layer = copy.deepcopy(layer)
    assert new_layer.bias_regularizer is bias_reg
    assert layer.get_config() == new_layer.get_config()
    assert len(new_layer.weights) == 2
    assert new_layer.kernel is not layer.kernel
    np.testing.assert_array_equal(_np(new_layer.kernel), _np(layer.kernel))


# ---- build -------------------------------------------------------------------------------------------
def test_build_with_numpy_data():
    model = keras.Sequential([
        keras.Input((4,)),
        layers.Dense(3, activation="relu", kernel_initializer="ones"),
        layers.Dense(1, activation="sigmoid", kernel_initializer="ones")])
    model(np.zeros((2, 4), dtype="float32"))
    assert model.built


def test_build_input_shape_recorded():
    class CustomLayer(layers.Layer):
        def build(self, input_shape):
            self.add_weight("w", shape=input_shape[1:])
            super().build(input_shape)

    layer = CustomLayer()
    assert not layer.built
    layer.build([None, 1, 2, 3])
    assert layer.built
    assert [None, 1, 2, 3] == layer._build_input_shape

    layer = CustomLayer()
    layer(keras.Input((3,)))
    assert layer.built
    assert layer._build_input_shape.as_list() == [None, 3]


def test_build_input_shape_list_with_none():
    class CustomLayer(layers.Layer):
        def build(self, input_shape):
            super().build(input_shape)
            self.build_shape = input_shape

        def call(self, inputs):
            return inputs[0]

    layer = CustomLayer()
    layer([tf.constant([1.0]), None, tf.constant([2.0])])
    assert layer.build_shape == [[1], None, [1]]


def test_input_shape_property_errors_for_unconnected_layer():
    layer = layers.Dense(3)
    with pytest.raises(AttributeError, match="no defined input shape"):
        layer.input_shape
    layer(tf.ones((10, 1)))
    with pytest.raises(AttributeError, match="no defined input shape"):
        layer.input_shape


# ---- add_weight -------------------------------------------------------------------------------------
def test_default_add_weight():
    class TestLayer(layers.Layer):
        def __init__(self):
            super().__init__()
            self.default_weight = self.add_weight()
            self.weight_without_name = self.add_weight(shape=(3, 4))
            self.regularized_weight_without_name = self.add_weight(shape=(3, 4), regularizer="l2")

    layer = TestLayer()
    assert layer.default_weight.shape.as_list() == []
    assert layer.weight_without_name.shape.as_list() == [3, 4]
    assert layer.default_weight.dtype.name == "float32"
    assert layer.weight_without_name.dtype.name == "float32"
    assert len(layer.losses) == 1


def test_add_weight_by_getter():
    layer = layers.Layer()
    variable = tf.Variable(3.0)
    added = layer.add_weight(dtype=tf.float32, getter=lambda *_, **__: variable)
    assert added is variable


def test_add_trainable_weight_on_frozen_layer():
    class TestLayer(layers.Layer):
        def build(self, input_shape):
            self.w = self.add_weight(shape=(), trainable=True)

        def call(self, inputs):
            return self.w * inputs

    layer = TestLayer()
    layer.trainable = False
    layer.build(None)
    layer.trainable = True
    assert layer.trainable_weights == [layer.w]


def test_variable_resetting_keeps_order():
    dense = layers.Dense(1)
    dense.build([8, 2])
    assert dense.trainable_variables[0] is dense.kernel
    assert dense.trainable_variables[1] is dense.bias
    dense.bias = tf.Variable(initial_value=tf.zeros(shape=(1,)))
    dense.kernel = tf.Variable(initial_value=tf.zeros(shape=(2, 1)))
    assert dense.trainable_variables[0] is dense.kernel
    assert dense.trainable_variables[1] is dense.bias
    assert len(dense.trainable_variables) == 2


# ---- weights ---------------------------------------------------------------------------------------
def test_passing_initial_weights_values():
    kernel_value = np.random.random((10, 2)).astype("float32")
    layer = layers.Dense(2, use_bias=False, weights=[kernel_value])
    model = keras.Sequential([keras.Input((10,)), layer])
    model.compile("sgd", "mse")
    inputs = np.random.random((3, 10)).astype("float32")
    out = model.predict(inputs, verbose=0)
    np.testing.assert_allclose(model.layers[-1].get_weights()[0], kernel_value, rtol=1e-6)
    np.testing.assert_allclose(out, inputs @ kernel_value, rtol=1e-5)


def test_set_weights_and_get_weights():
    layer = layers.Dense(2)
    layer.build((None, 10))
    kernel = np.random.random((10, 2))
    bias = np.random.random((2,))
    layer.set_weights([kernel, bias])
    weights = layer.get_weights()
    assert len(weights) == 2
    np.testing.assert_allclose(weights[0], kernel, rtol=1e-6)
    np.testing.assert_allclose(weights[1], bias, rtol=1e-6)
    with pytest.raises(ValueError, match="but the layer was expecting 2 weights"):
        layer.set_weights([1, 2, 3])
    with pytest.raises(ValueError, match="not compatible with provided weight shape"):
        layer.set_weights([kernel.T, bias])


def test_set_weights_accepts_output_of_get_weights():
    layer = layers.Layer()
    layer.add_weight(name="scalar_float", shape=(), dtype=tf.float32)
    layer.add_weight(name="scalar_int", shape=(), dtype=tf.int32,
                     initializer=lambda *a, **k: 7)
    layer.add_weight(name="vector_float", shape=(3,), dtype=tf.float32)
    layer.set_weights(layer.get_weights())
    assert layer.get_weights()[1] == 7


def test_count_params():
    dense = layers.Dense(16)
    dense.build((None, 4))
    assert dense.count_params() == 16 * 4 + 16
    dense = layers.Dense(16)
    with pytest.raises(ValueError, match="call `count_params`"):
        dense.count_params()
    model = keras.Sequential(layers.Dense(16))
    with pytest.raises(ValueError, match="call `count_params`"):
        model.count_params()
    model = keras.Sequential(layers.Dense(16, input_dim=4))
    assert model.count_params() == 16 * 4 + 16


def test_super_not_called():
    class CustomLayerNotCallingSuper(layers.Layer):
        def __init__(self):
            pass

    layer = CustomLayerNotCallingSuper()
    with pytest.raises(RuntimeError, match=r"You must call `super\(\)"):
        layer(np.random.random((10, 2)))


# ---- call arguments ----------------------------------------------------------------------------------
def test_first_arg_not_called_inputs():
    x, y = tf.ones((10, 1)), tf.ones((10, 1))

    class ArgLayer(layers.Layer):
        def call(self, x, y):
            return x + y

    np.testing.assert_allclose(_np(ArgLayer()(x=x, y=y)), 2 * np.ones((10, 1)))

    class KwargLayer(layers.Layer):
        def call(self, x=None, y=None):
            return x + y

    layer = KwargLayer()
    np.testing.assert_allclose(_np(layer(x=x, y=y)), 2 * np.ones((10, 1)))
    with pytest.raises(ValueError, match="must always be passed"):
        layer(y=y)


def test_layer_call_fn_args():
    class NonDefunLayer(layers.Layer):
        def call(self, inputs, a, mask, b=None, training=None):
            return inputs

    assert NonDefunLayer()._call_spec.arg_names == ["inputs", "a", "mask", "b", "training"]


def test_learning_phase_freezing_for_layers():
    K = keras.backend

    class LearningPhaseLayer(layers.Layer):
        def call(self, inputs):
            return K.in_train_phase(lambda: tf.ones_like(inputs), lambda: tf.zeros_like(inputs))

    def get_learning_phase_value():
        model = keras.Sequential([LearningPhaseLayer(input_shape=(1,))])
        return float(np.sum(_np(model(np.ones((1, 1))))))

    assert get_learning_phase_value() == 0
    with K.learning_phase_scope(1):
        assert get_learning_phase_value() == 1
    assert get_learning_phase_value() == 0
    try:
        K.set_learning_phase(1)
        assert get_learning_phase_value() == 1
        K.set_learning_phase(0)
        assert get_learning_phase_value() == 0
    finally:
        K.clear_session()
    with pytest.raises(ValueError, match="Expected learning phase to be 0 or 1"):
        K.learning_phase_scope(2)


def test_in_train_phase_evaluates_only_the_chosen_branch():
    calls = []
    out = keras.backend.in_train_phase(lambda: calls.append("x") or 1,
                                       lambda: calls.append("alt") or 0, training=True)
    assert out == 1 and calls == ["x"]


def test_learning_phase_default_is_inference():
    class LearningPhaseLayer(layers.Layer):
        def call(self, inputs, training=None):
            return tf.ones_like(inputs) if training else tf.zeros_like(inputs)

    model = keras.Sequential([LearningPhaseLayer(input_shape=(1,))])
    assert float(np.sum(_np(model(np.ones((1, 1)))))) == 0
    assert float(np.sum(_np(model(np.ones((1, 1)), training=True)))) == 1


def _training_layers(kwonly):
    def make(default, takes_training=True):
        if not takes_training:
            class L(layers.Layer):
                def __init__(self, nested_layer=None):
                    super().__init__()
                    self._nested_layer = nested_layer or tf.identity

                def call(self, inputs):
                    return self._nested_layer(inputs)
            return L
        ns = {}
        sig = ", *, training" if kwonly else ", training"
        if default is not _MISSING:
            sig += f"={default!r}"
        src = (f"def call(self, inputs{sig}):\n"
               f"    if training:\n"
               f"        return self._nested_layer(inputs)\n"
               f"    return self._nested_layer(inputs) * 0.5\n")
        exec(src, ns)

        def __init__(self, nested_layer=None):
            layers.Layer.__init__(self)
            self._nested_layer = nested_layer or tf.identity

        return type("CustomLayer", (layers.Layer,), {"__init__": __init__, "call": ns["call"]})

    return (make(None, False), make(_MISSING), make(None), make(False), make(True))


_MISSING = object()


@pytest.mark.parametrize("kwonly", [False, True])
def test_custom_layer_training_arg(kwonly):
    NoArg, Missing, DNone, DFalse, DTrue = _training_layers(kwonly)
    x = tf.ones(shape=(1, 1))
    xv = np.ones((1, 1))

    def eq(a, b):
        np.testing.assert_array_equal(_np(a), b)

    layer = Missing()
    eq(layer(x), xv * 0.5)
    eq(layer(x, training=False), xv * 0.5)
    eq(layer(x, training=True), xv)

    layer = DFalse()
    eq(layer(x), xv * 0.5)
    eq(layer(x, training=False), xv * 0.5)
    eq(layer(x, training=True), xv)

    layer = DTrue()
    eq(layer(x), xv)
    eq(layer(x, training=False), xv * 0.5)
    eq(layer(x, training=True), xv)

    layer = DTrue(DFalse())
    eq(layer(x), xv)
    eq(layer(x, training=False), xv * 0.25)
    eq(layer(x, training=True), xv)

    layer = DFalse(DTrue())
    eq(layer(x), xv * 0.25)
    eq(layer(x, training=False), xv * 0.25)
    eq(layer(x, training=True), xv)

    layer = NoArg(DTrue())
    eq(layer(x), xv)
    eq(layer(x, training=False), xv * 0.5)
    eq(layer(x, training=True), xv)

    layer = DNone(DTrue())
    eq(layer(x), xv * 0.5)
    eq(layer(x, training=False), xv * 0.25)
    eq(layer(x, training=True), xv)


# ---- call-context arguments ----------------------------------------------------------------------
def test_call_context_args_propagate_to_registered_inner_layer():
    class Inner(layers.Layer):
        def __init__(self):
            super().__init__()
            self._register_call_context_args("foo_mode")

        def call(self, x, foo_mode=None):
            return x + (1 if foo_mode else 0)

    class Outer(layers.Layer):
        def __init__(self):
            super().__init__()
            self._register_call_context_args("foo_mode")
            self.inner = Inner()

        def call(self, x):
            return self.inner(x)

    layer = Outer()
    assert int(layer(np.array(0), foo_mode=True)) == 1
    assert int(layer(np.array(0))) == 0


def test_register_call_context_arguments():
    class MyLayer(layers.Layer):
        def call(self, x):
            return x

    layer = MyLayer()
    layer._register_call_context_args("foo_mode")
    assert sorted(layer._call_context_args) == ["foo_mode", "training"]

    layer = MyLayer()
    layer(np.array(0))
    with pytest.raises(RuntimeError,
                       match="Cannot add call-context args after the layer has been called."):
        layer._register_call_context_args("foo_mode")


def test_nested_context_args_through_middle_layer():
    class Inner(layers.Layer):
        def __init__(self):
            super().__init__(name="inner_layer")
            self._register_call_context_args("foo_mode")

        def call(self, inputs, foo_mode=None):
            return inputs + (1 if foo_mode else 0)

    class Middle(layers.Layer):
        def __init__(self):
            super().__init__(name="middle_layer")
            self._inner_layer = Inner()

        def call(self, inputs):
            return self._inner_layer(inputs)

    class Outer(layers.Layer):
        def __init__(self):
            super().__init__(name="outer_layer")
            self._middle = Middle()

        def call(self, inputs):
            return self._middle(inputs)

    layer = Outer()
    layer._register_call_context_args("foo_mode")
    assert int(layer(np.array(0), foo_mode=True)) == 1
    assert int(layer(np.array(0))) == 0


def test_context_arg_not_declared_does_not_resolve():
    class Inner(layers.Layer):
        def call(self, x, foo_mode=None):
            return x + (1 if foo_mode else 0)

    class Wrapper(layers.Layer):
        def __init__(self):
            super().__init__()
            self.inner = Inner()

        def call(self, x):
            return self.inner(x)

    layer = Wrapper()
    layer._register_call_context_args("foo_mode")
    assert int(layer(np.array(0), foo_mode=True)) == 0


def test_call_context_args_through_models():
    class InnerLayer(layers.Layer):
        def __init__(self):
            super().__init__(name="inner_layer")
            self._register_call_context_args("foo")

        def call(self, inputs, foo=None):
            return inputs + 1.0 if foo else inputs

    class OuterLayer(layers.Layer):
        def __init__(self):
            super().__init__(name="outer_layer")
            self._inner_layer = InnerLayer()

        def call(self, inputs):
            return self._inner_layer(inputs)

    x = tf.constant([[1.0, 2.0], [3.0, 4.0]], dtype="float32")
    seq = keras.Sequential([OuterLayer()])
    seq._register_call_context_args("foo")
    np.testing.assert_array_equal(_np(seq(x, foo=True)), _np(x) + 1)
    np.testing.assert_array_equal(_np(seq(x, foo=False)), _np(x))

    inp = keras.Input((2,))
    model = keras.Model(inputs=[inp], outputs=[OuterLayer()(inp)])
    model._register_call_context_args("foo")
    np.testing.assert_array_equal(_np(model(x, foo=True)), _np(x) + 1)
    np.testing.assert_array_equal(_np(model(x, foo=False)), _np(x))


# ---- tracking ---------------------------------------------------------------------------------------
def test_tf_module_tracking():
    class MyModule(tf.Module):
        def __init__(self):
            super().__init__()
            self.v1 = tf.Variable(1.0, trainable=True, name="v1")
            self.v2 = tf.Variable(2.0, trainable=False, name="v2")

        def __call__(self, x):
            return x * self.v1 * self.v2

    class MyLayer(layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.my_modules = {}
            self.my_modules["a"] = MyModule()

        def call(self, x):
            return self.my_modules["a"](x)

    layer = MyLayer()
    assert len(layer.variables) == 2
    assert len(layer.trainable_variables) == 1
    assert len(layer.non_trainable_variables) == 1
    layer.trainable = False
    assert len(layer.variables) == 2
    assert len(layer.trainable_variables) == 0
    assert len(layer.non_trainable_variables) == 2

    class MyModel(keras.Model):
        def __init__(self):
            super().__init__()
            self.my_modules = []
            self.my_modules.append(MyModule())

        def call(self, x):
            return self.my_modules[0](x)

    model = MyModel()
    assert len(model.variables) == 2
    assert len(model.trainable_variables) == 1
    assert len(model.non_trainable_variables) == 1
    model.trainable = False
    assert len(model.variables) == 2
    assert len(model.trainable_variables) == 0
    assert len(model.non_trainable_variables) == 2


def test_tracking_lists_of_variables_created_in_build():
    class MyLayer(layers.Layer):
        def __init__(self, num_weights):
            super().__init__()
            self.num_weights = num_weights

        def build(self, input_shape):
            super().build(input_shape)
            self.my_weights = []
            w_init = tf.random_normal_initializer()
            for i in range(self.num_weights):
                self.my_weights.append(tf.Variable(
                    name=f"w_{i}", trainable=True,
                    initial_value=w_init(shape=(input_shape[1], input_shape[1]), dtype="float32")))

        def call(self, x):
            for w in self.my_weights:
                x = tf.matmul(x, w)
            return x

    layer = MyLayer(3)
    layer(tf.constant([[1.0, 1.0, 1.0, 1.0]]))
    assert len(layer.variables) == 3
    assert len(layer.trainable_variables) == 3
    assert len(layer.non_trainable_variables) == 0
    layer.trainable = False
    assert len(layer.variables) == 3
    assert len(layer.trainable_variables) == 0
    assert len(layer.non_trainable_variables) == 3


def test_raw_variable_assignment_in_nested_structure():
    class RawVariableLayer(layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.var_list = [tf.Variable(1.0), {"a": tf.Variable(2.0)}]

        def call(self, inputs):
            return inputs * self.var_list[0] * self.var_list[1]["a"]

    layer = RawVariableLayer()
    assert len(layer.weights) == 2
    model = keras.Sequential([keras.Input((10,)), layer])
    model.compile("sgd", "mse")
    x, y = np.ones((10, 10)), np.ones((10, 10))
    model.fit(x, y, batch_size=2, epochs=2, verbose=0)


def test_nested_layer_variable_tracking():
    class MyLayer(layers.Layer):
        def __init__(self):
            super().__init__()
            self.dense1 = layers.Dense(1)
            self.dense2 = layers.BatchNormalization()

        def build(self, input_shape):
            self.v1 = self.add_weight("v1", shape=input_shape[1:].as_list())
            self.v2 = tf.Variable(name="v2", trainable=False,
                                  initial_value=np.zeros(input_shape[1:].as_list(), dtype="float32"))

        def call(self, inputs):
            x = self.dense1(inputs) + self.dense2(inputs)
            return x + self.v1 + self.v2

    layer = MyLayer()
    layer(keras.Input((1,)))
    assert len(layer.weights) == 8
    assert len(layer.trainable_weights) == 5
    assert len(layer.non_trainable_weights) == 3
    layer.dense1.trainable = False
    assert len(layer.weights) == 8
    assert len(layer.trainable_weights) == 3
    assert len(layer.non_trainable_weights) == 5
    layer.trainable = False
    assert len(layer.weights) == 8
    assert len(layer.trainable_weights) == 0
    assert len(layer.non_trainable_weights) == 8


def test_nested_layer_losses_tracking():
    class LossLayer(layers.Layer):
        def build(self, _):
            self.v1 = self.add_weight("v1", shape=())

        def call(self, inputs):
            self.add_loss(tf.reduce_sum(inputs))
            self.v1.assign_add(1)
            return inputs + 1

    class MyLayer(layers.Layer):
        def build(self, _):
            self.v1 = self.add_weight("v1", shape=())

        def __init__(self):
            super().__init__()
            self.ul1 = LossLayer()
            self.ul2 = LossLayer()

        def call(self, inputs):
            self.add_loss(tf.reduce_sum(inputs))
            self.v1.assign_add(1)
            return self.ul2(self.ul1(inputs))

    layer = MyLayer()
    layer(tf.ones((3, 1)))
    assert len(layer.losses) == 3
    # own loss sum(x) = 3, ul1's sum(x) = 3, ul2's sum(x + 1) = 6
    np.testing.assert_allclose(sorted(float(v) for v in layer.losses), [3.0, 3.0, 6.0])


def test_attribute_reassignment():
    l = layers.Layer()  # noqa: E741
    l.a = layers.Layer()
    l.a = []
    l.a = tf.Variable(1.0)
    l.a = layers.Layer()
    last_assignment = layers.Layer()
    l.a = last_assignment
    l.b = tf.Variable(1.0)
    del l.b
    l.c = layers.Layer()
    del l.c
    l.d = last_assignment
    del l.d
    sublayers = list(l._flatten_layers(include_self=False, recursive=False))
    assert sublayers == [last_assignment]
    assert l.trainable_weights == []
    assert l.non_trainable_weights == []
    assert l.weights == []
    del l.a
    assert list(l._flatten_layers(include_self=False, recursive=False)) == []


def test_layer_class_not_tracked_as_sublayer():
    class LayerWithClassAttribute(layers.Layer):
        def __init__(self):
            super().__init__()
            self.layer_fn = layers.Dense

    layer = LayerWithClassAttribute()
    assert len(layer.variables) == 0
    assert len(layer.submodules) == 0


def test_subclassed_model_named_sequential():
    model = keras.Sequential([layers.Dense(10, input_shape=(10,)), layers.Dense(5)])
    assert len(model.layers) == 2
    assert len(model.weights) == 4

    class Sequential(keras.Model):
        def __init__(self):
            super().__init__()
            self.dense_layers = [layers.Dense(10), layers.Dense(5)]

        def call(self, inputs):
            x = inputs
            for d in self.dense_layers:
                x = d(x)
            return x

    s = Sequential()
    assert len(s.layers) == 2
    assert len(s.weights) == 0
    s(keras.Input((10,)))
    assert len(s.weights) == 4


# ---- names -------------------------------------------------------------------------------------------
def test_layer_names_of_op_layers_and_add():
    keras.backend.clear_session()
    inputs = keras.Input(shape=[2])
    add1 = inputs + inputs
    add2 = layers.Add()([inputs, inputs])
    add3 = inputs + inputs
    add4 = layers.Add()([inputs, inputs])
    model = keras.Model(inputs=[inputs], outputs=[add1, add2, add3, add4])
    assert [l.name for l in model.layers] == [
        "input_1", "tf.__operators__.add", "add", "tf.__operators__.add_1", "add_1"]


def test_layer_names_after_loading_avoid_seen_names():
    keras.backend.clear_session()
    layers.Add(name="add_1")
    layers.Add(name="tf.__operators__.add")
    inputs = keras.Input(shape=[2])
    add1 = inputs + inputs
    add2 = layers.Add()([inputs, inputs])
    add3 = inputs + inputs
    add4 = layers.Add()([inputs, inputs])
    model = keras.Model(inputs=[inputs], outputs=[add1, add2, add3, add4])
    assert [l.name for l in model.layers] == [
        "input_1", "tf.__operators__.add_1", "add", "tf.__operators__.add_2", "add_1"]


def test_name_scope_of_weights():
    layer = layers.Dense(10, name="MyName")
    layer(tf.ones((10, 10)))
    assert layer.bias.name == "MyName/bias:0"
    assert layer.kernel.name == "MyName/kernel:0"

    layer = layers.Dense(10, name="MyName")
    layer(keras.Input((3,)))
    assert layer.bias.name == "MyName/bias:0"


def test_name_scope_functional_api_nested():
    class NestedLayer(layers.Layer):
        def __init__(self, name="OuterName"):
            super().__init__(name=name)
            self.dense = layers.Dense(10, name="InnerName")

        def call(self, inputs):
            return self.dense(inputs)

    layer = NestedLayer()
    layer(keras.Input((3,)))
    assert layer.dense.bias.name == "OuterName/InnerName/bias:0"
    assert layer.dense.kernel.name == "OuterName/InnerName/kernel:0"


def test_name_scope_with_layer_activation():
    x = tf.convert_to_tensor(np.ones((10, 10)))
    layer = layers.Dense(10, activation=layers.ReLU(name="MyAct"), name="MyName3")
    layer(x)
    assert layer.bias.name == "MyName3/bias:0"
    assert layer.kernel.name == "MyName3/kernel:0"


# ---- auto get_config ---------------------------------------------------------------------------------
def test_auto_get_config():
    class MyLayer(layers.Layer):
        def __init__(self, var1, var2, var3=None, **kwargs):
            super().__init__(**kwargs)

    layer = MyLayer("a", 2, var3=True, name="mylayer")
    config = layer.get_config()
    assert len(config) == 6
    assert config["var1"] == "a"
    assert config["var2"] == 2
    assert config["var3"] is True
    assert config["name"] == "mylayer"
    assert config["trainable"] is True
    assert config["dtype"] == "float32"
    layer = MyLayer.from_config(config)
    assert layer.get_config() == config

    layer = MyLayer("a", 2, var3=tf.nn.relu)
    with pytest.raises(NotImplementedError):
        layer.get_config()


def test_get_config_error():
    class MyLayer(layers.Layer):
        def __init__(self, my_kwarg="default", **kwargs):
            super().__init__(**kwargs)
            self.my_kwarg = my_kwarg

    with pytest.raises(NotImplementedError, match="Layer MyLayer was created by"):
        MyLayer(b"custom").get_config()

    class MyLayerNew(layers.Layer):
        def __init__(self, my_kwarg="default", **kwargs):
            super().__init__(**kwargs)
            self.my_kwarg = my_kwarg

        def get_config(self):
            config = super().get_config()
            config["my_kwarg"] = self.my_kwarg
            return config

    assert MyLayerNew("custom").get_config()["my_kwarg"] == "custom"

    class MyLayerNew2(layers.Layer):
        def __init__(self, name="MyLayerName", dtype=None, **kwargs):
            super().__init__(name=name, dtype=dtype, **kwargs)

    assert MyLayerNew2(name="New").get_config()["name"] == "New"


# ---- losses in eager training ---------------------------------------------------------------------
def test_conditional_losses_in_call():
    class MyLayer(layers.Layer):
        def __init__(self):
            super().__init__(dynamic=True)

        def call(self, inputs, training=None):
            if training:
                self.add_loss(tf.reduce_sum(inputs))
            return inputs

        def compute_output_shape(self, input_shape):
            return input_shape

    inputs = keras.Input((3,))
    model = keras.Model(inputs, MyLayer()(inputs))
    model.compile("sgd", "mse", run_eagerly=True)
    loss = model.train_on_batch(np.ones((2, 3)), np.ones((2, 3)))
    assert loss == 2 * 3


def test_conditional_metrics_in_call():
    class MyLayer(layers.Layer):
        def __init__(self):
            super().__init__(dynamic=True)

        def call(self, inputs, training=None):
            if training:
                self.add_metric(tf.reduce_sum(inputs), name="sum", aggregation="mean")
            return inputs

        def compute_output_shape(self, input_shape):
            return input_shape

    inputs = keras.Input((3,))
    model = keras.Model(inputs, MyLayer()(inputs))
    model.compile("sgd", "mse", run_eagerly=True)
    history = model.fit(np.ones((2, 3)), np.ones((2, 3)), verbose=0)
    assert history.history["sum"][-1] == 2 * 3


def test_conditional_activity_regularizer_in_call():
    class TestModel(keras.Model):
        def __init__(self):
            super().__init__(name="test_model", dynamic=True)
            self.layer = layers.Dense(2, activity_regularizer="l2")

        def call(self, x, training=None):
            if float(tf.reduce_sum(x)) > 0.0:
                return self.layer(x)
            return self.layer(x)

    model = TestModel()
    model.compile(loss="mse", optimizer="sgd", run_eagerly=True)
    model.fit(np.ones((10, 1)), np.ones((10, 2)), epochs=2, batch_size=5, verbose=0)


# ---- dtypes -------------------------------------------------------------------------------------------
def test_dtype_defaults_to_floatx():
    layer = AddLayer()
    assert layer.dtype == "float32"
    layer(tf.constant(1, dtype="float64"))
    assert layer.dtype == "float32"
    try:
        keras.backend.set_floatx("float64")
        layer = AddLayer()
        assert layer.dtype == "float64"
    finally:
        keras.backend.set_floatx("float32")


def test_passing_dtype_to_constructor():
    for dt, want in (("float64", "float64"), ("int32", "int32"), (tf.float64, "float64")):
        layer = IdentityLayer(dtype=dt)
        layer(tf.constant(1, dtype="float32"))
        assert layer.dtype == want


def test_input_cast_to_dtype():
    assert AddLayer()(tf.constant(1, dtype="float64")).dtype == "float32"
    assert AddLayer(dtype="float64")(tf.constant(1, dtype="float32")).dtype == "float64"
    assert IdentityLayer(dtype="int32")(tf.constant(1, dtype="float64")).dtype == "float64"
    assert IdentityLayer(dtype="float32")(tf.constant(1, dtype="int32")).dtype == "int32"
    assert IdentityLayer(dtype="float64")(np.array(1, dtype="float32")).dtype == "float64"
    assert IdentityLayer(dtype="float64")(1.0).dtype == "float64"


def test_multiple_inputs_cast_to_dtype():
    class MultiIdentityLayer(layers.Layer):
        def call(self, inputs):
            return [tf.identity(x) for x in inputs]

    x, y = MultiIdentityLayer()([tf.constant(1, dtype="float16"), tf.constant(1, dtype="float32")])
    assert x.dtype == "float32" and y.dtype == "float32"
    layer = MultiIdentityLayer(dtype="float64")
    x, y = layer([tf.constant(1, dtype="float16"), tf.constant(1, dtype="float32")])
    assert x.dtype == "float64" and y.dtype == "float64"
    x, y, z = layer([tf.constant(1, dtype="float16"), tf.constant(True),
                     tf.constant(1, dtype="float64")])
    assert (x.dtype, y.dtype, z.dtype) == ("float64", "bool", "float64")


def test_extra_args_and_kwargs_not_casted():
    class IdentityLayerWithArgs(layers.Layer):
        def call(self, inputs, *args, **kwargs):
            kwargs.pop("training", None)
            return [inputs, *args, *kwargs.values()]

    layer = IdentityLayerWithArgs(dtype="float64")
    x, y, z = layer(tf.constant(1, dtype="float16"), tf.constant(1, dtype="float16"),
                    kwarg=tf.constant(1, dtype="float16"))
    assert x.dtype == "float64"
    assert y.dtype == "float16"
    assert z.dtype == "float16"


def test_layer_without_autocast():
    class IdentityLayerWithoutAutocast(IdentityLayer):
        def __init__(self, *args, **kwargs):
            kwargs["autocast"] = False
            super().__init__(*args, **kwargs)

    layer = IdentityLayerWithoutAutocast(dtype="float64")
    assert layer(tf.constant(1, dtype="float32")).dtype == "float32"


def test_layer_can_return_variable():
    class ComputeSum(layers.Layer):
        def __init__(self):
            super().__init__()
            self.total = tf.Variable(initial_value=tf.zeros((1, 1)), trainable=False)

        def call(self, inputs):
            self.total.assign_add(inputs)
            return self.total

    inputs = keras.Input(shape=(1,))
    layer = ComputeSum()
    model = keras.Model(inputs, layer(inputs))
    np.testing.assert_array_equal(_np(layer.total), [[0.0]])   # building changed no state
    np.testing.assert_array_equal(model.predict(np.ones((1, 1)), verbose=0), [[1.0]])
    np.testing.assert_array_equal(_np(layer.total), [[1.0]])
