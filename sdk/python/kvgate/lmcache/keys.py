"""LMCache's S3 object names, so every path into the bucket agrees.

Both are written from LMCache's own code (LMCache/LMCache):

* single-process mode: ``S3Connector._format_safe_path`` sends
  ``"/" + quote(key.to_string().replace("/", "_"))`` with the bucket in the
  host name, so the object key is ``CacheEngineKey.to_string()`` with ``/``
  flattened to ``_`` (``model@world_size@worker_id@chunk_hash_hex@dtype...``);
* multiprocess mode: ``s3_l2_adapter._object_key_to_string`` and the native
  connector bridge (``native_connector_l2_adapter._object_key_to_string``)
  both use ``model@kv_rank:08x@object_group_id:x@chunk_hash.hex()[@salt]``,
  the model name keeping its ``/``. The native plugin receives these strings
  from LMCache and stores them verbatim.
"""


def nonmp_object_key(key_string):
    """The S3 key LMCache's s3:// connector uses for a CacheEngineKey string."""
    return key_string.replace("/", "_")


def mp_object_key(model_name, kv_rank, object_group_id, chunk_hash, cache_salt=""):
    """The S3 key of LMCache's multiprocess S3 adapter for an ObjectKey's fields."""
    base = f"{model_name}@{kv_rank:08x}@{object_group_id:x}@{bytes(chunk_hash).hex()}"
    return f"{base}@{cache_salt}" if cache_salt else base
