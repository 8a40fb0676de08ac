// The user directory in force, replaceable while requests run (SIGHUP reload
// of the credentials file, docs/users.md): a live_snapshot, so a reload never
// changes the identity of a request in progress; the next request sees the
// new users.
#pragma once

#include "kvgate/gateway/live_snapshot.h"
#include "kvgate/s3/user_directory.h"

namespace kvgate::s3 {

class live_users : public gateway::live_snapshot<user_directory> {
 public:
  live_users() : live_snapshot(user_directory()) {}
};

}  // namespace kvgate::s3
