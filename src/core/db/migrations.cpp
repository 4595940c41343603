#include "monotube/db/migrations.hpp"

#include <algorithm>
#include <cctype>
#include <map>
#include <set>
#include <stdexcept>

#include <fmt/format.h>
#include <soci/soci.h>
#include <spdlog/spdlog.h>

#include "monotube/db/database.hpp"

namespace monotube::db {
namespace {

// pg_advisory_xact_lock key shared by every monotube process ("monotube" in ASCII).
constexpr long long kMigrationLockKey = 0x6d6f6e6f74756265LL;

struct PlannedMigration {
  int version;
  std::string label;     // "0002_users"
  std::string_view sql;  // empty when only the other dialect has work for this version
};

std::vector<PlannedMigration> Plan(std::span<const MigrationFile> files, Dialect dialect) {
  const std::string_view own = dialect == Dialect::kSqlite ? "sqlite" : "postgresql";
  std::map<int, std::string_view> names;
  std::map<int, std::string_view> shared;
  std::map<int, std::string_view> specific;
  for (const MigrationFile& file : files) {
    std::string label = fmt::format("{:04d}_{}", file.version, file.name);
    if (file.version <= 0) throw std::runtime_error("migration " + label + " has a version below 1");
    if (file.dialect != "both" && file.dialect != "sqlite" && file.dialect != "postgresql")
      throw std::runtime_error("migration " + label + " has an unknown dialect '" +
                               std::string(file.dialect) + "'");
    auto [known, inserted] = names.emplace(file.version, file.name);
    if (!inserted && known->second != file.name)
      throw std::runtime_error(fmt::format("migrations {:04d}_{} and {} share version {}", file.version,
                                           known->second, label, file.version));
    auto& target = file.dialect == "both" ? shared : specific;
    if (file.dialect != "both" && file.dialect != own) continue;
    if (!target.emplace(file.version, file.sql).second)
      throw std::runtime_error("migration " + label + " exists twice for the same dialect");
  }
  std::vector<PlannedMigration> plan;
  for (const auto& [version, name] : names) {
    PlannedMigration step{version, fmt::format("{:04d}_{}", version, name), {}};
    if (auto it = specific.find(version); it != specific.end())
      step.sql = it->second;
    else if (auto shared_it = shared.find(version); shared_it != shared.end())
      step.sql = shared_it->second;
    plan.push_back(step);
  }
  return plan;
}

void LockAndCreateTable(soci::session& session, Dialect dialect) {
  // On SQLite the caller's BEGIN IMMEDIATE already serialises migrating processes.
  if (dialect == Dialect::kPostgresql) {
    long long key = kMigrationLockKey;
    session << "SELECT pg_advisory_xact_lock(CAST(:key AS BIGINT))", soci::use(key);
  }
  session << "CREATE TABLE IF NOT EXISTS schema_migrations ("
             "version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)";
}

std::set<int> AppliedVersions(soci::session& session) {
  std::set<int> versions;
  int version = 0;
  soci::statement statement =
      (session.prepare << "SELECT version FROM schema_migrations", soci::into(version));
  statement.execute();
  while (statement.fetch()) versions.insert(version);
  return versions;
}

bool HasMigrationsTable(soci::session& session, Dialect dialect) {
  int count = 0;
  if (dialect == Dialect::kSqlite) {
    session << "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'",
        soci::into(count);
  } else {
    session << "SELECT COUNT(*) FROM pg_catalog.pg_tables "
               "WHERE schemaname = current_schema() AND tablename = 'schema_migrations'",
        soci::into(count);
  }
  return count > 0;
}

bool IsIdentifierChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

std::string UpperWords(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (std::isspace(static_cast<unsigned char>(c))) {
      if (!out.empty() && out.back() != ' ') out += ' ';
    } else {
      out += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
  }
  return out;
}

// A SQLite trigger body holds statements of its own ("BEGIN INSERT …; END"): inside
// CREATE TRIGGER only the ";" after its END ends the statement.
bool InsideTriggerBody(std::string_view statement) {
  std::string words = UpperWords(statement);
  auto first = words.find_first_not_of(' ');
  if (first == std::string::npos) return false;
  words.erase(0, first);
  if (!words.starts_with("CREATE TRIGGER ") && !words.starts_with("CREATE TEMP TRIGGER ") &&
      !words.starts_with("CREATE TEMPORARY TRIGGER "))
    return false;
  while (!words.empty() && words.back() == ' ') words.pop_back();
  if (words.find(" BEGIN ") == std::string::npos) return false;  // PostgreSQL: EXECUTE FUNCTION …;
  return !(words.ends_with(" END") && (words.size() == 3 || !IsIdentifierChar(words[words.size() - 4])));
}

}  // namespace

std::vector<std::string> SplitSqlStatements(std::string_view sql) {
  std::vector<std::string> statements;
  std::string current;
  auto flush = [&] {
    auto first = current.find_first_not_of(" \t\r\n");
    if (first != std::string::npos) {
      auto last = current.find_last_not_of(" \t\r\n");
      statements.push_back(current.substr(first, last - first + 1));
    }
    current.clear();
  };
  const std::size_t n = sql.size();
  std::size_t i = 0;
  while (i < n) {
    const char c = sql[i];
    const char next = i + 1 < n ? sql[i + 1] : '\0';
    if (c == '-' && next == '-') {
      auto end = sql.find('\n', i);
      i = end == std::string_view::npos ? n : end;
      continue;
    }
    if (c == '/' && next == '*') {
      int depth = 0;  // PostgreSQL nests block comments
      do {
        if (sql.compare(i, 2, "/*") == 0) {
          ++depth;
          i += 2;
        } else if (sql.compare(i, 2, "*/") == 0) {
          --depth;
          i += 2;
        } else {
          ++i;
        }
      } while (depth > 0 && i < n);
      if (depth > 0) throw std::runtime_error("SQL has an unterminated /* comment");
      current += ' ';
      continue;
    }
    if (c == '\'' || c == '"') {
      std::size_t end = i + 1;
      for (;;) {
        end = sql.find(c, end);
        if (end == std::string_view::npos)
          throw std::runtime_error(std::string("SQL has an unterminated ") +
                                   (c == '\'' ? "string" : "identifier"));
        if (end + 1 < n && sql[end + 1] == c) {
          end += 2;  // a doubled quote is an escaped quote
          continue;
        }
        break;
      }
      current.append(sql.substr(i, end + 1 - i));
      i = end + 1;
      continue;
    }
    if (c == '$' && (i == 0 || !IsIdentifierChar(sql[i - 1]))) {
      std::size_t j = i + 1;
      while (j < n && IsIdentifierChar(sql[j])) ++j;
      bool is_tag = j < n && sql[j] == '$' && !std::isdigit(static_cast<unsigned char>(next));
      if (is_tag) {
        std::string_view tag = sql.substr(i, j + 1 - i);
        auto end = sql.find(tag, j + 1);
        if (end == std::string_view::npos)
          throw std::runtime_error("SQL has an unterminated " + std::string(tag) + " string");
        current.append(sql.substr(i, end + tag.size() - i));
        i = end + tag.size();
        continue;
      }
    }
    if (c == ';') {
      if (InsideTriggerBody(current)) {
        current += c;
        ++i;
        continue;
      }
      flush();
      ++i;
      continue;
    }
    current += c;
    ++i;
  }
  flush();
  return statements;
}

MigrationResult Migrate(Database& database, const Clock& clock) {
  return Migrate(database, clock, EmbeddedMigrationFiles());
}

MigrationResult Migrate(Database& database, const Clock& clock, std::span<const MigrationFile> files) {
  const Dialect dialect = database.dialect();
  const std::vector<PlannedMigration> plan = Plan(files, dialect);
  const int latest = plan.empty() ? 0 : plan.back().version;
  MigrationResult result{0, 0, 0};
  bool first_round = true;
  std::string applied_label;
  std::size_t applied_statements = 0;
  // One migration per transaction, re-reading what is applied each time, so that a process
  // that waited for the lock continues from whatever the other one did.
  for (bool finished = false; !finished;) {
    finished = database.InTransaction([&](soci::session& session) {
      LockAndCreateTable(session, dialect);
      const std::set<int> applied = AppliedVersions(session);
      const int current = applied.empty() ? 0 : *applied.rbegin();
      if (first_round) {
        result.from_version = current;
        first_round = false;
      }
      if (current > latest) {
        throw std::runtime_error(fmt::format(
            "the database {} is at schema version {}, but this monotube binary only knows migrations up to "
            "version {}. It was migrated by a newer monotube: upgrade this binary to that release (or newer) "
            "instead of running an older one against it.",
            database.Describe(), current, latest));
      }
      auto next = std::find_if(plan.begin(), plan.end(), [&applied](const PlannedMigration& step) {
        return !applied.count(step.version);
      });
      if (next == plan.end()) {
        result.to_version = current;
        return true;
      }
      std::size_t executed = 0;
      try {
        for (const std::string& statement : SplitSqlStatements(next->sql)) {
          session << statement;
          ++executed;
        }
        int version = next->version;
        std::string name = next->label;
        long long applied_at = clock.NowMs();
        session << "INSERT INTO schema_migrations (version, name, applied_at) VALUES (:version, :name, "
                   ":applied_at)",
            soci::use(version), soci::use(name), soci::use(applied_at);
      } catch (const std::exception& e) {
        throw std::runtime_error(fmt::format("migration {} failed at statement {} and was rolled back: {}",
                                             next->label, executed + 1, e.what()));
      }
      applied_label = next->label;
      applied_statements = executed;
      return false;
    });
    if (!finished) {
      ++result.applied;
      spdlog::info("database: applied migration {} ({} statements)", applied_label, applied_statements);
    }
  }
  return result;
}

int LatestEmbeddedVersion() {
  int latest = 0;
  for (const MigrationFile& file : EmbeddedMigrationFiles()) latest = std::max(latest, file.version);
  return latest;
}

int CurrentVersion(Database& database) {
  return database.WithSession([dialect = database.dialect()](soci::session& session) {
    if (!HasMigrationsTable(session, dialect)) return 0;
    int version = 0;
    session << "SELECT COALESCE(MAX(version), 0) FROM schema_migrations", soci::into(version);
    return version;
  });
}

}  // namespace monotube::db
