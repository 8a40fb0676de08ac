// ListAllMyBucketsResult, ListBucketResult v1/v2 and ListVersionsResult as
// exact documents, with escaping and encoding-type=url.
#include <catch2/catch.hpp>
#include <string>

#include "kvgate/s3xml/list_documents.h"

using namespace kvgate::s3xml;

namespace {

constexpr std::int64_t kT0 = 1138985109000000000;  // 2006-02-03T16:45:09Z
const std::string kDecl = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
const std::string kNs = " xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"";

object_entry entry(std::string key, std::uint64_t size) {
  object_entry e;
  e.key = std::move(key);
  e.size = size;
  e.mtime_ns = kT0;
  e.etag = "\"d41d8cd98f00b204e9800998ecf8427e\"";
  return e;
}

std::string contents(const std::string& key, std::uint64_t size) {
  return "<Contents><Key>" + key +
         "</Key><LastModified>2006-02-03T16:45:09.000Z</LastModified>"
         "<ETag>\"d41d8cd98f00b204e9800998ecf8427e\"</ETag><Size>" +
         std::to_string(size) + "</Size><StorageClass>STANDARD</StorageClass></Contents>";
}

}  // namespace

TEST_CASE("timestamps are printed as S3 does with milliseconds and Z", "[s3xml]") {
  CHECK(format_s3_timestamp(kT0) == "2006-02-03T16:45:09.000Z");
  CHECK(format_s3_timestamp(kT0 + 123'999'999) == "2006-02-03T16:45:09.123Z");
  CHECK(format_s3_timestamp(0) == "1970-01-01T00:00:00.000Z");
  CHECK(format_s3_timestamp(-1) == "1969-12-31T23:59:59.999Z");
}

TEST_CASE("list buckets document names the owner and every bucket with its creation date",
          "[s3xml]") {
  list_buckets_document doc;
  doc.bucket_owner = {"AKIDEXAMPLE", "dev"};
  doc.buckets = {{"alpha", kT0}, {"beta", kT0 + 1'000'000'000}};
  CHECK(
      render_list_buckets(doc) ==
      kDecl + "<ListAllMyBucketsResult" + kNs +
          "><Owner><ID>AKIDEXAMPLE</ID><DisplayName>dev</DisplayName></Owner><Buckets>"
          "<Bucket><Name>alpha</Name><CreationDate>2006-02-03T16:45:09.000Z</CreationDate></Bucket>"
          "<Bucket><Name>beta</Name><CreationDate>2006-02-03T16:45:10.000Z</CreationDate></Bucket>"
          "</Buckets></ListAllMyBucketsResult>");
}

TEST_CASE("list buckets document with no buckets has an empty Buckets element", "[s3xml]") {
  list_buckets_document doc;
  doc.bucket_owner = {"id", "name"};
  CHECK(render_list_buckets(doc) ==
        kDecl + "<ListAllMyBucketsResult" + kNs +
            "><Owner><ID>id</ID><DisplayName>name</DisplayName></Owner><Buckets/>"
            "</ListAllMyBucketsResult>");
}

TEST_CASE("list objects v1 renders marker, next marker, delimiter and common prefixes", "[s3xml]") {
  list_objects_v1_document doc;
  doc.page.bucket = "bkt";
  doc.page.prefix = "photos/";
  doc.page.delimiter = "/";
  doc.page.max_keys = 2;
  doc.page.truncated = true;
  doc.page.objects = {entry("photos/a.jpg", 10)};
  doc.page.common_prefixes = {"photos/2006/"};
  doc.marker = "photos/";
  doc.next_marker = "photos/2006/";
  CHECK(render_list_objects_v1(doc) ==
        kDecl + "<ListBucketResult" + kNs +
            "><Name>bkt</Name><Prefix>photos/</Prefix><Marker>photos/</Marker>"
            "<NextMarker>photos/2006/</NextMarker><MaxKeys>2</MaxKeys><Delimiter>/</Delimiter>"
            "<IsTruncated>true</IsTruncated>" +
            contents("photos/a.jpg", 10) +
            "<CommonPrefixes><Prefix>photos/2006/</Prefix></CommonPrefixes></ListBucketResult>");
}

TEST_CASE("list objects v1 that is not truncated has no NextMarker and no Delimiter when unset",
          "[s3xml]") {
  list_objects_v1_document doc;
  doc.page.bucket = "bkt";
  doc.next_marker = "ignored";
  CHECK(render_list_objects_v1(doc) ==
        kDecl + "<ListBucketResult" + kNs +
            "><Name>bkt</Name><Prefix></Prefix><Marker></Marker><MaxKeys>1000</MaxKeys>"
            "<IsTruncated>false</IsTruncated></ListBucketResult>");
}

TEST_CASE("list objects v2 counts keys and prefixes and renders the continuation tokens",
          "[s3xml]") {
  list_objects_v2_document doc;
  doc.page.bucket = "bkt";
  doc.page.max_keys = 3;
  doc.page.truncated = true;
  doc.page.delimiter = "/";
  doc.page.objects = {entry("a", 1), entry("b", 2)};
  doc.page.common_prefixes = {"c/"};
  doc.continuation_token = "YQ==";
  doc.start_after = "0";
  doc.next_continuation_token = "Yy8=";
  CHECK(render_list_objects_v2(doc) ==
        kDecl + "<ListBucketResult" + kNs +
            "><Name>bkt</Name><Prefix></Prefix><StartAfter>0</StartAfter><ContinuationToken>YQ==</"
            "ContinuationToken>"
            "<NextContinuationToken>Yy8=</NextContinuationToken><KeyCount>3</KeyCount><MaxKeys>3</"
            "MaxKeys>"
            "<Delimiter>/</Delimiter><IsTruncated>true</IsTruncated>" +
            contents("a", 1) + contents("b", 2) +
            "<CommonPrefixes><Prefix>c/</Prefix></CommonPrefixes></ListBucketResult>");
}

TEST_CASE("list objects v2 with fetch-owner renders the Owner of each entry", "[s3xml]") {
  list_objects_v2_document doc;
  doc.page.bucket = "bkt";
  object_entry e = entry("k", 5);
  e.object_owner = owner{"AKID", "dev"};
  e.checksum_algorithm = "CRC32";
  e.checksum_type = "FULL_OBJECT";
  doc.page.objects = {e};
  CHECK(render_list_objects_v2(doc) ==
        kDecl + "<ListBucketResult" + kNs +
            "><Name>bkt</Name><Prefix></Prefix><KeyCount>1</KeyCount><MaxKeys>1000</MaxKeys>"
            "<IsTruncated>false</IsTruncated><Contents><Key>k</Key>"
            "<LastModified>2006-02-03T16:45:09.000Z</LastModified>"
            "<ETag>\"d41d8cd98f00b204e9800998ecf8427e\"</ETag><ChecksumAlgorithm>CRC32</"
            "ChecksumAlgorithm>"
            "<ChecksumType>FULL_OBJECT</ChecksumType><Size>5</Size>"
            "<Owner><ID>AKID</ID><DisplayName>dev</DisplayName></Owner>"
            "<StorageClass>STANDARD</StorageClass></Contents></ListBucketResult>");
}

TEST_CASE("keys with xml metacharacters and control characters are escaped", "[s3xml]") {
  list_objects_v2_document doc;
  doc.page.bucket = "bkt";
  doc.page.prefix = "a&b";
  doc.page.objects = {entry("x&y<z>\"q\"'s\x01\x1f", 0)};
  const std::string xml = render_list_objects_v2(doc);
  CHECK(xml.find("<Prefix>a&amp;b</Prefix>") != std::string::npos);
  CHECK(xml.find("<Key>x&amp;y&lt;z&gt;\"q\"'s&#01;&#31;</Key>") != std::string::npos);
}

TEST_CASE(
    "encoding-type=url percent-encodes keys, prefixes, delimiter and markers but keeps slashes",
    "[s3xml]") {
  list_objects_v1_document doc;
  doc.page.bucket = "bkt";
  doc.page.prefix = "dir a/";
  doc.page.delimiter = "+";
  doc.page.url_encoding = true;
  doc.page.truncated = true;
  doc.page.objects = {entry("dir a/k&\x01\xc3\xa9", 1)};
  doc.page.common_prefixes = {"dir a/sub+/"};
  doc.marker = "m=1";
  doc.next_marker = "dir a/sub+/";
  CHECK(render_list_objects_v1(doc) ==
        kDecl + "<ListBucketResult" + kNs +
            "><Name>bkt</Name><Prefix>dir%20a/</Prefix><Marker>m%3D1</Marker>"
            "<NextMarker>dir%20a/sub%2B/</NextMarker><MaxKeys>1000</MaxKeys><Delimiter>%2B</"
            "Delimiter>"
            "<EncodingType>url</EncodingType><IsTruncated>true</IsTruncated>" +
            contents("dir%20a/k%26%01%C3%A9", 1) +
            "<CommonPrefixes><Prefix>dir%20a/sub%2B/</Prefix></CommonPrefixes></ListBucketResult>");
}

TEST_CASE("encoding-type=url on v2 leaves the opaque continuation token alone", "[s3xml]") {
  list_objects_v2_document doc;
  doc.page.bucket = "bkt";
  doc.page.url_encoding = true;
  doc.page.truncated = true;
  doc.start_after = "a b";
  doc.next_continuation_token = "a+b/c=";
  const std::string xml = render_list_objects_v2(doc);
  CHECK(xml.find("<StartAfter>a%20b</StartAfter>") != std::string::npos);
  CHECK(xml.find("<NextContinuationToken>a+b/c=</NextContinuationToken>") != std::string::npos);
}

TEST_CASE("list versions reports every object as its latest version with VersionId null",
          "[s3xml]") {
  list_versions_document doc;
  doc.page.bucket = "bkt";
  doc.page.max_keys = 1;
  doc.page.truncated = true;
  object_entry e = entry("k", 7);
  e.object_owner = owner{"AKID", "dev"};
  doc.page.objects = {e};
  doc.next_key_marker = "k";
  doc.next_version_id_marker = "null";
  CHECK(render_list_versions(doc) ==
        kDecl + "<ListVersionsResult" + kNs +
            "><Name>bkt</Name><Prefix></Prefix><KeyMarker></KeyMarker><VersionIdMarker></"
            "VersionIdMarker><NextKeyMarker>k</NextKeyMarker>"
            "<NextVersionIdMarker>null</NextVersionIdMarker><MaxKeys>1</MaxKeys>"
            "<IsTruncated>true</IsTruncated><Version><Key>k</Key><VersionId>null</VersionId>"
            "<IsLatest>true</IsLatest><LastModified>2006-02-03T16:45:09.000Z</LastModified>"
            "<ETag>\"d41d8cd98f00b204e9800998ecf8427e\"</ETag><Size>7</Size>"
            "<Owner><ID>AKID</ID><DisplayName>dev</DisplayName></Owner>"
            "<StorageClass>STANDARD</StorageClass></Version></ListVersionsResult>");
}
