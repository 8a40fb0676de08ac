"""kvgate's two LMCache plugins (sdk/python/kvgate/lmcache, docs/lmcache.md)
against a real `kvgate serve`, each driven the way LMCache drives it. LMCache
is not installable here, so the drivers below are written from LMCache's
source (LMCache/LMCache):

* NativePluginDriver follows lmcache/v1/distributed/l2_adapters/
  native_plugin_l2_adapter.py (import module_path, class_name(**adapter_params),
  check the required methods) and native_connector_l2_adapter.py (submit
  under a lock, a demux thread polling the connector's eventfd and draining
  (future_id, ok, error, per_key_bools) completions, memoryviews of
  ctypes-backed MemoryObj buffers, keys "model@kv_rank:08x@group:x@hash").
* RemoteBackendDriver follows lmcache/v1/storage_backend/connector/
  __init__.py (ConnectorManager: adapter(), can_parse(url),
  create_connector(context), init_chunk_meta(config, metadata), post_init())
  and remote_backend.py (coroutines run on an event-loop thread with
  asyncio.run_coroutine_threadsafe, results waited with a timeout; keys are
  CacheEngineKey strings "model@world@worker@hash:x@dtype").

Both share one namespace with boto3 (the stock S3 path) on the same keys.
"""
import asyncio
import ctypes
import importlib
import os
import select
import sys
import threading
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import s3_gateway  # noqa: E402
from kvgate_python import import_kvgate  # noqa: E402

kvgate = import_kvgate()
import numpy as np  # noqa: E402

try:
    import torch
except ImportError:
    torch = None

BUCKET = "lmcache"
MODEL = "meta-llama/Llama-3.1-8B"


def credentials():
    return {"access_key": s3_gateway.ROOT_ACCESS_KEY, "secret_key": s3_gateway.ROOT_SECRET_KEY}


class ByteBuffer:
    """An L1 MemoryObj stand-in: pinned numpy memory and a ctypes-backed byte view."""

    def __init__(self, size, fill=None):
        self.array = np.zeros(size, dtype=np.uint8) if fill is None else fill
        # MemoryObj.byte_array: a ctypes array over the object's address.
        self.byte_array = memoryview(
            (ctypes.c_ubyte * self.array.nbytes).from_address(self.array.ctypes.data))


# ----------------------------------------------------------------------------
# Multiprocess mode: native_plugin
# ----------------------------------------------------------------------------

REQUIRED = ["event_fd", "submit_batch_get", "submit_batch_set", "submit_batch_exists",
            "drain_completions", "close"]


class NativePluginDriver:
    """LMCache's native_plugin factory plus NativeConnectorL2Adapter's demux."""

    def __init__(self, module_path, class_name, adapter_params):
        module = importlib.import_module(module_path)
        self.client = getattr(module, class_name)(**adapter_params)
        for method in REQUIRED:
            if not callable(getattr(self.client, method, None)):
                self.client.close()
                raise TypeError(f"missing {method}")
        self.has_delete = callable(getattr(self.client, "submit_batch_delete", None))
        self.fd = int(self.client.event_fd())
        self.lock = threading.Lock()
        self.pending = {}  # future_id -> (op, n_keys)
        self.done = {}  # future_id -> (op, ok, error, per_key)
        self.cv = threading.Condition(self.lock)
        self.completions_seen = 0
        self.wakeups = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.demux, daemon=True)
        self.thread.start()

    def submit(self, op, *args):
        with self.lock:  # registered before the completion can be drained
            fid = int(getattr(self.client, f"submit_batch_{op}")(*args))
            self.pending[fid] = (op, len(args[0]))
        return fid

    def demux(self):
        poller = select.poll()
        poller.register(self.fd, select.POLLIN)
        while not self.stop.is_set():
            if not poller.poll(100):
                continue
            completions = self.client.drain_completions()
            with self.lock:
                self.wakeups += 1
                for fid, ok, error, per_key in completions:
                    op, n = self.pending.pop(int(fid))
                    if per_key is not None:
                        assert len(per_key) == n, (op, n, per_key)
                    self.done[int(fid)] = (op, ok, error, per_key)
                    self.completions_seen += 1
                self.cv.notify_all()

    def wait(self, fid, timeout=60):
        with self.cv:
            if not self.cv.wait_for(lambda: fid in self.done, timeout):
                raise AssertionError(f"future {fid} did not complete")
            return self.done.pop(fid)

    def run(self, op, *args):
        return self.wait(self.submit(op, *args))

    def close(self):
        self.stop.set()
        self.thread.join(5)
        self.client.close()


def mp_keys(prefix, n):
    from kvgate.lmcache import mp_object_key

    return [mp_object_key(MODEL, (1 << 24) | (1 << 8), 0, bytes([i, 7]) * 16,
                          cache_salt=prefix) for i in range(n)]


class NativePlugin(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.gw = s3_gateway.Gateway()
        cls.s3 = cls.gw.client()
        cls.s3.create_bucket(Bucket=BUCKET)
        cls.driver = NativePluginDriver(
            "kvgate.lmcache", "KvgateNativeConnector",
            {"endpoint": cls.gw.url, "bucket": BUCKET, "num_workers": 4, **credentials()})
        cls.rng = np.random.default_rng(3)

    @classmethod
    def tearDownClass(cls):
        cls.driver.close()
        cls.gw.stop()

    def chunks(self, n, size=256 * 1024):
        return [ByteBuffer(size, self.rng.integers(0, 256, size, dtype=np.uint8)) for _ in range(n)]

    def test_set_exists_get_delete_through_the_eventfd(self):
        keys = mp_keys("cycle", 12)
        src = self.chunks(12)
        op, ok, err, per_key = self.driver.run("set", keys, [b.byte_array for b in src])
        self.assertEqual((op, ok, err, per_key), ("set", True, "", None))

        probe = keys[:6] + mp_keys("absent", 2)
        _, ok, _, found = self.driver.run("exists", probe)
        self.assertTrue(ok)
        self.assertEqual(found, [True] * 6 + [False] * 2)

        dst = [ByteBuffer(len(b.array)) for b in src]
        _, ok, _, loaded = self.driver.run("get", keys, [b.byte_array for b in dst])
        self.assertTrue(ok)
        self.assertEqual(loaded, [True] * 12)
        for s, d in zip(src, dst):
            self.assertTrue(np.array_equal(s.array, d.array))

        self.assertTrue(self.driver.has_delete)
        _, ok, _, deleted = self.driver.run("delete", keys[:4])
        self.assertEqual((ok, deleted), (True, [True] * 4))
        _, _, _, found = self.driver.run("exists", keys[:6])
        self.assertEqual(found, [False] * 4 + [True] * 2)

    def test_get_reports_misses_and_size_mismatches_per_key(self):
        keys = mp_keys("partial", 3)
        src = self.chunks(3, 4096)
        self.driver.run("set", keys, [b.byte_array for b in src])
        dst = [ByteBuffer(4096), ByteBuffer(4096), ByteBuffer(4000), ByteBuffer(4096)]
        _, ok, err, loaded = self.driver.run(
            "get", [keys[0], mp_keys("nothing", 1)[0], keys[1], keys[2]], [b.byte_array for b in dst])
        self.assertTrue(ok)
        self.assertEqual(loaded, [True, False, False, True])
        self.assertIn("4000", err)  # the size mismatch is named; a miss is not an error
        self.assertTrue(np.array_equal(dst[3].array, src[2].array))

    def test_concurrent_batches_from_two_threads_each_complete_once(self):
        batches = []
        lock = threading.Lock()

        def submitter(tag):
            for b in range(6):
                keys = mp_keys(f"conc-{tag}-{b}", 8)
                bufs = self.chunks(8, 64 * 1024)
                fid = self.driver.submit("set", keys, [x.byte_array for x in bufs])
                with lock:
                    batches.append((fid, keys, bufs))

        threads = [threading.Thread(target=submitter, args=(t,)) for t in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        fids = [fid for fid, _, _ in batches]
        self.assertEqual(len(set(fids)), 12)
        for fid, _, _ in batches:
            self.assertEqual(self.driver.wait(fid)[1:3], (True, ""))
        # Read them all back as 12 batches in flight at once.
        reads = []
        for _, keys, bufs in batches:
            dst = [ByteBuffer(len(x.array)) for x in bufs]
            reads.append((self.driver.submit("get", keys, [d.byte_array for d in dst]), bufs, dst))
        for fid, bufs, dst in reads:
            self.assertEqual(self.driver.wait(fid)[3], [True] * 8)
            for s, d in zip(bufs, dst):
                self.assertTrue(np.array_equal(s.array, d.array))

    def test_eventfd_is_quiet_once_drained(self):
        self.driver.run("exists", mp_keys("quiet", 1))
        poller = select.poll()
        poller.register(self.driver.fd, select.POLLIN)
        # The demux thread drained everything; nothing left to signal.
        with self.driver.lock:
            self.assertEqual(self.driver.client.drain_completions(), [])
        self.assertEqual(poller.poll(50), [])

    def test_objects_are_shared_with_boto3_under_lmcache_s3_keys(self):
        keys = mp_keys("interop", 2)
        src = self.chunks(2, 8192)
        self.driver.run("set", keys[:1], [src[0].byte_array])
        listed = self.s3.list_objects_v2(Bucket=BUCKET, Prefix=keys[0])
        self.assertEqual([o["Key"] for o in listed["Contents"]], [keys[0]])
        self.assertTrue(keys[0].startswith("meta-llama/Llama-3.1-8B@01000100@0@"))
        body = self.s3.get_object(Bucket=BUCKET, Key=keys[0])["Body"].read()
        self.assertEqual(body, src[0].array.tobytes())
        self.s3.put_object(Bucket=BUCKET, Key=keys[1], Body=src[1].array.tobytes())
        dst = ByteBuffer(8192)
        self.assertEqual(self.driver.run("get", keys[1:], [dst.byte_array])[3], [True])
        self.assertTrue(np.array_equal(dst.array, src[1].array))

    @unittest.skipIf(torch is None, "python3-torch is not installed")
    def test_torch_tensor_buffers(self):
        keys = mp_keys("torch", 2)
        src = [torch.randn(2, 16, 128, dtype=torch.float32).to(torch.bfloat16) for _ in keys]
        self.assertTrue(self.driver.run("set", keys, src)[1])
        dst = [torch.empty_like(t) for t in src]
        self.assertEqual(self.driver.run("get", keys, dst)[3], [True, True])
        for s, d in zip(src, dst):
            self.assertTrue(torch.equal(s, d))

    def test_contract_errors(self):
        with self.assertRaises(RuntimeError):
            self.driver.client.submit_batch_set([], [])
        with self.assertRaises(RuntimeError):
            self.driver.client.submit_batch_get(["a", "b"], [ByteBuffer(4).byte_array])
        with self.assertRaises(RuntimeError):
            self.driver.client.submit_batch_exists([])
        with self.assertRaises(BufferError):  # get needs writable memory
            self.driver.client.submit_batch_get(["a"], [b"read-only"])
        from kvgate.lmcache import KvgateNativeConnector

        with self.assertRaises(TypeError):
            KvgateNativeConnector(endpoint=self.gw.url, no_such=1, bucket=BUCKET)
        with self.assertRaises(TypeError):
            KvgateNativeConnector(endpoint=self.gw.url)  # no bucket

    def test_failures_are_completions_not_exceptions(self):
        dead = NativePluginDriver("kvgate.lmcache", "KvgateNativeConnector",
                                  {"endpoint": "http://127.0.0.1:1", "bucket": BUCKET,
                                   "max_attempts": 1, "num_workers": 2, **credentials()})
        try:
            buf = ByteBuffer(1024)
            _, ok, err, per_key = dead.run("set", mp_keys("dead", 1), [buf.byte_array])
            self.assertFalse(ok)
            self.assertIn("connect", err)
            self.assertIsNone(per_key)
            _, ok, err, per_key = dead.run("exists", mp_keys("dead", 2))
            self.assertFalse(ok)
            self.assertIsNone(per_key)
            _, ok, _, per_key = dead.run("get", mp_keys("dead", 1), [buf.byte_array])
            self.assertEqual((ok, per_key), (True, [False]))
        finally:
            dead.close()
        # After close, a batch completes failed without I/O.
        fid = dead.client.submit_batch_exists(mp_keys("closed", 1))
        self.assertGreater(fid, 0)
        done = dead.client.drain_completions()
        self.assertEqual([(c[0], c[1], c[2]) for c in done], [(fid, False, "connector closed")])


# ----------------------------------------------------------------------------
# Single-process mode: remote storage plugin (kvgate://)
# ----------------------------------------------------------------------------

class CacheEngineKey:
    """lmcache.utils.CacheEngineKey's to_string()."""

    def __init__(self, model_name, world_size, worker_id, chunk_hash, dtype="bfloat16"):
        self.model_name, self.world_size, self.worker_id = model_name, world_size, worker_id
        self.chunk_hash, self.dtype = chunk_hash, dtype

    def to_string(self):
        return (f"{self.model_name}@{self.world_size}@{self.worker_id}"
                f"@{self.chunk_hash:x}@{self.dtype}")


class MemoryObj:
    """The parts of lmcache MemoryObj the connector uses."""

    def __init__(self, tensor):
        self.tensor = tensor
        self.refs = 1
        self.byte_array = memoryview(
            (ctypes.c_ubyte * self.get_size()).from_address(tensor.data_ptr()))

    def get_size(self):
        return self.tensor.numel() * self.tensor.element_size()

    def get_physical_size(self):
        return self.get_size()

    def ref_count_down(self):
        self.refs -= 1


class LocalCPUBackend:
    def __init__(self):
        self.allocated = []

    def allocate(self, shape, dtype, fmt=None):
        obj = MemoryObj(torch.empty(shape, dtype=dtype))
        self.allocated.append(obj)
        return obj


class Config:
    def __init__(self, url, extra):
        self.remote_url = url
        self.extra_config = extra
        self.use_layerwise = False
        self.blocking_timeout_secs = 10


class Metadata:
    # (layers, kv, chunk tokens, heads, head size): 4 * 2 * 16 * 8 * 64 * 2 bytes = 128 KiB
    kv_shape = (4, 2, 16, 8, 64)
    use_mla = False

    def __init__(self):
        self.kv_dtype = torch.bfloat16


class RemoteBackendDriver:
    """ConnectorManager.create_connector + RemoteBackend's calls into the connector."""

    def __init__(self, url, extra):
        from kvgate.lmcache import remote
        from kvgate.lmcache._lmcache_shim import ConnectorContext

        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.backend = LocalCPUBackend()
        adapter = remote.KvgateConnectorAdapter()  # LMCache instantiates adapters without args
        if not adapter.can_parse(url):
            raise ValueError(f"No adapter found for URL: {url}")
        config = Config(url, extra)
        context = ConnectorContext(url, self.loop, self.backend, config, Metadata())
        self.connector = adapter.create_connector(context)
        self.connector.init_chunk_meta(config, context.metadata)
        self.connector.post_init()

    def call(self, coro, timeout=10):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def close(self):
        self.call(self.connector.close())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


def plugin_extra(**options):
    extra = {"save_chunk_meta": False,
             "remote_storage_plugin.kvgate.module_path": "kvgate.lmcache.remote",
             "remote_storage_plugin.kvgate.class_name": "KvgateConnectorAdapter"}
    extra.update({f"remote_storage_plugin.kvgate.{k}": v for k, v in options.items()})
    return extra


@unittest.skipIf(torch is None, "python3-torch is not installed (LMCache chunks are tensors)")
class RemotePlugin(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.gw = s3_gateway.Gateway()
        cls.s3 = cls.gw.client()
        cls.s3.create_bucket(Bucket=BUCKET)
        url = f"kvgate://127.0.0.1:{cls.gw.port}/{BUCKET}"
        cls.driver = RemoteBackendDriver(url, plugin_extra(**credentials()))
        cls.conn = cls.driver.connector

    @classmethod
    def tearDownClass(cls):
        cls.driver.close()
        cls.gw.stop()

    def key(self, h, worker=0):
        return CacheEngineKey(MODEL, 2, worker, h)

    def chunk(self):
        obj = self.driver.backend.allocate(self.conn.meta_shape, self.conn.meta_dtype)
        obj.tensor.copy_(torch.randn(obj.tensor.shape).to(obj.tensor.dtype))
        return obj

    def test_chunk_geometry_from_metadata(self):
        self.assertFalse(self.conn.save_chunk_meta)
        self.assertEqual(tuple(self.conn.meta_shape), (2, 4, 16, 512))
        self.assertEqual(self.conn.full_chunk_size, 128 * 1024)

    def test_put_exists_get(self):
        key, obj = self.key(-0x7f89f621536990ce), self.chunk()
        self.assertFalse(self.driver.call(self.conn.exists(key)))
        self.driver.call(self.conn.put(key, obj))
        self.assertTrue(self.driver.call(self.conn.exists(key)))
        self.assertTrue(self.conn.exists_sync(key))
        got = self.driver.call(self.conn.get(key))
        self.assertTrue(torch.equal(got.tensor, obj.tensor))
        self.assertIsNone(self.driver.call(self.conn.get(self.key(0x1234))))

    def test_batched_put_get_and_contains_prefix(self):
        keys = [self.key(0xabc000 + i) for i in range(6)]
        objs = [self.chunk() for _ in keys]
        self.assertTrue(self.conn.support_batched_put())
        self.driver.call(self.conn.batched_put(keys[:4] + keys[5:], objs[:4] + objs[5:]))
        self.assertTrue(self.conn.support_batched_async_contains())
        self.assertEqual(self.driver.call(self.conn.batched_async_contains("l1", keys)), 4)
        self.assertEqual(self.driver.call(self.conn.batched_async_contains("l2", keys[5:])), 1)
        self.assertTrue(self.conn.support_batched_get())
        got = self.driver.call(self.conn.batched_get(keys))
        self.assertIsNone(got[4])
        for i in (0, 1, 2, 3, 5):
            self.assertTrue(torch.equal(got[i].tensor, objs[i].tensor))
        self.assertTrue(self.conn.support_batched_get_non_blocking())
        prefix = self.driver.call(self.conn.batched_get_non_blocking("l3", keys))
        self.assertEqual(len(prefix), 4)

    def test_objects_are_shared_with_the_stock_s3_connector_keys(self):
        key, obj = self.key(0xfeed, worker=1), self.chunk()
        self.driver.call(self.conn.put(key, obj))
        s3_key = key.to_string().replace("/", "_")  # S3Connector._format_safe_path
        self.assertEqual(s3_key, f"meta-llama_Llama-3.1-8B@2@1@feed@bfloat16")
        body = self.s3.get_object(Bucket=BUCKET, Key=s3_key)["Body"].read()
        self.assertEqual(body, bytes(obj.byte_array))
        other = self.key(0xbeef)
        self.s3.put_object(Bucket=BUCKET, Key=other.to_string().replace("/", "_"), Body=body)
        got = self.driver.call(self.conn.get(other))
        self.assertTrue(torch.equal(got.tensor, obj.tensor))
        self.assertIn(s3_key, self.driver.call(self.conn.list()))

    def test_wrong_size_object_is_a_miss(self):
        key = self.key(0x5157)
        self.s3.put_object(Bucket=BUCKET, Key=key.to_string().replace("/", "_"), Body=b"short")
        self.assertIsNone(self.driver.call(self.conn.get(key)))

    def test_ping_and_remove(self):
        self.assertTrue(self.conn.support_ping())
        self.assertEqual(self.driver.call(self.conn.ping()), 0)
        key = self.key(0x7e3)
        self.driver.call(self.conn.put(key, self.chunk()))
        self.assertTrue(self.conn.remove_sync(key))
        self.assertFalse(self.conn.exists_sync(key))

    def test_url_forms(self):
        from kvgate.lmcache.remote import KvgateConnectorAdapter, parse_kvgate_url

        adapter = KvgateConnectorAdapter()
        self.assertTrue(adapter.can_parse("kvgate://h:1/b"))
        self.assertTrue(adapter.can_parse("kvgates://h:1/b"))
        self.assertFalse(adapter.can_parse("s3://b.h:1"))
        self.assertEqual(parse_kvgate_url("kvgates://ak:s%2Fk@gw.example:9443/kv?region=r1"),
                         ("https://gw.example:9443", "kv", {"region": "r1", "access_key": "ak",
                                                            "secret_key": "s/k"}))
        with self.assertRaises(ValueError):
            parse_kvgate_url("kvgate://h:1/")


@unittest.skipIf(torch is None, "python3-torch is not installed")
class RemotePluginOverHttps(unittest.TestCase):
    def test_kvgates_url_with_ca_file(self):
        gw = s3_gateway.Gateway(tls=True)
        try:
            gw.client().create_bucket(Bucket=BUCKET)
            url = f"kvgates://127.0.0.1:{gw.tls_port}/{BUCKET}"
            driver = RemoteBackendDriver(url, plugin_extra(ca_file=gw.ca_file, **credentials()))
            conn = driver.connector
            obj = driver.backend.allocate(conn.meta_shape, conn.meta_dtype)
            obj.tensor.fill_(3)
            key = CacheEngineKey(MODEL, 1, 0, 42)
            driver.call(conn.put(key, obj))
            self.assertTrue(torch.equal(driver.call(conn.get(key)).tensor, obj.tensor))
            driver.close()
        finally:
            gw.stop()


if __name__ == "__main__":
    unittest.main()
