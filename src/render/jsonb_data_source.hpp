// The template engine's data model over PostgreSQL jsonb, read in place: no JSON text round
// trip, no copies, no allocation per lookup (the on-disk jsonb layout is walked directly).
// Also a small synthetic object for the root of an event: its fields plus ctx.
#pragma once

#include <string_view>
#include <utility>
#include <vector>

#include "pg/postgres.hpp"
#include "template/data_model.hpp"

extern "C" {
#include "utils/jsonb.h"
}

namespace mc::render {

// The root an event's message renders against: {"ctx": ..., "email": ..., ...}.
struct RootObject {
  std::vector<std::pair<std::string_view, tmpl::DataRef>> members;
};

class JsonbDataSource : public tmpl::DataSource {
 public:
  static tmpl::DataRef container(const JsonbContainer* c);
  static tmpl::DataRef text(std::string_view s);  // a string that outlives the render
  static tmpl::DataRef root(const RootObject* object);

  tmpl::Kind kind(const tmpl::DataRef& v) const override;
  bool lookup(const tmpl::DataRef& object, std::string_view key, tmpl::DataRef* out) const override;
  std::size_t array_size(const tmpl::DataRef& v) const override;
  tmpl::DataRef array_at(const tmpl::DataRef& v, std::size_t i) const override;
  bool bool_value(const tmpl::DataRef& v) const override;
  bool string_empty(const tmpl::DataRef& v) const override;
  // Numbers go through numeric_out (guarded: a PostgreSQL error becomes pg::PgError).
  void append_text(const tmpl::DataRef& v, std::string& out) const override;
  bool text_view(const tmpl::DataRef& v, std::string_view* out) const override;
};

}  // namespace mc::render
