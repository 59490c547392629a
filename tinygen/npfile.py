"""numpy files a user gives (--calib, --data, --labels, --frames): what is wrong with one
that is not what its name says, in words, before numpy reads it. numpy's own words for a
text file named .npz are "This file contains pickled (object) data", which it does not.

    problem = not_numpy(Path("data.npz"))   # None, or e.g. "is not an .npz archive (...)"
"""

from __future__ import annotations

import zipfile
from pathlib import Path

NPY_MAGIC = b"\x93NUMPY"        # the first bytes of every .npy (numpy.lib.format)


def not_numpy(path: Path) -> str | None:
    """What keeps `path` from being the .npz or .npy its suffix says (a phrase that
    follows the file's name), or None: it looks like one (numpy reads it)."""
    try:
        with open(path, "rb") as f:
            head = f.read(len(NPY_MAGIC))
    except OSError as e:
        return f"cannot be read: {e.strerror or e}"
    if not head:
        return "is empty"
    if path.suffix == ".npz" and not zipfile.is_zipfile(path):
        kind = "a .npy file, not an archive" if head == NPY_MAGIC else "not a zip archive"
        return f"is not an .npz archive ({kind}; numpy.savez writes one)"
    if path.suffix == ".npy" and head != NPY_MAGIC:
        kind = "a zip archive: name it .npz" if head.startswith(b"PK") else "no numpy header"
        return f"is not a .npy file ({kind}; numpy.save writes one)"
    return None


__all__ = ["NPY_MAGIC", "not_numpy"]
