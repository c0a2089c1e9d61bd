"""Verified restore (``verified``, ``check``, ``guard``) and repaired checkpoints (``rewrite``): loading a
checkpoint into a live model through its framework and proving every value arrived, or writing a renamed copy.

``ckpt_doctor.restore`` is the function ``restore.verified.restore``; the package keeps it from being shadowed
when a submodule such as ``ckpt_doctor.restore.guard`` is imported (see ``ckpt_doctor._Package``).
"""
