#pragma once
// Object storage behind one interface: local disk by default, S3-compatible for
// replicas. Objects are addressed by keys such as "videos/<id>/hls/720p/seg-00001.m4s".
// Every call blocks (run it on the worker pool). ObjectStorage is thread-safe; one
// ObjectWriter or ObjectReader is used by one thread at a time.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "monotube/errors.hpp"

namespace monotube::storage {

// Throws InvalidInput("invalid_storage_key") unless key is one or more segments of
// [A-Za-z0-9._-] separated by "/", with no empty segment, no segment starting with "."
// (which rules out "." and ".."), segments of at most 255 bytes (a file name on disk)
// and at most 1024 bytes in all. Every storage call validates its key with this, so a
// key can never name a path outside the store, and a key valid on one backend is valid
// on every backend.
inline constexpr std::size_t kMaxKeyBytes = 1024;
inline constexpr std::size_t kMaxKeySegmentBytes = 255;
void ValidateKey(std::string_view key);
// A listing prefix: "" (everything), a key, a key followed by "/", or a key whose last
// segment is incomplete ("videos/ab").
void ValidatePrefix(std::string_view prefix);

// An HTTP-style byte range: "first-last" (inclusive), "first-" or the last
// suffix_length bytes ("-n").
struct ByteRange {
  std::uint64_t first = 0;
  std::optional<std::uint64_t> last;
  std::optional<std::uint64_t> suffix_length;

  static ByteRange Between(std::uint64_t first, std::uint64_t last) { return {first, last, std::nullopt}; }
  static ByteRange From(std::uint64_t first) { return {first, std::nullopt, std::nullopt}; }
  static ByteRange Suffix(std::uint64_t length) { return {0, std::nullopt, length}; }
};

struct ResolvedRange {
  std::uint64_t offset = 0;
  std::uint64_t length = 0;
};
// Applies a range to an object of total_size bytes (RFC 9110 14.1.2): a last beyond
// the end is clamped; nullopt when unsatisfiable (first at or past the end, an empty
// object, a zero-length suffix, last < first).
std::optional<ResolvedRange> Resolve(const ByteRange& range, std::uint64_t total_size);

// The requested range lies outside the object; HTTP answers 416 with
// "Content-Range: bytes */<total_size>".
class RangeNotSatisfiable : public Error {
 public:
  explicit RangeNotSatisfiable(std::uint64_t total_size)
      : Error(416, "range_not_satisfiable", "The requested range is outside the file."),
        total_size_(total_size) {}
  std::uint64_t total_size() const noexcept { return total_size_; }

 private:
  std::uint64_t total_size_;
};

struct ObjectInfo {
  std::string key;
  std::uint64_t size = 0;
  std::int64_t modified_ms = 0;  // Unix epoch milliseconds
  std::string etag;              // opaque, unquoted; changes when the content changes
};

struct WriteOptions {
  std::string content_type;  // stored where the backend can (S3); local disk ignores it
};

// Streams one object into storage. Nothing is visible under the key until Commit()
// returns; a writer destroyed without Commit() aborts.
class ObjectWriter {
 public:
  virtual ~ObjectWriter() = default;
  virtual void Write(const char* data, std::size_t size) = 0;
  // Publishes the object atomically (replacing any previous one); after it, Write throws.
  virtual void Commit() = 0;
  // Discards what was written; harmless after Commit() or a previous Abort(). Never throws.
  virtual void Abort() noexcept = 0;
  virtual std::uint64_t bytes_written() const noexcept = 0;
};

class ObjectReader {
 public:
  virtual ~ObjectReader() = default;
  // Fills up to size bytes; returns 0 once size() bytes have been read.
  virtual std::size_t Read(char* buffer, std::size_t size) = 0;
  virtual std::uint64_t size() const noexcept = 0;        // bytes this reader yields (the range)
  virtual std::uint64_t total_size() const noexcept = 0;  // bytes in the whole object
  virtual std::uint64_t offset() const noexcept = 0;      // where the range starts in the object
  virtual const ObjectInfo& info() const noexcept = 0;    // as of opening
};

struct ListResult {
  std::vector<ObjectInfo> objects;  // sorted by key (byte order)
  std::string continuation;         // pass to the next List call; "" when this was the last page
};

class ObjectStorage {
 public:
  virtual ~ObjectStorage() = default;

  virtual std::unique_ptr<ObjectWriter> OpenWriter(const std::string& key, const WriteOptions& options = {}) = 0;
  // Convenience wrappers around OpenWriter.
  void Put(const std::string& key, std::string_view data, const WriteOptions& options = {});
  void PutFile(const std::string& key, const std::filesystem::path& file, const WriteOptions& options = {});
  // Reads a whole (small) object into memory; throws NotFound when it is missing.
  std::string GetString(const std::string& key);

  // Throws NotFound when the key is missing, RangeNotSatisfiable for a range that misses.
  virtual std::unique_ptr<ObjectReader> OpenReader(const std::string& key,
                                                   std::optional<ByteRange> range = std::nullopt) = 0;
  virtual std::optional<ObjectInfo> Stat(const std::string& key) = 0;
  // Deleting a missing key is not an error.
  virtual void Delete(const std::string& key) = 0;
  // Deletes every object whose key starts with prefix (a plain string prefix, as in S3:
  // use "videos/abc/" to mean a folder); returns how many were deleted.
  virtual std::size_t DeletePrefix(const std::string& prefix) = 0;
  // Up to limit objects whose keys start with prefix and sort after continuation.
  virtual ListResult List(const std::string& prefix, const std::string& continuation = {},
                          std::size_t limit = 1000) = 0;
  // Bytes of every object whose key starts with prefix (sums List pages).
  virtual std::uint64_t TotalSize(const std::string& prefix = {});
  // Writes, reads back and deletes a probe object; throws Unavailable("storage_unavailable", reason).
  virtual void CheckHealth() = 0;
  // For logs and the admin dashboard, e.g. "local disk at /srv/monotube/objects"; never secrets.
  virtual std::string Describe() const = 0;

  // A URL from which anyone can GET the object until `expires` from now (served with
  // response_content_type when given), so a client downloads it straight from the store;
  // nullopt when the backend has no such URLs (local disk: serve the object yourself).
  // Does not check that the object exists.
  virtual std::optional<std::string> PresignedGetUrl(const std::string& key, std::chrono::seconds expires,
                                                     const std::string& response_content_type = {});
  // The object's file when the backend keeps objects as local files, so a program such as
  // FFmpeg can read it in place; nullopt on other backends (read it through OpenReader or
  // a presigned URL). Throws NotFound when a local backend has no such object. The file
  // must be treated as read-only and may be replaced (never modified) by a later write.
  virtual std::optional<std::filesystem::path> LocalPath(const std::string& key);

 protected:
  // For CheckHealth: writes, reads back and deletes a probe object. Throws what those
  // calls throw, or std::runtime_error when the bytes read back differ.
  void ProbeRoundTrip();
};

struct StorageOptions {
  // "" or file:///abs/path = local disk;
  // s3://bucket?endpoint=http://host:port&region=us-east-1&path_style=true|false = S3.
  std::string url;
  std::filesystem::path data_dir = "./data";
  std::string s3_access_key;
  std::string s3_secret_key;
};

// Opens the configured storage; throws ConfigError naming storage_url when the URL is
// not usable.
std::unique_ptr<ObjectStorage> OpenStorage(const StorageOptions& options);

}  // namespace monotube::storage
