"""Check an OWL file with the OWL API (the library Protégé is built on) against the OWL 2 DL profile.

No extra download: owlready2 ships OWL API 3.4.3 as ``owlready2/pellet/owlapi-distribution-3.4.3-bin.jar``.
The small Java program ``java/OwlProfileCheck.java`` next to this module is compiled once per source version
into the user cache (``$XDG_CACHE_HOME/calcgraph/owlapi-check/<hash>``) and then run with the system Java.

>>> report = ProfileReport(in_dl_profile=True, violations=[], unlabelled=[], axiom_count=3, class_count=2)
>>> report.in_dl_profile, report.class_count
(True, 2)
"""

from __future__ import annotations

import hashlib
import importlib.resources
import importlib.util
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from calcgraph.errors import CalcgraphError, JavaNotFoundError

__all__ = [
    "OwlApiError",
    "OwlApiToolError",
    "ProfileReport",
    "check_owl2_dl",
    "find_owlapi_jar",
]

MAIN_CLASS = "OwlProfileCheck"
JAVA_SOURCE = "OwlProfileCheck.java"
OWLAPI_JAR = "owlapi-distribution-3.4.3-bin.jar"
EXIT_PARSE_ERROR = 3
INSTALL_HINT = "install a Java 11+ runtime, e.g. `apt-get install default-jre-headless`"


class OwlApiError(CalcgraphError):
    """The OWL API could not parse the ontology file; ``message`` is what the OWL API said."""

    exit_code = 3

    def __init__(self, path: Path, message: str) -> None:
        self.path, self.message = path, message
        super().__init__(f"{path}: the OWL API cannot parse this file: {message}")


class OwlApiToolError(CalcgraphError):
    """The checker itself failed (jar missing, compilation failed, JVM crashed, unexpected output)."""

    exit_code = 1


@dataclass(frozen=True)
class ProfileReport:
    """What the OWL API saw in one ontology file."""

    in_dl_profile: bool
    violations: list[str]
    unlabelled: list[str]
    axiom_count: int
    class_count: int
    #: Document format the OWL API detected, e.g. ``RDF/XML`` or ``Turtle``.
    format_name: str = ""
    #: Number of triples read (RDF syntaxes only).
    triple_count: int | None = None
    #: Triples the OWL API parser could not map to OWL constructs and dropped (RDF syntaxes only).
    unparsed_triples: list[str] = field(default_factory=list)
    #: IRIs of the ontologies in the imports closure (loaded from local files), the checked one excluded.
    imported: list[str] = field(default_factory=list)


def find_owlapi_jar() -> Path:
    """The OWL API 3 jar that owlready2 ships (found without importing owlready2)."""
    spec = importlib.util.find_spec("owlready2")
    if spec is None or spec.origin is None:
        raise OwlApiToolError("owlready2 is not installed, so there is no OWL API jar to run")
    jar = Path(spec.origin).parent / "pellet" / OWLAPI_JAR
    if not jar.is_file():
        raise OwlApiToolError(f"the OWL API jar is missing from owlready2: {jar}")
    return jar


def _java_source() -> str:
    return importlib.resources.files("calcgraph").joinpath("java", JAVA_SOURCE).read_text(encoding="utf-8")


def _find_java() -> str:
    java = shutil.which("java")
    if java is None:
        raise JavaNotFoundError(f"no `java` on PATH: the OWL API checker needs one; {INSTALL_HINT}")
    return java


def _cache_root() -> Path:
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg) if xdg else Path.home() / ".cache"
    return base / "calcgraph" / "owlapi-check"


def _compile_command(java: str, jar: Path, out_dir: Path, source: Path) -> list[str]:
    """``javac`` when there is one; otherwise the compiler module of the runtime (present in most JREs)."""
    args = ["-nowarn", "-encoding", "UTF-8", "-cp", str(jar), "-d", str(out_dir), str(source)]
    javac = shutil.which("javac")
    if javac is not None:
        return [javac, *args]
    return [java, "-m", "jdk.compiler/com.sun.tools.javac.Main", *args]


def _compiled_classes(java: str, jar: Path) -> Path:
    """Directory holding ``OwlProfileCheck.class``, compiling it on first use (keyed by source and jar)."""
    source_text = _java_source()
    key = hashlib.sha256(f"{source_text}\0{jar}\0{os.path.realpath(java)}".encode()).hexdigest()[:16]
    roots = [_cache_root(), Path(tempfile.gettempdir()) / f"calcgraph-owlapi-check-{os.getuid()}"]
    last_error: OSError | None = None
    for root in roots:
        target = root / key
        if (target / f"{MAIN_CLASS}.class").is_file():
            return target
        try:
            root.mkdir(parents=True, exist_ok=True)
            work = Path(tempfile.mkdtemp(prefix=f"{key}.", dir=root))
        except OSError as exc:  # cache not writable: try the next place
            last_error = exc
            continue
        try:
            source = work / JAVA_SOURCE
            source.write_text(source_text, encoding="utf-8")
            classes = work / "classes"
            classes.mkdir()
            proc = subprocess.run(
                _compile_command(java, jar, classes, source), capture_output=True, text=True, check=False
            )
            if proc.returncode != 0:
                if shutil.which("javac") is None:
                    raise JavaNotFoundError(
                        "this Java runtime cannot compile the OWL API checker (no `javac`, no jdk.compiler); "
                        "install a Java 11+ JDK, e.g. `apt-get install default-jdk-headless`"
                    )
                detail = (proc.stderr or proc.stdout).strip()
                raise OwlApiToolError(f"compiling {JAVA_SOURCE} failed:\n{detail}")
            try:
                classes.rename(target)
            except OSError:  # another process won the race
                if not (target / f"{MAIN_CLASS}.class").is_file():
                    raise
            return target
        finally:
            shutil.rmtree(work, ignore_errors=True)
    raise OwlApiToolError(f"no writable cache directory for the OWL API checker: {last_error}")


def _parse_output(path: Path, stdout: str) -> ProfileReport:
    violations: list[str] = []
    unlabelled: list[str] = []
    unparsed: list[str] = []
    imported: list[str] = []
    counts: dict[str, int] = {}
    format_name = ""
    verdict: bool | None = None
    for line in stdout.splitlines():
        tag, _, value = line.partition(" ")
        if tag == "VIOLATION":
            violations.append(value)
        elif tag == "UNLABELLED":
            unlabelled.append(value)
        elif tag == "UNPARSED":
            unparsed.append(value)
        elif tag in ("AXIOMS", "CLASSES", "TRIPLES"):
            counts[tag] = int(value)
        elif tag == "FORMAT":
            format_name = value
        elif tag == "IMPORTED":
            imported.append(value)
        elif tag == "DL":
            verdict = value == "yes"
    if verdict is None or "AXIOMS" not in counts or "CLASSES" not in counts:
        raise OwlApiToolError(f"{path}: the OWL API checker gave incomplete output:\n{stdout.strip()}")
    return ProfileReport(
        in_dl_profile=verdict,
        violations=violations,
        unlabelled=unlabelled,
        axiom_count=counts["AXIOMS"],
        class_count=counts["CLASSES"],
        format_name=format_name,
        triple_count=counts.get("TRIPLES"),
        unparsed_triples=unparsed,
        imported=imported,
    )


def check_owl2_dl(path: Path, *, timeout: float | None = 600.0, imports: bool = True) -> ProfileReport:
    """Load ``path`` with the OWL API and check the OWL 2 DL profile (of the ontology and its imports closure).

    Imports are loaded offline from local files: those the XML catalog beside ``path`` (``catalog-v001.xml``, as
    Protégé reads it) maps, and calcgraph's own import modules; ``imports=False`` maps none. An import that cannot
    be loaded is an :class:`OwlApiError`, as a parse error is.

    Raises :class:`OwlApiError` if the OWL API cannot parse the file, :class:`JavaNotFoundError` if there is
    no Java, and :class:`OwlApiToolError` if the checker itself fails.
    """
    path = Path(path)
    java = _find_java()
    jar = find_owlapi_jar()
    classes = _compiled_classes(java, jar)
    command = [
        java,
        "-XX:+UseSerialGC",
        "-XX:TieredStopAtLevel=1",
        "-Djava.awt.headless=true",
        "-cp",
        os.pathsep.join([str(classes), str(jar)]),
        MAIN_CLASS,
        str(path.resolve()),
    ]
    if imports:
        from calcgraph.catalog import import_files

        command += [f"{iri}={local}" for iri, local in sorted(import_files(path).items())]
    try:
        proc = subprocess.run(command, capture_output=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired as exc:
        raise OwlApiToolError(f"{path}: the OWL API checker took longer than {timeout} s") from exc
    stdout = proc.stdout.decode("utf-8", errors="replace")
    if proc.returncode == EXIT_PARSE_ERROR:
        prefix = "PARSE_ERROR "
        message = next((line[len(prefix) :] for line in stdout.splitlines() if line.startswith(prefix)), "")
        raise OwlApiError(path, message or proc.stderr.decode("utf-8", errors="replace").strip())
    if proc.returncode != 0:
        stderr = proc.stderr.decode("utf-8", errors="replace").strip()
        tail = "\n".join(stderr.splitlines()[-20:])
        raise OwlApiToolError(f"{path}: the OWL API checker exited with status {proc.returncode}:\n{tail}")
    return _parse_output(path, stdout)
