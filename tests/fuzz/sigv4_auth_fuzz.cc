// Fuzzes the authentication parsers: SigV4/SigV2 Authorization headers, the
// presigned query forms, timestamps, and verification of whatever parses.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "kvgate/protocol/sigv2.h"
#include "kvgate/protocol/sigv4.h"
#include "kvgate/protocol/sigv4_verifier.h"

using namespace kvgate::protocol;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const sys_seconds now = parse_amz_date("20130524T000000Z").value();

  (void)parse_amz_date(input);
  (void)parse_http_date(input);
  (void)parse_credential(input);
  (void)canonical_header_value(input);

  const query_params empty;
  const std::vector<header_field> headers = {{"Host", "h"},
                                             {"x-amz-date", "20130524T000000Z"},
                                             {"x-amz-content-sha256", kEmptySha256},
                                             {"Date", "Fri, 24 May 2013 00:00:00 GMT"}};
  const request_view request{"GET", "/bkt/key", &empty, headers};

  if (auto v4 = parse_sigv4_authorization(input)) {
    (void)verify_sigv4_header(request, *v4, "secret", now);
  }
  if (auto v2 = parse_sigv2_authorization(input)) {
    (void)verify_sigv2_header(request, *v2, "secret", now);
  }
  if (auto query = parse_query(input)) {
    const request_view qreq{"GET", "/bkt/key", &*query, headers};
    if (auto p4 = parse_sigv4_presigned(*query))
      (void)verify_sigv4_presigned(qreq, *p4, "secret", now);
    if (auto p2 = parse_sigv2_presigned(*query))
      (void)verify_sigv2_presigned(qreq, *p2, "secret", now);
    (void)sigv2_string_to_sign(qreq, "0");
  }
  return 0;
}
