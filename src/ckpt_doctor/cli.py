"""Command line: a thin layer over the public API. Exit codes: 0 ok, 1 problem found, 2 usage error."""

from __future__ import annotations

import argparse
import json
import os
import sys

from . import __version__
from .errors import CheckpointError, CheckpointNotFoundError, ModelError
from .model.loaders import LOADERS

EXIT_OK, EXIT_PROBLEM, EXIT_USAGE = 0, 1, 2


def _inspect(args) -> int:
    from . import open_checkpoint
    from .report.inspect import render, tensor_stats

    catalog = open_checkpoint(args.path, **_options(args))
    stats, values = {}, {}
    if args.stats or args.values:
        for name, info in catalog.items():
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
                v = values[t["name"]]
                t["value"] = [x.decode("utf-8", "backslashreplace") for x in v.reshape(-1)] if v.dtype == object \
                    else v.astype(float).tolist() if v.dtype.kind not in "iub" else v.tolist()
        _print_json(out)
    else:
        print(render(catalog, max_depth=args.depth, stats=stats, values=values))
    return EXIT_OK


def _latest(args) -> int:
    from . import discover

    if not os.path.isdir(args.directory):
        raise CheckpointNotFoundError("no such directory" if not os.path.exists(args.directory) else
                                      "not a directory (latest looks for checkpoints in a directory)",
                                      path=args.directory)
    found = discover(args.directory)
    if args.json:
        _print_json({"directory": found.directory, "latest": found.latest, "state_file": found.state_file,
                     "checkpoints": [{"prefix": f.prefix, "format": f.format, "step": f.step,
                                      "complete": f.complete, "missing_files": f.missing_files}
                                     for f in found.checkpoints],
                     "notes": found.notes})
    else:
        for note in found.notes:
            print(f"note: {note}", file=sys.stderr)
        if found.latest:
            print(found.latest)
    if found.latest is None:
        if not args.json:
            print(f"Error: no complete checkpoint in {found.directory}", file=sys.stderr)
        return EXIT_PROBLEM
    return EXIT_OK


def _verify(args) -> int:
    from . import open_checkpoint, verify
    from .report.text import human_bytes

    report = verify(open_checkpoint(args.path, **_options(args)) if args.subtree else args.path)
    if args.json:
        _print_json(report.to_json())
    else:
        for p in report.problems:
            where = " ".join(x for x in (f"tensor {p.tensor!r}" if p.tensor else "",
                                         f"in {p.file}" if p.file else "") if x)
            print(f"CORRUPT  {where}: {p.message} [{p.error}]")
        status = "OK" if report.ok else f"FAILED ({len(report.problems)} problem(s))"
        print(f"{status}: {report.tensors_checked} tensors, {human_bytes(report.bytes_checked)} read, "
              f"every checksum {'matches' if report.ok else 'checked'} ({report.path})")
    return EXIT_OK if report.ok else EXIT_PROBLEM


def _diagnose(args) -> int:
    from . import diagnose
    from .report.diagnose import render

    result = diagnose(_checkpoint(args), args.model, root=args.root, rules=args.rules, load_with=args.load_with)
    why = None
    if not result.ok and not args.rules:
        from .match.align import align

        why = align(result.checkpoint, result.model, result)
    if args.json:
        doc = result.to_json()
        if why is not None:
            doc["alignment"] = why.to_json()
        _print_json(doc)
    else:
        print(render(result, why))
    return EXIT_OK if result.ok else EXIT_PROBLEM


def _align(args) -> int:
    from . import align
    from .report.align import render

    result = align(_checkpoint(args), args.model, root=args.root, load_with=args.load_with)
    if args.json:
        _print_json(result.to_json())
    else:
        print(render(result, rules_path=args.output))
    if args.output:
        try:
            result.rules.save(args.output)
        except OSError as e:  # the analysis is already printed; say why the file is not there
            print(f"Error: cannot write {args.output}: {e.strerror or e}", file=sys.stderr)
            return EXIT_USAGE
    return EXIT_OK if result.complete else EXIT_PROBLEM


def _spec(args) -> int:
    from . import load_model

    spec = load_model(args.model, root=args.root)
    if args.load_with:
        spec.loader = args.load_with
    if args.output:
        spec.save(args.output)
        print(f"wrote {len(spec.variables)} variables to {args.output}", file=sys.stderr)
    else:
        _print_json(spec.to_json())
    return EXIT_OK


def _demo(args) -> int:
    from .demo import run

    return run()


def _options(args) -> dict:
    return {"subtree": args.subtree} if getattr(args, "subtree", None) else {}


def _checkpoint(args):
    from . import open_checkpoint

    return open_checkpoint(args.checkpoint, **_options(args)) if args.subtree else args.checkpoint


def _print_json(obj) -> None:
    # One write of a compact document: json.dump(indent=...) falls back to the pure-Python encoder and
    # issues a write per token, which dominates listing a large checkpoint.
    sys.stdout.write(json.dumps(obj) + "\n")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ckpt-doctor",
        description="Find out why restored weights are still random: read, verify and diagnose checkpoints "
                    "without importing their frameworks.",
        epilog="Exit codes: 0 ok, 1 problem found, 2 usage error.")
    parser.add_argument("--version", action="version", version=f"ckpt-doctor {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    subtree_help = ("PyTorch training checkpoints: the state dict to use, e.g. 'model_state' or 'a/b/0' (without "
                    "it, the only candidate is used, or the candidates are listed)")

    p = sub.add_parser("inspect", help="list a checkpoint's tensors as a scope tree (or JSON)",
                       description="List every tensor: name, dtype, shape, parameter count and bytes, grouped by "
                                   "scope. PATH is a TensorFlow checkpoint prefix, its .index or a data file, a V1 "
                                   "file, a PyTorch, safetensors, NumPy or Keras file, or a directory (its latest "
                                   "checkpoint). Reads no tensor data unless --stats/--values.")
    p.add_argument("path", metavar="PATH")
    p.add_argument("--subtree", metavar="KEY", help=subtree_help)
    p.add_argument("--json", action="store_true", help='emit {"path", "format", "tensors": [...]}')
    p.add_argument("--stats", action="store_true", help="read every tensor and show min/max/mean/std")
    p.add_argument("--values", action="store_true", help="read every tensor and print its values (abridged)")
    p.add_argument("--depth", type=int, metavar="N", help="show scopes only N levels deep (totals still shown)")
    p.set_defaults(func=_inspect)

    p = sub.add_parser("latest", help="print the latest checkpoint in a directory",
                       description="Print the prefix of the latest complete checkpoint in DIR, like "
                                   "tf.train.latest_checkpoint, but following a moved directory, falling back to the "
                                   "highest step when there is no state file, and reporting incomplete checkpoints "
                                   "(notes go to stderr).")
    p.add_argument("directory", metavar="DIR")
    p.add_argument("--json", action="store_true", help="emit every checkpoint found, with completeness and notes")
    p.set_defaults(func=_latest)

    p = sub.add_parser("verify", help="read every byte and check every checksum",
                       description="Read every tensor of PATH, checking the CRC32C of every index block and every "
                                   "tensor; name each corrupt tensor and shard. Streams: memory stays near the "
                                   "largest tensor.")
    p.add_argument("path", metavar="PATH")
    p.add_argument("--subtree", metavar="KEY", help=subtree_help)
    p.add_argument("--json", action="store_true", help="emit the report as JSON")
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
                            "Checkpoint(model=m), '' for save_weights); default: the root the checkpoint uses")
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
                                   "bookkeeping). Exit code 0 when every model variable gets a value, 1 otherwise.")
    checkpoint_and_model(p)
    p.add_argument("--rules", metavar="FILE", help="apply these rename rules to the checkpoint first (check a fix)")
    p.add_argument("--json", action="store_true", help="emit the full result as JSON")
    p.set_defaults(func=_diagnose)

    p = sub.add_parser("align", help="infer how checkpoint names became model names, and the fix",
                       description="Pair every model variable with its checkpoint value where the evidence proves it "
                                   "(names, shapes, structure), explain each change in a sentence, list ambiguous "
                                   "cases without applying them, and write the rules that reproduce the pairs. Exit "
                                   "code 0 when every model variable has a partner, 1 otherwise.")
    checkpoint_and_model(p)
    p.add_argument("-o", "--output", metavar="RULES", help="write the rules here (.yaml or .json), atomically")
    p.add_argument("--json", action="store_true",
                   help='emit {"pairs", "ambiguous", "missing", "unused", "rules", "explanation"}')
    p.set_defaults(func=_align)

    p = sub.add_parser("spec", help="write the JSON spec of a model (what it expects from a checkpoint)",
                       description="Describe a live model as a JSON spec (variables in creation order with name, "
                                   "shape, dtype, object path, trainable), so it can be diagnosed without its "
                                   "framework.")
    checkpoint_and_model(p, checkpoint=False)
    p.add_argument("-o", "--output", metavar="FILE", help="write here (atomically) instead of stdout")
    p.add_argument("--load-with", metavar="LOADER", choices=sorted(LOADERS),
                   help="record the call that will load checkpoints into this model: " + ", ".join(sorted(LOADERS)))
    p.set_defaults(func=_spec)

    p = sub.add_parser("demo", help="run the main job on a built-in example (no framework needed)")
    p.set_defaults(func=_demo)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except (CheckpointNotFoundError, ModelError) as e:
        print(f"Error: {e}", file=sys.stderr)
        return EXIT_USAGE
    except CheckpointError as e:
        print(f"Error: {e}", file=sys.stderr)
        return EXIT_PROBLEM
    except BrokenPipeError:  # e.g. `ckpt-doctor inspect x | head`
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
