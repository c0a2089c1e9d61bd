"""What a model expects: an ordered list of variables with names, shapes and dtypes (a ``ModelSpec``)."""

from .load import load_model as load_model
from .spec import ModelSpec as ModelSpec
from .spec import VariableSpec as VariableSpec
