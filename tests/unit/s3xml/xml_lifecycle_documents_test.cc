// LifecycleConfiguration: what boto3/awscli send is accepted and rendered
// back equal; everything else fails with the S3 error AWS answers.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "kvgate/s3xml/lifecycle_documents.h"

using namespace kvgate::s3xml;
using kvgate::protocol::s3_error;

namespace {

std::string doc(const std::string& rules) {
  return "<LifecycleConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">" + rules +
         "</LifecycleConfiguration>";
}

s3_error error_for(const std::string& body) {
  auto r = parse_lifecycle_configuration(body);
  REQUIRE(r.has_error());
  return to_s3_error(r.error());
}

}  // namespace

TEST_CASE("boto3's lifecycle rules parse and render back equal") {
  const std::string body =
      doc("<Rule><ID>expire-tmp</ID><Filter><Prefix>tmp/</Prefix></Filter><Status>Enabled</Status>"
          "<Expiration><Days>3</Days></Expiration></Rule>"
          "<Rule><ID>uploads</ID><Filter/><Status>Disabled</Status>"
          "<AbortIncompleteMultipartUpload><DaysAfterInitiation>7</DaysAfterInitiation>"
          "</AbortIncompleteMultipartUpload></Rule>"
          "<Rule><Prefix>old/</Prefix><Status>Enabled</Status>"
          "<Expiration><Date>2027-03-01T00:00:00.000Z</Date></Expiration></Rule>");
  auto parsed = parse_lifecycle_configuration(body);
  REQUIRE(parsed.has_value());
  REQUIRE(parsed->rules.size() == 3);
  const auto& a = parsed->rules[0];
  CHECK(a.id == "expire-tmp");
  CHECK(a.prefix == "tmp/");
  CHECK_FALSE(a.legacy_prefix);
  CHECK(a.enabled);
  CHECK(a.expiration_days == 3u);
  CHECK_FALSE(a.abort_upload_days);
  const auto& b = parsed->rules[1];
  CHECK(b.prefix.empty());
  CHECK_FALSE(b.enabled);
  CHECK(b.abort_upload_days == 7u);
  const auto& c = parsed->rules[2];
  CHECK(c.legacy_prefix);
  CHECK(c.prefix == "old/");
  CHECK(c.expiration_date == 1803859200);  // 2027-03-01

  const std::string rendered = render_lifecycle_configuration(*parsed);
  CHECK(rendered.find("<Date>2027-03-01T00:00:00.000Z</Date>") != std::string::npos);
  auto again = parse_lifecycle_configuration(rendered);
  REQUIRE(again.has_value());
  CHECK(*again == *parsed);
}

TEST_CASE("lifecycle dates are ISO 8601 at midnight UTC") {
  CHECK(parse_iso8601_date("1970-01-02") == 86400);
  CHECK(parse_iso8601_date("2026-01-01T00:00:00Z") == 1767225600);
  CHECK(parse_iso8601_date("2026-01-01T00:00:00.000Z") == 1767225600);
  CHECK(parse_iso8601_date("2024-02-29T00:00:00+00:00"));
  CHECK_FALSE(parse_iso8601_date("2026-02-30"));
  CHECK_FALSE(parse_iso8601_date("2026-01-01T12:00:00Z"));
  CHECK_FALSE(parse_iso8601_date("2026-1-01"));
  CHECK_FALSE(parse_iso8601_date("tomorrow"));
  CHECK_FALSE(parse_iso8601_date("2026-01-01T00:00:00.Z"));
}

TEST_CASE("bad lifecycle rules fail with AWS's errors") {
  const std::string status = "<Status>Enabled</Status>";
  const std::string days = "<Expiration><Days>1</Days></Expiration>";
  struct bad {
    std::string body;
    s3_error error;
  };
  const std::vector<bad> cases{
      {"<LifecycleConfiguration>", s3_error::malformed_xml},
      {"<Other/>", s3_error::malformed_xml},
      {doc(""), s3_error::malformed_xml},
      {doc("<Rule>" + days + "</Rule>"), s3_error::malformed_xml},  // no Status
      {doc("<Rule><Status>On</Status>" + days + "</Rule>"), s3_error::malformed_xml},
      {doc("<Rule><Filter/><Prefix>a</Prefix>" + status + days + "</Rule>"),
       s3_error::malformed_xml},
      {doc("<Rule>" + status + "<Expiration><Days>1</Days><Date>2026-01-01</Date></Expiration>" +
           "</Rule>"),
       s3_error::malformed_xml},
      {doc("<Rule>" + status + "<Expiration></Expiration></Rule>"), s3_error::malformed_xml},
      {doc("<Rule>" + status + "<Expiration><Days>0</Days></Expiration></Rule>"),
       s3_error::invalid_argument},
      {doc("<Rule>" + status + "<Expiration><Days>-2</Days></Expiration></Rule>"),
       s3_error::invalid_argument},
      {doc("<Rule>" + status + "<Expiration><Date>2026-01-01T10:00:00Z</Date></Expiration>" +
           "</Rule>"),
       s3_error::invalid_argument},
      {doc("<Rule>" + status +
           "<AbortIncompleteMultipartUpload><DaysAfterInitiation>0</DaysAfterInitiation>" +
           "</AbortIncompleteMultipartUpload></Rule>"),
       s3_error::invalid_argument},
      {doc("<Rule><ID>" + std::string(256, 'x') + "</ID>" + status + days + "</Rule>"),
       s3_error::invalid_argument},
      {doc("<Rule><ID>a</ID>" + status + days + "</Rule><Rule><ID>a</ID>" + status + days +
           "</Rule>"),
       s3_error::invalid_argument},
      {doc("<Rule><Filter><Prefix>a</Prefix></Filter>" + status + "</Rule>"),
       s3_error::invalid_request},
      {doc("<Rule><Filter><Tag><Key>k</Key><Value>v</Value></Tag></Filter>" + status + days +
           "</Rule>"),
       s3_error::not_implemented},
      {doc("<Rule>" + status + "<Transition><Days>1</Days></Transition></Rule>"),
       s3_error::not_implemented},
  };
  for (const auto& c : cases) {
    INFO(c.body);
    CHECK(error_for(c.body) == c.error);
  }
}

TEST_CASE("a lifecycle configuration may hold 1000 rules, not more") {
  std::string rules;
  for (int i = 0; i < 1000; ++i)
    rules += "<Rule><ID>r" + std::to_string(i) +
             "</ID><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule>";
  REQUIRE(parse_lifecycle_configuration(doc(rules)).has_value());
  rules += "<Rule><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule>";
  CHECK(error_for(doc(rules)) == s3_error::malformed_xml);
}
