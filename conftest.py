"""Test configuration shared by the test suite and the doctests.

Strict dtype promotion catches any implicit float/int mixing inside the library.
"""

import jax
import pytest

jax.config.update("jax_numpy_dtype_promotion", "strict")


@pytest.fixture(autouse=True)
def _doctest_names(doctest_namespace):
    import jaxdecay

    doctest_namespace["jd"] = jaxdecay
    for name in jaxdecay.__all__:
        doctest_namespace[name] = getattr(jaxdecay, name)
