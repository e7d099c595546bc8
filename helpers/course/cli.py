"""`dlcourse`: the course's command line.

    dlcourse new-chapter NN-name "Title"  write a chapter skeleton that releases and grades at once
    dlcourse release [CHAPTER ...]     regenerate notebooks/ and solutions/ from source/
    dlcourse bench [CHAPTER ...]       time executing each solution and autograding one submission
    dlcourse bench --class-size 40 01  speedup of parallel autograding over serial nbgrader
    dlcourse bench --suite             time the test suite per part and chapter; projection to 12 chapters
    dlcourse bench --suite-times F     the same figures from `DLCOURSE_SUITE_TIMES=F make test`'s record
    dlcourse autograde CHAPTER         autograde every submission in parallel (--workers, --student)
    dlcourse report CHAPTER            an HTML class report: score histogram, pass rates, frequent mistakes
    dlcourse data status               where each dataset would be loaded from
    dlcourse data fetch NAME           download a dataset into the cache (checksums verified)
    dlcourse data subset NAME          rebuild the offline subset in data/NAME/ from the full set
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from helpers.course import paths


def _release(args) -> int:
    from helpers.course import release
    release.release(paths.course_root(), args.chapters)
    return 0


def _new_chapter(args) -> int:
    from helpers.course import scaffold
    root = paths.course_root()
    try:
        written = scaffold.new_chapter(root, args.chapter, args.title)
    except (ValueError, FileExistsError) as exc:
        print(f"dlcourse: {exc}", file=sys.stderr)
        return 1
    for path in written:
        print(f"wrote {path.relative_to(root)}")
    print(f"next: fill in the lesson and exercises, then `make release` and `make test` "
          f"(or `make test ARGS='-k {args.chapter}'`)")
    return 0


def _bench(args) -> int:
    from helpers.course import bench
    root = paths.course_root()
    if args.suite or args.suite_times:
        rows = bench.suite_report(root, bench.read_suite_times(args.suite_times)) if args.suite_times else bench.suite(root)
        if args.json:
            Path(args.json).write_text(json.dumps(rows, indent=1) + "\n")
        return rows["exit_code"]
    if args.class_size:
        print(f"machine: {bench.machine()}")
        rows = [bench.class_speedup(root, chapter, args.class_size, args.workers)
                for chapter in paths.select(root, args.chapters or ["01"])]
    else:
        rows = bench.run(root, args.chapters)
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1) + "\n")
    return 0


def _autograde(args) -> int:
    from helpers.course import parallel
    root = paths.course_root()
    (chapter,) = paths.select(root, [args.chapter])
    outcomes = parallel.autograde_class(root, chapter, workers=args.workers, students=args.student or None)
    failed = [o for o in outcomes if o.error]
    print(f"{chapter}: {len(outcomes) - len(failed)} of {len(outcomes)} submissions graded into gradebook.db")
    for o in outcomes:
        for note in o.notes:
            print(f"  {o.student}: {note}")
    for o in failed:
        print(f"  {o.student}: {o.error}", file=sys.stderr)
    return 1 if failed else 0


def _report(args) -> int:
    from helpers.course import report
    root = paths.course_root()
    (chapter,) = paths.select(root, [args.chapter])
    out = report.build(root, chapter, Path(args.out) if args.out else None)
    print(f"{chapter}: class report written to {out}")
    return 0


def _data(args) -> int:
    import numpy as np

    from helpers import data
    if args.action == "status":
        for name in sorted(data.REGISTRY):
            for split in ("train", "test"):
                ds = data.load(name, split, verbose=False)
                print(f"{name:<16}{split:<7}{len(ds):>7,}  {ds.source}")
        return 0
    if not args.name:
        raise SystemExit(f"dlcourse data {args.action} needs a dataset name: {', '.join(data.REGISTRY)}")
    if args.action == "fetch":
        print(f"{args.name}: verified in {data.fetch(args.name)}")
        return 0
    arrays = data.build_subset(args.name, args.per_class_train, args.per_class_test, args.seed)
    ds = data.spec(args.name)
    out = data.repo_data_dir() / ds.name / ds.subset
    out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(out, **arrays)
    print(f"wrote {out}; record its digest in helpers/data.py SUBSET_DIGESTS: {data.subset_digest(arrays)}")
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="dlcourse", description="Course tasks for instructors and maintainers.")
    sub = p.add_subparsers(dest="command", required=True)
    r = sub.add_parser("release", help="regenerate notebooks/ and solutions/ from source/")
    r.add_argument("chapters", nargs="*", help="chapter ids or numbers (default: all)")
    r.set_defaults(func=_release)
    n = sub.add_parser("new-chapter", help="write a chapter skeleton (notebook, modules, a wrong answer)")
    n.add_argument("chapter", help="the chapter id: two digits, a dash, lowercase words, e.g. 07-cnn")
    n.add_argument("title", help='the chapter title, e.g. "Convolutional networks"')
    n.set_defaults(func=_new_chapter)
    b = sub.add_parser("bench", help="time executing each solution and autograding one submission")
    b.add_argument("chapters", nargs="*")
    b.add_argument("--json", help="also write the figures to this file")
    b.add_argument("--class-size", type=int, default=0,
                   help="instead: time serial nbgrader against `dlcourse autograde` on a synthetic class this big")
    b.add_argument("--workers", type=int, default=None, help="with --class-size: parallel workers")
    b.add_argument("--suite-times", metavar="FILE",
                   help="instead: the same figures from a run recorded with DLCOURSE_SUITE_TIMES=FILE make test")
    b.add_argument("--suite", action="store_true",
                   help="instead: run the whole test suite, print its time per part and per chapter and the "
                        "projection to twelve chapters")
    b.set_defaults(func=_bench)
    a = sub.add_parser("autograde", help="autograde every submission of a chapter in parallel, with progress")
    a.add_argument("chapter", help="chapter id or number")
    a.add_argument("--workers", type=int, default=None, help="parallel nbgrader processes (default: one per core)")
    a.add_argument("--student", action="append", help="grade only this student (repeatable): a regrade")
    a.set_defaults(func=_autograde)
    c = sub.add_parser("report", help="an HTML class report from the gradebook: scores, pass rates, frequent mistakes")
    c.add_argument("chapter", help="chapter id or number")
    c.add_argument("--out", help="where to write the page (default: reports/CHAPTER.html)")
    c.set_defaults(func=_report)
    d = sub.add_parser("data", help="datasets: status, fetch NAME, subset NAME")
    d.add_argument("action", choices=("status", "fetch", "subset"))
    d.add_argument("name", nargs="?")
    d.add_argument("--per-class-train", type=int, default=1000)
    d.add_argument("--per-class-test", type=int, default=200)
    d.add_argument("--seed", type=int, default=0)
    d.set_defaults(func=_data)
    return p


def main(argv: list[str] | None = None) -> int:
    from helpers.course.sandbox import SandboxUnavailable
    from helpers.data import DatasetError
    args = parser().parse_args(argv)
    try:
        return args.func(args)
    except (DatasetError, KeyError, SandboxUnavailable) as exc:   # a clear one-line message, not a traceback
        print(f"dlcourse: {exc.args[0] if exc.args else exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
