// Renders a compiled template against a data source.
#pragma once

#include <string>

#include "template/compiled_template.hpp"
#include "template/data_model.hpp"
#include "template/escape.hpp"
#include "template/partial_resolver.hpp"
#include "template/render_limits.hpp"

namespace mc::tmpl {

struct RenderOptions {
  Escape escape = Escape::Html;
  const PartialResolver* partials = nullptr;  // none: every partial is missing
  // The specification renders a missing partial as nothing; a message must not go out with a
  // block silently missing, so production rendering sets this and gets a TemplateError.
  bool missing_partial_is_error = false;
  RenderLimits limits;
};

// Appends the rendering of t against root to out. Throws TemplateError when a limit is hit
// (or a partial is missing, if so asked); out is then left as it was.
void render(const Template& t, const DataSource& data, const DataRef& root,
            const RenderOptions& options, std::string& out);

}  // namespace mc::tmpl
