"""Verified restore: load a checkpoint into a live model through its framework, then read every value back.

``ckpt_doctor.restore`` is both this package and the function ``restore.verified.restore``. Importing a submodule
(``ckpt_doctor.restore.guard``) binds the package to ``ckpt_doctor.restore``, which would shadow the function; the
package is therefore callable and forwards to the function, so ``ckpt_doctor.restore(model, ckpt)`` works whichever
was imported first.
"""

import sys
import types


class _CallablePackage(types.ModuleType):
    def __call__(self, *args, **kwargs):
        from .verified import restore

        return restore(*args, **kwargs)


sys.modules[__name__].__class__ = _CallablePackage
