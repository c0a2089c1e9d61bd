"""paused_gc: the collector is back on afterwards, garbage made while paused is still collected, and objects the
program froze itself stay frozen."""

import gc
import os
import subprocess
import sys
import weakref
from pathlib import Path

from ckpt_doctor._gc import paused_gc


class _Node:
    pass


def test_cycles_made_while_paused_are_still_collected():
    with paused_gc():
        assert not gc.isenabled()
        a, b = _Node(), _Node()
        a.other, b.other = b, a
        ref = weakref.ref(a)
        del a, b
    assert gc.isenabled() and gc.get_freeze_count() == 0
    assert ref() is not None  # a cycle: refcounting alone cannot free it
    gc.collect()
    assert ref() is None


_FROZEN = """
import gc
from ckpt_doctor._gc import paused_gc
keep = [object() for _ in range(10)]
gc.freeze()
frozen = gc.get_freeze_count()
with paused_gc():
    keep.append([])
assert gc.get_freeze_count() == frozen and gc.isenabled(), (gc.get_freeze_count(), frozen)
"""


def test_objects_the_program_froze_stay_frozen():
    # In a fresh interpreter: the freeze count is the process's, and another thread of the test process (a pool a
    # test left to finish) pausing the collector at the same moment would freeze objects of its own
    proc = subprocess.run([sys.executable, "-c", _FROZEN], capture_output=True, text=True, timeout=60,
                          env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1] / "src")})
    assert proc.returncode == 0, proc.stderr
