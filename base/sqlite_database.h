#pragma once
// An SQLite database the way chosei keeps one: WAL journal, synchronous FULL (a committed
// row survives a power cut, not only a killed process), foreign keys enforced, and a busy
// timeout so that a second writer waits instead of failing. Errors are std::runtime_error
// naming the file and SQLite's message.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

struct sqlite3;
struct sqlite3_stmt;

namespace chosei {

class SqliteStatement {
 public:
  SqliteStatement(sqlite3* db, const std::string& sql, const std::string& path);
  ~SqliteStatement();
  SqliteStatement(const SqliteStatement&) = delete;
  SqliteStatement& operator=(const SqliteStatement&) = delete;
  SqliteStatement(SqliteStatement&& other) noexcept;

  // Parameters are 1-based, as in SQL's ?1, ?2.
  SqliteStatement& bind(int index, std::int64_t value);
  SqliteStatement& bind(int index, double value);
  SqliteStatement& bind(int index, const std::string& value);
  SqliteStatement& bind(int index, const char* value) { return bind(index, std::string(value)); }
  SqliteStatement& bind_null(int index);
  template <class T>
  SqliteStatement& bind(int index, const std::optional<T>& value) {
    return value ? bind(index, *value) : bind_null(index);
  }

  // Advances: true while there is a row to read.
  bool step();
  // Runs a statement that returns no rows, then resets it (bindings cleared) for reuse.
  void run();
  void reset();

  std::int64_t int64(int column) const;
  double real(int column) const;
  std::string text(int column) const;
  bool is_null(int column) const;

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
  std::string path_;
};

class SqliteDatabase {
 public:
  explicit SqliteDatabase(const std::string& path);
  ~SqliteDatabase();
  SqliteDatabase(const SqliteDatabase&) = delete;
  SqliteDatabase& operator=(const SqliteDatabase&) = delete;

  void exec(const std::string& sql);
  SqliteStatement prepare(const std::string& sql);
  // Runs `body` in one IMMEDIATE transaction (the write lock taken at the start, so two
  // writers serialize instead of deadlocking); rolls back and rethrows on an exception.
  void transaction(const std::function<void()>& body);
  std::int64_t last_insert_id() const;
  int changes() const;
  const std::string& path() const { return path_; }

 private:
  sqlite3* db_ = nullptr;
  std::string path_;
};

}  // namespace chosei
