// The one exception type of the delivery core. Every refusal names what it refuses (a header
// field, an option path such as `options.max_connections`) so that the SQL layer can pass the
// message on unchanged. Nothing in src/delivery lets an exception leave a curl or opendkim
// callback: those catch and turn the error into data.
#pragma once

#include <stdexcept>
#include <string>

namespace mc::delivery {

class DeliveryError : public std::runtime_error {
 public:
  explicit DeliveryError(const std::string& what) : std::runtime_error(what) {}
};

}  // namespace mc::delivery
