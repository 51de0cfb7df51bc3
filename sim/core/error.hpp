// Errors: every problem with user input is one exception type, InputError, carrying where the
// problem is (file, line, column, key path) and what is allowed. The CLI catches it once and
// exits with status 2. Internal failures (I/O, broken invariants) are RuntimeFailure, exit 1.
#pragma once
#include <stdexcept>
#include <string>

namespace commsim {

struct SourcePos {
  std::string file;  // empty when the value came from the command line or a default
  int line = 0;      // 1-based; 0 = unknown
  int column = 0;    // 1-based; 0 = unknown
};

class InputError : public std::runtime_error {
 public:
  InputError(SourcePos pos, std::string key, std::string message)
      : std::runtime_error(format(pos, key, message)),
        pos_(std::move(pos)), key_(std::move(key)), message_(std::move(message)) {}
  const SourcePos& pos() const { return pos_; }
  const std::string& key() const { return key_; }
  const std::string& message() const { return message_; }

  // "file:line:column: key 'a.b.c': message" — the one-line form printed by the CLI.
  static std::string format(const SourcePos& pos, const std::string& key, const std::string& message) {
    std::string out;
    if (!pos.file.empty()) {
      out += pos.file;
      if (pos.line > 0) {  // appended piecewise: GCC 12 warns (-Wrestrict, PR105329) on "lit" + string&&
        out += ':';
        out += std::to_string(pos.line);
        if (pos.column > 0) {  // 0 = the column is unknown (e.g. a CSV reader that counts lines only)
          out += ':';
          out += std::to_string(pos.column);
        }
      }
      out += ": ";
    }
    if (!key.empty()) {
      out += "key '";
      out += key;
      out += "': ";
    }
    out += message;
    return out;
  }

 private:
  SourcePos pos_;
  std::string key_;
  std::string message_;
};

class RuntimeFailure : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A broken invariant that the input checks (sim/scenario/validate.cpp) make impossible: a bug,
// reported as a failure (exit 1) rather than computing results from corrupt state.
[[noreturn]] inline void internal_error(const std::string& what) { throw RuntimeFailure("internal error: " + what); }

}  // namespace commsim
