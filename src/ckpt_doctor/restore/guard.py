"""placeholder"""
from contextlib import contextmanager
@contextmanager
def suspended():
    yield
