// Private to kvgate::gateway: the cache-tier operations, dispatched by
// s3_handler.cc like those of operations.h. Each produces exactly one
// response; call from the request coroutine only.
#pragma once

#include "operations.h"

namespace kvgate::s3 {

// lifecycle_ops.cc: GET/PUT/DELETE /bucket?lifecycle.
asio::awaitable<void> async_get_bucket_lifecycle(op_context& op);
asio::awaitable<void> async_put_bucket_lifecycle(op_context& op);
asio::awaitable<void> async_delete_bucket_lifecycle(op_context& op);
// admin_endpoint.cc: /.kvgate/v1/admin/... (root credentials only).
asio::awaitable<void> async_admin_endpoint(op_context& op);

}  // namespace kvgate::s3
