#include "pg/spi_statement.hpp"

#include <cstring>
#include <stdexcept>

#include "core/named_parameters.hpp"
#include "pg/datum_columns.hpp"
#include "pg/guard.hpp"

extern "C" {
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "utils/builtins.h"
}

namespace mc::pg {

Statement::Statement(std::string sql, std::vector<ParamSpec> params,
                     std::vector<const char*> columns, int cursor_options, bool keep_plan)
    : source_(std::move(sql)),
      params_(std::move(params)),
      columns_(std::move(columns)),
      attnums_(columns_.size(), 0),
      cursor_options_(cursor_options),
      keep_plan_(keep_plan) {
  for (const ParamSpec& p : params_) types_.push_back(p.type);
}

Statement::Param Statement::param(const char* name) const {
  for (size_t i = 0; i < params_.size(); ++i)
    if (std::strcmp(params_[i].name, name) == 0) return {static_cast<int>(i)};
  throw std::logic_error(std::string("statement has no parameter $") + name + ": " + source_);
}

Statement::Column Statement::column(const char* name) const {
  for (size_t i = 0; i < columns_.size(); ++i)
    if (std::strcmp(columns_[i], name) == 0) return {static_cast<int>(i)};
  throw std::logic_error(std::string("statement declares no result column \"") + name +
                         "\": " + source_);
}

// $name -> $n, by the declared order (core/named_parameters.hpp). A mistake in a statement
// is a programming error, reported as an internal error naming the statement.
void Statement::prepare() {
  if (translated_) return;
  std::vector<std::string_view> names;
  for (const ParamSpec& p : params_) names.emplace_back(p.name);
  try {
    sql_ = core::number_parameters(source_, names);
  } catch (const std::invalid_argument& e) {
    throw std::logic_error(std::string(e.what()) + ": " + source_);
  }
  translated_ = true;
}

uint64 Statement::run(const Args& args, bool read_only, long count) {
  if (&args.statement() != this) throw std::logic_error("arguments of another statement");
  args.check_complete();
  prepare();
  return call([&] { return run_unsafe(args, read_only, count); });
}

uint64 Statement::run_unsafe(const Args& args, bool read_only, long count) {
  int nargs = static_cast<int>(types_.size());
  Oid* types = const_cast<Oid*>(types_.data());
  Datum* values = const_cast<Datum*>(args.values());
  int rc;
  if (keep_plan_) {
    Oid schema = get_namespace_oid("mc", false);
    if (plan_ == nullptr || schema_ != schema) {
      if (plan_) SPI_freeplan(plan_);
      plan_ = nullptr;
      attnums_for_ = nullptr;  // looked up again for the new plan
      SPIPlanPtr plan = SPI_prepare_cursor(sql_.c_str(), nargs, types, cursor_options_);
      if (plan == nullptr)
        elog(ERROR, "preparing \"%s\" failed: %s", sql_.c_str(),
             SPI_result_code_string(SPI_result));
      SPI_keepplan(plan);
      plan_ = plan;
      schema_ = schema;
    }
    rc = SPI_execute_plan(plan_, values, args.nulls(), read_only, count);
  } else {
    rc = SPI_execute_with_args(sql_.c_str(), nargs, types, values, args.nulls(), read_only, count);
  }
  if (rc < 0) elog(ERROR, "\"%s\" failed: %s", sql_.c_str(), SPI_result_code_string(rc));
  rc_ = rc;
  table_ = SPI_tuptable;
  rows_ = SPI_processed;
  if (!columns_.empty()) resolve_columns_unsafe();
  return rows_;
}

// Once per prepared plan (every run for an unprepared statement): the result's attribute number
// of each declared column, by name. A missing one is an error naming it.
void Statement::resolve_columns_unsafe() {
  if (keep_plan_ && attnums_for_ == plan_) return;
  if (table_ == nullptr) elog(ERROR, "\"%s\" returned no rows to read columns from", sql_.c_str());
  for (size_t i = 0; i < columns_.size(); ++i) {
    int attnum = SPI_fnumber(table_->tupdesc, columns_[i]);
    if (attnum <= 0)
      ereport(ERROR, (errcode(ERRCODE_UNDEFINED_COLUMN),
                      errmsg("result of \"%s\" has no column \"%s\"", sql_.c_str(), columns_[i])));
    attnums_[i] = attnum;
  }
  attnums_for_ = keep_plan_ ? plan_ : nullptr;
}

Statement::Args::Args(const Statement& statement)
    : statement_(&statement),
      values_(statement.params_.size(), 0),
      nulls_(statement.params_.size() + 1, 'n'),
      bound_(statement.params_.size(), false) {
  nulls_.back() = '\0';
}

Statement::Param Statement::Args::checked(const char* name, Oid type) const {
  Param p = statement_->param(name);
  Oid declared = statement_->params_[p.index].type;
  if (type != InvalidOid && declared != type)
    throw std::logic_error(std::string("parameter $") + name + " is declared with type " +
                           std::to_string(declared) + ", bound with type " + std::to_string(type));
  return p;
}

Statement::Args& Statement::Args::set_int8(const char* name, int64 value) {
  set_unsafe(checked(name, INT8OID), Int64GetDatum(value));
  return *this;
}

Statement::Args& Statement::Args::set_int4(const char* name, int32 value) {
  set_unsafe(checked(name, INT4OID), Int32GetDatum(value));
  return *this;
}

Statement::Args& Statement::Args::set_timestamptz(const char* name, TimestampTz value) {
  set_unsafe(checked(name, TIMESTAMPTZOID), TimestampTzGetDatum(value));
  return *this;
}

Statement::Args& Statement::Args::set_text(const char* name, std::string_view value) {
  Param p = checked(name, TEXTOID);
  set_unsafe(p, call([&] {
               return PointerGetDatum(
                   cstring_to_text_with_len(value.data(), static_cast<int>(value.size())));
             }));
  return *this;
}

Statement::Args& Statement::Args::set_array(const char* name, const DatumColumn& column) {
  Param p = checked(name, column.array_type());
  set_unsafe(p, column.to_array());
  return *this;
}

Statement::Args& Statement::Args::set_null(const char* name) {
  set_null_unsafe(checked(name, InvalidOid));
  return *this;
}

void Statement::Args::check_complete() const {
  for (size_t i = 0; i < bound_.size(); ++i)
    if (!bound_[i])
      throw std::logic_error(std::string("parameter $") + statement_->params_[i].name +
                             " not bound: " + statement_->source_);
}

}  // namespace mc::pg
