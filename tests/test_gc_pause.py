"""paused_gc: the collector is back on afterwards, garbage made while paused is still collected, and objects the
program froze itself stay frozen."""

import gc
import weakref

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


def test_objects_the_program_froze_stay_frozen():
    keep = [_Node() for _ in range(10)]
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        with paused_gc():
            keep.append(_Node())
        assert gc.get_freeze_count() == frozen and gc.isenabled()
    finally:
        gc.unfreeze()
