#pragma once
// Values bound to a statement by position, for queries assembled at run time (optional
// filters, cursors). SOCI keeps references to bound values, so they live in deques (stable
// addresses) for as long as the Binds object.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <soci/soci.h>

#include "monotube/db/database.hpp"

namespace monotube::db {

class Binds {
 public:
  Binds& Int(long long value) {
    ints_.push_back(value);
    order_.emplace_back(true, ints_.size() - 1);
    return *this;
  }
  Binds& Text(std::string value) {
    texts_.push_back(std::move(value));
    order_.emplace_back(false, texts_.size() - 1);
    return *this;
  }
  void ExchangeInto(soci::statement& statement) {
    for (auto [is_int, index] : order_) {
      if (is_int) statement.exchange(soci::use(ints_[index]));
      else statement.exchange(soci::use(texts_[index]));
    }
  }

 private:
  std::deque<long long> ints_;
  std::deque<std::string> texts_;
  std::vector<std::pair<bool, std::size_t>> order_;
};

// text with LIKE's wildcards (% and _) and the escape character itself escaped, for
// "… LIKE :pattern ESCAPE '<escape>'" on SQLite and PostgreSQL.
inline std::string EscapeLike(std::string_view text, char escape) {
  std::string out;
  for (char c : text) {
    if (c == '%' || c == '_' || c == escape) out += escape;
    out += c;
  }
  return out;
}

// Keyset paging, largest first: appends " AND (key < k OR (key = k AND id < i))" for the
// (key, id) of the last row of the previous page, binding both.
inline void AppendKeysetBefore(std::string& sql, Binds& binds, std::string_view key_column,
                               std::string_view id_column, long long key, long long id) {
  std::string k(key_column), i(id_column);
  sql += " AND (" + k + " < :k1 OR (" + k + " = :k2 AND " + i + " < :id))";
  binds.Int(key).Int(key).Int(id);
}

// Runs sql with the binds in placeholder order; returns how many rows it changed.
inline long long Execute(soci::session& session, const std::string& sql, Binds binds) {
  soci::statement statement(session);
  binds.ExchangeInto(statement);
  statement.alloc();
  statement.prepare(sql);
  statement.define_and_bind();
  return ExecuteAndCountRows(statement);
}

// Calls fn(chunk, list) for every run of at most 100 ids, with list = "(:id0, :id1, …)" —
// one placeholder per id of the chunk — for "… WHERE id IN " + list. 100 keeps a statement
// far below every database's placeholder limit.
template <class Fn>
void ForEachIdList(const std::vector<std::int64_t>& ids, Fn fn) {
  constexpr std::size_t kPerStatement = 100;
  for (std::size_t start = 0; start < ids.size(); start += kPerStatement) {
    const std::size_t count = std::min(kPerStatement, ids.size() - start);
    std::string list = "(";
    for (std::size_t i = 0; i < count; ++i) list += (i == 0 ? ":id" : ", :id") + std::to_string(i);
    fn(std::span<const std::int64_t>(ids).subspan(start, count), list + ")");
  }
}

}  // namespace monotube::db
