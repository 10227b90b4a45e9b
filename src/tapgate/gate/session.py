"""A whole `tapgate check` session: cache lookup, the run, the reports, the exit code."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from tapgate import __version__
from tapgate.engines.versions import binary_identity, binary_version, python_engine_version
from tapgate.errors import EngineError, InputError, UsageError
from tapgate.gate import cache
from tapgate.gate.options import CheckOptions, find_policies


def check_session(opts: CheckOptions) -> int:
    policies = find_policies(opts.policies)
    for path in opts.templates:  # checked before hashing: a missing file is bad input, not a cache miss
        if not Path(path).is_file():
            raise InputError("no such file" if not Path(path).exists() else "not a file", path)
    _check_destinations(opts)  # before minutes of engines, not after
    versions = engine_versions(opts)
    # --no-cache skips the lookup, but still stores the fresh result: its key is then hashed once the
    # engines are launched, not before (issue 8)
    key = "" if opts.no_cache else _key(opts, policies, versions)
    if key and (hit := cache.load(key)) is not None:
        _emit_cached(opts, key, *hit)  # a PDF not printed before is printed beside the other formats
        return hit[0]
    from tapgate.gate.check import run_check
    from tapgate.gate.progress import engine_progress

    def key_beside_engines() -> None:
        nonlocal key
        key = key or _key(opts, policies, versions)

    _interrupt_on_sigterm()
    with _pdf_browser(opts):  # --report-dir: the PDF's Chromium starts beside the engines; killed on exit
        with engine_progress(opts.engine_names()) as progress:
            result = run_check(opts, policies, versions, progress, key_beside_engines)
        result.provenance.cache_key = key
        _report_engine_errors(result)
        if key and result.summary.exit_code != 3:
            cache.store(key, result.summary.exit_code, result.model_dump_json())
        _emit(opts, result, key)
    return result.summary.exit_code


def _pdf_browser(opts: CheckOptions, cached_key: str = ""):
    if not opts.report_dir:  # no PDF to print: cached and --fast runs do not even import the report piece
        from contextlib import nullcontext

        return nullcontext()
    from tapgate.report.pdf import prestarted_browser

    if cached_key:  # a cache hit: a browser only if this report's PDF was never printed (it then starts
        # while the result is loaded and rendered); renderers are warmed by rendering them now
        return prestarted_browser(enabled=True, warm_up=False, unless_printed=f"{cached_key}-cached")
    return prestarted_browser(enabled=True)


PYTHON_ENGINES = ("cfn-lint", "checkov")


def engine_versions(opts: CheckOptions) -> dict[str, str]:
    # the Python engines' versions cost nothing (package metadata): record them even when they do not run
    versions = {"tapgate": __version__}
    versions.update({name: python_engine_version(name, None) for name in PYTHON_ENGINES})
    for name in opts.engine_names():
        if name == "crosscheck":
            versions[name] = __version__  # in-process, part of tapgate
        command = opts.engine_commands.get(name)
        if name in ("cfn-lint", "checkov"):
            versions[name] = python_engine_version(name, command)
        elif name == "cfn-guard":
            versions[name] = binary_identity(command[0]) if command else _guard_version(opts.guard_bin)
    return versions


def _guard_version(guard_bin: str | None) -> str:
    from tapgate.engines.provision import find_guard

    try:
        return binary_version(find_guard(guard_bin))
    except EngineError as err:
        return f"unavailable ({err})"  # the run itself fails closed on the same error


def _key(opts: CheckOptions, policies: Path, versions: dict[str, str]) -> str:
    import tapgate

    trees = [policies, policies.parent / "lambdas", Path(tapgate.__file__).parent]
    # the cross-checks read the code beside each template: an edit there must miss the cache
    trees += [Path(t).resolve().parent / "lambdas" for t in opts.templates]
    ct_rules = os.environ.get("TAPGATE_CONTROL_TOWER_RULES")
    if opts.control_tower and ct_rules:  # the wheel's pack is pinned by its hash; a local copy is hashed
        trees.append(Path(ct_rules))
    facts = {**opts.verdict_facts(), "versions": versions}
    return cache.cache_key(opts.templates, trees, facts)


def _report_engine_errors(result) -> None:
    for run in result.engines:
        if not run.ok:
            print(f"tapgate: error: {run.error}", file=sys.stderr)


def _emit(opts: CheckOptions, result, key: str) -> None:
    from tapgate.output import render

    color = opts.output is None and opts.fmt == "text" and sys.stdout.isatty()
    content = render(result, opts.fmt, color=color)
    if key and not color and opts.fmt != "json":
        cache.store_rendered(key, opts.fmt, content)
    _write(opts.output, content)
    if opts.report_dir:
        _write_report_dir(Path(opts.report_dir), result)


def _emit_cached(opts: CheckOptions, key: str, exit_code: int, result_json: str) -> None:
    """Serve a hit without pydantic or rich where we can: JSON is re-marked `cached`, other formats are
    the bytes rendered last time."""
    color = opts.output is None and opts.fmt == "text" and sys.stdout.isatty()
    if opts.fmt == "json" and not opts.report_dir:
        data = json.loads(result_json)
        data["provenance"]["cached"] = True
        _write(opts.output, (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode())
        return
    content = None if (color or opts.report_dir) else cache.rendered(key, opts.fmt)
    if content is None:
        from tapgate.model import GateResult

        with _pdf_browser(opts, cached_key=key):
            result = GateResult.model_validate_json(result_json)
            result.provenance.cached = True
            _emit(opts, result, "" if color else key)
        return
    _write(opts.output, content)


def _check_destinations(opts: CheckOptions) -> None:
    """-o's folder must exist and --report-dir must be (or become) a folder: say so in one line, up front."""
    if opts.output and not Path(opts.output).resolve().parent.is_dir():
        raise UsageError(f"-o {opts.output}: folder {Path(opts.output).parent} does not exist")
    if opts.output and Path(opts.output).is_dir():
        raise UsageError(f"-o {opts.output}: is a folder, not a file")
    if opts.report_dir and Path(opts.report_dir).exists() and not Path(opts.report_dir).is_dir():
        raise UsageError(f"--report-dir {opts.report_dir}: exists and is not a folder")


def _write(output: str | None, content: bytes) -> None:
    if output:
        try:
            Path(output).write_bytes(content)
        except OSError as err:  # e.g. read-only or full: one line, the gate's exit code is not a pass
            raise UsageError(f"-o {output}: cannot write: {err.strerror or err}") from None
    else:
        sys.stdout.buffer.write(content)
        sys.stdout.flush()


def _write_report_dir(directory: Path, result) -> None:
    from tapgate.report import write_report_dir

    for warning in write_report_dir(result, directory).warnings:
        print(f"tapgate: warning: {warning}", file=sys.stderr)


def _interrupt_on_sigterm() -> None:
    """CI cancels with SIGTERM, a user with Ctrl-C: either becomes KeyboardInterrupt in the main thread, so
    that running engines are killed, not orphaned.

    Not while the main thread is inside an import: an exception raised there at the wrong instruction
    leaves the module's import lock held, and the threads that import the same module (the catalog's,
    the engines' result model) wait for it forever, with the gate waiting for them (seen: 1 run in 40
    hung after SIGTERM). The signal is then sent again 20 ms later, until the import is over."""
    import os
    import signal
    import threading

    def interrupt(signum, frame):
        if _importing(frame):
            threading.Timer(0.02, os.kill, (os.getpid(), signum)).start()
            return
        raise KeyboardInterrupt

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, interrupt)
        signal.signal(signal.SIGINT, interrupt)


def _importing(frame) -> bool:
    """Whether `frame` or one of its callers is in Python's import machinery."""
    while frame is not None:
        if frame.f_code.co_filename.startswith("<frozen importlib"):
            return True
        frame = frame.f_back
    return False
