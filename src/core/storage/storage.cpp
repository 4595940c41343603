#include "monotube/storage/storage.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <stdexcept>
#include <system_error>
#include <vector>

#include "monotube/ids.hpp"
#include "monotube/storage/local_storage.hpp"
#include "monotube/storage/s3_storage.hpp"

namespace monotube::storage {
namespace {

bool IsKeyChar(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
         c == '-';
}

// Checks the segments of text; the last one may be empty or a partial segment when
// allow_partial_tail (prefixes). Returns a reason or nullptr.
const char* KeyProblem(std::string_view text, bool allow_partial_tail) {
  if (text.size() > kMaxKeyBytes) return "is too long";
  std::size_t start = 0;
  while (true) {
    std::size_t slash = text.find('/', start);
    bool last = slash == std::string_view::npos;
    std::string_view segment = text.substr(start, last ? std::string_view::npos : slash - start);
    if (segment.empty()) {
      if (!(last && allow_partial_tail)) return "has an empty segment";
    } else if (segment.front() == '.') {
      return "has a segment starting with '.'";
    } else if (segment.size() > kMaxKeySegmentBytes) {
      return "has a segment longer than 255 bytes";
    }
    for (char c : segment) {
      if (!IsKeyChar(c)) return "has a character outside [A-Za-z0-9._-/]";
    }
    if (last) return nullptr;
    start = slash + 1;
  }
}

}  // namespace

void ValidateKey(std::string_view key) {
  if (key.empty()) throw InvalidInput("invalid_storage_key", "The storage key is empty.");
  if (const char* problem = KeyProblem(key, false)) {
    throw InvalidInput("invalid_storage_key", std::string("The storage key ") + problem + ".");
  }
}

void ValidatePrefix(std::string_view prefix) {
  if (prefix.empty()) return;
  if (prefix.front() == '/') throw InvalidInput("invalid_storage_key", "The storage prefix starts with '/'.");
  if (const char* problem = KeyProblem(prefix, true)) {
    throw InvalidInput("invalid_storage_key", std::string("The storage prefix ") + problem + ".");
  }
}

std::optional<ResolvedRange> Resolve(const ByteRange& range, std::uint64_t total_size) {
  if (total_size == 0) return std::nullopt;
  if (range.suffix_length) {
    if (*range.suffix_length == 0) return std::nullopt;
    std::uint64_t length = std::min(*range.suffix_length, total_size);
    return ResolvedRange{total_size - length, length};
  }
  if (range.first >= total_size) return std::nullopt;
  std::uint64_t last = total_size - 1;
  if (range.last) {
    if (*range.last < range.first) return std::nullopt;
    last = std::min(*range.last, last);
  }
  return ResolvedRange{range.first, last - range.first + 1};
}

void ObjectStorage::Put(const std::string& key, std::string_view data, const WriteOptions& options) {
  auto writer = OpenWriter(key, options);
  writer->Write(data.data(), data.size());
  writer->Commit();
}

void ObjectStorage::PutFile(const std::string& key, const std::filesystem::path& file, const WriteOptions& options) {
  int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw std::system_error(errno, std::generic_category(), "storage: open " + file.string());
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  auto writer = OpenWriter(key, options);
  std::vector<char> buffer(1 << 20);
  while (true) {
    ssize_t n = ::read(fd, buffer.data(), buffer.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      throw std::system_error(errno, std::generic_category(), "storage: read " + file.string());
    }
    if (n == 0) break;
    writer->Write(buffer.data(), static_cast<std::size_t>(n));
  }
  writer->Commit();
}

std::string ObjectStorage::GetString(const std::string& key) {
  auto reader = OpenReader(key);
  std::string data(reader->size(), '\0');
  std::size_t filled = 0;
  while (filled < data.size()) {
    std::size_t n = reader->Read(data.data() + filled, data.size() - filled);
    if (n == 0) break;
    filled += n;
  }
  data.resize(filled);
  return data;
}

std::optional<std::string> ObjectStorage::PresignedGetUrl(const std::string& key, std::chrono::seconds,
                                                          const std::string&) {
  ValidateKey(key);
  return std::nullopt;
}

std::optional<std::filesystem::path> ObjectStorage::LocalPath(const std::string& key) {
  ValidateKey(key);
  return std::nullopt;
}

std::uint64_t ObjectStorage::TotalSize(const std::string& prefix) {
  std::uint64_t total = 0;
  std::string after;
  while (true) {
    ListResult page = List(prefix, after, 10'000);
    for (const ObjectInfo& object : page.objects) total += object.size;
    if (page.continuation.empty()) return total;
    after = page.continuation;
  }
}

void ObjectStorage::ProbeRoundTrip() {
  const std::string key = "_health/probe-" + RandomToken(9);
  const std::string payload = "monotube storage probe " + key;
  Put(key, payload);
  std::string read_back;
  try {
    read_back = GetString(key);
  } catch (...) {
    Delete(key);
    throw;
  }
  Delete(key);
  if (read_back != payload) throw std::runtime_error("the probe object read back differently");
}

std::unique_ptr<ObjectStorage> OpenStorage(const StorageOptions& options) {
  const std::string& url = options.url;
  if (url.empty()) {
    return std::make_unique<LocalStorage>(std::filesystem::absolute(options.data_dir) / "objects");
  }
  constexpr std::string_view kFile = "file://";
  if (url.starts_with(kFile)) {
    std::string path = url.substr(kFile.size());
    if (path.empty() || path.front() != '/' || path.find_first_of("?#") != std::string::npos) {
      throw ConfigError("storage_url: a file URL needs an absolute path, like file:///srv/monotube/objects (got \"" +
                        url + "\")");
    }
    return std::make_unique<LocalStorage>(std::filesystem::path(path));
  }
  if (url.starts_with("s3://")) {
    return std::make_unique<S3Storage>(ParseS3StorageUrl(url, options.s3_access_key, options.s3_secret_key));
  }
  // Never echo the whole URL: it could carry credentials.
  throw ConfigError("storage_url: unsupported storage URL scheme \"" + url.substr(0, url.find(':')) +
                    "\"; use file:///path or s3://bucket?endpoint=...");
}

}  // namespace monotube::storage
