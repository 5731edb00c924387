#include "render/jsonb_data_source.hpp"

#include <cstring>

#include "pg/guard.hpp"

extern "C" {
#include "utils/builtins.h"
#include "utils/numeric.h"
}

namespace mc::render {
namespace {

using tmpl::DataRef;
using tmpl::Kind;

// The low byte of DataRef::aux says what p points at; strings keep their length above it.
enum Tag : std::uint64_t { kContainer = 1, kString, kNumber, kTrue, kFalse, kNull, kRoot };

Tag tag_of(const DataRef& v) { return static_cast<Tag>(v.aux & 0xff); }

DataRef from_value(const JsonbValue& v) {
  switch (v.type) {
    case jbvString:
      return DataRef{v.val.string.val,
                     (static_cast<std::uint64_t>(v.val.string.len) << 8) | kString};
    case jbvNumeric:
      return DataRef{v.val.numeric, kNumber};
    case jbvBool:
      return DataRef{nullptr, v.val.boolean ? kTrue : kFalse};
    case jbvBinary:
      return DataRef{v.val.binary.data, kContainer};
    default:
      return DataRef{nullptr, kNull};
  }
}

// Element i of an array container, read from its JEntry as PostgreSQL's own (static)
// fillJsonbValue does. getJsonbOffset/getJsonbLength cannot fail.
DataRef element(const JsonbContainer* c, int i) {
  JEntry entry = c->children[i];
  const char* base = reinterpret_cast<const char*>(&c->children[JsonContainerSize(c)]);
  uint32 offset = getJsonbOffset(c, i);
  if (JBE_ISSTRING(entry))
    return DataRef{base + offset,
                   (static_cast<std::uint64_t>(getJsonbLength(c, i)) << 8) | kString};
  if (JBE_ISNUMERIC(entry)) return DataRef{base + INTALIGN(offset), kNumber};
  if (JBE_ISBOOL_TRUE(entry)) return DataRef{nullptr, kTrue};
  if (JBE_ISBOOL_FALSE(entry)) return DataRef{nullptr, kFalse};
  if (JBE_ISCONTAINER(entry)) return DataRef{base + INTALIGN(offset), kContainer};
  return DataRef{nullptr, kNull};
}

const JsonbContainer* as_container(const DataRef& v) {
  return static_cast<const JsonbContainer*>(v.p);
}

}  // namespace

DataRef JsonbDataSource::container(const JsonbContainer* c) { return DataRef{c, kContainer}; }

DataRef JsonbDataSource::text(std::string_view s) {
  return DataRef{s.data(), (static_cast<std::uint64_t>(s.size()) << 8) | kString};
}

DataRef JsonbDataSource::root(const RootObject* object) { return DataRef{object, kRoot}; }

Kind JsonbDataSource::kind(const DataRef& v) const {
  switch (tag_of(v)) {
    case kContainer: {
      const JsonbContainer* c = as_container(v);
      if (JsonContainerIsScalar(c)) return kind(element(c, 0));
      return JsonContainerIsObject(c) ? Kind::Object : Kind::Array;
    }
    case kRoot:
      return Kind::Object;
    case kString:
      return Kind::String;
    case kNumber:
      return Kind::Number;
    case kTrue:
    case kFalse:
      return Kind::Bool;
    default:
      return Kind::Null;
  }
}

bool JsonbDataSource::lookup(const DataRef& object, std::string_view key, DataRef* out) const {
  if (tag_of(object) == kRoot) {
    for (const auto& member : static_cast<const RootObject*>(object.p)->members)
      if (member.first == key) {
        *out = member.second;
        return true;
      }
    return false;
  }
  if (tag_of(object) != kContainer || !JsonContainerIsObject(as_container(object))) return false;
  JsonbValue found;
  // Binary search over the sorted keys, result into `found`: no allocation, cannot fail.
  if (getKeyJsonValueFromContainer(const_cast<JsonbContainer*>(as_container(object)), key.data(),
                                   static_cast<int>(key.size()), &found) == nullptr)
    return false;
  *out = from_value(found);
  return true;
}

std::size_t JsonbDataSource::array_size(const DataRef& v) const {
  if (tag_of(v) != kContainer) return 0;
  const JsonbContainer* c = as_container(v);
  return JsonContainerIsArray(c) && !JsonContainerIsScalar(c) ? JsonContainerSize(c) : 0;
}

DataRef JsonbDataSource::array_at(const DataRef& v, std::size_t i) const {
  return element(as_container(v), static_cast<int>(i));
}

bool JsonbDataSource::bool_value(const DataRef& v) const { return tag_of(v) == kTrue; }

bool JsonbDataSource::string_empty(const DataRef& v) const { return (v.aux >> 8) == 0; }

void JsonbDataSource::append_text(const DataRef& v, std::string& out) const {
  switch (tag_of(v)) {
    case kString:
      out.append(static_cast<const char*>(v.p), v.aux >> 8);
      return;
    case kNumber: {
      const char* text = pg::call([&] {
        return DatumGetCString(
            DirectFunctionCall1(numeric_out, NumericGetDatum(const_cast<void*>(v.p))));
      });
      out.append(text);
      return;
    }
    case kTrue:
      out.append("true");
      return;
    case kFalse:
      out.append("false");
      return;
    case kContainer: {
      const JsonbContainer* c = as_container(v);
      if (JsonContainerIsScalar(c)) append_text(element(c, 0), out);
      return;
    }
    default:
      return;
  }
}

bool JsonbDataSource::text_view(const DataRef& v, std::string_view* out) const {
  if (tag_of(v) != kString) return false;
  *out = std::string_view(static_cast<const char*>(v.p), v.aux >> 8);
  return true;
}

}  // namespace mc::render
