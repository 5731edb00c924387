#include "intake/refusal_error.hpp"

namespace mc::intake {

int sqlstate_of(core::RefusalKind kind) {
  switch (kind) {
    case core::RefusalKind::MissingField:
      return ERRCODE_NOT_NULL_VIOLATION;
    case core::RefusalKind::UnknownField:
      return ERRCODE_UNDEFINED_COLUMN;
    case core::RefusalKind::InvalidSyntax:
      return ERRCODE_INVALID_TEXT_REPRESENTATION;
    case core::RefusalKind::InvalidDatetime:
      return ERRCODE_INVALID_DATETIME_FORMAT;
    case core::RefusalKind::InvalidRange:
      return ERRCODE_DATETIME_FIELD_OVERFLOW;
    case core::RefusalKind::TooLong:
      return ERRCODE_STRING_DATA_RIGHT_TRUNCATION;
    case core::RefusalKind::TooLarge:
      return ERRCODE_PROGRAM_LIMIT_EXCEEDED;
    case core::RefusalKind::WrongJsonType:
    case core::RefusalKind::InvalidValue:
    case core::RefusalKind::NotAnArray:
      return ERRCODE_INVALID_PARAMETER_VALUE;
  }
  return ERRCODE_INVALID_PARAMETER_VALUE;
}

pg::SqlError refusal_error(const core::Refusal& refusal, const std::string& where) {
  return pg::SqlError(sqlstate_of(refusal.kind),
                      "invalid " + where + ": field \"" + refusal.field + "\" " + refusal.reason);
}

}  // namespace mc::intake
