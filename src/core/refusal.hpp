// Why an event is refused at intake. The PostgreSQL layer maps each kind to one SQLSTATE.
#pragma once

#include <string>

namespace mc::core {

enum class RefusalKind {
  MissingField,     // 23502 not_null_violation
  WrongJsonType,    // 22023 invalid_parameter_value (e.g. ctx is not an object)
  UnknownField,     // 42703 undefined_column (a JSON key that is not an event field)
  InvalidValue,     // 22023 invalid_parameter_value (e.g. unknown channel)
  InvalidSyntax,    // 22P02 invalid_text_representation (email, phone, language, country)
  InvalidDatetime,  // 22007 invalid_datetime_format
  InvalidRange,     // 22008 datetime_field_overflow (expiration before scheduled)
  TooLong,          // 22001 string_data_right_truncation
  TooLarge,         // 54000 program_limit_exceeded (ctx over the configured limit)
  NotAnArray,       // 22023 invalid_parameter_value (push_events without an array)
};

struct Refusal {
  RefusalKind kind;
  std::string field;   // the event field as the caller wrote it (JSON key or column)
  std::string reason;  // what is wrong with it, without the field name
};

}  // namespace mc::core
