#pragma once
// The error model: services throw these; the HTTP layer maps them, in one place,
// to a status and {"error":{"code","message"}}. The message is shown to the client,
// so it must be written for a person and never carry internal details.
#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <utility>

namespace monotube {

class Error : public std::runtime_error {
 public:
  Error(int status, std::string code, const std::string& message)
      : std::runtime_error(message), status_(status), code_(std::move(code)) {}
  int status() const noexcept { return status_; }
  const std::string& code() const noexcept { return code_; }

 private:
  int status_;
  std::string code_;
};

#define MONOTUBE_DEFINE_ERROR(Name, Status, DefaultCode)                                  \
  class Name : public Error {                                                              \
   public:                                                                                 \
    explicit Name(const std::string& message) : Error(Status, DefaultCode, message) {}     \
    Name(std::string code, const std::string& message) : Error(Status, std::move(code), message) {} \
  };

MONOTUBE_DEFINE_ERROR(InvalidInput, 400, "invalid_input")
MONOTUBE_DEFINE_ERROR(Unauthorized, 401, "unauthorized")
MONOTUBE_DEFINE_ERROR(Forbidden, 403, "forbidden")
MONOTUBE_DEFINE_ERROR(NotFound, 404, "not_found")
MONOTUBE_DEFINE_ERROR(Conflict, 409, "conflict")
MONOTUBE_DEFINE_ERROR(PayloadTooLarge, 413, "too_large")
MONOTUBE_DEFINE_ERROR(UnsupportedMedia, 415, "unsupported_media_type")
MONOTUBE_DEFINE_ERROR(Unavailable, 503, "unavailable")

#undef MONOTUBE_DEFINE_ERROR

class RateLimited : public Error {
 public:
  RateLimited(const std::string& message, std::int64_t retry_after_seconds)
      : Error(429, "rate_limited", message), retry_after_seconds_(retry_after_seconds) {}
  std::int64_t retry_after_seconds() const noexcept { return retry_after_seconds_; }

 private:
  std::int64_t retry_after_seconds_;
};

// Several fields of one form are wrong at once: the answer carries the status, code and
// message of the first, and every field's own code and message, so a form can show each
// next to its field. Collect them with FieldErrors.
class InvalidFields : public Error {
 public:
  struct Field {
    std::string code;
    std::string message;
  };
  InvalidFields(int status, std::string code, const std::string& message, std::map<std::string, Field> fields)
      : Error(status, std::move(code), message), fields_(std::move(fields)) {}
  const std::map<std::string, Field>& fields() const noexcept { return fields_; }

 private:
  std::map<std::string, Field> fields_;
};

// Runs each field's checks, keeps the first Error each field throws, then throws
// InvalidFields if any field failed:
//   FieldErrors errors;
//   errors.Check("username", [&] { ValidateUsername(username); });
//   errors.ThrowIfAny();
class FieldErrors {
 public:
  template <class F>
  void Check(const std::string& field, F&& check) {
    if (fields_.contains(field)) return;
    try {
      check();
    } catch (const Error& e) {
      Add(field, e);
    }
  }
  // Records error for field, unless the field already has one.
  void Add(const std::string& field, const Error& error) {
    if (fields_.contains(field)) return;
    if (first_status_ == 0) {
      first_status_ = error.status();
      first_code_ = error.code();
      first_message_ = error.what();
    }
    fields_.emplace(field, InvalidFields::Field{error.code(), error.what()});
  }
  bool empty() const noexcept { return fields_.empty(); }
  void ThrowIfAny() const {
    if (!fields_.empty()) throw InvalidFields(first_status_, first_code_, first_message_, fields_);
  }

 private:
  std::map<std::string, InvalidFields::Field> fields_;
  int first_status_ = 0;
  std::string first_code_;
  std::string first_message_;
};

// One field's error as InvalidFields, e.g. ThrowFieldError("email", InvalidInput(...)).
[[noreturn]] inline void ThrowFieldError(const std::string& field, const Error& error) {
  FieldErrors errors;
  errors.Add(field, error);
  errors.ThrowIfAny();
  throw error;  // not reached: ThrowIfAny threw
}

// Runs one field's checks; an Error it throws leaves as that field's InvalidFields.
template <class F>
void CheckField(const std::string& field, F&& check) {
  FieldErrors errors;
  errors.Check(field, std::forward<F>(check));
  errors.ThrowIfAny();
}

// A configuration value that stops the start; the message names the setting.
class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace monotube
