// kvgate.Client: the SDK client for Python (docs/sdk.md "Python").
//
// Every call that does I/O releases the GIL for its whole duration; buffers
// are pinned (held_bytes) and used in place: put() sends the caller's
// memory, get() receives into it. Failures raise kvgate.Error.
#include <pybind11/chrono.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "bindings.h"
#include "client_settings.h"
#include "errors.h"
#include "held_bytes.h"
#include "kvgate/rdma/reply.h"
#include "kvgate/sdk/client.h"
#include "pending_operation.h"
#include "registered_memory_binding.h"

namespace py = pybind11;

namespace kvgate::python {
namespace {

// Python's handle on a client; close() drops it (a live lister or Future
// keeps the SDK client until it finishes).
class py_client {
 public:
  explicit py_client(std::shared_ptr<sdk::client> client) : client_(std::move(client)) {}

  sdk::client& get() const {
    if (!client_) throw py::value_error("kvgate: the client is closed");
    return *client_;
  }
  std::shared_ptr<sdk::client> shared() const {
    get();
    return client_;
  }
  void close() {
    std::shared_ptr<sdk::client> last = std::move(client_);
    py::gil_scoped_release no_gil;
    last.reset();  // waits for the operations in flight
  }

 private:
  std::shared_ptr<sdk::client> client_;
};

// A page-by-page ListObjectsV2 iterator of kvgate.ListEntry.
class py_lister {
 public:
  py_lister(std::shared_ptr<sdk::client> owner, sdk::object_lister lister)
      : owner_(std::move(owner)), lister_(std::move(lister)) {}

  sdk::list_entry next() {
    while (pending_.empty()) {
      if (lister_.done()) throw py::stop_iteration();
      sdk::result<sdk::list_page> page = [&] {
        py::gil_scoped_release no_gil;
        return lister_.next();
      }();
      auto value = value_or_raise(std::move(page));
      for (auto& entry : value.entries) pending_.push_back(std::move(entry));
      for (auto& prefix : value.common_prefixes) prefixes_.push_back(std::move(prefix));
    }
    sdk::list_entry entry = std::move(pending_.front());
    pending_.pop_front();
    return entry;
  }
  const std::vector<std::string>& common_prefixes() const { return prefixes_; }

 private:
  std::shared_ptr<sdk::client> owner_;
  sdk::object_lister lister_;
  std::deque<sdk::list_entry> pending_;
  std::vector<std::string> prefixes_;
};

std::optional<sdk::byte_range> range_of(std::optional<std::uint64_t> offset,
                                        std::optional<std::uint64_t> length) {
  if (!offset && !length) return std::nullopt;
  if (length && *length == 0) throw py::value_error("kvgate: length must be positive");
  return sdk::byte_range{offset.value_or(0), length};
}

py::dict stats_dict(const sdk::client_stats& s) {
  py::dict d;
  d["requests"] = s.requests;
  d["operations"] = s.operations;
  d["errors"] = s.errors;
  d["retries"] = s.retries;
  d["bytes_sent"] = s.bytes_sent;
  d["bytes_received"] = s.bytes_received;
  d["connections_opened"] = s.connections_opened;
  d["connections_reused"] = s.connections_reused;
  d["checksums_verified"] = s.checksums_verified;
  d["checksum_mismatches"] = s.checksum_mismatches;
  d["multipart_uploads"] = s.multipart_uploads;
  d["ranged_gets"] = s.ranged_gets;
  d["routing"] = s.routing;
  d["routed_direct"] = s.routed_direct;
  d["rerouted"] = s.rerouted;
  d["node_bypasses"] = s.node_bypasses;
  d["map_fetches"] = s.map_fetches;
  d["map_mismatches"] = s.map_mismatches;
  d["rdma_mode"] = std::string(sdk::to_string(s.mode));
  d["rdma_state"] = std::string(sdk::to_string(s.rdma_state));
  d["transport"] = s.transport;
  d["rdma_nodes"] = s.rdma_nodes;
  d["rdma_ops"] = s.rdma.rdma_ops;
  d["rdma_bytes"] = s.rdma.rdma_bytes;
  d["rdma_fallbacks"] = s.rdma.fallbacks;
  d["rdma_failures"] = s.rdma.failures;
  d["rdma_fences"] = s.rdma.fences;
  d["rdma_session_retries"] = s.rdma.session_retries;
  d["rdma_discoveries"] = s.rdma.discoveries;
  d["rdma_state_changes"] = s.rdma.state_changes;
  py::dict declines;
  for (std::size_t i = 0; i < rdma::kAllDeclineReasons.size(); ++i) {
    declines[py::str(std::string(rdma::to_string(rdma::kAllDeclineReasons[i])))] =
        s.rdma.declines[i];
  }
  d["rdma_declines"] = declines;
  py::dict ineligible;
  for (std::size_t i = 0; i < sdk::kIneligibleReasonCount; ++i) {
    ineligible[py::str(std::string(sdk::to_string(static_cast<sdk::ineligible_reason>(i))))] =
        s.rdma.ineligible[i];
  }
  d["rdma_ineligible"] = ineligible;
  return d;
}

std::string quoted(const std::string& s) {
  return py::repr(py::str(s)).cast<std::string>();
}

void bind_results(py::module_& m) {
  py::class_<sdk::put_result>(m, "PutResult", "What put() stored.")
      .def_readonly("etag", &sdk::put_result::etag)
      .def_readonly("multipart", &sdk::put_result::multipart)
      .def_readonly("parts", &sdk::put_result::parts)
      .def("__repr__", [](const sdk::put_result& r) {
        return "PutResult(etag=" + quoted(r.etag) +
               ", multipart=" + (r.multipart ? "True" : "False") +
               ", parts=" + std::to_string(r.parts) + ")";
      });
  py::class_<sdk::get_result>(m, "GetResult", "What get() wrote into the buffer.")
      .def_readonly("bytes", &sdk::get_result::bytes, "bytes written at the buffer's start")
      .def_readonly("object_size", &sdk::get_result::object_size)
      .def_readonly("etag", &sdk::get_result::etag)
      .def_readonly("checksum_verified", &sdk::get_result::checksum_verified)
      .def_readonly("ranges", &sdk::get_result::ranges)
      .def("__repr__", [](const sdk::get_result& r) {
        return "GetResult(bytes=" + std::to_string(r.bytes) +
               ", object_size=" + std::to_string(r.object_size) + ", etag=" + quoted(r.etag) +
               ", checksum_verified=" + (r.checksum_verified ? "True" : "False") +
               ", ranges=" + std::to_string(r.ranges) + ")";
      });
  py::class_<sdk::object_info>(m, "ObjectInfo", "head() of an object.")
      .def_readonly("size", &sdk::object_info::size)
      .def_readonly("etag", &sdk::object_info::etag)
      .def_readonly("last_modified", &sdk::object_info::last_modified)
      .def_readonly("content_type", &sdk::object_info::content_type)
      .def_readonly("checksum_crc32c", &sdk::object_info::checksum_crc32c)
      .def("__repr__", [](const sdk::object_info& r) {
        return "ObjectInfo(size=" + std::to_string(r.size) + ", etag=" + quoted(r.etag) + ")";
      });
  py::class_<sdk::list_entry>(m, "ListEntry", "One object of a listing.")
      .def_readonly("key", &sdk::list_entry::key)
      .def_readonly("size", &sdk::list_entry::size)
      .def_readonly("etag", &sdk::list_entry::etag)
      .def_readonly("last_modified", &sdk::list_entry::last_modified)
      .def("__repr__", [](const sdk::list_entry& r) {
        return "ListEntry(key=" + quoted(r.key) + ", size=" + std::to_string(r.size) + ")";
      });
  py::class_<py_lister>(m, "Lister", "Iterator over a ListObjectsV2 listing, one page a request.")
      .def("__iter__", [](py_lister& self) -> py_lister& { return self; })
      .def("__next__", &py_lister::next)
      .def_property_readonly("common_prefixes", &py_lister::common_prefixes,
                             "CommonPrefixes seen so far (with a delimiter)");
  py::class_<pending_operation>(m, "Future", "An asynchronous operation (put_async, get_async...).")
      .def("done", &pending_operation::ready)
      .def(
          "result",
          [](pending_operation& self, std::optional<double> timeout) {
            bool finished;
            {
              py::gil_scoped_release no_gil;
              finished = timeout ? self.wait_for(std::chrono::duration<double>(*timeout))
                                 : self.wait_for(std::nullopt);
            }
            if (!finished) {
              PyErr_SetString(PyExc_TimeoutError, "kvgate: operation still running");
              throw py::error_already_set();
            }
            return self.take();
          },
          py::arg("timeout") = py::none(),
          "The operation's result; raises kvgate.Error on failure, TimeoutError after timeout.");
}

std::vector<held_bytes> hold_all(const py::sequence& buffers, bool writable) {
  std::vector<held_bytes> held;
  held.reserve(py::len(buffers));
  for (py::handle b : buffers) held.push_back(held_bytes::from(b, writable));
  return held;
}

void check_same_length(const std::vector<std::string>& keys, const py::sequence& buffers) {
  if (keys.size() != py::len(buffers)) {
    throw py::value_error("kvgate: keys and buffers differ in length");
  }
}

void bind_client_class(py::module_& m) {
  py::class_<py_client>(m, "Client", R"doc(
A kvgate / S3 client (docs/sdk.md). Keyword options: endpoint, access_key,
secret_key, session_token, region, profile, credentials_file, ca_file,
verify_tls, addressing ('path'|'virtual'), connect_to, connect_timeout,
request_timeout, max_attempts, retry_base_delay, retry_max_delay (seconds),
io_threads, pool_size, parallelism, max_requests_in_flight (0: no cap),
part_size, multipart_threshold, parallel_get_threshold, rdma ('auto'|'on'|'off'), min_rdma_bytes,
rdma_register_mappings (register a pool's mapping on first use), cluster_routing (route each key to its node from the cluster map),
node_bypass, map_refresh (seconds).
Buffers are bytes-like objects (numpy arrays, bytearray, memoryview...) or
CPU torch tensors, used in place. Errors raise kvgate.Error.)doc")
      .def(py::init([](const py::object& endpoint, const py::kwargs& kwargs) {
             py::dict settings(kwargs);
             if (!endpoint.is_none()) {
               if (settings.contains("endpoint")) {
                 throw py::type_error("kvgate: endpoint given twice");
               }
               settings["endpoint"] = endpoint;
             }
             auto options = client_options_from(settings);
             sdk::result<std::unique_ptr<sdk::client>> made = [&] {
               py::gil_scoped_release no_gil;
               return sdk::client::create(std::move(options));
             }();
             return py_client(std::shared_ptr<sdk::client>(value_or_raise(std::move(made))));
           }),
           py::arg("endpoint") = py::none())
      .def("close", &py_client::close, "Waits for operations in flight and drops the client.")
      .def("__enter__", [](py_client& self) -> py_client& { return self; })
      .def("__exit__", [](py_client& self, const py::args&) { self.close(); })
      .def_property_readonly("credentials_source",
                             [](const py_client& self) { return self.get().credentials_source(); })
      .def(
          "put",
          [](const py_client& self, const std::string& bucket, const std::string& key,
             const py::handle data, bool if_none_match, const std::string& content_type) {
            auto held = held_bytes::from(data, false);
            sdk::put_options opts{if_none_match, content_type};
            sdk::result<sdk::put_result> r = [&, client = self.shared()] {
              py::gil_scoped_release no_gil;
              return client->put(bucket, key, held.const_bytes(), opts);
            }();
            return value_or_raise(std::move(r));
          },
          py::arg("bucket"), py::arg("key"), py::arg("data"), py::kw_only(),
          py::arg("if_none_match") = false, py::arg("content_type") = "application/octet-stream",
          "PutObject (multipart above multipart_threshold) from the buffer's bytes.")
      .def(
          "get",
          [](const py_client& self, const std::string& bucket, const std::string& key,
             const py::handle out, std::optional<std::uint64_t> offset,
             std::optional<std::uint64_t> length) {
            auto held = held_bytes::from(out, true);
            const auto range = range_of(offset, length);
            sdk::result<sdk::get_result> r = [&, client = self.shared()] {
              py::gil_scoped_release no_gil;
              return client->get(bucket, key, held.bytes(), range);
            }();
            return value_or_raise(std::move(r));
          },
          py::arg("bucket"), py::arg("key"), py::arg("out"), py::kw_only(),
          py::arg("offset") = py::none(), py::arg("length") = py::none(),
          "GetObject into the writable buffer `out` (the object, or offset/length, must fit).")
      .def(
          "get_range",
          [](const py_client& self, const std::string& bucket, const std::string& key,
             const py::handle out, std::uint64_t offset, std::optional<std::uint64_t> length) {
            auto held = held_bytes::from(out, true);
            const auto range = range_of(offset, length);
            sdk::result<sdk::get_result> r = [&, client = self.shared()] {
              py::gil_scoped_release no_gil;
              return client->get(bucket, key, held.bytes(), range);
            }();
            return value_or_raise(std::move(r));
          },
          py::arg("bucket"), py::arg("key"), py::arg("out"), py::arg("offset"),
          py::arg("length") = py::none(), "Ranged GetObject (bytes=offset-...) into `out`.")
      .def(
          "head",
          [](const py_client& self, const std::string& bucket, const std::string& key) {
            sdk::result<sdk::object_info> r = [&, client = self.shared()] {
              py::gil_scoped_release no_gil;
              return client->head(bucket, key);
            }();
            return value_or_raise(std::move(r));
          },
          py::arg("bucket"), py::arg("key"))
      .def(
          "exists",
          [](const py_client& self, const std::string& bucket, const std::string& key) {
            sdk::result<bool> r = [&, client = self.shared()] {
              py::gil_scoped_release no_gil;
              return client->exists(bucket, key);
            }();
            return value_or_raise(std::move(r));
          },
          py::arg("bucket"), py::arg("key"))
      .def(
          "exists_batch",
          [](const py_client& self, const std::string& bucket,
             const std::vector<std::string>& keys) {
            sdk::result<std::vector<bool>> r = [&, client = self.shared()] {
              py::gil_scoped_release no_gil;
              return client->exists_batch(bucket, keys);
            }();
            return value_or_raise(std::move(r));
          },
          py::arg("bucket"), py::arg("keys"),
          "One bool per key, in order (kvgate's BatchExists; parallel HEADs elsewhere).")
      .def(
          "delete",
          [](const py_client& self, const std::string& bucket, const std::string& key) {
            sdk::result<void> r = [&, client = self.shared()] {
              py::gil_scoped_release no_gil;
              return client->remove(bucket, key);
            }();
            value_or_raise(std::move(r));
          },
          py::arg("bucket"), py::arg("key"), "DeleteObject (no error for an absent key, as S3).")
      .def(
          "create_bucket",
          [](const py_client& self, const std::string& bucket) {
            sdk::result<void> r = [&, client = self.shared()] {
              py::gil_scoped_release no_gil;
              return client->create_bucket(bucket);
            }();
            value_or_raise(std::move(r));
          },
          py::arg("bucket"))
      .def(
          "list",
          [](const py_client& self, const std::string& bucket, const std::string& prefix,
             const std::string& delimiter, unsigned page_size) {
            auto owner = self.shared();
            return py_lister(owner, owner->list(bucket, prefix, delimiter, page_size));
          },
          py::arg("bucket"), py::arg("prefix") = "", py::arg("delimiter") = "",
          py::arg("page_size") = 1000, "Iterator of ListEntry (ListObjectsV2, paged).")
      .def(
          "put_async",
          [](const py_client& self, std::string bucket, std::string key, const py::handle data,
             bool if_none_match, std::string content_type) {
            auto held = held_bytes::from(data, false);
            auto bytes = held.const_bytes();
            auto future = self.get().async_put(std::move(bucket), std::move(key), bytes,
                                               {if_none_match, std::move(content_type)});
            return make_pending(std::move(future), std::move(held),
                                [](const sdk::put_result& r) { return py::cast(r); });
          },
          py::arg("bucket"), py::arg("key"), py::arg("data"), py::kw_only(),
          py::arg("if_none_match") = false, py::arg("content_type") = "application/octet-stream",
          "put() started now; returns a kvgate.Future (the buffer stays pinned until done).")
      .def(
          "get_async",
          [](const py_client& self, std::string bucket, std::string key, const py::handle out,
             std::optional<std::uint64_t> offset, std::optional<std::uint64_t> length) {
            auto held = held_bytes::from(out, true);
            auto bytes = held.bytes();
            auto future = self.get().async_get(std::move(bucket), std::move(key), bytes,
                                               range_of(offset, length));
            return make_pending(std::move(future), std::move(held),
                                [](const sdk::get_result& r) { return py::cast(r); });
          },
          py::arg("bucket"), py::arg("key"), py::arg("out"), py::kw_only(),
          py::arg("offset") = py::none(), py::arg("length") = py::none())
      .def(
          "head_async",
          [](const py_client& self, std::string bucket, std::string key) {
            auto future = self.get().async_head(std::move(bucket), std::move(key));
            return make_pending(std::move(future), std::nullopt,
                                [](const sdk::object_info& r) { return py::cast(r); });
          },
          py::arg("bucket"), py::arg("key"))
      .def(
          "delete_async",
          [](const py_client& self, std::string bucket, std::string key) {
            auto future = self.get().async_remove(std::move(bucket), std::move(key));
            return make_pending(std::move(future), std::nullopt,
                                [] { return py::object(py::none()); });
          },
          py::arg("bucket"), py::arg("key"))
      .def(
          "put_many",
          [](const py_client& self, const std::string& bucket, const std::vector<std::string>& keys,
             const py::sequence& buffers, bool if_none_match) {
            check_same_length(keys, buffers);
            auto held = hold_all(buffers, false);
            std::vector<sdk::result<sdk::put_result>> results;
            auto client = self.shared();
            {
              py::gil_scoped_release no_gil;
              std::vector<std::future<sdk::result<sdk::put_result>>> futures;
              for (std::size_t i = 0; i < keys.size(); ++i) {
                futures.push_back(client->async_put(bucket, keys[i], held[i].const_bytes(),
                                                    {if_none_match, "application/octet-stream"}));
              }
              for (auto& f : futures) results.push_back(f.get());
            }
            py::list out;
            for (auto& r : results) out.append(r ? py::cast(*r) : error_object(r.error()));
            return out;
          },
          py::arg("bucket"), py::arg("keys"), py::arg("buffers"), py::kw_only(),
          py::arg("if_none_match") = false,
          "All puts in flight at once; a list of PutResult or kvgate.Error (not raised), in order.")
      .def(
          "get_many",
          [](const py_client& self, const std::string& bucket, const std::vector<std::string>& keys,
             const py::sequence& buffers) {
            check_same_length(keys, buffers);
            auto held = hold_all(buffers, true);
            std::vector<sdk::result<sdk::get_result>> results;
            auto client = self.shared();
            {
              py::gil_scoped_release no_gil;
              std::vector<std::future<sdk::result<sdk::get_result>>> futures;
              for (std::size_t i = 0; i < keys.size(); ++i) {
                futures.push_back(client->async_get(bucket, keys[i], held[i].bytes()));
              }
              for (auto& f : futures) results.push_back(f.get());
            }
            py::list out;
            for (auto& r : results) out.append(r ? py::cast(*r) : error_object(r.error()));
            return out;
          },
          py::arg("bucket"), py::arg("keys"), py::arg("buffers"),
          "All gets in flight at once; a list of GetResult or kvgate.Error (not raised), in order.")
      .def(
          "register_memory",
          [](const py_client& self, const py::handle buffer) {
            auto held = held_bytes::from(buffer, true);
            sdk::result<sdk::registered_memory> r = [&, client = self.shared()] {
              py::gil_scoped_release no_gil;
              return client->register_memory(held.bytes());
            }();
            auto registration = value_or_raise(std::move(r));
            return py_registered_memory(std::move(held), std::move(registration));
          },
          py::arg("buffer"),
          "Registers a writable buffer (numpy array, bytearray, CPU tensor...) for the RDMA\n"
          "fast path; returns a kvgate.RegisteredMemory. Raises kvgate.Error with code\n"
          "'rdma_unavailable' when the client has rdma='off' or the host cannot do RDMA\n"
          "(the client then stays on TCP; stats()['transport'] says why).")
      .def(
          "stats", [](const py_client& self) { return stats_dict(self.get().stats()); },
          "The client's counters (docs/sdk.md 'Stats') as a dict.");
}

}  // namespace

void bind_client(py::module_& m) {
  bind_registered_memory(m);
  bind_results(m);
  bind_client_class(m);
}

}  // namespace kvgate::python
