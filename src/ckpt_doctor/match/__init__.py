"""Putting a model's expectation next to a checkpoint's content."""

from .compare import Diagnosis as Diagnosis, compare as compare
