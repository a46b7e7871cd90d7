// CauseCategory: an error category that knows the likely causes of its own errors.
//
// likely_cause() and explain() (sockit/core/error.hpp) know the OS's, the resolver's and
// sockit's own codes. A layer above core whose errors have a category of their own (TLS)
// derives that category from this one; likely_cause() asks it, so explain() gives that layer's
// causes too without core depending on it.
#pragma once

#include <string_view>
#include <system_error>

namespace sockit {

class CauseCategory : public std::error_category {
 public:
  /// The likely cause of this category's error `value` and its fix, in a few words, or "" when
  /// nothing useful can be said. The text lives as long as the program.
  virtual std::string_view cause(int value) const noexcept = 0;
};

}  // namespace sockit
