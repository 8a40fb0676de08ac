"""LMCache plugins backed by kvgate (docs/lmcache.md).

* ``KvgateNativeConnector`` — for LMCache's multiprocess ``native_plugin`` L2
  adapter: ``{"type": "native_plugin", "module_path": "kvgate.lmcache",
  "class_name": "KvgateNativeConnector", "adapter_params": {...}}``.
* ``KvgateConnectorAdapter`` (in ``kvgate.lmcache.remote``) — a remote
  storage plugin for the single-process mode, URL ``kvgate://host:port/bucket``.

Objects are stored under LMCache's own S3 key strings (``kvgate.lmcache.keys``),
so the stock ``s3://`` backend, these plugins and ``aws s3 ls`` share one
namespace.
"""
from kvgate.lmcache.keys import mp_object_key, nonmp_object_key  # noqa: F401
from kvgate.lmcache.native import KvgateNativeConnector  # noqa: F401

__all__ = ["KvgateNativeConnector", "mp_object_key", "nonmp_object_key"]
