// The admin API's maintenance jobs on a real store: the job request's JSON
// (every refusal names its reason), jobs that run to the end with the same
// report the offline verbs print, one job of a kind at a time, stop, the
// kept records, per-kind stats, and a destructor that stops a slow scrub.
// Threads throughout: tagged [concurrency] for TSan.
#include "kvgate/s3/maintenance_jobs.h"

#include <catch2/catch.hpp>
#include <chrono>
#include <memory>
#include <span>
#include <string>
#include <thread>

#include "../erasure/temp_dir.h"

namespace er = kvgate::erasure;
using namespace kvgate::s3;
using nlohmann::json;

namespace {

struct fixture {
  kvgate::test::temp_dir dir;
  std::shared_ptr<er::store> store;

  explicit fixture(int objects = 6) {
    er::store_options o;
    for (int i = 1; i <= 4; ++i) o.disk_paths.push_back(dir.path() / ("disk" + std::to_string(i)));
    o.background_heal = false;
    auto opened = er::store::open(std::move(o));
    REQUIRE(opened.has_value());
    store = std::move(*opened);
    REQUIRE(store->create_bucket("bkt", "").has_value());
    for (int i = 0; i < objects; ++i)
      put("k" + std::to_string(i), std::string(300 * 1024, 'a' + i));
  }

  void put(const std::string& key, const std::string& body) {
    er::put_options po;
    po.size = body.size();
    auto w = store->begin_put("bkt", key, po);
    REQUIRE(w.has_value());
    REQUIRE((*w)->write(std::as_bytes(std::span(body.data(), body.size()))).has_value());
    REQUIRE((*w)->commit("\"e\"", {}, {}).has_value());
  }
};

maintenance_request request(maintenance_kind kind) {
  maintenance_request r;
  r.kind = kind;
  return r;
}

job_snapshot wait_ended(const maintenance_jobs& jobs, std::uint64_t id) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline) {
    auto j = jobs.find(id);
    REQUIRE(j.has_value());
    if (j->state == job_state::done || j->state == job_state::failed ||
        j->state == job_state::stopped)
      return *j;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  FAIL("job " << id << " did not end");
  return {};
}

}  // namespace

TEST_CASE("job requests: kinds, scopes and scrub options, every refusal says why", "[jobs]") {
  auto scrub = maintenance_request_from_json(json{{"kind", "scrub"},
                                                  {"rate_mib_per_second", 2.5},
                                                  {"repair", false},
                                                  {"orphan_grace_seconds", 60}});
  REQUIRE(scrub.has_value());
  CHECK(scrub->kind == maintenance_kind::scrub);
  CHECK(scrub->max_bytes_per_second == 2.5 * 1048576);
  CHECK_FALSE(scrub->repair);
  CHECK(scrub->orphan_grace == std::chrono::seconds(60));
  // What the CLI sends parses back to the same request.
  auto round = maintenance_request_from_json(to_json(*scrub));
  REQUIRE(round.has_value());
  CHECK(round->max_bytes_per_second == scrub->max_bytes_per_second);
  CHECK(round->repair == scrub->repair);

  auto reindex = maintenance_request_from_json(json{{"kind", "reindex"}});
  REQUIRE(reindex.has_value());
  CHECK(reindex->kind == maintenance_kind::reindex);
  CHECK(to_json(*reindex) == json{{"kind", "reindex"}});

  auto heal = maintenance_request_from_json(json{{"kind", "heal"}, {"bucket", "b"}, {"key", "k"}});
  REQUIRE(heal.has_value());
  CHECK((heal->bucket == "b" && heal->key == "k"));
  CHECK(maintenance_request_from_json(to_json(*heal))->key == "k");

  const std::pair<json, std::string> refused[] = {
      {json::array(), "JSON object"},
      {json::object(), "\"kind\" is missing"},
      {json{{"kind", "defrag"}}, "\"kind\" must be"},
      {json{{"kind", 3}}, "\"kind\" must be"},
      {json{{"kind", "heal"}, {"key", "k"}}, "\"key\" needs \"bucket\""},
      {json{{"kind", "heal"}, {"bucket", 1}}, "\"bucket\" must be a string"},
      {json{{"kind", "scrub"}, {"bucket", "b"}}, "scrub walks every object"},
      {json{{"kind", "reindex"}, {"key", "k"}, {"bucket", "b"}}, "reindex walks every object"},
      {json{{"kind", "reindex"}, {"repair", false}}, "are for scrub, not reindex"},
      {json{{"kind", "verify"}, {"repair", true}}, "are for scrub, not verify"},
      {json{{"kind", "scrub"}, {"rate_mib_per_second", -1}}, "must be a number >= 0"},
      {json{{"kind", "scrub"}, {"repair", "yes"}}, "true or false"},
      {json{{"kind", "scrub"}, {"orphan_grace_seconds", -5}}, "whole number"},
      {json{{"kind", "scrub"}, {"speed", 1}}, "unknown member \"speed\""},
  };
  for (const auto& [body, why] : refused) {
    INFO(body.dump());
    auto r = maintenance_request_from_json(body);
    REQUIRE_FALSE(r.has_value());
    CHECK_THAT(r.error(), Catch::Contains(why));
  }
}

TEST_CASE("jobs run beside each other, one per kind, and keep their reports",
          "[jobs][concurrency]") {
  fixture f;
  maintenance_jobs jobs(f.store);
  auto verify = jobs.start(request(maintenance_kind::verify));
  REQUIRE(verify.has_value());
  CHECK(verify->id == 1);
  CHECK(verify->state == job_state::running);
  const job_snapshot v = wait_ended(jobs, verify->id);
  CHECK(v.state == job_state::done);
  CHECK(v.done == 6);
  CHECK(v.total == 6);
  CHECK(v.finished_unix_ms >= v.started_unix_ms);
  CHECK(v.result["objects"] == 6);
  CHECK(v.result["ok"] == true);
  CHECK(to_json(v)["finished_unix_ms"].is_number());
  CHECK_FALSE(to_json(v).contains("error"));

  // A slow scrub: a second scrub is refused naming it; heal runs beside it.
  maintenance_request slow = request(maintenance_kind::scrub);
  slow.max_bytes_per_second = 200 * 1024;  // about 3 s per object: running until stopped
  auto scrub = jobs.start(slow);
  REQUIRE(scrub.has_value());
  auto second = jobs.start(request(maintenance_kind::scrub));
  REQUIRE_FALSE(second.has_value());
  CHECK_THAT(second.error(), Catch::Contains("a scrub job (id 2) is running"));
  CHECK(jobs.stats(maintenance_kind::scrub).running);
  auto heal = jobs.start(request(maintenance_kind::heal));
  REQUIRE(heal.has_value());
  CHECK(wait_ended(jobs, heal->id).state == job_state::done);

  auto stopping = jobs.stop(scrub->id);
  REQUIRE(stopping.has_value());
  CHECK((stopping->state == job_state::stopping || stopping->state == job_state::stopped));
  const job_snapshot s = wait_ended(jobs, scrub->id);
  CHECK(s.state == job_state::stopped);
  CHECK(s.result["stopped"] == true);
  CHECK(s.result["objects_checked"].get<int>() < 6);
  CHECK_FALSE(jobs.stop(99).has_value());
  CHECK_FALSE(jobs.find(99).has_value());

  const job_kind_stats st = jobs.stats(maintenance_kind::scrub);
  CHECK_FALSE(st.running);
  CHECK(st.progress == 1.0);
  CHECK(st.finished[static_cast<std::size_t>(job_state::stopped)] == 1);
  CHECK(st.last_finished_unix_ms == s.finished_unix_ms);
  CHECK(jobs.stats(maintenance_kind::verify).finished[static_cast<std::size_t>(job_state::done)] ==
        1);
  // Newest first.
  const auto listed = jobs.list();
  REQUIRE(listed.size() == 3);
  CHECK((listed[0].id == 3 && listed[1].id == 2 && listed[2].id == 1));
  // Once stopped, a new scrub may start.
  auto again = jobs.start(request(maintenance_kind::scrub));
  REQUIRE(again.has_value());
  CHECK(wait_ended(jobs, again->id).result["objects_checked"] == 6);
}

TEST_CASE("a job that cannot run fails with the reason", "[jobs]") {
  fixture f(1);
  maintenance_jobs jobs(f.store);
  maintenance_request r = request(maintenance_kind::heal);
  r.bucket = "bkt";
  r.key = "no-such-key";
  auto j = jobs.start(r);
  REQUIRE(j.has_value());
  const job_snapshot ended = wait_ended(jobs, j->id);
  CHECK(ended.state == job_state::failed);
  CHECK_THAT(ended.error, Catch::Contains("bkt/no-such-key"));
  CHECK(to_json(ended)["error"] == ended.error);
  CHECK(jobs.stats(maintenance_kind::heal).finished[static_cast<std::size_t>(job_state::failed)] ==
        1);
}

TEST_CASE("only the last kKeptJobs ended jobs are kept", "[jobs][concurrency]") {
  fixture f(1);
  maintenance_jobs jobs(f.store);
  std::uint64_t last = 0;
  for (std::size_t i = 0; i < maintenance_jobs::kKeptJobs + 5; ++i) {
    auto j = jobs.start(request(maintenance_kind::verify));
    REQUIRE(j.has_value());
    last = j->id;
    wait_ended(jobs, last);
  }
  CHECK(jobs.list().size() == maintenance_jobs::kKeptJobs);  // pruned before each start
  CHECK_FALSE(jobs.find(1).has_value());
  CHECK(jobs.find(last).has_value());
}

TEST_CASE("destroying the jobs stops a slow scrub promptly", "[jobs][concurrency]") {
  fixture f;
  const auto start = std::chrono::steady_clock::now();
  {
    maintenance_jobs jobs(f.store);
    maintenance_request slow = request(maintenance_kind::scrub);
    slow.max_bytes_per_second = 1024;  // hours for the whole walk
    REQUIRE(jobs.start(slow).has_value());
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(10));
}
