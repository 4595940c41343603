#pragma once
// Objects as files under a root folder: key "a/b/c" is the file <root>/a/b/c. Writers
// stream into <root>/.tmp/ (same filesystem), fsync and rename into place, so readers
// see whole objects or nothing. Paths are opened one component at a time without
// following symlinks, so nothing placed inside the root can lead out of it.
// Thread-safe.
#include <chrono>
#include <filesystem>

#include "monotube/storage/storage.hpp"

namespace monotube::storage {

class LocalStorage final : public ObjectStorage {
 public:
  // Creates root (and root/.tmp) when missing and sweeps temporary files older than a
  // day (writers that crashed). Throws ConfigError naming storage_url when root cannot
  // be created.
  explicit LocalStorage(std::filesystem::path root);

  std::unique_ptr<ObjectWriter> OpenWriter(const std::string& key, const WriteOptions& options = {}) override;
  std::unique_ptr<ObjectReader> OpenReader(const std::string& key,
                                           std::optional<ByteRange> range = std::nullopt) override;
  std::optional<ObjectInfo> Stat(const std::string& key) override;
  void Delete(const std::string& key) override;
  std::size_t DeletePrefix(const std::string& prefix) override;
  ListResult List(const std::string& prefix, const std::string& continuation = {},
                  std::size_t limit = 1000) override;
  void CheckHealth() override;
  std::string Describe() const override;
  // <root>/<key>, once it is checked to be a regular file reached without symlinks.
  std::optional<std::filesystem::path> LocalPath(const std::string& key) override;

  // Removes temporary files not modified for max_age; returns how many.
  std::size_t SweepTemporaryFiles(std::chrono::seconds max_age = std::chrono::hours(24));

  const std::filesystem::path& root() const noexcept { return root_; }

 private:
  std::filesystem::path root_;
};

}  // namespace monotube::storage
