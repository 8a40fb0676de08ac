// Parsing CompleteMultipartUpload, Delete and CreateBucketConfiguration
// bodies: what clients send is accepted, everything else fails precisely.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "kvgate/s3xml/request_documents.h"

using namespace kvgate::s3xml;
using kvgate::protocol::s3_error;

namespace {

std::string many_parts(std::size_t n) {
  std::string body = "<CompleteMultipartUpload>";
  for (std::size_t i = 1; i <= n; ++i) {
    body += "<Part><PartNumber>" + std::to_string(i) + "</PartNumber><ETag>e</ETag></Part>";
  }
  return body + "</CompleteMultipartUpload>";
}

std::string many_objects(std::size_t n) {
  std::string body = "<Delete>";
  for (std::size_t i = 0; i < n; ++i)
    body += "<Object><Key>k" + std::to_string(i) + "</Key></Object>";
  return body + "</Delete>";
}

template <class T>
std::error_code error_of(const result<T>& r) {
  REQUIRE_FALSE(r.has_value());
  return r.error();
}

}  // namespace

TEST_CASE("complete body as boto3 sends it yields parts with etags and crc32 checksums",
          "[s3xml]") {
  const std::string body =
      R"(<CompleteMultipartUpload xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Part><ETag>"28a13aca3d495eec3b3278335ea76d1b"</ETag><PartNumber>1</PartNumber><ChecksumCRC32>YrXYXw==</ChecksumCRC32></Part><Part><ETag>"7dc0c3eacacb49cc66d34cff0e000d2c"</ETag><PartNumber>2</PartNumber><ChecksumCRC32>4p111g==</ChecksumCRC32></Part></CompleteMultipartUpload>)";
  auto parts = parse_complete_upload(body);
  REQUIRE(parts.has_value());
  REQUIRE(parts->size() == 2);
  CHECK((*parts)[0].number == 1);
  CHECK((*parts)[0].etag == "\"28a13aca3d495eec3b3278335ea76d1b\"");
  REQUIRE((*parts)[0].checksums.size() == 1);
  CHECK((*parts)[0].checksums[0].algorithm == "CRC32");
  CHECK((*parts)[0].checksums[0].value == "YrXYXw==");
  CHECK((*parts)[1].number == 2);
  CHECK((*parts)[1].checksums[0].value == "4p111g==");
}

TEST_CASE("complete body without namespace, with whitespace and unquoted etags is accepted",
          "[s3xml]") {
  const std::string body =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<CompleteMultipartUpload>\n  <Part>\n    "
      "<PartNumber> 3 </PartNumber>\n    <ETag>abc</ETag>\n  </Part>\n  "
      "<Part><PartNumber>1</PartNumber>"
      "<ETag>&quot;d&quot;</ETag><ChecksumType>COMPOSITE</ChecksumType></Part>\n</"
      "CompleteMultipartUpload>";
  auto parts = parse_complete_upload(body);
  REQUIRE(parts.has_value());
  REQUIRE(parts->size() == 2);
  CHECK((*parts)[0].number == 3);  // order preserved: the engine answers InvalidPartOrder
  CHECK((*parts)[0].etag == "abc");
  CHECK((*parts)[1].etag == "\"d\"");
  CHECK((*parts)[1].checksums.empty());
}

TEST_CASE("complete body with a namespace prefix is accepted", "[s3xml]") {
  const std::string body =
      R"(<s3:CompleteMultipartUpload xmlns:s3="http://s3.amazonaws.com/doc/2006-03-01/"><s3:Part><s3:PartNumber>1</s3:PartNumber><s3:ETag>x</s3:ETag></s3:Part></s3:CompleteMultipartUpload>)";
  auto parts = parse_complete_upload(body);
  REQUIRE(parts.has_value());
  CHECK(parts->at(0).etag == "x");
}

TEST_CASE("complete bodies that are not well-formed or miss elements are MalformedXML", "[s3xml]") {
  const char* bad[] = {
      "",
      "<CompleteMultipartUpload>",
      "<CompleteMultipartUpload></CompleteMultipartUpload>",
      "<Other><Part><PartNumber>1</PartNumber><ETag>x</ETag></Part></Other>",
      "<CompleteMultipartUpload><Part><ETag>x</ETag></Part></CompleteMultipartUpload>",
      "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber></Part></CompleteMultipartUpload>",
      "<CompleteMultipartUpload><Part><PartNumber>one</PartNumber><ETag>x</ETag></Part></"
      "CompleteMultipartUpload>",
      "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><PartNumber>2</PartNumber><ETag>x</"
      "ETag></Part>"
      "</CompleteMultipartUpload>",
      "<CompleteMultipartUpload><Part><PartNumber></PartNumber><ETag>x</ETag></Part></"
      "CompleteMultipartUpload>",
  };
  for (const char* body : bad) {
    INFO(body);
    CHECK(to_s3_error(error_of(parse_complete_upload(body))) == s3_error::malformed_xml);
  }
}

TEST_CASE("complete part numbers outside 1..10000 are InvalidArgument", "[s3xml]") {
  for (const char* n : {"0", "10001", "-1", "99999999999"}) {
    const std::string body = std::string("<CompleteMultipartUpload><Part><PartNumber>") + n +
                             "</PartNumber><ETag>x</ETag></Part></CompleteMultipartUpload>";
    INFO(n);
    auto ec = error_of(parse_complete_upload(body));
    CHECK(ec == make_error_code(xml_errc::part_number_range));
    CHECK(to_s3_error(ec) == s3_error::invalid_argument);
  }
}

TEST_CASE("complete bodies above the size limit or with more than 10000 parts are rejected",
          "[s3xml]") {
  const std::string huge(kMaxCompleteBodyBytes + 1, ' ');
  auto ec = error_of(parse_complete_upload(huge));
  CHECK(ec == make_error_code(xml_errc::body_too_large));
  CHECK(to_s3_error(ec) == s3_error::max_message_length_exceeded);
  CHECK(parse_complete_upload(many_parts(10000)).has_value());
  CHECK(error_of(parse_complete_upload(many_parts(10001))) ==
        make_error_code(xml_errc::too_many_entries));
}

TEST_CASE("delete body yields keys with escapes, version ids and the quiet flag", "[s3xml]") {
  const std::string body =
      R"(<Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Quiet>true</Quiet><Object><Key>a&amp;b&lt;c&gt;"'</Key></Object><Object><Key>  </Key><VersionId>null</VersionId></Object><Object><Key><![CDATA[x<y]]></Key></Object></Delete>)";
  auto request = parse_delete_request(body);
  REQUIRE(request.has_value());
  CHECK(request->quiet);
  REQUIRE(request->objects.size() == 3);
  CHECK(request->objects[0].key == "a&b<c>\"'");
  CHECK(request->objects[0].version_id.empty());
  CHECK(request->objects[1].key == "  ");
  CHECK(request->objects[1].version_id == "null");
  CHECK(request->objects[2].key == "x<y");
}

TEST_CASE("delete body without Quiet is verbose, and Quiet False is accepted", "[s3xml]") {
  auto verbose = parse_delete_request("<Delete><Object><Key>k</Key></Object></Delete>");
  REQUIRE(verbose.has_value());
  CHECK_FALSE(verbose->quiet);
  auto explicit_false =
      parse_delete_request("<Delete><Quiet>False</Quiet><Object><Key>k</Key></Object></Delete>");
  REQUIRE(explicit_false.has_value());
  CHECK_FALSE(explicit_false->quiet);
}

TEST_CASE("delete bodies with no objects, no key, bad quiet or over 1000 keys are MalformedXML",
          "[s3xml]") {
  const char* bad[] = {
      "<Delete></Delete>",
      "<Delete><Object></Object></Delete>",
      "<Delete><Quiet>yes</Quiet><Object><Key>k</Key></Object></Delete>",
      "<Delete><Object><Key>k</Key><Key>j</Key></Object></Delete>",
      "<Remove><Object><Key>k</Key></Object></Remove>",
      "<Delete><Object><Key>k</Key></Object>",
  };
  for (const char* body : bad) {
    INFO(body);
    CHECK(to_s3_error(error_of(parse_delete_request(body))) == s3_error::malformed_xml);
  }
  CHECK(parse_delete_request(many_objects(1000)).has_value());
  auto ec = error_of(parse_delete_request(many_objects(1001)));
  CHECK(ec == make_error_code(xml_errc::too_many_entries));
  CHECK(to_s3_error(ec) == s3_error::malformed_xml);
}

TEST_CASE("exists body yields keys in order, duplicates kept, escapes decoded", "[s3xml]") {
  auto keys = parse_exists_request(
      "<?xml version=\"1.0\"?><Exists><Object><Key>a@1/b</Key></Object>"
      "<Object><Key>x &amp; &lt;y&gt;</Key></Object><Object><Key>a@1/b</Key></Object></Exists>");
  REQUIRE(keys.has_value());
  CHECK(*keys == std::vector<std::string>{"a@1/b", "x & <y>", "a@1/b"});
}

TEST_CASE(
    "exists bodies with no keys, a keyless object, another root or 1001 keys are "
    "MalformedXML",
    "[s3xml]") {
  const char* bad[] = {
      "<Exists></Exists>",
      "<Exists><Object></Object></Exists>",
      "<Exists><Object><Key>k</Key><Key>j</Key></Object></Exists>",
      "<Delete><Object><Key>k</Key></Object></Delete>",
      "<Exists><Object><Key>k</Key></Object>",
  };
  for (const char* body : bad) {
    INFO(body);
    CHECK(to_s3_error(error_of(parse_exists_request(body))) == s3_error::malformed_xml);
  }
  std::string many = "<Exists>";
  for (int i = 0; i < 1001; ++i) many += "<Object><Key>k" + std::to_string(i) + "</Key></Object>";
  many += "</Exists>";
  CHECK(error_of(parse_exists_request(many)) == make_error_code(xml_errc::too_many_entries));
  many.erase(many.find("<Object><Key>k1000</Key></Object>"), 33);
  auto thousand = parse_exists_request(many);
  REQUIRE(thousand.has_value());
  CHECK(thousand->size() == 1000);
}

TEST_CASE("xml entity declarations are not expanded", "[s3xml]") {
  const std::string body =
      "<?xml version=\"1.0\"?><!DOCTYPE d [<!ENTITY x "
      "\"expanded\">]><Delete><Object><Key>&x;</Key></Object>"
      "</Delete>";
  auto request = parse_delete_request(body);
  if (request) CHECK(request->objects.at(0).key.find("expanded") == std::string::npos);
}

TEST_CASE("create bucket configuration yields the location constraint or nothing", "[s3xml]") {
  CHECK(parse_create_bucket_configuration("").value().empty());
  CHECK(parse_create_bucket_configuration(" \n").value().empty());
  CHECK(
      parse_create_bucket_configuration(
          R"(<CreateBucketConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><LocationConstraint>eu-west-1</LocationConstraint></CreateBucketConfiguration>)")
          .value() == "eu-west-1");
  CHECK(parse_create_bucket_configuration("<CreateBucketConfiguration><Bucket><Type>Directory</"
                                          "Type></Bucket></CreateBucketConfiguration>")
            .value()
            .empty());
  CHECK(to_s3_error(error_of(parse_create_bucket_configuration("<CreateBucketConfiguration>"))) ==
        s3_error::malformed_xml);
  CHECK(to_s3_error(error_of(parse_create_bucket_configuration("<Other/>"))) ==
        s3_error::malformed_xml);
}

TEST_CASE("s3xml error codes have their own category and readable messages", "[s3xml]") {
  const std::error_code ec = make_error_code(xml_errc::too_many_entries);
  CHECK(std::string(ec.category().name()) == "kvgate.s3xml");
  CHECK_FALSE(ec.message().empty());
  CHECK(to_s3_error(std::make_error_code(std::errc::io_error)) == s3_error::internal_error);
}
