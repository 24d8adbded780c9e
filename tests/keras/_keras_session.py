"""Shared fixture of the Keras tests (not a conftest.py: the top-level conftest module name
must stay unique for `from conftest import ...` in the other test files)."""
import pytest


@pytest.fixture(autouse=True)
def fresh_keras_session():
    """(autouse once imported into a test module) Each test starts with fresh layer names and the default dtype policy."""
    import lamina as tf
    tf.keras.backend.clear_session()
    yield
    tf.keras.mixed_precision.set_global_policy(None)
    tf.keras.backend.clear_session()
