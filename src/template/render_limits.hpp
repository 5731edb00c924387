// Bounds that keep a hostile template or ctx from crashing or running away with a backend.
#pragma once

#include <cstddef>

namespace mc::tmpl {

struct RenderLimits {
  std::size_t max_source_bytes = 1 << 20;  // a template's source
  int max_nesting = 100;                   // sections, blocks and parents inside each other
  int max_partial_depth = 32;              // partials and parents inside each other, recursion
  std::size_t max_output_bytes = 1 << 20;  // one rendered part
};

}  // namespace mc::tmpl
