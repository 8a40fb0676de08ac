"""kvgate as an LMCache remote storage plugin (single-process mode).

LMCache configuration (docs/lmcache.md)::

    remote_url: "kvgate://gw.example:9000/kvcache"      # kvgates:// for HTTPS
    remote_storage_plugins: ["kvgate"]
    extra_config:
      remote_storage_plugin.kvgate.module_path: kvgate.lmcache.remote
      remote_storage_plugin.kvgate.class_name: KvgateConnectorAdapter
      save_chunk_meta: false
      # any kvgate.Client option as remote_storage_plugin.kvgate.<option>:
      remote_storage_plugin.kvgate.ca_file: /etc/kvgate/ca.pem

The URL is ``kvgate://[access_key:secret_key@]host:port/bucket[?option=value...]``;
options in the query string or the extra_config entries are kvgate.Client
options (region, ca_file, addressing, request_timeout, ...) plus
``num_threads`` (threads of the connector's executor, default 8).

Objects are raw KV bytes (``save_chunk_meta: false``, as for LMCache's S3
connector) under LMCache's S3 key (``keys.nonmp_object_key``), so the stock
``s3://`` connector reads what this plugin writes and the other way round.
The class names and methods are those of LMCache's ``ConnectorAdapter`` and
``RemoteConnector`` (imported from LMCache when it is installed).
"""
import asyncio
import concurrent.futures
import logging
from urllib.parse import parse_qsl, unquote, urlsplit

import kvgate
from kvgate.lmcache.keys import nonmp_object_key

try:  # LMCache's own base classes when LMCache is installed
    from lmcache.v1.storage_backend.connector import ConnectorAdapter
    from lmcache.v1.storage_backend.connector.base_connector import RemoteConnector

    LMCACHE_PRESENT = True
except ImportError:
    from kvgate.lmcache._lmcache_shim import ConnectorAdapter, RemoteConnector

    LMCACHE_PRESENT = False

logger = logging.getLogger("kvgate.lmcache")

SCHEMES = ("kvgate://", "kvgates://")
_PLUGIN_KEYS = {"module_path", "class_name", "url"}
_CONNECTOR_KEYS = {"num_threads"}


def parse_kvgate_url(url):
    """(endpoint, bucket, options) of ``kvgate[s]://[ak:sk@]host:port/bucket[?k=v...]``."""
    parts = urlsplit(url)
    if parts.scheme not in ("kvgate", "kvgates"):
        raise ValueError(f"kvgate: not a kvgate:// URL: {url}")
    if not parts.hostname:
        raise ValueError(f"kvgate: missing host in {url}")
    bucket = parts.path.strip("/")
    if not bucket or "/" in bucket:
        raise ValueError(f"kvgate: the URL path must be the bucket name: {url}")
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    scheme = "https" if parts.scheme == "kvgates" else "http"
    endpoint = f"{scheme}://{host}" + (f":{parts.port}" if parts.port else "")
    options = dict(parse_qsl(parts.query))
    if parts.username is not None:
        options["access_key"] = unquote(parts.username)
        options["secret_key"] = unquote(parts.password or "")
    return endpoint, bucket, options


def _typed(value):
    """extra_config and query values arrive as strings or YAML scalars."""
    if not isinstance(value, str):
        return value
    low = value.lower()
    if low in ("true", "false"):
        return low == "true"
    for kind in (int, float):
        try:
            return kind(value)
        except ValueError:
            pass
    return value


def _byte_view(memory_obj):
    """The MemoryObj's bytes as a writable buffer (no copy)."""
    view = getattr(memory_obj, "byte_array", None)
    if view is None:
        view = memory_obj.tensor
    size = memory_obj.get_size()
    if isinstance(view, memoryview) and view.nbytes > size:
        view = view.cast("B")[:size]
    return view


class KvgateConnectorAdapter(ConnectorAdapter):
    """Handles ``kvgate://`` and ``kvgates://`` remote URLs."""

    def __init__(self):
        super().__init__("kvgate://")

    def can_parse(self, url):
        return isinstance(url, str) and url.startswith(SCHEMES)

    def create_connector(self, context):
        name = getattr(context, "plugin_name", None) or "kvgate"
        extra = getattr(context.config, "extra_config", None) or {}
        prefix = f"remote_storage_plugin.{name}."
        options = {k[len(prefix):]: v for k, v in extra.items()
                   if k.startswith(prefix) and k[len(prefix):] not in _PLUGIN_KEYS}
        url = context.url if self.can_parse(context.url) else extra.get(prefix + "url")
        endpoint, bucket, url_options = parse_kvgate_url(url)
        options.update(url_options)
        options = {k: _typed(v) for k, v in options.items()}
        options["endpoint"] = endpoint
        return KvgateRemoteConnector(bucket, context.loop, context.local_cpu_backend, options)


class KvgateRemoteConnector(RemoteConnector):
    """LMCache RemoteConnector over kvgate.Client.

    Blocking SDK calls (which release the GIL) run on a thread pool; async
    methods await them. Batched forms put every request of the batch in
    flight at once (Client.get_many / put_many) and batched contains is one
    BatchExists round trip (Client.exists_batch).
    """

    def __init__(self, bucket, loop, local_cpu_backend, options):
        options = dict(options)
        threads = int(options.pop("num_threads", 8))
        self.bucket = bucket
        self.loop = loop
        self.local_cpu_backend = local_cpu_backend
        self.client = kvgate.Client(**options)
        self._executor = concurrent.futures.ThreadPoolExecutor(
            max_workers=threads, thread_name_prefix="kvgate-lmcache")
        logger.info("kvgate remote connector: %s bucket %s", options.get("endpoint"), bucket)

    # -- helpers ---------------------------------------------------------

    def _run(self, fn, *args):
        return asyncio.get_running_loop().run_in_executor(self._executor, fn, *args)

    @staticmethod
    def object_key(key):
        return nonmp_object_key(key.to_string())

    def _allocate(self):
        if self.local_cpu_backend is None or self.meta_shape is None:
            raise RuntimeError("kvgate: get needs local_cpu_backend and save_chunk_meta: false")
        return self.local_cpu_backend.allocate(self.meta_shape, self.meta_dtype, self.meta_fmt)

    def _accept(self, memory_obj, outcome, key):
        """memory_obj when `outcome` filled it exactly, else None (freed)."""
        key = key.to_string()
        if isinstance(outcome, kvgate.Error) or outcome.object_size != memory_obj.get_size():
            if isinstance(outcome, kvgate.Error):
                if not isinstance(outcome, kvgate.NotFoundError):
                    logger.warning("kvgate: get %s failed: %s", key, outcome)
            else:
                logger.warning("kvgate: object %s has %d bytes, the chunk %d", key,
                               outcome.object_size, memory_obj.get_size())
            memory_obj.ref_count_down()
            return None
        return memory_obj

    def _get_blocking(self, key):
        memory_obj = self._allocate()
        if memory_obj is None:
            return None
        try:
            outcome = self.client.get(self.bucket, self.object_key(key), _byte_view(memory_obj))
        except kvgate.Error as e:
            outcome = e
        return self._accept(memory_obj, outcome, key)

    def _batched_get_blocking(self, keys):
        objs = [self._allocate() for _ in keys]
        live = [i for i, o in enumerate(objs) if o is not None]
        outcomes = self.client.get_many(self.bucket, [self.object_key(keys[i]) for i in live],
                                        [_byte_view(objs[i]) for i in live])
        results = [None] * len(keys)
        for i, outcome in zip(live, outcomes):
            results[i] = self._accept(objs[i], outcome, keys[i])
        return results

    # -- RemoteConnector -------------------------------------------------

    async def exists(self, key):
        return await self._run(self.exists_sync, key)

    def exists_sync(self, key):
        try:
            return self.client.head(self.bucket, self.object_key(key)).size > 0
        except kvgate.NotFoundError:
            return False

    async def get(self, key):
        return await self._run(self._get_blocking, key)

    async def put(self, key, memory_obj):
        await self._run(self.client.put, self.bucket, self.object_key(key), _byte_view(memory_obj))

    async def list(self):
        return await self._run(lambda: [e.key for e in self.client.list(self.bucket)])

    async def close(self):
        self._executor.shutdown(wait=True)
        self.client.close()

    def support_ping(self):
        return True

    async def ping(self):
        def probe():
            try:
                next(iter(self.client.list(self.bucket, page_size=1)), None)
                return 0
            except kvgate.Error as e:
                return e.status or 1

        return await self._run(probe)

    def support_batched_get(self):
        return True

    async def batched_get(self, keys):
        return await self._run(self._batched_get_blocking, list(keys))

    def support_batched_put(self):
        return True

    async def batched_put(self, keys, memory_objs):
        keys = list(keys)

        def put_all():
            outcomes = self.client.put_many(self.bucket, [self.object_key(k) for k in keys],
                                            [_byte_view(o) for o in memory_objs])
            for key, outcome in zip(keys, outcomes):
                if isinstance(outcome, kvgate.Error):
                    logger.warning("kvgate: put %s failed: %s", key, outcome)

        await self._run(put_all)

    def support_batched_async_contains(self):
        return True

    async def batched_async_contains(self, lookup_id, keys, pin=False):
        """How many of `keys`, in order, are stored before the first miss."""
        keys = list(keys)
        if not keys:
            return 0
        found = await self._run(self.client.exists_batch, self.bucket,
                                [self.object_key(k) for k in keys])
        hits = 0
        for present in found:
            if not present:
                break
            hits += 1
        return hits

    def support_batched_get_non_blocking(self):
        return True

    async def batched_get_non_blocking(self, lookup_id, keys):
        """The loaded prefix of `keys` (stops at the first key that did not load)."""
        objs = await self._run(self._batched_get_blocking, list(keys))
        loaded = []
        for i, obj in enumerate(objs):
            if obj is None:
                for rest in objs[i + 1:]:
                    if rest is not None:
                        rest.ref_count_down()
                break
            loaded.append(obj)
        return loaded

    def remove_sync(self, key):
        self.client.delete(self.bucket, self.object_key(key))
        return True

    def __repr__(self):
        return f"<KvgateRemoteConnector bucket={self.bucket}>"


__all__ = ["KvgateConnectorAdapter", "KvgateRemoteConnector", "parse_kvgate_url",
           "LMCACHE_PRESENT", "SCHEMES"]
