"""Inputs, parts and the output folder, on any filesystem pyarrow reads (local paths, ``s3://``, ``gs://``...).

The work is cut into *parts* decided by the input alone: a JSONL file into byte ranges of about
``part_bytes`` that start at line starts (with the number of each range's first line, for ``line-N`` ids),
a Parquet file into its row groups. Each part's records go to one output file whose name is derived from the
part (input path, size, range), written under a temporary name and renamed into place; a part whose output
file exists is never checked again. So a task that Ray retries after an actor died writes its part once, and
a rerun over the same input and output resumes where the last one stopped.
"""

from __future__ import annotations

import glob
import hashlib
import json
import os
import uuid
from dataclasses import dataclass
from fnmatch import fnmatch
from typing import Any

from ._options import AuditError

PARQUET_SUFFIXES = (".parquet", ".pq")
FOLDER_SUFFIXES = (".jsonl", ".json", ".ndjson", *PARQUET_SUFFIXES)  # files taken from a folder
SCAN_BLOCK = 8 << 20
PLAN_NAME = "_audit.json"
SUMMARY_NAME = "_summary.json"
SUCCESS_NAME = "_SUCCESS"


@dataclass(frozen=True)
class InputFile:
    filesystem: Any  # pyarrow.fs.FileSystem (picklable)
    path: str
    size: int
    format: str  # "jsonl" | "parquet"


def _filesystem(location: str) -> tuple[Any, str]:
    from pyarrow import fs

    if "://" not in location:
        location = os.path.abspath(location)
    try:
        return fs.FileSystem.from_uri(location)
    except (OSError, ValueError) as exc:
        raise AuditError(f"cannot open {location}: {exc}") from exc


def _is_hidden(path: str, root: str) -> bool:
    relative = path[len(root) :].lstrip("/") if path.startswith(root) else os.path.basename(path)
    return any(part.startswith((".", "_")) for part in relative.split("/"))


def expand_inputs(inputs: list[str]) -> list[InputFile]:
    """Files, folders (their ``.jsonl`` / ``.json`` / ``.ndjson`` / ``.parquet`` files, recursively, hidden
    and ``_`` names skipped) and globs, in a stable order; a path that matches nothing is an :class:`AuditError`."""
    from pyarrow import fs

    found: dict[str, InputFile] = {}
    for text in inputs:
        filesystem, path = _filesystem(text)
        if any(char in text for char in "*?["):
            infos = _glob(filesystem, path, text)
        else:
            try:
                info = filesystem.get_file_info(path)
            except OSError as exc:
                raise AuditError(f"cannot read the input {text}: {exc}") from exc
            if info.type == fs.FileType.NotFound:
                raise AuditError(f"no such input: {text}")
            if info.type == fs.FileType.Directory:
                try:
                    listed = filesystem.get_file_info(fs.FileSelector(path, recursive=True))
                except OSError as exc:
                    raise AuditError(f"cannot list the input folder {text}: {exc}") from exc
                infos = [
                    i for i in listed
                    if i.type == fs.FileType.File and i.path.endswith(FOLDER_SUFFIXES) and not _is_hidden(i.path, path)
                ]  # fmt: skip
                if not infos:
                    raise AuditError(f"the input folder {text} holds no .jsonl, .json, .ndjson or .parquet file")
            else:
                infos = [info]
        for info in sorted(infos, key=lambda i: i.path):
            key = f"{filesystem.type_name}:{info.path}"
            kind = "parquet" if info.path.lower().endswith(PARQUET_SUFFIXES) else "jsonl"
            found.setdefault(key, InputFile(filesystem, info.path, int(info.size or 0), kind))
    return list(found.values())


def _glob(filesystem: Any, pattern: str, text: str) -> list[Any]:
    from pyarrow import fs

    if filesystem.type_name == "local":
        paths = sorted(p for p in glob.glob(pattern, recursive=True) if os.path.isfile(p))
        infos = filesystem.get_file_info(paths) if paths else []
    else:
        first = min(i for i, char in enumerate(pattern) if char in "*?[")
        base = pattern[:first].rsplit("/", 1)[0]
        try:
            listed = filesystem.get_file_info(fs.FileSelector(base, recursive=True, allow_not_found=True))
        except OSError as exc:
            raise AuditError(f"cannot list {text}: {exc}") from exc
        infos = [i for i in listed if i.type == fs.FileType.File and fnmatch(i.path, pattern)]
    if not infos:
        raise AuditError(f"no input file matches {text}")
    return infos


# --- parts ---------------------------------------------------------------------------------------------


def plan_jsonl(source: InputFile, part_bytes: int) -> list[tuple[int, int, int]]:
    """(start, end, number of the first line) of each part of a JSONL file: a part holds the lines that start
    in [k * part_bytes, (k + 1) * part_bytes). One sequential read of the file (newlines are counted)."""
    if source.size <= part_bytes:
        return [(0, source.size, 1)] if source.size else []
    bounds: list[tuple[int, int]] = [(0, 1)]  # (offset of a part's first line, its line number)
    target, position, newlines = part_bytes, 0, 0
    with source.filesystem.open_input_stream(source.path) as stream:
        while True:
            block = stream.read(SCAN_BLOCK)
            if not block:
                break
            search = 0
            while target - 1 < position + len(block):
                index = block.find(b"\n", max(target - 1 - position, search))
                if index < 0:
                    break
                boundary = position + index + 1
                if boundary < source.size:
                    bounds.append((boundary, 1 + newlines + block.count(b"\n", 0, index + 1)))
                search = index + 1
                target = (boundary // part_bytes + 1) * part_bytes
            newlines += block.count(b"\n")
            position += len(block)
    ends = [start for start, _ in bounds[1:]] + [source.size]
    return [(start, end, line) for (start, line), end in zip(bounds, ends)]


def plan_parquet(source: InputFile) -> list[tuple[int, int, int]]:
    """(row group, rows in it, number of its first row) of each part of a Parquet file."""
    import pyarrow.parquet as pq

    with source.filesystem.open_input_file(source.path) as handle:
        meta = pq.ParquetFile(handle).metadata
    parts, first = [], 1
    for group in range(meta.num_row_groups):
        rows = meta.row_group(group).num_rows
        parts.append((group, rows, first))
        first += rows
    return parts


def part_name(source: InputFile, start: int, part_bytes: int, output_format: str) -> str:
    digest = hashlib.sha256(
        json.dumps([source.filesystem.type_name, source.path, source.size, source.format, part_bytes]).encode()
    ).hexdigest()[:16]
    stem = os.path.basename(source.path).rsplit(".", 1)[0][:40] or "input"
    safe = "".join(char if char.isalnum() or char in "-_" else "_" for char in stem)
    return f"part-{safe}-{digest}-{start:012d}.{output_format}"


def read_part(source: InputFile, start: int, end: int) -> Any:
    """A JSONL part's bytes, or (Parquet) its row group as a list of row dicts."""
    try:
        if source.format == "parquet":
            import pyarrow.parquet as pq

            with source.filesystem.open_input_file(source.path) as handle:
                return pq.ParquetFile(handle).read_row_group(start).to_pylist()
        with source.filesystem.open_input_file(source.path) as handle:
            handle.seek(start)
            return handle.read(end - start)
    except OSError as exc:
        raise AuditError(f"cannot read {source.path}: {exc}") from exc


# --- output folder -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OutputDir:
    filesystem: Any
    path: str

    @classmethod
    def open(cls, location: str) -> OutputDir:
        from pyarrow import fs

        filesystem, path = _filesystem(location)
        try:
            info = filesystem.get_file_info(path)
            if info.type == fs.FileType.File:
                raise AuditError(f"the output {location} is a file, not a folder")
            filesystem.create_dir(path, recursive=True)
        except OSError as exc:
            raise AuditError(f"cannot write the output folder {location}: {exc}") from exc
        return cls(filesystem, path.rstrip("/"))

    def join(self, name: str) -> str:
        return f"{self.path}/{name}"

    def exists(self, name: str) -> bool:
        from pyarrow import fs

        return self.filesystem.get_file_info(self.join(name)).type != fs.FileType.NotFound

    def read_text(self, name: str) -> str | None:
        try:
            with self.filesystem.open_input_stream(self.join(name)) as stream:
                return stream.read().decode("utf-8")
        except FileNotFoundError:
            return None

    def write_atomic(self, name: str, payload: bytes) -> None:
        """Write ``name`` under a temporary hidden name, then rename it into place (readers of the folder,
        Ray and Spark included, skip names that start with '.' or '_')."""
        temp = self.join(f".{name}.{uuid.uuid4().hex}.tmp")
        with self.filesystem.open_output_stream(temp) as stream:
            stream.write(payload)
        self.filesystem.move(temp, self.join(name))

    def remove_temporaries(self) -> None:
        from pyarrow import fs

        for info in self.filesystem.get_file_info(fs.FileSelector(self.path)):
            name = info.path.rsplit("/", 1)[-1]
            if name.startswith(".") and name.endswith(".tmp"):
                try:
                    self.filesystem.delete_file(info.path)
                except OSError:
                    pass

    def part_names(self) -> set[str]:
        from pyarrow import fs

        names = set()
        for info in self.filesystem.get_file_info(fs.FileSelector(self.path)):
            name = info.path.rsplit("/", 1)[-1]
            if name.startswith("part-") and info.type == fs.FileType.File:
                names.add(name)
        return names
