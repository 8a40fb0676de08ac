// kvgate.NativeConnector: lmcache_connector with exactly the Python surface
// of LMCache's LMCACHE_BIND_CONNECTOR_METHODS (connector_pybind_utils.h):
//
//   event_fd() -> int
//   submit_batch_get(keys: list[str], memoryviews: list) -> int
//   submit_batch_set(keys: list[str], memoryviews: list) -> int
//   submit_batch_exists(keys: list[str]) -> int
//   submit_batch_delete(keys: list[str]) -> int
//   drain_completions() -> list[tuple[int, bool, str, list[bool] | None]]
//   close() -> None
//
// Buffers are read under the GIL and then used without it, as LMCache's
// utilities do; in addition this binding keeps every buffer of a batch
// pinned (held_bytes) until that batch's completion has been drained, so a
// caller that drops its memoryviews early cannot make the workers write
// into freed memory. Empty batches and key/buffer count mismatches raise
// RuntimeError, as LMCache's utilities do. The constructor takes the client
// options of kvgate.Client as keywords plus bucket (required), key_prefix
// and num_workers — LMCache's native_plugin passes its adapter_params so.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "bindings.h"
#include "client_settings.h"
#include "errors.h"
#include "held_bytes.h"
#include "lmcache_connector.h"

namespace py = pybind11;

namespace kvgate::python {
namespace {

class py_native_connector {
 public:
  explicit py_native_connector(std::unique_ptr<lmcache_connector> connector)
      : connector_(std::move(connector)) {}

  ~py_native_connector() { close(); }

  int event_fd() const { return connector_->event_fd(); }

  std::uint64_t submit_get(const std::vector<std::string>& keys, const py::list& views) {
    auto held = hold(keys, views, true);
    std::vector<std::span<std::byte>> spans;
    for (auto& h : held) spans.push_back(h.bytes());
    std::uint64_t id;
    {
      py::gil_scoped_release no_gil;
      id = connector_->submit_get(keys, std::move(spans));
    }
    pin(id, std::move(held));
    return id;
  }

  std::uint64_t submit_set(const std::vector<std::string>& keys, const py::list& views) {
    auto held = hold(keys, views, false);
    std::vector<std::span<const std::byte>> spans;
    for (auto& h : held) spans.push_back(h.const_bytes());
    std::uint64_t id;
    {
      py::gil_scoped_release no_gil;
      id = connector_->submit_set(keys, std::move(spans));
    }
    pin(id, std::move(held));
    return id;
  }

  std::uint64_t submit_exists(const std::vector<std::string>& keys) {
    if (keys.empty()) throw std::runtime_error("keys list is empty");
    std::uint64_t id;
    {
      py::gil_scoped_release no_gil;
      id = connector_->submit_exists(keys);
    }
    pin(id, {});  // no buffers; keeps the early-drain bookkeeping uniform
    return id;
  }

  std::uint64_t submit_delete(const std::vector<std::string>& keys) {
    if (keys.empty()) throw std::runtime_error("keys list is empty");
    std::uint64_t id;
    {
      py::gil_scoped_release no_gil;
      id = connector_->submit_delete(keys);
    }
    pin(id, {});
    return id;
  }

  py::list drain_completions() {
    std::vector<lmcache_completion> done;
    {
      py::gil_scoped_release no_gil;
      done = connector_->drain_completions();
    }
    py::list out;
    for (auto& c : done) {
      // Another thread may drain a batch before its submitter (which
      // released the GIL to submit) has pinned the buffers: remember it.
      if (pinned_.erase(c.future_id) == 0) drained_before_pinned_.insert(c.future_id);
      py::object per_key = py::none();
      if (c.has_per_key) {
        py::list bools;
        for (auto b : c.per_key) bools.append(py::bool_(b != 0));
        per_key = std::move(bools);
      }
      out.append(py::make_tuple(c.future_id, c.ok, c.error, per_key));
    }
    return out;
  }

  void close() {
    {
      py::gil_scoped_release no_gil;
      connector_->close();
    }
    // The workers are gone: no buffer is in use any more.
    pinned_.clear();
    drained_before_pinned_.clear();
  }

  py::dict stats() const {
    const auto s = connector_->stats();
    py::dict d;
    d["requests"] = s.requests;
    d["operations"] = s.operations;
    d["errors"] = s.errors;
    d["bytes_sent"] = s.bytes_sent;
    d["bytes_received"] = s.bytes_received;
    d["connections_opened"] = s.connections_opened;
    d["transport"] = s.transport;
    return d;
  }

 private:
  static std::vector<held_bytes> hold(const std::vector<std::string>& keys, const py::list& views,
                                      bool writable) {
    if (keys.size() != views.size()) throw std::runtime_error("keys and memviews size mismatch");
    if (keys.empty()) throw std::runtime_error("keys list is empty");
    std::vector<held_bytes> held;
    held.reserve(keys.size());
    for (py::handle v : views) held.push_back(held_bytes::from(v, writable));
    return held;
  }

  // Keeps a batch's buffers until its completion is drained (GIL held).
  // Every submitted id passes here exactly once, after the submit.
  void pin(std::uint64_t id, std::vector<held_bytes> held) {
    if (drained_before_pinned_.erase(id) == 0) pinned_.emplace(id, std::move(held));
  }

  std::unique_ptr<lmcache_connector> connector_;
  // Both guarded by the GIL.
  std::unordered_map<std::uint64_t, std::vector<held_bytes>> pinned_;
  std::unordered_set<std::uint64_t> drained_before_pinned_;
};

}  // namespace

void bind_native_connector(py::module_& m) {
  py::class_<py_native_connector>(m, "NativeConnector",
                                  "LMCache native connector over kvgate (docs/lmcache.md).")
      .def(py::init([](const py::kwargs& kwargs) {
        lmcache_connector_options options;
        options.client = client_options_from(kwargs, {"bucket", "key_prefix", "num_workers"});
        if (!kwargs.contains("bucket")) throw py::type_error("kvgate: bucket is required");
        options.bucket = kwargs["bucket"].cast<std::string>();
        if (kwargs.contains("key_prefix") && !kwargs["key_prefix"].is_none()) {
          options.key_prefix = kwargs["key_prefix"].cast<std::string>();
        }
        if (kwargs.contains("num_workers") && !kwargs["num_workers"].is_none()) {
          const auto n = kwargs["num_workers"].cast<long long>();
          if (n <= 0 || n > 1024) throw py::value_error("kvgate: num_workers must be 1..1024");
          options.num_workers = static_cast<unsigned>(n);
        }
        sdk::result<std::unique_ptr<lmcache_connector>> made = [&] {
          py::gil_scoped_release no_gil;
          return lmcache_connector::create(std::move(options));
        }();
        return std::make_unique<py_native_connector>(value_or_raise(std::move(made)));
      }))
      .def("event_fd", &py_native_connector::event_fd)
      .def("submit_batch_get", &py_native_connector::submit_get, py::arg("keys"),
           py::arg("memoryviews"))
      .def("submit_batch_set", &py_native_connector::submit_set, py::arg("keys"),
           py::arg("memoryviews"))
      .def("submit_batch_exists", &py_native_connector::submit_exists, py::arg("keys"))
      .def("submit_batch_delete", &py_native_connector::submit_delete, py::arg("keys"))
      .def("drain_completions", &py_native_connector::drain_completions)
      .def("close", &py_native_connector::close)
      .def("stats", &py_native_connector::stats);
}

}  // namespace kvgate::python
