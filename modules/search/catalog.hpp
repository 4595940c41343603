#pragma once
// `monotube dev gen-catalog`: fills the database with synthetic users and ready public
// videos (titles, descriptions and tags drawn from a word list, Zipf-like popularity,
// dates over years, lengths from seconds to hours) for benchmarks and demos. The videos
// have no media: their thumbnails and streams answer 404.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>

#include "monotube/db/database.hpp"

namespace monotube::search {

struct CatalogOptions {
  std::int64_t videos = 1000;
  std::int64_t users = 100;
  std::filesystem::path words_file = "/usr/share/dict/words";
  std::uint64_t seed = 42;
  std::int64_t now_ms = 0;  // dates end here
};

struct CatalogResult {
  std::int64_t users = 0;
  std::int64_t videos = 0;
};

// Blocking. Inserts in large transactions; the change-log rows the inserts leave are
// dropped (and marked pruned, so every replica's index rebuilds rather than replaying a
// million rows): build the index afterwards with RebuildIndex.
CatalogResult GenerateCatalog(db::Database& database, const CatalogOptions& options,
                              const std::function<void(const std::string&)>& progress);

}  // namespace monotube::search
