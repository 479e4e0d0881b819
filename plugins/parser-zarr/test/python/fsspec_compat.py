"""Imported for its effect: lets Debian's fsspec read kerchunk references with missing chunks."""
from fsspec.implementations.reference import ReferenceFileSystem

# A chunk missing from a reference set is a chunk never written (the kerchunk spec: readers use the
# fill value). fsspec 2022.11 (Debian) raises KeyError from ReferenceFileSystem.cat(..., on_error=
# "return") when a batch of keys includes such a chunk, instead of returning FileNotFoundError for
# it (which fsspec's mapper then omits, and zarr fills); this shim does the latter.
_cat = ReferenceFileSystem.cat


def _cat_missing_as_not_found(self, path, recursive=False, on_error="raise", **kwargs):
    if isinstance(path, list) and on_error in ("omit", "return"):
        missing = [p for p in path if self._strip_protocol(p) not in self.references]
        present = [p for p in path if self._strip_protocol(p) in self.references]
        out = _cat(self, present, recursive=recursive, on_error=on_error, **kwargs) if present else {}
        if on_error == "return":
            out.update({p: FileNotFoundError(p) for p in missing})
        return out
    return _cat(self, path, recursive=recursive, on_error=on_error, **kwargs)


ReferenceFileSystem.cat = _cat_missing_as_not_found
