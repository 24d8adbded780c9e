"""Base-Layer behaviours from tf.keras 2's mixed-precision layer tests (tf_keras/mixed_precision/
layer_test.py) and InputSpec tests (tf_keras/engine/input_spec_test.py), as user code.

Not ported: distribution strategies (MirroredStrategy, CentralStorageStrategy), tf.function,
checkpoints (tf.train.Checkpoint), the v1 PolicyV1 configs.
"""
import numpy as np
import pytest

import lamina as tf

keras = tf.keras
layers = tf.keras.layers
policy_scope = tf.keras.mixed_precision.policy_scope
Policy = tf.keras.mixed_precision.Policy


class AssertTypeLayer(layers.Layer):
    def __init__(self, assert_type=None, **kwargs):
        # attributes set before Layer.__init__ (as the upstream helper does)
        self._assert_type = tf.as_dtype(assert_type).name if assert_type else None
        super().__init__(**kwargs)

    def assert_input_types(self, inputs):
        if self._assert_type:
            for inp in (inputs if isinstance(inputs, (list, tuple)) else [inputs]):
                assert inp.dtype == self._assert_type, (inp.dtype, self._assert_type)


class IdentityRegularizer(keras.regularizers.Regularizer):
    def __call__(self, x):
        assert x.dtype == tf.float32
        return tf.identity(x)

    def get_config(self):
        return {}


class MultiplyLayer(AssertTypeLayer):
    def __init__(self, regularizer=None, activity_regularizer=None, use_operator=False,
                 var_name="v", **kwargs):
        self._regularizer = regularizer
        self._activity_regularizer = activity_regularizer
        self._use_operator = use_operator
        self._var_name = var_name
        super().__init__(activity_regularizer=self._activity_regularizer, **kwargs)

    def build(self, input_shape):
        self.v = self.add_weight(self._var_name, (), initializer="ones",
                                 regularizer=self._regularizer)
        super().build(input_shape)

    def call(self, inputs):
        self.assert_input_types(inputs)
        return inputs * self.v if self._use_operator else tf.multiply(inputs, self.v)

    def get_config(self):
        config = super().get_config()
        config["regularizer"] = keras.regularizers.serialize(self._regularizer)
        config["activity_regularizer"] = keras.regularizers.serialize(self._activity_regularizer)
        config["use_operator"] = self._use_operator
        config["var_name"] = self._var_name
        config["assert_type"] = self._assert_type
        return config


class MultiplyLayerWithoutAutoCast(MultiplyLayer):
    def build(self, input_shape):
        dtype = self.dtype
        if dtype in ("float16", "bfloat16"):
            dtype = "float32"
        self.v = self.add_weight("v", (), initializer="ones", dtype=dtype, autocast=False,
                                 regularizer=self._regularizer)
        layers.Layer.build(self, input_shape)

    def call(self, inputs):
        self.assert_input_types(inputs)
        assert self.v.dtype in (tf.float32, tf.float64)
        return tf.multiply(inputs, tf.cast(self.v, inputs.dtype))


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_mixed_policies(dtype):
    x = tf.constant([1.0])
    policy_name = "mixed_" + dtype
    with policy_scope(policy_name):
        layer = MultiplyLayer(assert_type=dtype)
        assert layer.dtype == tf.float32
        assert layer.dtype_policy.name == policy_name
        y = layer(x)
        assert layer.v.dtype == tf.float32
        assert y.dtype == dtype
        assert isinstance(layer.dtype_policy, Policy)
        assert layer.compute_dtype == dtype
        assert layer.variable_dtype == tf.float32
        assert float(y) == 1.0


def test_layer_with_int_variable_not_autocast():
    class LayerWithIntVar(layers.Layer):
        def build(self, _):
            self.v = self.add_weight("v", dtype="int32", trainable=False)

        def call(self, inputs):
            return tf.cast(inputs, "int32") + self.v

    layer = LayerWithIntVar(dtype="mixed_float16")
    assert layer(tf.constant([1.0])).dtype == "int32"


def test_layer_with_non_autocast_variable():
    with policy_scope("mixed_float16"):
        layer = MultiplyLayerWithoutAutoCast(assert_type=tf.float16)
        y = layer(tf.constant([1.0]))
        assert layer.v.dtype == tf.float32
        assert y.dtype == tf.float16
        assert float(y) == 1.0


@pytest.mark.parametrize("cls", [MultiplyLayer, MultiplyLayerWithoutAutoCast])
def test_layer_regularizer_runs_in_var_dtype(cls):
    with policy_scope("mixed_float16"):
        layer = cls(assert_type=tf.float16, regularizer=IdentityRegularizer())
        layer(tf.constant([1.0]))
        (regularizer_loss,) = layer.losses
        assert regularizer_loss.dtype == tf.float32
        assert float(regularizer_loss) == 1.0


def test_passing_policy_to_layer():
    x = tf.constant([1.0], dtype=tf.float16)
    layer = MultiplyLayer(assert_type=tf.float16, dtype=Policy("mixed_float16"))
    assert layer.dtype == tf.float32
    layer(x)
    assert layer.v.dtype == tf.float32
    with policy_scope("mixed_float16"):
        layer = MultiplyLayer(assert_type=tf.float64, dtype=Policy("float64"))
        assert layer.dtype_policy.name == "float64"
        assert isinstance(layer.dtype_policy, Policy)
        assert layer.compute_dtype == tf.float64
        assert layer.dtype == tf.float64
        assert layer.variable_dtype == tf.float64
        assert layer(x).dtype == tf.float64
        assert layer.v.dtype == tf.float64


def test_gradient_applied_to_float32_variable():
    x = tf.constant([1.0])
    with policy_scope("mixed_float16"):
        layer = MultiplyLayer(assert_type=tf.float16)
        opt = keras.optimizers.SGD(2 ** -14)
        with tf.GradientTape() as tape:
            y = layer(x)
        grad = tape.gradient(y, layer.v)
        opt.apply_gradients([(grad, layer.v)])
        assert float(layer.v) == 1 - 2 ** -14


def test_set_weights_under_mixed_policy():
    with policy_scope("mixed_float16"):
        layer = MultiplyLayer(assert_type="float16")
        layer(tf.constant([1.0]))
    layer.set_weights([np.array(100.0)])
    assert float(layer(tf.constant([1.0]))) == 100.0
    assert layer.get_weights() == [100.0]


def test_config_of_dtype_policies():
    x = tf.constant([1.0], dtype=tf.float16)
    for layer, dtype in ((MultiplyLayer(), "float32"),
                         (MultiplyLayer(dtype="float64"), "float64"),
                         (MultiplyLayer(dtype=Policy("float64")), "float64")):
        config = layer.get_config()
        assert config["dtype"] == dtype
        assert isinstance(config["dtype"], str)
        layer = MultiplyLayer.from_config(config)
        assert layer.dtype == dtype
        assert layer(x).dtype == dtype
        assert layer.v.dtype == dtype

    mixed = {"module": "keras.mixed_precision", "class_name": "Policy",
             "config": {"name": "mixed_float16"}, "registered_name": None}
    layer = MultiplyLayer(dtype="mixed_float16")
    config = layer.get_config()
    assert config["dtype"] == mixed
    layer = MultiplyLayer.from_config(config)
    assert layer.dtype == "float32"
    assert layer(x).dtype == "float16"
    assert layer.v.dtype == "float32"
    assert layer.get_config()["dtype"] == mixed

    layer = MultiplyLayer(dtype=Policy("_infer"))
    config = layer.get_config()
    assert config["dtype"] is None
    layer = MultiplyLayer.from_config(config)
    assert layer.dtype == "float32"
    assert layer(x).dtype == "float32"
    assert layer.v.dtype == "float32"


def test_delete_variable_under_mixed_policy():
    layer = layers.Layer(dtype="mixed_float16")
    layer.x = layer.add_weight("x")
    assert layer.trainable_weights == [layer.x]
    del layer.x
    assert layer.trainable_weights == []


def test_build_and_call_with_python_float_under_mixed_policy():
    layer = MultiplyLayer(dtype=Policy("mixed_float16"))
    y = layer(1.0)
    assert y.dtype == "float16"
    assert layer.v.dtype == "float32"
    assert float(y) == 1.0


def test_input_spec_dtype_checked_before_cast():
    layer = MultiplyLayer(dtype="float64")
    layer.input_spec = keras.layers.InputSpec(dtype="float16")
    layer(tf.ones((2, 2), dtype="float16"))
    with pytest.raises(ValueError, match="expected dtype=float16, found dtype=.*float64"):
        layer(tf.ones((2, 2), dtype="float64"))
    x = keras.Input((2,), dtype="float16")
    model = keras.Model(x, layer(x))
    model(tf.ones((2, 2), dtype="float16"))
    x = keras.Input((2,), dtype="float64")
    with pytest.raises(ValueError, match="expected dtype=float16, found dtype=.*float64"):
        layer(x)


def test_infer_policy_takes_dtype_of_first_input():
    class Identity(layers.Layer):
        def call(self, inputs):
            return inputs

    layer = Identity(dtype=Policy("_infer"))
    assert layer.dtype is None
    layer(tf.constant(1.0, dtype="float64"))
    assert layer.dtype == "float64"
    # the inferred policy then autocasts like any other (v2 dtype behaviour)
    assert layer(tf.constant(1.0, dtype="float32")).dtype == "float64"


def test_policy_errors():
    with pytest.raises(ValueError, match="Cannot convert value"):
        Policy("not_a_dtype")
    with pytest.raises(TypeError, match="'name' must be a string"):
        Policy(1)


# ---- InputSpec (tf_keras/engine/input_spec_test.py) -----------------------------------------------
def test_input_spec_axes_initialization():
    InputSpec = keras.layers.InputSpec
    InputSpec(shape=[1, None, 2, 3], axes={3: 5, "2": 2})
    with pytest.raises(ValueError, match="Axis 4 is greater than"):
        InputSpec(shape=[1, None, 2, 3], axes={4: 5})
    with pytest.raises(TypeError, match="Argument `axes` must be a dict"):
        InputSpec(shape=[1, None, 2, 3], axes={"string": 5})


def test_input_spec_to_tensor_shape():
    from lamina.keras.engine import input_spec
    InputSpec = keras.layers.InputSpec
    assert input_spec.to_tensor_shape(InputSpec(shape=[1, None, 2, 3])).as_list() == \
        [1, None, 2, 3]
    assert input_spec.to_tensor_shape(InputSpec(ndim=5)).as_list() == [None] * 5
    assert input_spec.to_tensor_shape(InputSpec(ndim=0)).as_list() == []
    assert input_spec.to_tensor_shape(InputSpec(ndim=3, axes={1: 3, -1: 2})).as_list() == \
        [None, 3, 2]
    with pytest.raises(ValueError, match="unknown TensorShape"):
        input_spec.to_tensor_shape(InputSpec(max_ndim=5)).as_list()
    with pytest.raises(ValueError, match="unknown TensorShape"):
        input_spec.to_tensor_shape(InputSpec(min_ndim=5, max_ndim=5)).as_list()


def test_input_spec_repr_and_config():
    spec = keras.layers.InputSpec(ndim=2, axes={-1: 3})
    assert repr(spec) == "InputSpec(ndim=2, axes={-1: 3})"
    config = spec.get_config()
    assert config["ndim"] == 2 and config["axes"] == {-1: 3}
    assert keras.layers.InputSpec.from_config(config).get_config() == config


class _SpecLayer(layers.Layer):
    def __init__(self, spec, **kwargs):
        super().__init__(**kwargs)
        self.input_spec = spec

    def call(self, inputs):
        return inputs


def test_input_spec_checks_messages():
    InputSpec = keras.layers.InputSpec
    with pytest.raises(ValueError, match=r'Input 0 of layer "l1" is incompatible with the '
                                         r'layer: expected ndim=3, found ndim=2'):
        _SpecLayer(InputSpec(ndim=3), name="l1")(tf.ones((2, 2)))
    with pytest.raises(ValueError, match="expected max_ndim=1, found ndim=2"):
        _SpecLayer(InputSpec(max_ndim=1))(tf.ones((2, 2)))
    with pytest.raises(ValueError, match="expected min_ndim=3, found ndim=2"):
        _SpecLayer(InputSpec(min_ndim=3))(tf.ones((2, 2)))
    with pytest.raises(ValueError, match=r"expected axis -1 of input shape to have value 3"):
        _SpecLayer(InputSpec(axes={-1: 3}))(tf.ones((2, 2)))
    with pytest.raises(ValueError, match=r"expected shape=\(None, 3\), found shape=\(2, 2\)"):
        _SpecLayer(InputSpec(shape=(None, 3)))(tf.ones((2, 2)))
    _SpecLayer(InputSpec(shape=(None, 2)))(tf.ones((5, 2)))


def test_input_spec_count_mismatch():
    InputSpec = keras.layers.InputSpec
    with pytest.raises(ValueError, match="expects 2 input"):
        _SpecLayer([InputSpec(ndim=2), InputSpec(ndim=2)])(tf.ones((2, 2)))


def test_input_spec_setter_rejects_non_spec():
    layer = layers.Layer()
    with pytest.raises(TypeError, match="must be an instance of InputSpec"):
        layer.input_spec = 3


def test_input_spec_optional_and_named_dict_inputs():
    InputSpec = keras.layers.InputSpec

    class TwoInputs(layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.input_spec = [InputSpec(ndim=2, name="a"), InputSpec(ndim=2, name="b",
                                                                      optional=True)]

        def call(self, inputs):
            return inputs["a"] if isinstance(inputs, dict) else inputs[0]

    layer = TwoInputs(name="two")
    layer([tf.ones((1, 2)), None])          # an optional input may be None
    layer({"b": tf.ones((1, 2)), "a": tf.ones((1, 2))})
    with pytest.raises(ValueError, match=r'Missing data for input "b". You passed a data '
                                         r"dictionary with keys \['a'\]"):
        layer({"a": tf.ones((1, 2))})
    with pytest.raises(TypeError, match="Inputs to a layer should be tensors"):
        layer([tf.ones((1, 2)), object()])
    with pytest.raises(ValueError, match='Layer "two" expects 2 input'):
        layer([tf.ones((1, 2))])


def test_input_spec_none_entries_skip_checks():
    class L(layers.Layer):
        def __init__(self):
            super().__init__()
            self.input_spec = [None, keras.layers.InputSpec(ndim=1)]

        def call(self, inputs):
            return inputs[1]

    L()(["not a tensor", tf.ones((3,))])


def test_only_mixed_policies_make_autocast_variables():
    class Inner(layers.Layer):
        def build(self, _):
            self.v = self.add_weight("v", (), initializer="ones")

        def call(self, x):
            return x

    seen = {}

    class Outer(layers.Layer):
        def __init__(self):
            super().__init__(dtype="mixed_float16")
            self.inner = Inner(dtype="float32")
            self.own = self.add_weight("own", (), initializer="ones")

        def call(self, x):
            self.inner(x)
            seen["inner_v"] = self.inner.v.dtype      # a plain float32 variable
            seen["own"] = self.own.dtype              # an autocast variable: compute dtype
            return x

    Outer()(tf.ones((1,)))
    assert seen == {"inner_v": tf.float32, "own": tf.float16}
