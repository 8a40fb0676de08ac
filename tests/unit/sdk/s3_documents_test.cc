// The S3 XML documents the SDK reads and writes (sdk/src/s3_documents.h).
#include "s3_documents.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

using namespace kvgate::sdk::detail;

TEST_CASE("S3 error bodies give code, message and request id", "[sdk][xml]") {
  auto e = parse_error_body(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>NoSuchKey</Code><Message>The "
      "specified key does not exist.</Message><Key>k</Key><RequestId>abc123</RequestId></Error>");
  REQUIRE(e);
  CHECK(e->code == "NoSuchKey");
  CHECK(e->message == "The specified key does not exist.");
  CHECK(e->request_id == "abc123");
  CHECK_FALSE(parse_error_body("<ListBucketResult/>"));
  CHECK_FALSE(parse_error_body("not xml <"));
  CHECK(is_error_document("<Error><Code>InternalError</Code></Error>"));
  CHECK_FALSE(is_error_document("<CompleteMultipartUploadResult/>"));
}

TEST_CASE("InitiateMultipartUploadResult gives the upload id", "[sdk][xml]") {
  CHECK(parse_upload_id("<InitiateMultipartUploadResult xmlns=\"http://s3.amazonaws.com/doc/"
                        "2006-03-01/\"><Bucket>b</Bucket><Key>k</Key><UploadId>u-1</UploadId>"
                        "</InitiateMultipartUploadResult>") == "u-1");
  CHECK_FALSE(parse_upload_id("<InitiateMultipartUploadResult/>"));
}

TEST_CASE("CompleteMultipartUpload lists parts with ETags and CRC32C", "[sdk][xml]") {
  const std::string xml = render_complete_upload({{1, "\"e1\"", "AAAAAA=="}, {2, "\"e2\"", ""}});
  CHECK(xml ==
        "<?xml version=\"1.0\"?><CompleteMultipartUpload "
        "xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Part><PartNumber>1</PartNumber>"
        "<ETag>\"e1\"</ETag><ChecksumCRC32C>AAAAAA==</ChecksumCRC32C></Part><Part>"
        "<PartNumber>2</PartNumber><ETag>\"e2\"</ETag></Part></CompleteMultipartUpload>");
}

TEST_CASE("ListObjectsV2 pages give entries, prefixes and the continuation token", "[sdk][xml]") {
  auto page = parse_list_v2(
      "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Name>b</Name>"
      "<IsTruncated>true</IsTruncated><NextContinuationToken>tok</NextContinuationToken>"
      "<Contents><Key>a/1</Key><Size>10</Size><ETag>\"x\"</ETag><LastModified>2026-11-23T00:00:"
      "00.000Z</LastModified></Contents><Contents><Key>a/2</Key><Size>20</Size></Contents>"
      "<CommonPrefixes><Prefix>a/b/</Prefix></CommonPrefixes></ListBucketResult>");
  REQUIRE(page);
  CHECK(page->truncated);
  CHECK(page->next_token == "tok");
  REQUIRE(page->page.entries.size() == 2);
  CHECK(page->page.entries[0].key == "a/1");
  CHECK(page->page.entries[0].size == 10);
  CHECK(page->page.entries[0].etag == "\"x\"");
  CHECK(page->page.entries[1].size == 20);
  REQUIRE(page->page.common_prefixes.size() == 1);
  CHECK(page->page.common_prefixes[0] == "a/b/");
  auto last =
      parse_list_v2("<ListBucketResult><IsTruncated>false</IsTruncated></ListBucketResult>");
  REQUIRE(last);
  CHECK_FALSE(last->truncated);
  CHECK_FALSE(parse_list_v2("<Error/>"));
}

TEST_CASE("BatchExists requests escape keys and results must answer the keys in order",
          "[sdk][xml]") {
  const std::vector<std::string> keys{"a@1/b", "x & <y>", "a@1/b"};
  const std::string body = render_exists_request(keys);
  CHECK(body ==
        "<?xml version=\"1.0\"?><Exists><Object><Key>a@1/b</Key></Object><Object><Key>x &amp; "
        "&lt;y&gt;</Key></Object>"
        "<Object><Key>a@1/b</Key></Object></Exists>");
  const std::string ns = " xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"";
  auto answer = [&](std::string objects) {
    return "<?xml version=\"1.0\" encoding=\"UTF-8\"?><ExistsResult" + ns + ">" + objects +
           "</ExistsResult>";
  };
  const std::string yes_a = "<Object><Key>a@1/b</Key><Exists>true</Exists><Size>3</Size></Object>";
  const std::string no_x = "<Object><Key>x &amp; &lt;y&gt;</Key><Exists>false</Exists></Object>";
  auto got = parse_exists_result(answer(yes_a + no_x + yes_a), keys);
  REQUIRE(got);
  CHECK(*got == std::vector<bool>{true, false, true});
  CHECK_FALSE(parse_exists_result(answer(yes_a + no_x), keys));                  // one missing
  CHECK_FALSE(parse_exists_result(answer(no_x + yes_a + yes_a), keys));          // out of order
  CHECK_FALSE(parse_exists_result(answer(yes_a + no_x + yes_a + yes_a), keys));  // extra
  CHECK_FALSE(parse_exists_result("<ListBucketResult/>", keys));
  CHECK_FALSE(parse_exists_result(
      answer(yes_a + "<Object><Key>x &amp; &lt;y&gt;</Key><Exists>maybe</Exists></Object>" + yes_a),
      keys));
}
