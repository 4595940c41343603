#pragma once
// Schema migrations: numbered SQL files from migrations/, embedded at build time and
// applied in order, each in its own transaction together with its row in the
// schema_migrations(version, name, applied_at) table.
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "monotube/clock.hpp"

namespace monotube::db {

class Database;

// One file of migrations/, embedded at build time (cmake/EmbedMigrations.cmake).
struct MigrationFile {
  int version;
  std::string_view name;
  std::string_view dialect;  // "both", "sqlite" or "postgresql"
  std::string_view sql;
};

std::span<const MigrationFile> EmbeddedMigrationFiles();

struct MigrationResult {
  int from_version;
  int to_version;
  int applied;
};

// Applies the pending embedded migrations. Safe when several processes start at once (an
// advisory lock on PostgreSQL, BEGIN IMMEDIATE on SQLite). A migration that fails is rolled
// back entirely and the error (std::runtime_error) names it. Throws std::runtime_error,
// without touching anything, when the database is newer than this binary.
MigrationResult Migrate(Database& database, const Clock& clock);
// The same with an explicit list of files (a dialect-specific file replaces the shared one
// of the same version for that dialect).
MigrationResult Migrate(Database& database, const Clock& clock, std::span<const MigrationFile> files);

int LatestEmbeddedVersion();
// The highest applied version; 0 for an empty database.
int CurrentVersion(Database& database);

// Splits a migration file into statements at ';', ignoring those inside quotes,
// dollar-quoted strings and comments; comments and empty statements are dropped.
std::vector<std::string> SplitSqlStatements(std::string_view sql);

}  // namespace monotube::db
