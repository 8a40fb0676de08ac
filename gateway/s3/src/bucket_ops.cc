// ListBuckets, CreateBucket, DeleteBucket, HeadBucket, GetBucketLocation.
#include <fmt/chrono.h>
#include <fmt/format.h>

#include <ctime>
#include <pugixml.hpp>
#include <sstream>

#include "kvgate/s3/addressing.h"
#include "operations.h"

namespace kvgate::s3 {
namespace {

using protocol::s3_error;

constexpr const char* kS3Namespace = "http://s3.amazonaws.com/doc/2006-03-01/";

std::string iso8601_from_ns(std::int64_t ns) {
  const std::time_t t = static_cast<std::time_t>(ns / 1'000'000'000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  return fmt::format("{:%Y-%m-%dT%H:%M:%S}.{:03}Z", tm, (ns / 1'000'000) % 1000);
}

std::string to_xml(const pugi::xml_document& doc) {
  std::ostringstream out;
  doc.save(out, "", pugi::format_raw | pugi::format_no_declaration);
  return R"(<?xml version="1.0" encoding="UTF-8"?>)"
         "\n" +
         out.str();
}

}  // namespace

asio::awaitable<void> async_list_buckets(op_context& op) {
  auto buckets = co_await op.async_storage([&] { return op.store().list_buckets(); });
  if (!buckets) co_return co_await op.async_fail(buckets.error());
  pugi::xml_document doc;
  auto root = doc.append_child("ListAllMyBucketsResult");
  root.append_attribute("xmlns") = kS3Namespace;
  auto owner = root.append_child("Owner");
  owner.append_child("ID").text() = op.caller.access_key.c_str();
  owner.append_child("DisplayName").text() = op.caller.access_key.c_str();
  auto list = root.append_child("Buckets");
  for (const auto& b : *buckets) {
    if (!user_directory::can_read(op.caller, b.name, b.owner)) continue;
    auto node = list.append_child("Bucket");
    node.append_child("Name").text() = b.name.c_str();
    node.append_child("CreationDate").text() = iso8601_from_ns(b.created_ns).c_str();
  }
  co_await async_send_xml(op.ctx, http::status::ok, to_xml(doc));
}

asio::awaitable<void> async_create_bucket(op_context& op) {
  if (!is_valid_bucket_name(op.req.bucket)) {
    co_return co_await op.async_fail(s3_error::invalid_bucket_name);
  }
  // A CreateBucketConfiguration body (LocationConstraint) is accepted and
  // ignored: kvgate has one location. The core drains it.
  const std::string name = op.req.bucket;
  const std::string owner = op.caller.access_key;
  auto created = co_await op.async_storage([&] { return op.store().create_bucket(name, owner); });
  if (!created) {
    if (s3_error_for(created.error()) == s3_error::bucket_already_exists) {
      auto existing = co_await op.async_storage([&] { return op.store().head_bucket(name); });
      if (existing && existing->owner == owner) {
        co_return co_await op.async_fail(s3_error::bucket_already_owned_by_you);
      }
      co_return co_await op.async_fail(s3_error::bucket_already_exists);
    }
    co_return co_await op.async_fail(created.error());
  }
  http::fields h;
  h.set(http::field::location, "/" + name);
  co_await async_send_empty(op.ctx, http::status::ok, std::move(h));
}

asio::awaitable<void> async_delete_bucket(op_context& op) {
  const std::string name = op.req.bucket;
  auto r = co_await op.async_storage([&] { return op.store().delete_bucket(name); });
  if (!r) co_return co_await op.async_fail(r.error());
  co_await async_send_empty(op.ctx, http::status::no_content);
}

asio::awaitable<void> async_head_bucket(op_context& op) {
  // The handler already found the bucket (op.bucket) and checked the grant.
  http::fields h;
  h.set("x-amz-bucket-region", "us-east-1");
  co_await async_send_empty(op.ctx, http::status::ok, std::move(h));
}

asio::awaitable<void> async_get_bucket_location(op_context& op) {
  pugi::xml_document doc;
  auto root = doc.append_child("LocationConstraint");
  root.append_attribute("xmlns") = kS3Namespace;
  co_await async_send_xml(op.ctx, http::status::ok, to_xml(doc));
}

}  // namespace kvgate::s3
