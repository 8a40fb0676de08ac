"""Stand-ins for LMCache's base classes when LMCache is not installed.

kvgate.lmcache.remote subclasses LMCache's ``ConnectorAdapter`` and
``RemoteConnector`` when ``lmcache`` can be imported. Without it (a machine
that only runs kvgate's tests) these classes take their place with the same
names, constructor and abstract methods as LMCache's
(``lmcache/v1/storage_backend/connector/__init__.py`` and
``base_connector.py``), so the plugin can be driven the way LMCache drives
it. They do no LMCache work themselves.
"""
import abc


class ConnectorContext:
    """What LMCache hands an adapter's create_connector()."""

    def __init__(self, url, loop, local_cpu_backend, config, metadata):
        self.url = url
        self.loop = loop
        self.local_cpu_backend = local_cpu_backend
        self.config = config
        self.metadata = metadata


class ConnectorAdapter(abc.ABC):
    def __init__(self, schema=""):
        self.schema = schema

    @abc.abstractmethod
    def can_parse(self, url):
        """True when this adapter handles ``url``."""

    @abc.abstractmethod
    def create_connector(self, context):
        """A RemoteConnector for ``context``."""


class RemoteConnector(metaclass=abc.ABCMeta):
    save_chunk_meta = True
    meta_shape = None
    meta_dtype = None
    meta_fmt = None
    full_chunk_size = None
    single_token_size = None

    def init_chunk_meta(self, config, metadata):
        """LMCache's raw-chunk geometry (base_connector.init_chunk_meta).

        With ``extra_config.save_chunk_meta`` false, objects are raw KV bytes
        and their shape comes from the engine metadata: (kv_shape[1],
        kv_shape[0], kv_shape[2], kv_shape[3] * kv_shape[4]).
        """
        extra = getattr(config, "extra_config", None) if config is not None else None
        if (config is None or metadata is None or extra is None
                or extra.get("save_chunk_meta", True) or getattr(config, "use_layerwise", False)):
            return
        import torch

        kv = metadata.kv_shape
        self.save_chunk_meta = False
        self.meta_shape = torch.Size([kv[1], kv[0], kv[2], kv[3] * kv[4]])
        self.meta_dtype = metadata.kv_dtype
        self.meta_fmt = "KV_MLA_FMT" if getattr(metadata, "use_mla", False) else "KV_2LTD"
        element = torch.tensor([], dtype=metadata.kv_dtype).element_size()
        count = 1
        for dim in kv:
            count *= dim
        self.full_chunk_size = element * count
        self.single_token_size = self.full_chunk_size // kv[2]

    def post_init(self):
        pass

    @abc.abstractmethod
    async def exists(self, key):
        raise NotImplementedError

    @abc.abstractmethod
    def exists_sync(self, key):
        raise NotImplementedError

    @abc.abstractmethod
    async def get(self, key):
        raise NotImplementedError

    @abc.abstractmethod
    async def put(self, key, memory_obj):
        raise NotImplementedError

    @abc.abstractmethod
    async def list(self):
        raise NotImplementedError

    @abc.abstractmethod
    async def close(self):
        raise NotImplementedError

    def support_ping(self):
        return False

    async def ping(self):
        raise NotImplementedError

    def support_batched_get(self):
        return False

    async def batched_get(self, keys):
        raise NotImplementedError

    def support_batched_put(self):
        return False

    async def batched_put(self, keys, memory_objs):
        raise NotImplementedError

    def support_batched_async_contains(self):
        return False

    async def batched_async_contains(self, lookup_id, keys, pin=False):
        raise NotImplementedError

    def support_batched_get_non_blocking(self):
        return False

    async def batched_get_non_blocking(self, lookup_id, keys):
        raise NotImplementedError

    def remove_sync(self, key):
        raise NotImplementedError

    def support_batched_contains(self):
        return False

    def __repr__(self):
        return f"<{self.__class__.__name__}>"
