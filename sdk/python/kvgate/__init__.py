"""kvgate: the client SDK for Python (docs/sdk.md "Python").

``kvgate.Client`` puts and gets objects straight from and into caller memory
(numpy arrays, bytearrays, memoryviews, CPU torch tensors) with the GIL
released during I/O; failures raise ``kvgate.Error``. ``kvgate.lmcache``
holds the LMCache plugins (docs/lmcache.md).
"""
from kvgate._kvgate import (  # noqa: F401
    Client,
    Error,
    Future,
    GetResult,
    ListEntry,
    Lister,
    NativeConnector,
    NotFoundError,
    ObjectInfo,
    PutResult,
    RegisteredMemory,
)

__all__ = ["Client", "Error", "NotFoundError", "Future", "GetResult", "PutResult",
           "ObjectInfo", "ListEntry", "Lister", "NativeConnector", "RegisteredMemory"]
