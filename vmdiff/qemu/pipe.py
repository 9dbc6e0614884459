"""A pipe whose read end a thread copies into a file: ``cat > OUT`` inside this process."""

from __future__ import annotations

import os
import threading
from pathlib import Path

COPY_CHUNK_BYTES = 1024 * 1024


class PipeToFile:
    """QEMU gets the write end (``getfd``, then ``migrate fd:NAME``); a thread fills the file.

    Unlike ``exec:cat > OUT``, where "completed" can be seen before cat has written the last
    bytes, the copy is known to be whole once the pipe reaches end of file. A pipe rather than
    the file itself, because QEMU 10.0 deprecates ``fd:`` on regular files. Raises OSError when
    the file cannot be created.
    """

    def __init__(self, out_path: Path) -> None:
        self.out_path = out_path
        self._out = out_path.open("wb")
        read_fd, self.write_fd = os.pipe()
        self._source = os.fdopen(read_fd, "rb")
        self.copied = 0
        """Bytes written to the file so far."""
        self.error: OSError | None = None
        self._thread = threading.Thread(target=self._copy, name="vmdiff-pipe", daemon=True)
        self._thread.start()

    def close_write_end(self) -> None:
        """Close this process's copy of the write end, so QEMU's close means end of file."""
        if self.write_fd >= 0:
            os.close(self.write_fd)
            self.write_fd = -1

    def finish(self, timeout: float | None = None) -> bool:
        """Wait for the copy to reach end of file; False if it had not after ``timeout``."""
        self.close_write_end()
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def _copy(self) -> None:
        try:
            with self._source, self._out:
                while chunk := self._source.read(COPY_CHUNK_BYTES):
                    self._out.write(chunk)
                    self.copied += len(chunk)
        except OSError as err:
            self.error = err
