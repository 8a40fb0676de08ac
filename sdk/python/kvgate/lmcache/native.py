"""The connector class LMCache's ``native_plugin`` L2 adapter loads.

LMCache (``native_plugin_l2_adapter._create_native_plugin_l2_adapter``)
imports ``module_path``, calls ``class_name(**adapter_params)``, checks the
instance has event_fd, submit_batch_get/set/exists, drain_completions and
close (submit_batch_delete is optional; this one has it) and wraps it in
``NativeConnectorL2Adapter``. The instance is a ``kvgate.NativeConnector``
(C++: worker threads, an eventfd, the SDK client).

adapter_params: ``bucket`` (required), ``endpoint`` (default
``$KVGATE_ENDPOINT``, else ``http://127.0.0.1:9000``), ``num_workers``
(default 8), ``key_prefix``, and any kvgate.Client option (access_key,
secret_key, region, ca_file, verify_tls, addressing, request_timeout, ...).
Credentials not given come from KVGATE_* / AWS_* variables or the shared
credentials file, as for kvgate.Client.
"""
import os

from kvgate._kvgate import NativeConnector


class KvgateNativeConnector:
    """Factory: ``KvgateNativeConnector(**adapter_params)`` is a kvgate.NativeConnector."""

    def __new__(cls, **adapter_params):
        params = dict(adapter_params)
        if params.get("endpoint") is None and os.environ.get("KVGATE_ENDPOINT"):
            params["endpoint"] = os.environ["KVGATE_ENDPOINT"]
        return NativeConnector(**params)
