"""ckpt-doctor: read, verify and diagnose checkpoints without importing their frameworks."""

from .api import align as align, diagnose as diagnose
from .catalog import Catalog as Catalog, TensorInfo as TensorInfo
from .errors import (
    CheckpointError as CheckpointError,
    CheckpointNotFoundError as CheckpointNotFoundError,
    ChecksumError as ChecksumError,
    CorruptCheckpointError as CorruptCheckpointError,
    MissingShardError as MissingShardError,
    ModelError as ModelError,
    TensorNotFoundError as TensorNotFoundError,
    UnsupportedError as UnsupportedError,
)
from .formats import open_checkpoint as open_checkpoint
from .formats.discovery import discover as discover, latest_checkpoint as latest_checkpoint
from .match.align import Alignment as Alignment
from .match.compare import Diagnosis as Diagnosis
from .match.rules import Drop, Prefix, Regex, Rename, Renumber, RuleError as RuleError, Rules as Rules, Transform
from .model import ModelSpec as ModelSpec, VariableSpec as VariableSpec, load_model as load_model
from .verify import verify as verify

__version__ = "0.1.0"

__all__ = [
    "Catalog", "TensorInfo", "open_checkpoint", "latest_checkpoint", "discover", "verify", "diagnose",
    "Diagnosis", "ModelSpec", "VariableSpec", "load_model", "ModelError", "align", "Alignment", "Rules",
    "RuleError", "Prefix", "Regex", "Rename", "Renumber", "Drop", "Transform",
    "CheckpointError", "CheckpointNotFoundError", "ChecksumError", "CorruptCheckpointError",
    "MissingShardError", "TensorNotFoundError", "UnsupportedError",
]
