"""Command line: a thin layer over the public API. Exit codes: 0 ok, 1 problem found, 2 usage error or unreadable
input (``CheckpointError.exit_code``; verify reports damage as its finding, 1), 3 internal
error (any exception that is not a CheckpointError: one line, the traceback with CKPT_DOCTOR_DEBUG=1)."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import signal
import sys
from typing import TYPE_CHECKING, Any

from . import __version__
from ._files import atomic_write_text, local_output
from .dtypes import OPAQUE
from .errors import CheckpointError, CheckpointNotFoundError, NotACheckpointError, UsageError
from .formats.registry import WRITABLE
from .model.loaders import LOADERS, check_applies

if TYPE_CHECKING:
    from .match.align import Alignment

EXIT_OK, EXIT_PROBLEM, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3


def _inspect(args) -> int:
    from . import open_checkpoint
    from .report.inspect import render, tensor_stats

    catalog = open_checkpoint(args.path, **_options(args))
    stats, values = {}, {}
    if args.stats and not args.values:
        from ._parallel import ordered_map

        computed = ordered_map(lambda info: None if info.dtype in OPAQUE else tensor_stats(info.read()),
                               catalog.values(), args.jobs)
        stats = dict(zip(catalog, computed, strict=False))
    elif args.stats or args.values:
        for name, info in catalog.items():
            if info.dtype in OPAQUE:
                stats[name] = None
                continue
            value = info.read()
            stats[name] = tensor_stats(value) if args.stats else None
            if args.values:
                values[name] = value
    if args.json:
        out = catalog.to_json()
        if args.stats:
            for t in out["tensors"]:
                t["stats"] = stats[t["name"]]
        if args.values:
            for t in out["tensors"]:
                v = values.get(t["name"])
                if v is None:
                    t["value"] = None
                    continue
                t["value"] = [x.decode("utf-8", "backslashreplace") for x in v.reshape(-1)] if v.dtype == object \
                    else v.astype(float).tolist() if v.dtype.kind not in "iub" else v.tolist()
        _print_json(out)
    else:
        print(render(catalog, max_depth=args.depth, stats=stats, values=values))
    return EXIT_OK


def _latest(args) -> int:
    from . import discover
    from .formats import _io

    args.directory = _io.local_path(args.directory)
    if _io.is_url(args.directory):  # discovery lists a local directory; the other verbs open a URL's checkpoint
        raise UsageError("latest looks in a local directory; over URLs, name the directory or checkpoint to the "
                         "other commands (inspect, verify, diagnose open a remote directory's checkpoint: its "
                         "safetensors index, the TF state file's latest, or its one file)", path=args.directory)
    if not os.path.isdir(args.directory):
        raise CheckpointNotFoundError(f"no such directory{_nearest_directory(args.directory)}"
                                      if not os.path.exists(args.directory) else
                                      "not a directory (latest looks for checkpoints in a directory)",
                                      path=args.directory)
    found = discover(args.directory)
    problem = None if found.latest else f"no complete TensorFlow checkpoint in {found.directory}{_latest_hint(found)}"
    if args.json:  # (what the text says on stderr is in the JSON too)
        _print_json({"directory": found.directory, "latest": found.latest, "state_file": found.state_file,
                     "checkpoints": [{"prefix": f.prefix, "format": f.format, "step": f.step,
                                      "complete": f.complete, "missing_files": f.missing_files}
                                     for f in found.checkpoints],
                     "notes": found.notes, **({"error": problem} if problem else {})})
    else:
        for note in found.notes:
            print(f"note: {note}", file=sys.stderr)
        if found.latest:
            print(found.latest)
        if problem:
            print(f"Error: {problem}", file=sys.stderr)
    return EXIT_PROBLEM if problem else EXIT_OK


def _latest_hint(found) -> str:
    """Where a directory without a TF checkpoint holds something else: what it holds and how to read it."""
    from .formats import _checkpoints_below, _other_in_directory

    try:
        other = _other_in_directory(found.directory)
        held = os.path.basename(other) if other else ""
    except CheckpointNotFoundError as e:  # several files of other formats: latest tracks none of them
        other, held = os.path.join(found.directory, "NAME"), e.message.split("name one: ", 1)[-1]
    hint = (f"; it holds {held}, which latest does not track (TF checkpoints only): "
            f"ckpt-doctor inspect {other}") if other else ""
    if os.path.isfile(os.path.join(found.directory, ".metadata")):
        hint = (f"; it is a PyTorch distributed checkpoint (DCP), which latest does not track (TF checkpoints "
                f"only): ckpt-doctor inspect {found.directory}")
    elif not other and not found.checkpoints:
        below = _checkpoints_below(found.directory)
        hint = f"; {below}" if below else ""
    saved_model = os.path.join(found.directory, "variables", "variables")
    if os.path.isfile(saved_model + ".index") and os.path.isfile(os.path.join(found.directory, "saved_model.pb")):
        hint = f"; it is a SavedModel, whose checkpoint is {saved_model} (no state file tracks it)"
    return hint


def _verify(args) -> int:
    from . import open_checkpoint
    from .verify import verify

    for out in (args.manifest, args.salvage):  # a URL is refused before the whole checkpoint is read, not after
        if out:
            local_output(out)
    target: Any = args.path
    if args.subtree:
        try:
            target = open_checkpoint(args.path, **_options(args))
        except CheckpointError as e:  # a file that cannot be opened is verify's finding (exit 1), reported below
            if isinstance(e, UsageError | NotACheckpointError):
                raise
    report = verify(target, jobs=args.jobs, manifest=bool(args.manifest), against=args.against)
    if args.manifest and report.manifest is not None:
        atomic_write_text(args.manifest, json.dumps(report.manifest_json(), indent=1) + "\n")
    salvaged = None
    if args.salvage:
        from . import salvage

        salvaged = salvage(args.path, args.salvage, to=args.to, overwrite=args.force, report=report)
    if args.json:
        doc = report.to_json()
        if salvaged is not None:
            doc["salvaged"] = salvaged.to_json()
        _print_json(doc)
    else:
        for p in report.problems:
            where = " ".join(x for x in (f"tensor {p.tensor!r}" if p.tensor else "",
                                         f"in {p.file}" if p.file else "") if x)
            label = {"unsupported": "UNSUPPORTED", "differs from manifest": "DIFFERS",
                     "unreadable": "UNREADABLE", "changed while read": "CHANGED"}.get(p.kind, "CORRUPT")
            kind = "" if label.lower() == p.kind else f" ({p.kind})"  # not "UNSUPPORTED (unsupported)"
            print(f"{label}{kind}  {where}: {p.message} [{p.error}]")
        if report.problems and report.intact:
            shown = ", ".join(report.intact[:20]) + (f" ... ({len(report.intact) - 20} more)"
                                                     if len(report.intact) > 20 else "")
            print(f"intact: {len(report.intact)} tensor(s): {shown}")
        print(report.summary())
        if args.manifest and report.manifest is not None:
            print(f"wrote the content manifest of {len(report.manifest)} tensor(s) to {args.manifest}",
                  file=sys.stderr)
        if salvaged is not None:
            print(f"salvaged: {salvaged.render(verbose=True)}")  # nothing renamed; the drops are the damage
    return EXIT_OK if report.ok else EXIT_PROBLEM


def _diagnose(args) -> int:
    from . import diagnose
    from .report.diagnose import render

    result = diagnose(_checkpoint(args), args.model, root=args.root, rules=args.rules, load_with=args.load_with)
    why = None
    if not result.ok and not args.rules:
        from .match.align import align

        why = align(result.checkpoint, result.model, result, prefer_names=args.prefer_names)
    error = None
    if args.fix_out and why is not None:
        error = _write_fix(args.fix_out, why)
    elif args.fix_out:  # (no alignment where nothing needs fixing, or where --rules checks a fix instead)
        error = f"Error: no fix written to {args.fix_out}: " + (
            "the model loads the checkpoint as it is" if result.ok else "with --rules, diagnose checks those rules")
    if args.json:
        doc = result.to_json()
        if why is not None:
            doc["alignment"] = _alignment_json(why)
        _print_json(doc)
    else:
        print(render(result, why))
    if error:
        print(error, file=sys.stderr)
        return EXIT_USAGE
    return EXIT_OK if result.ok else EXIT_PROBLEM


def _alignment_json(result) -> dict:
    """The alignment as JSON, with the fix ``{"framework", "code"}`` where a fix is printed."""
    from .report.align import fix_code, needs_fix

    doc = result.to_json()
    if needs_fix(result):
        framework, code = fix_code(result)
        doc["fix"] = {"framework": framework, "code": code}
    return doc


def _write_fix(path: str, result: Alignment) -> str | None:
    """--fix-out: the printed fix's code, as it runs (not indented), written atomically; the error to print, if any
    (the report is printed either way)."""
    from .report.align import fix_code, needs_fix

    if not needs_fix(result):
        return f"Error: no fix written to {path}: nothing to rename or assign (see the report)"
    try:
        atomic_write_text(path, fix_code(result)[1] + "\n")
    except UsageError as e:
        return f"Error: {e.message}"
    return None


def _align(args) -> int:
    from . import align
    from .report.align import render

    result = align(_checkpoint(args), args.model, root=args.root, load_with=args.load_with,
                   prefer_names=args.prefer_names)
    saved, error = False, None
    if args.output:
        try:
            result.rules.save(args.output)
            saved = True
        except UsageError as e:  # still print the analysis, then say why the file is not there
            error = f"Error: {e.message}"
        except OSError as e:
            error = f"Error: cannot write {args.output}: {e.strerror or e}"
    if args.fix_out and not error:
        error = _write_fix(args.fix_out, result)
    if args.json:
        _print_json(_alignment_json(result))
    else:
        print(render(result, rules_path=args.output if saved else None))
    if error:
        print(error, file=sys.stderr)
        return EXIT_USAGE
    if args.rewrite:
        return _align_rewrite(args, result)
    return EXIT_OK if result.complete else EXIT_PROBLEM


def _rewrite(args) -> int:
    from . import rewrite

    result = rewrite(_checkpoint(args), args.rules, args.output, to=args.to, overwrite=args.force,
                     dry_run=args.dry_run, namespace=args.namespace, name_based=args.name_based,
                     max_shard_bytes=args.max_shard_bytes)
    if args.json:
        _print_json(result.to_json())
    else:
        print(result.render(verbose=True if args.verbose else None))
    return EXIT_OK


def _align_rewrite(args, result) -> int:
    """align --rewrite OUT: write the checkpoint repaired by the rules just inferred."""
    if _same_file(args.rewrite, args.checkpoint):  # (said first: the commands suggested below would be refused too)
        print(f"Error: not rewriting {args.checkpoint}: --rewrite {args.rewrite} would replace the input checkpoint; "
              "write somewhere else", file=sys.stderr)
        return EXIT_USAGE
    if not result.complete:
        print(f"Error: not rewriting {args.checkpoint}: the alignment is incomplete (see above): "
              f"{len(result.missing)} model variable(s) without a partner, {len(result.ambiguous)} ambiguous"
              f"{_rewrite_anyway(args, result)}", file=sys.stderr)
        return EXIT_PROBLEM
    from .restore.rewrite import rewrite_aligned

    fixed = rewrite_aligned(result, args.rewrite, to=args.to, overwrite=args.force)
    print(fixed.render(verbose=True if args.verbose else None), file=sys.stderr if args.json else sys.stdout)
    return EXIT_OK


def _same_file(a: str, b: str) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:  # (either does not exist as a file: a TF prefix, a new path)
        return False


def _rewrite_anyway(args, result) -> str:
    """The two commands that write the pairs found anyway (a PEFT-wrapped model's LoRA weights are always new), where
    the rules carry them: not for Keras 3, whose rewrite writes at the model's paths only from a complete alignment."""
    import shlex

    if result.diagnosis.loader.name == "keras3" or args.to == "keras3" or args.rewrite.endswith(".weights.h5"):
        return ""
    stem = os.path.basename(args.rewrite.rstrip("/" + os.sep)).split(".")[0] or "aligned"
    rules = f"{stem}.rules.yaml"
    options = [*(["--subtree", args.subtree] if getattr(args, "subtree", None) else []),
               *(["--root", args.root] if args.root else []),
               *(["--load-with", args.load_with] if args.load_with else []),
               *(["--prefer-names"] if args.prefer_names else [])]
    align = ["ckpt-doctor", "align", args.checkpoint, "--model", args.model, *options, "-o", rules]
    rewrite = ["ckpt-doctor", "rewrite", args.checkpoint, *options[:2], "--rules", rules, "-o", args.rewrite,
               *(["--to", args.to] if args.to else []), *(["--force"] if args.force else [])]
    return (f". To write the pairs found anyway (the rest keep their initial values): {shlex.join(align)}; "
            f"{shlex.join(rewrite)}")


def _spec(args) -> int:
    from . import load_model

    spec = load_model(args.model, root=args.root)
    if args.load_with:
        check_applies(args.load_with, spec.framework, spec.source)
        spec.loader = args.load_with
    if args.output:
        spec.save(args.output)
        print(f"wrote {len(spec.variables)} variables to {args.output}", file=sys.stderr)
    else:
        _print_json(spec.to_json())
    return EXIT_OK


def _restore_check(args) -> int:
    from .restore.live import build
    from .restore.verified import restore

    rules = {"auto": "auto", "none": None}.get(args.rules, args.rules)
    if args.prefer_names and rules != "auto":
        raise UsageError("--prefer-names applies to --rules auto (the alignment) only")
    with _progress(enabled=not args.json and sys.stderr.isatty()) as progress:
        report = restore(build(args.model), _checkpoint(args), rules=rules, strict=False, root=args.root,
                         load_with=args.load_with, progress=progress, prefer_names=args.prefer_names)
    if args.json:
        _print_json(report.to_json())
    else:
        print(report.render(verbose=args.verbose))
    return EXIT_OK if report.ok else EXIT_PROBLEM


class _progress:
    """A progress bar on stderr when it is a terminal (rich, else tqdm, else nothing)."""

    def __init__(self, enabled: bool):
        self.bar: Any = None  # a rich Progress or a tqdm bar (both optional, imported here)
        self.task = None
        if not enabled:
            return
        try:
            from rich.progress import Progress

            self.bar = Progress(transient=True)
        except ImportError:
            try:
                from tqdm import tqdm

                self.bar = tqdm(total=0, unit="B", unit_scale=True, file=sys.stderr, leave=False)
            except ImportError:
                pass

    def __enter__(self):
        if self.bar is None:
            return None
        if hasattr(self.bar, "add_task"):
            self.bar.__enter__()
            self.task = self.bar.add_task("restoring", total=None)
        return self.update

    def update(self, done: int, total: int) -> None:
        if self.task is not None:
            self.bar.update(self.task, completed=done, total=total)
        else:
            self.bar.total = total
            self.bar.update(done - self.bar.n)

    def __exit__(self, *exc) -> None:
        if self.bar is not None:
            self.bar.__exit__(*exc) if self.task is not None else self.bar.close()


def _demo(args) -> int:
    from .demo import run

    return run()


def _options(args) -> dict:
    return {"subtree": args.subtree} if getattr(args, "subtree", None) else {}


def _checkpoint(args):
    from . import open_checkpoint

    return open_checkpoint(args.checkpoint, **_options(args)) if args.subtree else args.checkpoint


def _whole(text: str) -> int:
    try:
        return int(text)
    except ValueError:  # argparse would say "invalid _positive value", naming this module's function
        raise argparse.ArgumentTypeError(f"expected a whole number, not {text!r}") from None


def _non_negative(text: str) -> int:
    value = _whole(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, not {value}")
    return value


def _positive(text: str) -> int:
    value = _whole(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


_UNITS = {"": 1, "k": 1000, "m": 1000 ** 2, "g": 1000 ** 3, "t": 1000 ** 4,
          "ki": 1 << 10, "mi": 1 << 20, "gi": 1 << 30, "ti": 1 << 40}


def _byte_count(text: str) -> int:
    """A size in bytes: ``500000000``, ``500MB``, ``2G``, ``512MiB`` (k/M/G/T powers of 1000, Ki/Mi/Gi/Ti of 1024)."""
    import re

    found = re.fullmatch(r"\s*(\d+)\s*([kmgt]i?)?b?\s*", text, re.IGNORECASE)
    if found is None:
        raise argparse.ArgumentTypeError(f"expected a size in bytes (500000000, 500MB, 2GiB), not {text!r}")
    value = int(found[1]) * _UNITS[(found[2] or "").lower()]
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1 byte, not {text!r}")
    return value


_printed_json = False  # set once a command printed its JSON document (a later error prints none of its own)


def _print_json(obj) -> None:
    # One write of a compact document: json.dump(indent=...) falls back to the pure-Python encoder and
    # issues a write per token, which dominates listing a large checkpoint.
    global _printed_json
    sys.stdout.write(json.dumps(obj) + "\n")
    _printed_json = True


def _jobs_option(p) -> None:
    p.add_argument("--jobs", "-j", type=_positive, default=1, metavar="N",
                   help="read N tensors at a time in threads (default 1); memory grows to about the N largest "
                        "tensors")


class _CommandParser(argparse.ArgumentParser):
    """A command's parser: a required option reported missing because it was mistyped (`--modle`) is named."""

    argv: list[str] = []  # the command line being parsed (main sets it)

    def error(self, message: str):
        if "arguments are required" in message:
            known = {o for a in self._actions for o in a.option_strings}
            unknown = [a for a in self.argv if a.startswith("--")  # (a known option's prefix is that option)
                       and not any(k.startswith(a.split("=", 1)[0]) for k in known)]
            if unknown:
                message += f"; not an option of this command: {' '.join(unknown)}{_nearest_options(self, unknown)}"
        if "--json" in self.argv and any("--json" in a.option_strings for a in self._actions):
            _print_json({"error": message, "error_type": "UsageError", "exit_code": EXIT_USAGE, "path": None,
                         "tensor": None})  # the one shape of a failed command's JSON (main's _json_error)
        super().error(message)


class _TopParser(argparse.ArgumentParser):
    """The top-level parser: a mistyped command (`inspct`) is named with the command meant."""

    def error(self, message: str):
        found = re.search(r"invalid choice: '([^']*)'", message)
        commands = next((a.choices for a in self._actions if isinstance(a, argparse._SubParsersAction)), None)
        if found and commands:
            import difflib

            close = difflib.get_close_matches(found[1], list(commands), n=1, cutoff=0.6)
            message += f"; did you mean {close[0]!r}?" if close else ""
        super().error(message)


def build_parser() -> argparse.ArgumentParser:
    parser = _TopParser(
        prog="ckpt-doctor",
        description="Find out why restored weights are still random: read, verify and diagnose checkpoints "
                    "without importing their frameworks.",
        epilog="Exit codes: 0 ok, 1 problem found, 2 usage error or a file that cannot be read (verify: 1, damage "
               "is what it finds), 3 internal error (a bug: please report it).")
    parser.add_argument("--version", action="version", version=f"ckpt-doctor {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=_CommandParser)
    subtree_help = ("PyTorch training checkpoints: the state dict to use, e.g. 'model_state' or 'a/b/0', or a key "
                    "prefix of a flat state dict, e.g. 'policy_net' for policy_net.0.weight, ... (without it, the "
                    "only candidate is used, or the candidates are listed)")

    p = sub.add_parser("inspect", help="list a checkpoint's tensors as a scope tree (or JSON)",
                       description="List every tensor: name, dtype, shape, parameter count and bytes, grouped by "
                                   "scope. PATH is a TensorFlow checkpoint prefix, its .index or a data file, a V1 "
                                   "file, a PyTorch, safetensors, NumPy or Keras file, the index of a sharded set "
                                   "(model.safetensors.index.json, pytorch_model.bin.index.json, "
                                   "tf_model.h5.index.json), a PyTorch distributed (DCP) directory, or a directory "
                                   "(its latest checkpoint, or its shard index; a Hugging Face hub cache entry: the "
                                   "snapshot refs/main names); or a URL (s3://, gs://, https://, any fsspec "
                                   "protocol; needs the [remote] extra), read by byte ranges. "
                                   "Reads no tensor data unless --stats/--values.")
    p.add_argument("path", metavar="PATH")
    p.add_argument("--subtree", metavar="KEY", help=subtree_help)
    p.add_argument("--json", action="store_true",
                   help='emit {"path", "format", "tensors": [...], "missing_files", "notes"}')
    p.add_argument("--stats", action="store_true", help="read every tensor and show min/max/mean/std")
    p.add_argument("--values", action="store_true", help="read every tensor and print its values (abridged)")
    p.add_argument("--depth", type=_non_negative, metavar="N",
                   help="show scopes only N levels deep (totals still shown)")
    _jobs_option(p)
    p.set_defaults(func=_inspect)

    p = sub.add_parser("latest", help="print the latest checkpoint in a directory",
                       description="Print the prefix of the latest complete checkpoint in DIR, like "
                                   "tf.train.latest_checkpoint, but following a moved directory, falling back to the "
                                   "highest step when there is no state file, and reporting incomplete checkpoints "
                                   "(notes go to stderr). Without a TF checkpoint in DIR, says what it holds instead: "
                                   "files of other formats, a PyTorch DCP checkpoint, subdirectories with "
                                   "checkpoints.")
    p.add_argument("directory", metavar="DIR")
    p.add_argument("--json", action="store_true", help="emit every checkpoint found, with completeness and notes")
    p.set_defaults(func=_latest)

    p = sub.add_parser("verify", help="read every byte, check every checksum the format has",
                       description="Read every tensor of PATH and check what its format allows: the CRC32C of "
                                   "every index block and tensor (TensorFlow), the CRC-32 of every zip member "
                                   "(PyTorch, the chunks of a DCP checkpoint, .npz, .keras); safetensors, .npy, "
                                   "legacy .pt and HDF5 store no "
                                   "checksums, so only their structure is checked and every value read, and the "
                                   "report says so. Names each truncated file, missing shard, tensor an index "
                                   "lists that no shard holds, bad index block and bad tensor checksum (in a "
                                   "directory, also an incomplete checkpoint its state file names), and lists the "
                                   "intact tensors. --manifest and --against "
                                   "prove a copy identical for any format. Streams: memory stays near the largest "
                                   "tensor (the N largest with --jobs N); TF bundles, safetensors and PyTorch files "
                                   "on local disk pass the bytes through a small buffer instead.")
    p.add_argument("path", metavar="PATH")
    p.add_argument("--subtree", metavar="KEY", help=subtree_help)
    p.add_argument("--json", action="store_true", help="emit the report as JSON")
    _jobs_option(p)
    p.add_argument("--manifest", metavar="OUT",
                   help="also write a content manifest (sha256, dtype and shape of every tensor) to OUT")
    p.add_argument("--against", metavar="MANIFEST",
                   help="compare every tensor with a manifest written by --manifest: any flipped byte, missing or "
                        "extra tensor is a problem")
    p.add_argument("--salvage", metavar="OUT",
                   help="write the tensors that verify intact to a new checkpoint OUT (damaged ones are dropped and "
                        "listed; the copy is read back and checked)")
    _write_options(p)  # --to, --force: for --salvage
    p.set_defaults(func=_verify)

    def checkpoint_and_model(p, checkpoint: bool = True) -> None:
        if checkpoint:
            p.add_argument("checkpoint", metavar="CKPT")
            p.add_argument("--subtree", metavar="KEY", help=subtree_help)
        p.add_argument("--model", "-m", required=True, metavar="M",
                       help="the model: a JSON spec, path/to/file.py:function or package.module:function (called "
                            "with no arguments; returns the model, or builds TF1 variables into the default graph), "
                            "or another checkpoint")
        p.add_argument("--root", metavar="NAME",
                       help="TF2 only: the name of the model in its tf.train.Checkpoint ('model' for "
                            "Checkpoint(model=m), '' for save_weights; a name the checkpoint's object graph "
                            "lacks is refused); default: the root the checkpoint uses")
        if checkpoint:
            p.add_argument("--load-with", metavar="LOADER", choices=sorted(LOADERS),
                           help="the framework call that will load the checkpoint, which decides how values pair "
                                "with variables: " + ", ".join(sorted(LOADERS)) + " (default: inferred from the "
                                "checkpoint format and the model)")

    p = sub.add_parser("diagnose", help="which model variables would keep their initial values, which checkpoint "
                                        "values go unused",
                       description="Compare a model with a checkpoint under the exact rules its framework uses to "
                                   "restore, accounting for every model variable (loaded, missing, shape or dtype "
                                   "mismatch) and every checkpoint entry (used, unused, optimizer state and "
                                   "bookkeeping). Exit code 0 when every model variable gets a value and the load "
                                   "call succeeds (a strict load_state_dict raises on an unexpected key), 1 "
                                   "otherwise.")
    checkpoint_and_model(p)
    p.add_argument("--rules", metavar="FILE", help="apply these rename rules to the checkpoint first (check a fix)")
    p.add_argument("--json", action="store_true", help="emit the full result as JSON (with the fix's code)")
    _fix_out_option(p)
    _prefer_names_option(p, "the alignment that explains a failed diagnosis")
    p.set_defaults(func=_diagnose)

    p = sub.add_parser("align", help="infer how checkpoint names became model names, and the fix",
                       description="Pair every model variable with its checkpoint value where the evidence proves it "
                                   "(names, shapes, structure), explain each change in a sentence, list ambiguous "
                                   "cases without applying them, and write the rules that reproduce the pairs. Exit "
                                   "code 0 when every model variable has a partner, 1 otherwise.")
    checkpoint_and_model(p)
    p.add_argument("-o", "--output", metavar="RULES", help="write the rules here (.yaml or .json), atomically")
    p.add_argument("--json", action="store_true",
                   help='emit {"pairs", "ambiguous", "missing", "unused", "rules", "explanation", "fix"}')
    _fix_out_option(p)
    p.add_argument("--rewrite", metavar="OUT", help="also write the checkpoint repaired by these rules to OUT (only "
                                                    "when every model variable has a partner), verified; for a Keras 3 "
                                                    "model, OUT.weights.h5 holds each value at its variable's path, "
                                                    "for model.load_weights(OUT)")
    _verbose_option(p, "with --rewrite: every old -> new line (default: counts, rules applied, the first renames)")
    _write_options(p)
    _prefer_names_option(p, "the alignment (and --rewrite)")
    p.set_defaults(func=_align)

    p = sub.add_parser("rewrite", help="write a renamed / converted copy of a checkpoint, verified",
                       description="Apply rename rules (renames, prefixes, drops, value transforms) to every entry of "
                                   "CKPT and write the result to OUT, in its format or another. Files are written "
                                   "under temporary names next to OUT, read back and compared (names, dtypes, shapes, "
                                   "a checksum of every value), then renamed into place; the input is never "
                                   "touched. TF2 object graphs are rewritten to match the new keys.")
    p.add_argument("checkpoint", metavar="CKPT")
    p.add_argument("--subtree", metavar="KEY", help=subtree_help)
    p.add_argument("--rules", metavar="R", help="rule file (.yaml/.json); without it, a plain copy or conversion")
    p.add_argument("-o", "--output", metavar="OUT", required=True,
                   help="output: a TF prefix (dir/model.ckpt-1; a directory takes the input's name) or a file")
    p.add_argument("--dry-run", action="store_true", help="print old -> new names and what is dropped; write nothing")
    p.add_argument("--namespace", choices=("key", "object", "full_name"), default=None,
                   help="what the rules' names are: checkpoint keys, TF2 object paths, or full names (TF1 variable "
                        "names of a TF2 checkpoint, then the output is name-based; a Keras 3 file's layer names, "
                        "conv/vars/0); default: a TF2 checkpoint's object paths (as inspect shows and align writes "
                        "them) unless the rules match only keys; a Keras 3 file's layer names where the rules "
                        "change more entries by them (as align writes them); else keys; a note says which where it "
                        "matters")
    p.add_argument("--name-based", action="store_true", help="TF output from a TF2 checkpoint without object graph")
    p.add_argument("--max-shard-bytes", type=_byte_count, metavar="N",
                   help="TF output: start a new data file past N bytes (500000000, 500MB, 2GiB)")
    p.add_argument("--json", action="store_true", help="emit the plan / result as JSON")
    _verbose_option(p, "every old -> new line, also when writing (default: counts, rules applied, the first "
                       "renames; --dry-run prints all)")
    _write_options(p)
    p.set_defaults(func=_rewrite)

    p = sub.add_parser("spec", help="write the JSON spec of a model (what it expects from a checkpoint)",
                       description="Describe a live model as a JSON spec (variables in creation order with name, "
                                   "shape, dtype, object path, trainable), so it can be diagnosed without its "
                                   "framework.")
    checkpoint_and_model(p, checkpoint=False)
    p.add_argument("-o", "--output", metavar="FILE", help="write here (atomically) instead of stdout")
    p.add_argument("--load-with", metavar="LOADER", choices=sorted(LOADERS),
                   help="record the call that will load checkpoints into this model: " + ", ".join(sorted(LOADERS)))
    p.set_defaults(func=_spec)

    p = sub.add_parser("restore-check", help="build the model, restore the checkpoint into it, read every value back",
                       description="Build the model with its framework, restore CKPT into it through the framework's "
                                   "own assignment, read every variable back and print the proof table: restored and "
                                   "verified / not restored (keeps its initial value) / mismatch, and every "
                                   "checkpoint entry used or unused. Exit code 0 only when every model weight was "
                                   "restored and verified, 1 otherwise.")
    checkpoint_and_model(p)
    p.add_argument("--rules", metavar="R", default="auto",
                   help="'auto' (default: the alignment's proven pairs), 'none' (the framework's own matching), or a "
                        "rule file")
    p.add_argument("--json", action="store_true", help="emit the report as JSON (no progress bar)")
    _verbose_option(p, "every row of the proof table (default: past 30 rows, the rows not verified and the first "
                       "verified ones)")
    _prefer_names_option(p, "the alignment of --rules auto")
    p.set_defaults(func=_restore_check)

    p = sub.add_parser("demo", help="run the main job on a built-in example (no framework needed)",
                       description="Run latest, inspect, verify, diagnose and align on a built-in checkpoint "
                                   "written by TensorFlow (a model saved under one variable scope and rebuilt under "
                                   "another), printing each step's command; the rule file goes to a temporary "
                                   "directory. Needs no framework.")
    p.set_defaults(func=_demo)
    return parser


def _fix_out_option(p) -> None:
    p.add_argument("--fix-out", metavar="FILE", help="also write the printed fix's code to FILE, as it runs (not "
                                                      "indented), atomically")


def _prefer_names_option(p, where: str) -> None:
    p.add_argument("--prefer-names", action="store_true",
                   help=f"in {where}: a choice, not an inference: where equally good renumberings of equal numbered "
                        "blocks tie, pair each variable with the value the framework's own restore loads into it by "
                        "name, or else the one its name gives under the rules applied (right when the blocks only "
                        "grew or shrank at the end, wrong when one was removed or inserted elsewhere); the report says "
                        "how many pairs rest on it")


def _verbose_option(p, what: str) -> None:
    p.add_argument("-v", "--verbose", action="store_true", help=what)


def _write_options(p) -> None:
    p.add_argument("--to", choices=sorted(WRITABLE),
                   help="output format (default: the one the output's suffix names, .safetensors/.npz/.pt/"
                        ".weights.h5, else the input's)")
    p.add_argument("--force", action="store_true", help="replace an existing output (never the input)")


def _nearest_options(command: argparse.ArgumentParser, extra: list[str]) -> str:
    """`; did you mean --depth?` for a mistyped option (argparse only says which arguments it did not know)."""
    import difflib

    known = [o for a in command._actions for o in a.option_strings if o.startswith("--")]
    close = [m for x in extra if x.startswith("--")
             for m in difflib.get_close_matches(x.split("=", 1)[0], known, n=1, cutoff=0.6)]
    return f"; did you mean {', '.join(dict.fromkeys(close))}?" if close else ""


def _nearest_directory(path: str) -> str:
    """` (nearest existing: runs/exp1)` for a mistyped directory."""
    import difflib

    parent = os.path.dirname(os.path.normpath(path)) or "."
    try:
        names = [n for n in sorted(os.listdir(parent)) if os.path.isdir(os.path.join(parent, n))
                 and not n.startswith(".")]
    except OSError:
        return ""
    close = difflib.get_close_matches(os.path.basename(os.path.normpath(path)), names, n=3, cutoff=0.5)
    return f"; nearest existing: {', '.join(os.path.join(parent, n) for n in close)}" if close else ""


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    _CommandParser.argv = list(sys.argv[1:] if argv is None else argv)
    args, extra = parser.parse_known_args(argv)
    if extra:  # a mistyped option: the command's own usage, not the top-level one
        commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        command = commands.choices[args.command]
        several = "" if any(a.startswith("-") or not os.path.lexists(a) for a in extra) else (
            "; the command takes one checkpoint, and the shell gave it several files (an unquoted pattern such as "
            "ckpt-*): name one, a TF checkpoint by its prefix")
        command.error(f"unrecognized arguments: {' '.join(extra)}{_nearest_options(command, extra)}{several}")
    _expand_home(args)
    global _printed_json
    _printed_json = False
    with _terminated_cleanly():
        return _run(args)


def _run(args) -> int:
    try:
        return args.func(args)
    except CheckpointError as e:
        print(f"Error: {e}", file=sys.stderr)
        _json_error(args, e, e.exit_code, e.path, e.tensor)
        return e.exit_code
    except BrokenPipeError:  # e.g. `ckpt-doctor inspect x | head`
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK
    except KeyboardInterrupt:
        return 130
    except Exception as e:  # a bug, not the user's input: one line, the traceback on request
        if os.environ.get("CKPT_DOCTOR_DEBUG") == "1":
            raise
        message = (f"internal error ({type(e).__name__}: {str(e)[:300]}); please report it. Set "
                   "CKPT_DOCTOR_DEBUG=1 for the traceback")
        print(f"Error: {message}", file=sys.stderr)
        _json_error(args, RuntimeError(message), EXIT_INTERNAL)
        return EXIT_INTERNAL


class _Terminated(BaseException):
    """SIGTERM (`timeout`, a batch scheduler's time limit, `docker stop`) as an exception: what is being written is
    removed on the way out, as for Ctrl-C, instead of staying behind as hidden temporary files."""


@contextlib.contextmanager
def _terminated_cleanly():
    def stop(signum, frame):
        raise _Terminated

    try:
        previous = signal.signal(signal.SIGTERM, stop)
    except ValueError:  # not the main thread: signals stay as they are
        yield
        return
    try:
        yield
    except _Terminated:
        sys.exit(128 + signal.SIGTERM)
    finally:
        signal.signal(signal.SIGTERM, previous)


_PATH_ARGUMENTS = ("path", "directory", "checkpoint", "model", "rules", "output", "rewrite", "manifest", "against",
                   "salvage")


def _expand_home(args) -> None:
    """A path typed as ``--output=~/out`` or quoted reaches us with its ``~`` (the shell expands it only at the start
    of a word): it means the home directory, never a directory named ``~`` made in the current one."""
    for dest in _PATH_ARGUMENTS:
        value = getattr(args, dest, None)
        if isinstance(value, str) and (value == "~" or value.startswith("~/")):
            setattr(args, dest, os.path.expanduser(value))


def _json_error(args, error: Exception, code: int, path: str | None = None, tensor: str | None = None) -> None:
    """With --json, a failed command's error is a JSON document on stdout too (one shape for every command), unless
    the command printed its document already."""
    if getattr(args, "json", False) and not _printed_json:
        _print_json({"error": str(error), "error_type": type(error).__name__, "exit_code": code, "path": path,
                     "tensor": tensor})


if __name__ == "__main__":
    sys.exit(main())
