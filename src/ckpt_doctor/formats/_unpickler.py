"""An allow-list unpickler for PyTorch checkpoints. It never imports torch and never executes the file.

A pickle is a program: ``GLOBAL os system`` followed by ``REDUCE`` runs a shell command. This unpickler resolves
every global through one table, ``_ALLOWED``, of the few names a state dict or training checkpoint needs, each
mapped to a local stand-in (``_rebuild_tensor_v2`` builds a ``TensorRef`` describing the tensor, it does not
build a tensor). Any other global (``os.system``, ``builtins.eval``, ``torch._C...``, ``functools.partial``, ...)
raises ``UnsafePickleError`` naming it, before anything is called. There is no fallback to ``pickle``'s own
``find_class`` and no fallback to ``torch.load``.

The result is a tree of plain Python values (dict, OrderedDict, list, tuple, numbers, strings) with
``TensorRef`` leaves, each pointing at a ``StorageRef`` that the format reader resolves to bytes on disk.
"""

from __future__ import annotations

import copyreg
import io
import pickle
import struct
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..dtypes import ITEMSIZE as _ITEMSIZE
from ..dtypes import TORCH
from ..errors import CheckpointError, CorruptCheckpointError, UnsafePickleError, UnsupportedError

# Canonical dtype name -> bytes per element, for the dtypes PyTorch has.
ITEMSIZE = {name: _ITEMSIZE[name] for name in TORCH}
# Values of these dtypes are listed but cannot be turned into numpy arrays faithfully.
UNREADABLE_DTYPES = frozenset({"quint4x2", "quint2x4", "complex32", "float4_e2m1fn_x2", "bits8", "bits16", "bits1x8",
                               "bits2x4", "bits4x2"})

# Legacy typed storage classes (torch.FloatStorage, ...) -> element dtype. UntypedStorage holds bytes.
STORAGE_DTYPES = {
    "DoubleStorage": "float64", "FloatStorage": "float32", "HalfStorage": "float16", "BFloat16Storage": "bfloat16",
    "LongStorage": "int64", "IntStorage": "int32", "ShortStorage": "int16", "CharStorage": "int8",
    "ByteStorage": "uint8", "BoolStorage": "bool", "ComplexDoubleStorage": "complex128",
    "ComplexFloatStorage": "complex64", "QInt8Storage": "qint8", "QInt32Storage": "qint32", "QUInt8Storage": "quint8",
    "QUInt4x2Storage": "quint4x2", "QUInt2x4Storage": "quint2x4", "UntypedStorage": "uint8",
}

# torch.<name> dtype objects -> canonical dtype name (aliases included).
TORCH_DTYPES = {name: name for name in ITEMSIZE} | {
    "float": "float32", "double": "float64", "half": "float16", "long": "int64", "int": "int32", "short": "int16",
    "cfloat": "complex64", "cdouble": "complex128", "chalf": "complex32",
}


@dataclass(frozen=True)
class StorageRef:
    """One storage as named by a persistent id: ``key`` finds its bytes; ``dtype`` is how this reference sees them."""

    key: str
    dtype: str
    numel: int  # elements of ``dtype``
    location: str = "cpu"
    view_offset: int = 0  # legacy storage views: byte offset into the root storage ``key``

    @property
    def nbytes(self) -> int:
        return self.numel * ITEMSIZE[self.dtype]


@dataclass
class TensorRef:
    """A tensor as the pickle describes it: no data, just where its elements live."""

    storage: StorageRef | None  # None: a meta tensor (no data)
    offset: int  # in elements of ``dtype``
    shape: tuple[int, ...]
    stride: tuple[int, ...]
    dtype: str
    is_parameter: bool = False
    neg: bool = False
    conj: bool = False


class NumpyValue:
    """A numpy scalar or array found in a pickle: in a training checkpoint an opaque record (not a tensor); in a
    pickle of arrays (``numpy_npz``) the array, as its shape, dtype, memory order and raw bytes."""

    def __init__(self, *args: Any):
        self.dtype: _NumpyDType | None = None
        self.shape: tuple[int, ...] | None = None  # None: a scalar, or an array whose state never came
        self.fortran = False
        self.raw: bytes = b""

    def __setstate__(self, state: Any) -> None:
        # ndarray state: (version, shape, dtype, is_fortran, rawdata). An object array's rawdata is a list of
        # pickled Python objects: refuse it, as numpy's allow_pickle=False would.
        dtype = state[2] if isinstance(state, tuple) and len(state) == 5 else None
        if not isinstance(dtype, _NumpyDType) or dtype.kind == "O":
            raise UnsafePickleError("refusing numpy.core.multiarray._reconstruct of an object array (its elements are "
                                    "arbitrary pickled Python objects); nothing in the file was executed")
        self.dtype = dtype
        _, shape, _, fortran, raw = state
        if isinstance(raw, str):  # (a Python 2 pickle's bytes, read as text)
            raw = raw.encode("latin1")
        if isinstance(shape, tuple) and all(type(n) is int and n >= 0 for n in shape) and \
                isinstance(raw, bytes | bytearray):
            self.shape, self.fortran, self.raw = shape, bool(fortran), bytes(raw)


class OpaqueObject:
    """An object of a class a training checkpoint keeps beside its weights for the record (hyperparameters as
    omegaconf ``DictConfig``/``ListConfig``, ``argparse.Namespace``): a class of ours named after it, whatever the
    pickle hands it kept as plain data. None of the real class's code runs, as for every other stand-in here."""

    __slots__ = ("args", "state", "items")
    qualname = ""
    args: tuple
    state: Any
    items: list

    def __new__(cls, *args: Any) -> OpaqueObject:
        self = object.__new__(cls)
        self.args, self.state, self.items = args, None, []
        return self

    def __setstate__(self, state: Any) -> None:
        self.state = state

    def __setitem__(self, key: Any, value: Any) -> None:
        self.items.append((key, value))

    def append(self, value: Any) -> None:
        self.items.append(value)

    def extend(self, values: Any) -> None:
        self.items.extend(values)

    def __reduce__(self):
        raise TypeError("not picklable")

    def __repr__(self) -> str:
        return f"<{self.qualname}>"


# Hyperparameter containers (PyTorch Lightning's ``hyper_parameters``, Hydra configs): whole modules by prefix, and
# single classes. torch.load(weights_only=True) refuses them too; here they are inert records, never called.
_OPAQUE_MODULES = ("omegaconf.",)
_OPAQUE_CLASSES = frozenset({"argparse.Namespace", "types.SimpleNamespace",
                             # values a Lightning module's save_hyperparameters() keeps: a data directory, a date
                             *(f"pathlib.{c}" for c in ("Path", "PosixPath", "WindowsPath", "PurePath",
                                                        "PurePosixPath", "PureWindowsPath")),
                             *(f"datetime.{c}" for c in ("datetime", "date", "time", "timedelta", "timezone"))})
_OPAQUE_TYPES: dict[str, type] = {}


def _opaque_type(qualname: str) -> type:
    # NEWOBJ needs a real class; one per name, made here (a subclass of OpaqueObject, nothing of the file's).
    found = _OPAQUE_TYPES.get(qualname)
    if found is None:
        found = _OPAQUE_TYPES[qualname] = type(qualname.rpartition(".")[2], (OpaqueObject,),
                                               {"__slots__": (), "qualname": qualname})
    return found


def _defaultdict(factory: Any = None, *args: Any) -> dict:
    if args or not (factory is None or isinstance(factory, _Marker)):  # the factory is never called
        raise UnsafePickleError(f"refusing collections.defaultdict with factory {_describe(factory)}")
    return {}


class _NumpyDType:
    """numpy.dtype('f8', False, True) with its BUILD state: only plain fixed-width descriptors."""

    def __init__(self, descr: Any = None, align: Any = False, copy: Any = True):
        if not isinstance(descr, str) or len(descr) > 8 or not descr[:1].isalpha():
            raise UnsafePickleError(f"refusing numpy.dtype({descr!r}): only plain numeric dtypes are accepted")
        self.kind = descr[0]
        self.descr, self.order = descr, "="

    def __setstate__(self, state: Any) -> None:
        if not isinstance(state, tuple):
            raise CorruptCheckpointError("malformed numpy dtype state in pickle")
        if len(state) > 1 and state[1] in ("<", ">", "|", "="):  # (version, byte order, ...)
            self.order = state[1]


def _numpy_scalar(dtype: Any, data: Any = None) -> NumpyValue:
    if not isinstance(dtype, _NumpyDType) or dtype.kind in "OV" or not isinstance(data, bytes | bytearray | None):
        raise UnsafePickleError("refusing numpy.core.multiarray.scalar of a non-numeric dtype")
    return NumpyValue()


def _numpy_frombuffer(buf: Any, dtype: Any, shape: Any, order: Any) -> NumpyValue:
    """numpy's protocol-5 reduction of an array: its buffer (in band here), dtype, shape and memory order."""
    value = NumpyValue()
    raw = bytes(buf) if isinstance(buf, bytes | bytearray | memoryview) else None
    if raw is None or order not in ("C", "F") or not isinstance(shape, tuple):
        raise CorruptCheckpointError("malformed numpy array (protocol 5) in pickle")
    value.__setstate__((1, shape, dtype, order == "F", raw))
    return value


class _Marker:
    """A class or constant handed to the pickle as a value (storage class, dtype, tensor class): inert, immutable."""

    __slots__ = ("qualname", "dtype")

    def __init__(self, qualname: str, dtype: str = ""):
        self.qualname, self.dtype = qualname, dtype

    def __setstate__(self, state: Any) -> None:
        raise UnsafePickleError(f"pickle tries to modify the global {self.qualname}")

    def __reduce__(self):
        raise TypeError("not picklable")


class _StorageType(_Marker):
    __slots__ = ()


class _BuiltinType(_Marker):
    """A builtin type a pickle both passes around as a value (omegaconf's ``object_type: set``) and calls to build
    one (a ``set`` pickles as ``builtins.set`` called with a list: DeepSpeed's ``sparse_tensor_module_names``)."""

    __slots__ = ("fn",)

    def __init__(self, qualname: str, fn: Callable[..., Any]):
        super().__init__(qualname)
        self.fn = fn

    def __call__(self, *args: Any) -> Any:
        return self.fn(*args)


class _DType(_Marker):
    __slots__ = ()


class _TensorClass(_Marker):
    __slots__ = ()

    @property
    def parameter(self) -> bool:
        return self.qualname.endswith("Parameter")


def _ints(value: Any, what: str) -> tuple[int, ...]:
    if isinstance(value, list):
        value = tuple(value)
    if not isinstance(value, tuple) or len(value) > 64 or not all(type(v) is int and v >= 0 for v in value):
        raise CorruptCheckpointError(f"tensor {what} in the pickle is not a tuple of non-negative integers: "
                                     f"{str(value)[:80]}")
    return value


def _rebuild(storage: Any, offset: Any, size: Any, stride: Any, dtype: str | None = None,
             metadata: Any = None) -> TensorRef:
    if not isinstance(storage, StorageRef):
        raise CorruptCheckpointError(f"tensor is rebuilt from {type(storage).__name__}, not a storage")
    if type(offset) is not int or offset < 0:
        raise CorruptCheckpointError(f"tensor has storage offset {offset!r}")
    shape, strides = _ints(size, "size"), _ints(stride, "stride")
    if len(shape) != len(strides):
        raise CorruptCheckpointError(f"tensor has {len(shape)} dimensions but {len(strides)} strides")
    neg = conj = False
    if isinstance(metadata, dict):
        neg, conj = bool(metadata.get("neg")), bool(metadata.get("conj"))
    return TensorRef(storage, offset, shape, strides, dtype or storage.dtype, neg=neg, conj=conj)


def _rebuild_tensor(storage, storage_offset, size, stride):
    return _rebuild(storage, storage_offset, size, stride)


def _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad=False, backward_hooks=None,
                       metadata=None):
    return _rebuild(storage, storage_offset, size, stride, metadata=metadata)


def _rebuild_tensor_v3(storage, storage_offset, size, stride, requires_grad, backward_hooks, dtype, metadata=None):
    if not isinstance(dtype, _DType):
        raise CorruptCheckpointError(f"tensor dtype in the pickle is {type(dtype).__name__}, not a torch dtype")
    return _rebuild(storage, storage_offset, size, stride, dtype.dtype, metadata)


def _rebuild_parameter(data, requires_grad=True, backward_hooks=None, state=None):
    if not isinstance(data, TensorRef):
        raise CorruptCheckpointError(f"Parameter wraps {type(data).__name__}, not a tensor")
    data.is_parameter = True
    return data


def _rebuild_meta_tensor_no_storage(dtype, size, stride, requires_grad=False):
    if not isinstance(dtype, _DType):
        raise CorruptCheckpointError("meta tensor without a torch dtype")
    return TensorRef(None, 0, _ints(size, "size"), _ints(stride, "stride"), dtype.dtype)


_REBUILDERS = (_rebuild_tensor, _rebuild_tensor_v2, _rebuild_tensor_v3, _rebuild_parameter,
               _rebuild_meta_tensor_no_storage)


def _rebuild_from_type_v2(func, new_type, args, state):
    # Tensor subclasses and tensors with Python attributes: func(*args) rebuilds the tensor, new_type is its class.
    if not isinstance(func, _Global) or func.fn not in _REBUILDERS:
        raise UnsafePickleError(f"torch._tensor._rebuild_from_type_v2 asked to call {_describe(func)}")
    if not isinstance(new_type, _TensorClass):
        raise UnsafePickleError(f"torch._tensor._rebuild_from_type_v2 asked for class {_describe(new_type)}")
    if not isinstance(args, tuple):
        raise CorruptCheckpointError("malformed _rebuild_from_type_v2 arguments")
    ref = func(*args)
    if new_type.parameter and isinstance(ref, TensorRef):
        ref.is_parameter = True
    return ref


def _unsupported(qualname: str, what: str) -> Callable[..., Any]:
    def refuse(*args: Any) -> Any:
        raise UnsupportedError(f"{what} ({qualname}) cannot be read")

    return refuse


def _encode(text: Any, encoding: Any = "latin1") -> bytes:
    # Protocol-2 pickles store bytes as _codecs.encode(str, "latin1").
    if not isinstance(text, str) or encoding not in ("latin1", "latin-1"):
        raise UnsafePickleError(f"refusing _codecs.encode with encoding {encoding!r}")
    return text.encode("latin1")


def _bytearray(data: Any = b"") -> bytearray:
    if not isinstance(data, bytes | bytearray | list):  # bytearray(10**12) would allocate a terabyte
        raise UnsafePickleError("refusing builtins.bytearray of a non-bytes argument")
    return bytearray(data)


def _device(kind: Any, index: Any = None) -> str:
    if not isinstance(kind, str) or not (index is None or type(index) is int):
        raise CorruptCheckpointError("malformed torch.device in pickle")
    return kind if index is None else f"{kind}:{index}"


def _size(dims: Any = ()) -> tuple[int, ...]:
    return _ints(dims, "torch.Size")


def _allowed() -> dict[str, Any]:
    table: dict[str, Any] = {
        "collections.OrderedDict": OrderedDict,
        "builtins.set": set,
        "builtins.frozenset": frozenset,
        "builtins.complex": complex,
        "builtins.bytearray": _bytearray,
        "_codecs.encode": _encode,
        "torch.Size": _size,
        "torch.device": _device,
        "torch._utils._rebuild_tensor": _rebuild_tensor,
        "torch._utils._rebuild_tensor_v2": _rebuild_tensor_v2,
        "torch._utils._rebuild_tensor_v3": _rebuild_tensor_v3,
        "torch._utils._rebuild_parameter": _rebuild_parameter,
        "torch._utils._rebuild_parameter_with_state": _rebuild_parameter,
        "torch._utils._rebuild_meta_tensor_no_storage": _rebuild_meta_tensor_no_storage,
        "torch._tensor._rebuild_from_type_v2": _rebuild_from_type_v2,
        "torch.Tensor": _TensorClass("torch.Tensor"),
        "torch._tensor.Tensor": _TensorClass("torch._tensor.Tensor"),
        "torch.nn.parameter.Parameter": _TensorClass("torch.nn.parameter.Parameter"),
        "torch.nn.Parameter": _TensorClass("torch.nn.Parameter"),
    }
    for name, dtype in STORAGE_DTYPES.items():
        for module in ("torch", "torch.cuda", "torch.storage"):
            table[f"{module}.{name}"] = _StorageType(f"{module}.{name}", dtype)
    for name, dtype in TORCH_DTYPES.items():
        table[f"torch.{name}"] = _DType(f"torch.{name}", dtype)
    for module in ("numpy.core.multiarray", "numpy._core.multiarray"):
        table[f"{module}.scalar"] = _numpy_scalar
        table[f"{module}._reconstruct"] = NumpyValue
    for module in ("numpy.core.numeric", "numpy._core.numeric"):  # an array pickled with protocol 5
        table[f"{module}._frombuffer"] = _numpy_frombuffer
    table["numpy.dtype"] = _NumpyDType
    table["numpy.ndarray"] = _Marker("numpy.ndarray")
    # Types handed around as values by hyperparameter containers (omegaconf's metadata: ``object_type: list``).
    for name in ("list", "dict", "tuple", "set", "int", "long", "float", "str", "bytes", "bool", "object"):
        made = table.get(f"builtins.{name}")
        table[f"builtins.{name}"] = _Marker(f"builtins.{name}") if made is None else _BuiltinType(f"builtins.{name}",
                                                                                                   made)
    table["typing.Any"] = _Marker("typing.Any")
    table["collections.defaultdict"] = _defaultdict
    for fn, what in (("_rebuild_qtensor", "a quantized tensor"), ("_rebuild_sparse_tensor", "a sparse tensor"),
                     ("_rebuild_sparse_csr_tensor", "a sparse tensor"), ("_rebuild_nested_tensor", "a nested tensor"),
                     ("_rebuild_wrapper_subclass", "a tensor subclass"),
                     ("_rebuild_device_tensor_from_numpy", "a device tensor"),
                     ("_rebuild_device_tensor_from_cpu_tensor", "a device tensor"),
                     ("_rebuild_xla_tensor", "an XLA tensor"), ("_rebuild_mtia_tensor", "an MTIA tensor")):
        table[f"torch._utils.{fn}"] = _unsupported(f"torch._utils.{fn}", what)
    return {qualname: _Global(qualname, value) for qualname, value in table.items()}


class _Global:
    """What ``find_class`` hands the pickle: callable, but never a real class or function it could modify."""

    __slots__ = ("qualname", "fn")

    def __init__(self, qualname: str, fn: Any):
        self.qualname, self.fn = qualname, fn

    def __call__(self, *args: Any) -> Any:
        if not callable(self.fn):
            raise UnsafePickleError(f"pickle calls {self.qualname}, which is not callable")
        return self.fn(*args)

    def __setstate__(self, state: Any) -> None:
        raise UnsafePickleError(f"pickle tries to modify the global {self.qualname}")

    def __reduce__(self):
        raise TypeError("not picklable")


def _describe(obj: Any) -> str:
    return obj.qualname if isinstance(obj, _Global) else type(obj).__name__


_ALLOWED = _allowed()
_DISTRIBUTED = (
    "a state dict of sharded tensors ({qualname}: FSDP2 or tensor parallelism, saved with torch.save): each holds "
    "one rank's shard inside objects ckpt-doctor does not build (nothing in the file was executed). Save the full "
    "state dict instead, on every rank: from torch.distributed.checkpoint.state_dict import get_model_state_dict, "
    "StateDictOptions; state = get_model_state_dict(model, options=StateDictOptions(full_state_dict=True, "
    "cpu_offload=True)), then torch.save(state, 'state_dict.pt') on rank 0; or save with "
    "torch.distributed.checkpoint (DCP), which ckpt-doctor reads")
_PY2_MODULES = {"__builtin__": "builtins", "copy_reg": "copyreg"}


class _RestrictedUnpickler(pickle.Unpickler):
    def __init__(self, file: Any, persistent_load: Callable[[Any], Any] | None):
        super().__init__(file, encoding="utf-8")
        self._persistent = persistent_load
        self.opaque: set[str] = set()  # the OpaqueObject classes and numpy globals the pickle asked for
        self.refused: str | None = None  # the global refused, if one was

    def find_class(self, module: str, name: str) -> Any:
        module = _PY2_MODULES.get(module, module)
        qualname = f"{module}.{name}"
        found = _ALLOWED.get(qualname)
        if module.split(".", 1)[0] == "numpy":  # torch.load(weights_only=True) allows no numpy global
            self.opaque.add(qualname)
        if found is None and (qualname in _OPAQUE_CLASSES or module.startswith(_OPAQUE_MODULES)):
            self.opaque.add(qualname)
            return _opaque_type(qualname)
        if found is None:
            self.refused = qualname
            if module.startswith("torch.distributed."):  # a DTensor (FSDP2, tensor parallel), a ShardedTensor
                raise UnsafePickleError(_DISTRIBUTED.format(qualname=qualname))
            raise UnsafePickleError(f"refusing to unpickle global {qualname}: not on the allow-list of what a state "
                                    "dict needs (nothing in the file was executed)")
        value = found.fn
        # Types, dtypes and storage classes are handed out as themselves: the pickle only passes them around.
        return value if isinstance(value, _Marker) else found

    def persistent_load(self, pid: Any) -> Any:
        if self._persistent is None:
            raise CorruptCheckpointError("pickle refers to external data (persistent id) where none is expected")
        return self._persistent(pid)


def storage_type(value: Any) -> str:
    """The element dtype of a storage class named in a persistent id (raises for anything else)."""
    if isinstance(value, _StorageType):
        return value.dtype
    raise CorruptCheckpointError(f"persistent id names {type(value).__name__} where a storage class belongs")


def load(file: Any, *, path: str, persistent_load: Callable[[Any], Any] | None = None,
         opaque: set[str] | None = None) -> Any:
    """Unpickle one object from ``file`` with the allow-list; every failure is a CheckpointError naming ``path``.
    ``opaque`` collects the names of the classes read as ``OpaqueObject`` records and of the numpy globals used:
    what torch.load(weights_only=True) refuses."""
    unpickler = None
    try:
        start = file.tell()
        if copyreg._inverted_registry:  # type: ignore[attr-defined]
            _refuse_extensions(file)
        _check_memo(file)
        unpickler = _RestrictedUnpickler(file, persistent_load)
        obj = unpickler.load()
        if opaque is not None:
            opaque.update(unpickler.opaque)
        return obj
    except UnsafePickleError as e:
        if unpickler is not None and unpickler.refused and _names_torch_modules(file, start):
            where, root, records = _whole_model_path(file, start, persistent_load, unpickler.refused)
            packages = {"torch", unpickler.refused.split(".", 1)[0]}  # the model's code and torch.nn, nothing else
            if where.startswith(_HYPERPARAMETERS) and all(r.split(".", 1)[0] in packages for r in records):
                if opaque is not None:  # Lightning's save_hyperparameters() of a module argument, beside the
                    opaque.update(records)  # state dict: kept as a record, as omegaconf configs are
                return root
            inside = f", under {where}" if where else ""
            e.message = (f"a whole model pickled with torch.save(model) (class {unpickler.refused}{inside}), not a "
                         "state dict: its classes are code, which ckpt-doctor does not run (nothing in the file was "
                         f"executed). Its weights as a file ckpt-doctor reads, where {unpickler.refused} can be "
                         "imported (torch.load then runs the file's code: only for a file you trust): "
                         f"import torch; torch.save(torch.load({path!r}, weights_only=False){where}.state_dict(), "
                         "'state_dict.pt')")
        if e.path is None:
            e.path = path
        raise
    except CheckpointError as e:
        if e.path is None:
            e.path = path
        raise
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError, IndexError, KeyError,
            struct.error, OverflowError, RecursionError, MemoryError, UnicodeDecodeError) as e:
        raise CorruptCheckpointError(f"malformed pickle: {type(e).__name__}: {e}", path=path) from None


# A model pickled here is a LightningModule's constructor argument that save_hyperparameters() kept (Lightning warns
# and saves it); the module's weights are in the checkpoint's state_dict.
_HYPERPARAMETERS = "['hyper_parameters']"


class _LocatingUnpickler(_RestrictedUnpickler):
    """A second pass over a pickle the allow-list refused: every global it refuses becomes an inert record instead
    (``OpaqueObject``: nothing of the file's runs), to find where the pickled model sits."""

    def find_class(self, module: str, name: str) -> Any:
        try:
            return super().find_class(module, name)
        except UnsafePickleError:
            qualname = f"{_PY2_MODULES.get(module, module)}.{name}"
            self.opaque.add(qualname)
            return _opaque_type(qualname)


def _whole_model_path(file: Any, start: int, persistent_load: Callable[[Any], Any] | None,
                      qualname: str) -> tuple[str, Any, set[str]]:
    """Where in the checkpoint the first object of class ``qualname`` sits, as indexing (``['model']``; "" for the
    whole object, or when it cannot be told), the object read with the refused globals as records, and their
    names."""
    try:
        file.seek(start)
        locating = _LocatingUnpickler(file, persistent_load)
        root = locating.load()
    except Exception:  # noqa: BLE001 (a best effort for a message: the refusal stands either way)
        return "", None, set()
    from collections import deque

    todo: deque[tuple[Any, str]] = deque([(root, "")])
    seen: set[int] = set()
    while todo and len(seen) < 100_000:
        node, where = todo.popleft()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, OpaqueObject):
            if node.qualname == qualname:
                return where, root, locating.opaque
            continue
        if isinstance(node, dict):
            todo.extend((v, f"{where}[{k!r}]") for k, v in node.items() if isinstance(k, str | int))
        elif isinstance(node, list | tuple):
            todo.extend((v, f"{where}[{i}]") for i, v in enumerate(node))
    return "", root, locating.opaque


def _names_torch_modules(file: Any, start: int) -> bool:
    """Whether the pickle from ``start`` names a class of ``torch.nn.modules`` (a pickled ``nn.Module``); only
    its opcodes are read, nothing is built."""
    import pickletools

    try:
        file.seek(start)
        for op, arg, _ in pickletools.genops(file):
            if isinstance(arg, str) and arg.startswith("torch.nn.modules."):  # GLOBAL's "module name", or
                return True  # the module string STACK_GLOBAL takes (protocol 4+)
            if op.name == "STOP":
                break
    except (ValueError, OSError, EOFError, UnicodeDecodeError, pickle.UnpicklingError):
        pass
    return False


def _opcode_steps() -> tuple[list[int], dict[int, int]]:
    """Per opcode byte: bytes it occupies when that is fixed (0 otherwise), and the length-prefix size of the
    opcodes whose argument is length-prefixed."""
    import pickletools

    prefix = {pickletools.TAKEN_FROM_ARGUMENT1: 1, pickletools.TAKEN_FROM_ARGUMENT4: 4,
              pickletools.TAKEN_FROM_ARGUMENT4U: 4, pickletools.TAKEN_FROM_ARGUMENT8U: 8}
    steps, prefixed = [0] * 256, {}
    for op in pickletools.opcodes:
        code, arg = ord(op.code), op.arg
        if arg is None:
            steps[code] = 1
        elif arg.n >= 0:
            steps[code] = 1 + arg.n
        elif arg.n in prefix:
            prefixed[code] = prefix[arg.n]
    for code in (_BINPUT, _LONG_BINPUT, _MEMOIZE, _STOP):  # looked at, not just stepped over
        steps[code] = 0
    return steps, prefixed


_PUT, _BINPUT, _LONG_BINPUT, _MEMOIZE, _STOP, _LONG4 = ord("p"), ord("q"), ord("r"), 0x94, ord("."), 0x8B
_STEPS, _PREFIXED = _opcode_steps()
_LINE_OPCODES = frozenset(b"cpgIFLSVPi")  # text-protocol opcodes: arguments end in \n
_TWO_LINES = frozenset(b"ci")  # GLOBAL and INST: module and name, a line each
_SCAN_CHUNK = 1 << 20


def _check_memo(file: Any) -> None:
    """Refuse memo indices the pickle could not have produced, before CPython's unpickler sees them.

    The C unpickler grows its memo table to twice the largest index stored (PUT/BINPUT/LONG_BINPUT), zero-filled:
    a 10-byte pickle naming index 2**32 costs 64 GiB. A pickler numbers memo entries 0, 1, 2, ..., so an index
    is below the number of memo stores in the pickle; anything much larger is refused. One pass over the opcodes
    (stepping over their arguments), streaming; the file position is restored afterwards.
    """
    start = file.tell()
    size = file.seek(0, io.SEEK_END)
    steps, prefixed = _STEPS, _PREFIXED
    stores = largest = 0
    base, chunk = start, 1 << 14  # small first: a pickle followed by tensor data (legacy .pt) is read no further
    while True:
        file.seek(base)
        buf = file.read(chunk)
        final = len(buf) < chunk
        chunk = min(2 * chunk, _SCAN_CHUNK)
        if final:
            buf += bytes(16)  # zero is no opcode: the scan stops there, and fixed-size reads need no bounds checks
        limit, pos, done = len(buf) - 16, 0, final
        while pos < limit:
            op = buf[pos]
            step = steps[op]
            if step:
                pos += step
            elif op == _LONG_BINPUT:
                stores += 1
                largest = max(largest, int.from_bytes(buf[pos + 1:pos + 5], "little"))
                pos += 5
            elif op == _BINPUT:
                stores += 1
                pos += 2
            elif op == _MEMOIZE:
                stores += 1
                pos += 1
            elif op in prefixed:
                n = prefixed[op]
                length = int.from_bytes(buf[pos + 1:pos + 1 + n], "little", signed=op == _LONG4)
                if length < 0:
                    done = True
                    break
                if base + pos + length > size:  # (and an lseek there may fail with EINVAL)
                    raise CorruptCheckpointError(f"pickle opcode at byte {base + pos} claims {length} bytes, past "
                                                 f"the file's end (byte {size}): truncated or corrupt")
                pos += 1 + n + length
            elif op in _LINE_OPCODES:
                end = buf.find(b"\n", pos + 1, limit)
                if end > 0 and op in _TWO_LINES:
                    end = buf.find(b"\n", end + 1, limit)
                if end < 0:
                    if pos == 0:  # a line longer than the chunk: read a larger one
                        chunk = 2 * len(buf)
                    break  # the next chunk starts at this opcode
                if op == _PUT:
                    stores += 1
                    digits = buf[pos + 1:end].strip()
                    largest = max(largest, int(digits) if digits.isdigit() and len(digits) < 20 else 1 << 64)
                pos = end + 1
            else:  # STOP, or not an opcode (the unpickler will say so)
                done = True
                break
        if done:
            break
        base += pos
    file.seek(start)
    if largest > 2 * stores + 256:
        raise CorruptCheckpointError(f"pickle stores memo entry {largest} but makes only {stores} memo entries: "
                                     "refusing (the unpickler would allocate memory for every index below it)")


def _refuse_extensions(file: Any) -> None:
    # EXT1/2/4 opcodes resolve through copyreg's process-wide registry, and a cached entry would bypass
    # find_class. The registry is empty unless someone registered codes, in which case scan the opcodes first.
    import pickletools

    start = file.tell()
    for op, _, _ in pickletools.genops(file):
        if op.name.startswith("EXT"):
            raise UnsafePickleError("refusing a pickle that uses copyreg extension codes (EXT opcodes)")
    file.seek(start)


class BoundedReader(io.RawIOBase):
    """A file object that never reads past ``end``: a pickle's length fields cannot make reads allocate more than
    the file holds."""

    def __init__(self, f: Any, end: int):
        self._f, self._end = f, end

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._f.tell()

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        return self._f.seek(offset, whence)

    def read(self, n: int = -1) -> bytes:
        room = max(0, self._end - self._f.tell())
        return self._f.read(room if n is None or n < 0 else min(n, room))

    def readinto(self, b: Any) -> int:
        room = max(0, self._end - self._f.tell())
        return self._f.readinto(memoryview(b)[:room])

    def readline(self, size: int | None = -1) -> bytes:
        room = max(0, self._end - self._f.tell())
        return self._f.readline(room if size is None or size < 0 else min(size, room))

    def peek(self, n: int = 0) -> bytes:
        room = max(0, self._end - self._f.tell())
        return self._f.peek(n)[:room]
