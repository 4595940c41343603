#pragma once
#include <span>
#include <string_view>

namespace monotube::db {

// One file of migrations/, embedded at build time (cmake/EmbedMigrations.cmake).
struct MigrationFile {
  int version;
  std::string_view name;
  std::string_view dialect;  // "both", "sqlite" or "postgresql"
  std::string_view sql;
};

std::span<const MigrationFile> EmbeddedMigrationFiles();

}  // namespace monotube::db
