"""The export's member writer hashes and writes on a thread of its own: what it records is
what was written, in order, and a failure there fails the export instead of vanishing."""

from __future__ import annotations

import hashlib
import io

import pytest

from audit.export import _Hashing


def test_chunks_are_written_and_hashed_in_order() -> None:
    out = io.BytesIO()
    sink = _Hashing(out)
    chunks = [bytes([n % 251]) * (1000 + n) for n in range(300)]
    for chunk in chunks:
        sink.write(memoryview(chunk))
    sink.finish()
    data = b"".join(chunks)
    assert out.getvalue() == data
    assert sink.size == len(data)
    assert sink.sha.hexdigest() == hashlib.sha256(data).hexdigest()


class _FullDisk(io.RawIOBase):
    def writable(self) -> bool:
        return True

    def write(self, data: object) -> int:
        raise OSError(28, "No space left on device")


def test_a_failed_write_is_raised_by_the_export() -> None:
    sink = _Hashing(_FullDisk())
    with pytest.raises(OSError, match="No space left"):
        for _ in range(100):
            sink.write(b"x" * 65536)
        sink.finish()
