"""Putting a model's expectation next to a checkpoint's content."""

from .compare import Diagnosis as Diagnosis
from .compare import compare as compare
