import pytest


@pytest.fixture(autouse=True)
def _fresh_keras_session():
    """Each test starts with fresh layer names and the default dtype policy."""
    import lamina as tf
    tf.keras.backend.clear_session()
    yield
    tf.keras.mixed_precision.set_global_policy(None)
    tf.keras.backend.clear_session()
