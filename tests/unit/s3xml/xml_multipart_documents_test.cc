// Multipart, copy, delete and location response documents, exact output.
#include <catch2/catch.hpp>
#include <string>

#include "kvgate/s3xml/multipart_documents.h"
#include "kvgate/s3xml/object_documents.h"

using namespace kvgate::s3xml;

namespace {

constexpr std::int64_t kT0 = 1138985109000000000;  // 2006-02-03T16:45:09Z
const std::string kDecl = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
const std::string kNs = " xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"";

}  // namespace

TEST_CASE("initiate multipart upload result names bucket, key and upload id", "[s3xml]") {
  CHECK(render_initiate_upload({"bkt", "a&b", "u-1"}) ==
        kDecl + "<InitiateMultipartUploadResult" + kNs +
            "><Bucket>bkt</Bucket><Key>a&amp;b</Key><UploadId>u-1</UploadId></"
            "InitiateMultipartUploadResult>");
}

TEST_CASE("complete multipart upload result carries location, etag and the composite checksum",
          "[s3xml]") {
  complete_upload_document doc{
      "http://127.0.0.1:9000/bkt/k", "bkt", "k", "\"abc-3\"", {"CRC32", "AAAAAA==-3", "COMPOSITE"}};
  CHECK(render_complete_upload(doc) ==
        kDecl + "<CompleteMultipartUploadResult" + kNs +
            "><Location>http://127.0.0.1:9000/bkt/k</Location><Bucket>bkt</Bucket><Key>k</Key>"
            "<ETag>\"abc-3\"</ETag><ChecksumCRC32>AAAAAA==-3</ChecksumCRC32>"
            "<ChecksumType>COMPOSITE</ChecksumType></CompleteMultipartUploadResult>");
  doc.checksum = {};
  CHECK(render_complete_upload(doc).find("Checksum") == std::string::npos);
}

TEST_CASE("list parts result pages with markers and lists per-part checksums", "[s3xml]") {
  list_parts_document doc;
  doc.bucket = "bkt";
  doc.key = "k";
  doc.upload_id = "u";
  doc.upload_owner = {"AKID", "dev"};
  doc.part_number_marker = 1;
  doc.next_part_number_marker = 2;
  doc.max_parts = 1;
  doc.truncated = true;
  doc.checksum_algorithm = "CRC32";
  doc.checksum_type = "COMPOSITE";
  doc.parts = {{2, kT0, "\"e2\"", 5242880, {"CRC32", "YrXYXw==", ""}}};
  CHECK(render_list_parts(doc) ==
        kDecl + "<ListPartsResult" + kNs +
            "><Bucket>bkt</Bucket><Key>k</Key><UploadId>u</UploadId>"
            "<Initiator><ID>AKID</ID><DisplayName>dev</DisplayName></Initiator>"
            "<Owner><ID>AKID</ID><DisplayName>dev</DisplayName></Owner><StorageClass>STANDARD</"
            "StorageClass>"
            "<PartNumberMarker>1</PartNumberMarker><NextPartNumberMarker>2</NextPartNumberMarker>"
            "<MaxParts>1</MaxParts><IsTruncated>true</IsTruncated><ChecksumAlgorithm>CRC32</"
            "ChecksumAlgorithm>"
            "<ChecksumType>COMPOSITE</ChecksumType><Part><PartNumber>2</PartNumber>"
            "<LastModified>2006-02-03T16:45:09.000Z</LastModified><ETag>\"e2\"</"
            "ETag><Size>5242880</Size>"
            "<ChecksumCRC32>YrXYXw==</ChecksumCRC32></Part></ListPartsResult>");
}

TEST_CASE("list multipart uploads result lists uploads and common prefixes, url-encoded on request",
          "[s3xml]") {
  list_uploads_document doc;
  doc.bucket = "bkt";
  doc.prefix = "a b/";
  doc.delimiter = "/";
  doc.key_marker = "";
  doc.max_uploads = 2;
  doc.truncated = true;
  doc.next_key_marker = "a b/k 1";
  doc.next_upload_id_marker = "u1";
  doc.url_encoding = true;
  doc.uploads = {{"a b/k 1", "u1", {"AKID", "dev"}, kT0, "", ""}};
  doc.common_prefixes = {"a b/c d/"};
  CHECK(render_list_uploads(doc) ==
        kDecl + "<ListMultipartUploadsResult" + kNs +
            "><Bucket>bkt</Bucket><KeyMarker></KeyMarker><UploadIdMarker></UploadIdMarker>"
            "<NextKeyMarker>a%20b/k%201</NextKeyMarker><NextUploadIdMarker>u1</NextUploadIdMarker>"
            "<Prefix>a%20b/</Prefix><Delimiter>/</Delimiter><MaxUploads>2</MaxUploads>"
            "<IsTruncated>true</IsTruncated><EncodingType>url</EncodingType><Upload><Key>a%20b/"
            "k%201</Key>"
            "<UploadId>u1</UploadId><Initiator><ID>AKID</ID><DisplayName>dev</DisplayName></"
            "Initiator>"
            "<Owner><ID>AKID</ID><DisplayName>dev</DisplayName></Owner><StorageClass>STANDARD</"
            "StorageClass>"
            "<Initiated>2006-02-03T16:45:09.000Z</Initiated></Upload>"
            "<CommonPrefixes><Prefix>a%20b/c%20d/</Prefix></CommonPrefixes></"
            "ListMultipartUploadsResult>");
}

TEST_CASE("copy object and copy part results carry last-modified, etag and checksum", "[s3xml]") {
  copy_result_document doc{
      kT0, "\"9b2cf535f27731c974343645a3985328\"", {"SHA256", "c2hh", "FULL_OBJECT"}};
  CHECK(render_copy_object_result(doc) ==
        kDecl + "<CopyObjectResult" + kNs +
            "><LastModified>2006-02-03T16:45:09.000Z</LastModified>"
            "<ETag>\"9b2cf535f27731c974343645a3985328\"</ETag><ChecksumSHA256>c2hh</ChecksumSHA256>"
            "<ChecksumType>FULL_OBJECT</ChecksumType></CopyObjectResult>");
  CHECK(render_copy_part_result(doc) ==
        kDecl + "<CopyPartResult" + kNs +
            "><LastModified>2006-02-03T16:45:09.000Z</LastModified>"
            "<ETag>\"9b2cf535f27731c974343645a3985328\"</ETag><ChecksumSHA256>c2hh</ChecksumSHA256>"
            "</CopyPartResult>");
}

TEST_CASE("verbose delete result lists deleted keys and errors", "[s3xml]") {
  delete_result_document doc;
  doc.deleted = {{"a<b", ""}, {"c", "null"}};
  doc.errors = {{"d", "", "AccessDenied", "Access Denied"}};
  CHECK(render_delete_result(doc) ==
        kDecl + "<DeleteResult" + kNs +
            "><Deleted><Key>a&lt;b</Key></Deleted><Deleted><Key>c</Key><VersionId>null</"
            "VersionId></Deleted>"
            "<Error><Key>d</Key><Code>AccessDenied</Code><Message>Access Denied</Message></Error>"
            "</DeleteResult>");
}

TEST_CASE("quiet delete result reports only the errors", "[s3xml]") {
  delete_result_document doc;
  doc.quiet = true;
  doc.deleted = {{"a", ""}};
  CHECK(render_delete_result(doc) == kDecl + "<DeleteResult" + kNs + "/>");
  doc.errors = {{"d", "", "InternalError", "x"}};
  CHECK(render_delete_result(doc) == kDecl + "<DeleteResult" + kNs +
                                         "><Error><Key>d</Key><Code>InternalError</"
                                         "Code><Message>x</Message></Error></DeleteResult>");
}

TEST_CASE("location constraint is empty for us-east-1 and names other regions", "[s3xml]") {
  CHECK(render_location_constraint("") == kDecl + "<LocationConstraint" + kNs + "/>");
  CHECK(render_location_constraint("eu-west-1") ==
        kDecl + "<LocationConstraint" + kNs + ">eu-west-1</LocationConstraint>");
}
