// Client options from Python keyword arguments.
//
// kvgate.Client(**kwargs) and the LMCache connectors (whose settings arrive
// as LMCache's `adapter_params` / `extra_config` dictionaries) share one
// spelling of the SDK's options (docs/sdk.md): endpoint, access_key,
// secret_key, session_token, region, profile, credentials_file, ca_file,
// verify_tls, addressing ("path" | "virtual"), connect_to, connect_timeout
// and request_timeout (seconds), max_attempts, retry_base_delay and
// retry_max_delay (seconds), io_threads, pool_size, parallelism,
// max_requests_in_flight, part_size,
// multipart_threshold, parallel_get_threshold, rdma ("auto" | "on" | "off"),
// min_rdma_bytes. Credentials given here are used when both keys are
// present; otherwise the SDK's environment / credentials-file chain applies.
#pragma once

#include <pybind11/pybind11.h>

#include <set>
#include <string>

#include "kvgate/sdk/client.h"

namespace kvgate::python {

// Consumes the client options from `kwargs`; a key that is neither a client
// option nor in `other_keys` raises TypeError, a bad value ValueError.
sdk::client_options client_options_from(const pybind11::dict& kwargs,
                                        const std::set<std::string>& other_keys = {});

}  // namespace kvgate::python
