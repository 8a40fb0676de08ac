#include <catch2/catch.hpp>

#include "kvgate/s3/operation.h"

using kvgate::s3::operation;
using kvgate::s3::route;
using kvgate::s3::route_input;

namespace {

operation route_of(std::string_view method, bool bucket, bool key, std::string_view query,
                   bool copy = false) {
  auto q = kvgate::protocol::parse_query(query);
  REQUIRE(q.has_value());
  static kvgate::protocol::query_params params;
  params = *q;
  return route(route_input{method, bucket, key, &params, copy});
}

}  // namespace

TEST_CASE("service, bucket and object requests route to their operations", "[s3][router]") {
  CHECK(route_of("GET", false, false, "") == operation::list_buckets);
  CHECK(route_of("PUT", true, false, "") == operation::create_bucket);
  CHECK(route_of("DELETE", true, false, "") == operation::delete_bucket);
  CHECK(route_of("HEAD", true, false, "") == operation::head_bucket);
  CHECK(route_of("GET", true, false, "location") == operation::get_bucket_location);
  CHECK(route_of("GET", true, false, "list-type=2&prefix=a") == operation::list_objects);
  CHECK(route_of("GET", true, false, "uploads") == operation::list_multipart_uploads);
  CHECK(route_of("POST", true, false, "delete") == operation::delete_objects);
  CHECK(route_of("PUT", true, true, "") == operation::put_object);
  CHECK(route_of("PUT", true, true, "", true) == operation::copy_object);
  CHECK(route_of("GET", true, true, "") == operation::get_object);
  CHECK(route_of("GET", true, true, "partNumber=2") == operation::get_object);
  CHECK(route_of("HEAD", true, true, "") == operation::head_object);
  CHECK(route_of("DELETE", true, true, "") == operation::delete_object);
  CHECK(route_of("GET", true, true, "tagging") == operation::get_object_tagging);
  CHECK(route_of("GET", true, true, "tagging&versionId=null") == operation::get_object_tagging);
  CHECK(route_of("GET", true, false, "lifecycle") == operation::get_bucket_lifecycle);
  CHECK(route_of("PUT", true, false, "lifecycle") == operation::put_bucket_lifecycle);
  CHECK(route_of("DELETE", true, false, "lifecycle") == operation::delete_bucket_lifecycle);
  CHECK(route_of("POST", true, false, "lifecycle") == operation::method_not_allowed);
  CHECK(route_of("PUT", true, true, "lifecycle") == operation::not_implemented);
}

TEST_CASE("multipart sub-resources route to the multipart operations", "[s3][router]") {
  CHECK(route_of("POST", true, true, "uploads") == operation::create_multipart_upload);
  CHECK(route_of("PUT", true, true, "partNumber=1&uploadId=u") == operation::upload_part);
  CHECK(route_of("PUT", true, true, "partNumber=1&uploadId=u", true) ==
        operation::upload_part_copy);
  CHECK(route_of("POST", true, true, "uploadId=u") == operation::complete_multipart_upload);
  CHECK(route_of("DELETE", true, true, "uploadId=u") == operation::abort_multipart_upload);
  CHECK(route_of("GET", true, true, "uploadId=u") == operation::list_parts);
}

TEST_CASE("unsupported sub-resources and methods are not implemented", "[s3][router]") {
  CHECK(route_of("GET", true, false, "acl") == operation::not_implemented);
  CHECK(route_of("PUT", true, true, "tagging") == operation::not_implemented);
  CHECK(route_of("DELETE", true, true, "tagging") == operation::not_implemented);
  CHECK(route_of("GET", true, false, "tagging") == operation::not_implemented);
  CHECK(route_of("GET", true, false, "versioning") == operation::not_implemented);
  CHECK(route_of("POST", true, true, "") == operation::not_implemented);
  CHECK(route_of("PATCH", true, true, "") == operation::method_not_allowed);
  CHECK(route_of("PUT", false, false, "") == operation::method_not_allowed);
}

TEST_CASE("reads need read access and mutations need write access", "[s3][router]") {
  using kvgate::s3::access;
  using kvgate::s3::required_access;
  CHECK(required_access(operation::get_object) == access::read);
  CHECK(required_access(operation::head_bucket) == access::read);
  CHECK(required_access(operation::get_object_tagging) == access::read);
  CHECK(required_access(operation::put_object) == access::write);
  CHECK(required_access(operation::delete_bucket) == access::write);
  CHECK(required_access(operation::list_buckets) == access::none);
}
