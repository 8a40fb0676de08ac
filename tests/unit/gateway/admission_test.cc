#include "kvgate/gateway/admission.h"

#include <catch2/catch.hpp>
#include <vector>

#include "kvgate/gateway/server_hooks.h"

using namespace kvgate::gateway;

TEST_CASE("admission stops at the limit and resumes when a ticket is released") {
  admission_counter c(2);
  auto a = c.try_acquire();
  auto b = c.try_acquire();
  REQUIRE(a);
  REQUIRE(b);
  CHECK_FALSE(c.try_acquire());
  CHECK(c.active() == 2);
  a.reset();
  CHECK(c.active() == 1);
  auto d = c.try_acquire();
  CHECK(d);
}

TEST_CASE("moving an admission ticket transfers it without double release") {
  admission_counter c(1);
  std::vector<admission_ticket> held;
  held.push_back(std::move(*c.try_acquire()));
  CHECK(c.active() == 1);
  admission_ticket moved = std::move(held.back());
  held.clear();
  CHECK(c.active() == 1);
  { admission_ticket gone = std::move(moved); }
  CHECK(c.active() == 0);
}

TEST_CASE("the default slow-down answer is 503 with an S3 SlowDown error") {
  auto r = default_render_error(transport_error::slow_down, "ABC<&>");
  CHECK(r.status == boost::beast::http::status::service_unavailable);
  CHECK(r.content_type == "application/xml");
  CHECK(r.body.find("<Code>SlowDown</Code>") != std::string::npos);
  CHECK(r.body.find("<RequestId>ABC&lt;&amp;&gt;</RequestId>") != std::string::npos);
}

TEST_CASE("the default header-too-large answer is 400 RequestHeaderSectionTooLarge") {
  auto r = default_render_error(transport_error::header_too_large, "1");
  CHECK(r.status == boost::beast::http::status::bad_request);
  CHECK(r.body.find("RequestHeaderSectionTooLarge") != std::string::npos);
}
