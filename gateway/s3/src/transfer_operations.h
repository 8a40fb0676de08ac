// Private to kvgate::gateway: entry points of the multipart, listing, copy and
// DeleteObjects and BatchExists operations (one file per group: multipart_ops.cc,
// list_ops.cc, copy_ops.cc, delete_objects_op.cc, exists_op.cc), dispatched by
// s3_handler.cc like those declared in operations.h. Each produces exactly one
// response; call from the request coroutine only.
#pragma once

#include "operations.h"

namespace kvgate::s3 {

// list_ops.cc: GET /bucket (v1, ?list-type=2) and GET /bucket?versions.
asio::awaitable<void> async_list_objects(op_context& op);
asio::awaitable<void> async_list_object_versions(op_context& op);
// copy_ops.cc: PUT with x-amz-copy-source.
asio::awaitable<void> async_copy_object(op_context& op);
// delete_objects_op.cc: POST /bucket?delete.
asio::awaitable<void> async_delete_objects(op_context& op);
// exists_op.cc: POST /bucket?kvgate-exists (kvgate extension).
asio::awaitable<void> async_batch_exists(op_context& op);
// multipart_ops.cc.
asio::awaitable<void> async_create_multipart_upload(op_context& op);
asio::awaitable<void> async_upload_part(op_context& op);
asio::awaitable<void> async_upload_part_copy(op_context& op);
asio::awaitable<void> async_list_parts(op_context& op);
asio::awaitable<void> async_list_multipart_uploads(op_context& op);
asio::awaitable<void> async_complete_multipart_upload(op_context& op);
asio::awaitable<void> async_abort_multipart_upload(op_context& op);

}  // namespace kvgate::s3
