// Bounds that keep a hostile template or ctx from crashing or running away with a backend.
#pragma once

#include <cstddef>

namespace mc::tmpl {

struct RenderLimits {
  std::size_t max_source_bytes = 1 << 20;  // a template's source
  int max_nesting = 100;                   // sections, blocks and parents inside each other
  int max_partial_depth = 32;              // partials and parents inside each other, recursion
  std::size_t max_output_bytes = 1 << 20;  // one rendered part
  // Across partials the nesting of one render adds up; this caps it so the renderer's recursion
  // stays far below PostgreSQL's max_stack_depth (2 MB by default).
  int max_render_depth = 256;
  // Sections over lists nested in each other multiply: {{#a}}{{#a}}..{{/a}}{{/a}} over a list
  // of 1000 items visits 1000^depth nodes without writing a byte, so output size alone does
  // not bound the time a render takes. One step is one node visited.
  std::size_t max_steps = 10'000'000;
  // Asked between nodes: true stops the render with RenderInterrupted. PostgreSQL passes a
  // function reading its cancel and terminate flags, so statement_timeout and a cancel stop a
  // long render (the engine cannot process interrupts itself: that may longjmp). Null: never.
  bool (*should_stop)() = nullptr;
};

}  // namespace mc::tmpl
