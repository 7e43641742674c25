"""How long an SQLite write-ahead log is now, read from the -wal file alone.

SQLite does not shrink the -wal file when the log starts over after a checkpoint: the new
log overwrites the old one from the file's start, so the file's size is the longest the
log has been, not its length. The file says the length all the same (the WAL format,
sqlite.org/fileformat2.html#walformat): its 32-byte header carries two salts that change
each time the log starts over, and every frame (a 24-byte header, then a page) carries
the salts of the log it was written for. The current log's frames come first; past them
the file holds frames of earlier logs, with other salts. So a binary search over the
frames' salts finds the length in ~15 reads of 8 bytes, whatever the file's size.

The -shm index has the length too, but a process must not open and close that file (nor
the database's) beside its SQLite connections: the close would drop their POSIX locks.
SQLite takes no lock through the -wal file, so a descriptor of it opened and closed here
costs none. A frame being written meanwhile is counted or not; the answer is the log's
length at about the moment of the call, which is what a checkpointer needs.
"""

from __future__ import annotations

import os
import struct
from pathlib import Path

_HEADER = 32  # the file's header; each frame is a 24-byte header and a page
_FRAME_HEADER = 24
_SALTS = slice(16, 24)  # in the file's header; at 8..16 of a frame's


def wal_log(path: Path | str) -> tuple[int, bytes]:
    """(frames in the current log, its salts) of the database file `path`'s -wal file;
    (0, b"") without one, or an empty one (the log emptied by a TRUNCATE checkpoint)."""
    try:
        fd = os.open(f"{path}-wal", os.O_RDONLY)
    except FileNotFoundError:
        return 0, b""
    try:
        header = os.pread(fd, _HEADER, 0)
        if len(header) < _HEADER:
            return 0, b""
        page_size = struct.unpack(">I", header[8:12])[0]
        salts = header[_SALTS]
        frame = _FRAME_HEADER + page_size
        room = (os.fstat(fd).st_size - _HEADER) // frame
        # The largest n whose frame n (from 1) has the current salts: frames 1..n do.
        low, high = 0, room
        while low < high:
            mid = (low + high + 1) // 2
            at = _HEADER + (mid - 1) * frame + 8
            if os.pread(fd, 8, at) == salts:
                low = mid
            else:
                high = mid - 1
        return low, salts
    finally:
        os.close(fd)
