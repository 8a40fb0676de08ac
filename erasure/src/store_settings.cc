// Named settings kept in the index for the gateway (store.h, get_setting).
#include "store_impl.h"

namespace kvgate::erasure {

std::string bucket_setting_prefix(std::string_view bucket) {
  std::string prefix = "bucket/";
  prefix.append(bucket);
  prefix.push_back('/');
  return prefix;
}

result<std::optional<std::string>> store_impl::get_setting(std::string_view name) {
  if (name.empty()) return make_error_code(errc::invalid_argument);
  return index_->get_setting(name);
}

result<void> store_impl::put_setting(std::string_view name, std::optional<std::string_view> value) {
  if (name.empty()) return make_error_code(errc::invalid_argument);
  return index_->put_setting(name, value);
}

}  // namespace kvgate::erasure
