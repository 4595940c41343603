#include "monotube/storage/local_storage.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <functional>
#include <system_error>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "monotube/ids.hpp"

namespace monotube::storage {
namespace {

constexpr const char* kTempDir = ".tmp";
// A directory may vanish between creating it and renaming into it, when a concurrent
// Delete removes it as empty; creating it again is then the right answer.
constexpr int kCreateAttempts = 10;

class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(Fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  Fd& operator=(Fd&& other) noexcept {
    if (this != &other) {
      Reset();
      fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { Reset(); }

  int get() const noexcept { return fd_; }
  bool valid() const noexcept { return fd_ >= 0; }
  int Release() noexcept { return std::exchange(fd_, -1); }
  void Reset() noexcept {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

[[noreturn]] void ThrowIo(int error, std::string_view action, std::string_view subject) {
  if (error == ENOSPC || error == EDQUOT) {
    throw Unavailable("storage_full", "The server has run out of storage space.");
  }
  if (error == EISDIR || error == ENOTDIR || error == ELOOP) {
    throw Conflict("storage_key_conflict", "This object cannot be stored under that name.");
  }
  throw std::system_error(error, std::generic_category(), fmt::format("storage: {} {}", action, subject));
}

std::vector<std::string_view> SplitKey(std::string_view key) {
  std::vector<std::string_view> segments;
  std::size_t start = 0;
  while (true) {
    std::size_t slash = key.find('/', start);
    if (slash == std::string_view::npos) {
      segments.push_back(key.substr(start));
      return segments;
    }
    segments.push_back(key.substr(start, slash - start));
    start = slash + 1;
  }
}

// Opens a directory below dir without following a symlink; invalid Fd + errno on failure.
Fd OpenDirAt(int dir, const std::string& name) {
  return Fd(::openat(dir, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
}

std::int64_t ModifiedMs(const struct stat& st) {
  return static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1000 + st.st_mtim.tv_nsec / 1'000'000;
}

ObjectInfo InfoFromStat(std::string key, const struct stat& st) {
  ObjectInfo info;
  info.key = std::move(key);
  info.size = static_cast<std::uint64_t>(st.st_size);
  info.modified_ms = ModifiedMs(st);
  info.etag = fmt::format("{:x}-{:x}-{:x}", static_cast<std::uint64_t>(st.st_size),
                          static_cast<std::uint64_t>(st.st_mtim.tv_sec) * 1'000'000'000ULL +
                              static_cast<std::uint64_t>(st.st_mtim.tv_nsec),
                          static_cast<std::uint64_t>(st.st_ino));
  return info;
}

// The directories from the root down to a key's parent, opened one component at a
// time with O_NOFOLLOW: a symlink anywhere below the root ends the walk.
struct ParentChain {
  std::vector<Fd> dirs;  // dirs[0] is the root, dirs.back() holds the object
  std::vector<std::string> segments;
  std::string name;      // the object's file name

  int parent() const { return dirs.back().get(); }
};

class LocalPaths {
 public:
  explicit LocalPaths(std::filesystem::path root) : root_(std::move(root)) {}

  Fd OpenRoot() const {
    Fd fd(::open(root_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    // CheckHealth reports the cause; requests only need to know the storage is down.
    if (!fd.valid()) throw Unavailable("storage_unavailable", "The file storage is not available right now.");
    return fd;
  }

  Fd OpenTempDir() const {
    Fd root = OpenRoot();
    if (::mkdirat(root.get(), kTempDir, 0700) != 0 && errno != EEXIST) ThrowIo(errno, "create", kTempDir);
    Fd dir = OpenDirAt(root.get(), kTempDir);
    if (!dir.valid()) ThrowIo(errno, "open", kTempDir);
    return dir;
  }

  // Walks to the parent of key. Without create, a missing or non-directory component
  // gives nullopt; with create, missing directories are made.
  std::optional<ParentChain> Walk(std::string_view key, bool create) const {
    for (int attempt = 1;; ++attempt) {
      int error = 0;
      std::optional<ParentChain> chain = WalkOnce(key, create, error);
      if (chain) return chain;
      if (!create && (error == ENOENT || error == ENOTDIR || error == ELOOP)) return std::nullopt;
      // A concurrent Delete removed a directory we were creating into: start over.
      if (create && error == ENOENT && attempt < kCreateAttempts) continue;
      ThrowIo(error, create ? "create directory for" : "open directory for", key);
    }
  }

 private:
  std::optional<ParentChain> WalkOnce(std::string_view key, bool create, int& error) const {
    std::vector<std::string_view> parts = SplitKey(key);
    ParentChain chain;
    chain.name = std::string(parts.back());
    chain.dirs.push_back(OpenRoot());
    for (std::size_t i = 0; i + 1 < parts.size(); ++i) {
      std::string segment(parts[i]);
      Fd next = OpenDirAt(chain.parent(), segment);
      if (!next.valid() && errno == ENOENT && create) {
        if (::mkdirat(chain.parent(), segment.c_str(), 0755) != 0 && errno != EEXIST) {
          error = errno;
          return std::nullopt;
        }
        next = OpenDirAt(chain.parent(), segment);
      }
      if (!next.valid()) {
        error = errno;
        return std::nullopt;
      }
      chain.dirs.push_back(std::move(next));
      chain.segments.push_back(std::move(segment));
    }
    return chain;
  }

  std::filesystem::path root_;
};

class LocalWriter final : public ObjectWriter {
 public:
  LocalWriter(LocalPaths paths, std::string key) : paths_(std::move(paths)), key_(std::move(key)) {
    temp_dir_ = paths_.OpenTempDir();
    for (int attempt = 0; attempt < kCreateAttempts && !file_.valid(); ++attempt) {
      temp_name_ = RandomToken(12) + ".part";
      file_ = Fd(::openat(temp_dir_.get(), temp_name_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
      if (!file_.valid() && errno != EEXIST) ThrowIo(errno, "create temporary file for", key_);
    }
    if (!file_.valid()) throw std::runtime_error("storage: no free temporary file name for " + key_);
  }

  ~LocalWriter() override { Abort(); }

  void Write(const char* data, std::size_t size) override {
    if (!file_.valid()) throw std::logic_error("storage: write to a finished writer for " + key_);
    while (size > 0) {
      ssize_t n = ::write(file_.get(), data, size);
      if (n < 0) {
        if (errno == EINTR) continue;
        ThrowIo(errno, "write", key_);
      }
      data += n;
      size -= static_cast<std::size_t>(n);
      bytes_written_ += static_cast<std::uint64_t>(n);
    }
  }

  void Commit() override {
    if (!file_.valid()) throw std::logic_error("storage: commit of a finished writer for " + key_);
    if (::fsync(file_.get()) != 0) ThrowIo(errno, "fsync", key_);
    if (::close(file_.Release()) != 0) ThrowIo(errno, "close", key_);
    for (int attempt = 0;; ++attempt) {
      std::optional<ParentChain> chain = paths_.Walk(key_, true);
      if (::renameat(temp_dir_.get(), temp_name_.c_str(), chain->parent(), chain->name.c_str()) == 0) {
        // The rename is durable only once the directory entry is on disk.
        ::fsync(chain->parent());
        break;
      }
      if (errno != ENOENT || attempt + 1 >= kCreateAttempts) {
        int error = errno;
        ::unlinkat(temp_dir_.get(), temp_name_.c_str(), 0);
        temp_name_.clear();
        ThrowIo(error, "publish", key_);
      }
    }
    temp_name_.clear();
  }

  void Abort() noexcept override {
    file_.Reset();
    if (!temp_name_.empty() && temp_dir_.valid()) ::unlinkat(temp_dir_.get(), temp_name_.c_str(), 0);
    temp_name_.clear();
  }

  std::uint64_t bytes_written() const noexcept override { return bytes_written_; }

 private:
  LocalPaths paths_;
  std::string key_;
  Fd temp_dir_;
  std::string temp_name_;
  Fd file_;
  std::uint64_t bytes_written_ = 0;
};

class LocalReader final : public ObjectReader {
 public:
  LocalReader(Fd file, ObjectInfo info, ResolvedRange range)
      : file_(std::move(file)), info_(std::move(info)), range_(range), position_(range.offset) {}

  std::size_t Read(char* buffer, std::size_t size) override {
    std::uint64_t end = range_.offset + range_.length;
    if (position_ >= end || size == 0) return 0;
    std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(size, end - position_));
    while (true) {
      ssize_t n = ::pread(file_.get(), buffer, want, static_cast<off_t>(position_));
      if (n < 0) {
        if (errno == EINTR) continue;
        ThrowIo(errno, "read", info_.key);
      }
      // Objects are replaced by rename, never rewritten in place, so a short file means
      // someone truncated it behind our back; the caller promised an exact length.
      if (n == 0) throw std::runtime_error("storage: " + info_.key + " shrank while being read");
      position_ += static_cast<std::uint64_t>(n);
      return static_cast<std::size_t>(n);
    }
  }

  std::uint64_t size() const noexcept override { return range_.length; }
  std::uint64_t total_size() const noexcept override { return info_.size; }
  std::uint64_t offset() const noexcept override { return range_.offset; }
  const ObjectInfo& info() const noexcept override { return info_; }

 private:
  Fd file_;
  ObjectInfo info_;
  ResolvedRange range_;
  std::uint64_t position_;
};

struct DirEntry {
  std::string name;
  std::string sort_name;  // directories sort as "name/", so a walk yields keys in byte order
  bool is_dir = false;
};

bool IsValidSegment(std::string_view name) {
  if (name.empty() || name.front() == '.') return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
           c == '-';
  });
}

std::vector<DirEntry> ReadDirectory(int dir_fd, std::string_view where) {
  // fdopendir takes ownership of the descriptor, so hand it a duplicate.
  int dup_fd = ::openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dup_fd < 0) ThrowIo(errno, "open directory", where);
  DIR* dir = ::fdopendir(dup_fd);
  if (!dir) {
    int error = errno;
    ::close(dup_fd);
    ThrowIo(error, "open directory", where);
  }
  std::vector<DirEntry> entries;
  while (dirent* entry = ::readdir(dir)) {
    std::string_view name = entry->d_name;
    // Hidden names (".", "..", ".tmp") and names no key could have are not objects.
    if (!IsValidSegment(name)) continue;
    unsigned char type = entry->d_type;
    if (type == DT_UNKNOWN) {
      struct stat st {};
      if (::fstatat(dir_fd, entry->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
      type = S_ISDIR(st.st_mode) ? DT_DIR : S_ISREG(st.st_mode) ? DT_REG : DT_UNKNOWN;
    }
    if (type != DT_DIR && type != DT_REG) continue;  // symlinks, sockets, ... are skipped
    bool is_dir = type == DT_DIR;
    entries.push_back({std::string(name), std::string(name) + (is_dir ? "/" : ""), is_dir});
  }
  ::closedir(dir);
  std::sort(entries.begin(), entries.end(),
            [](const DirEntry& a, const DirEntry& b) { return a.sort_name < b.sort_name; });
  return entries;
}

using Visitor = std::function<bool(ObjectInfo&&)>;

// Visits, in key order, the objects below dir_fd (whose keys start with key_prefix)
// that start with prefix and sort after `after`. Returns false when the visitor stopped.
bool WalkDirectory(int dir_fd, const std::string& key_prefix, const std::string& prefix, const std::string& after,
                   const Visitor& visit) {
  for (const DirEntry& entry : ReadDirectory(dir_fd, key_prefix.empty() ? "/" : key_prefix)) {
    std::string full = key_prefix + entry.sort_name;
    if (entry.is_dir) {
      // Every key in the subtree starts with full; skip subtrees that cannot match.
      if (!full.starts_with(prefix) && !prefix.starts_with(full)) continue;
      if (full < after && !after.starts_with(full)) continue;
      Fd sub = OpenDirAt(dir_fd, entry.name);
      if (!sub.valid()) continue;  // removed meanwhile
      if (!WalkDirectory(sub.get(), full, prefix, after, visit)) return false;
    } else {
      if (!full.starts_with(prefix) || full <= after) continue;
      struct stat st {};
      if (::fstatat(dir_fd, entry.name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode)) continue;
      if (!visit(InfoFromStat(std::move(full), st))) return false;
    }
  }
  return true;
}

}  // namespace

LocalStorage::LocalStorage(std::filesystem::path root) : root_(std::filesystem::absolute(root).lexically_normal()) {
  std::error_code error;
  std::filesystem::create_directories(root_ / kTempDir, error);
  if (error) {
    throw ConfigError(fmt::format("storage_url: cannot create the object folder {}: {}", root_.string(),
                                  error.message()));
  }
  std::size_t swept = SweepTemporaryFiles();
  if (swept > 0) spdlog::info("storage: removed {} temporary files left by interrupted uploads", swept);
}

std::unique_ptr<ObjectWriter> LocalStorage::OpenWriter(const std::string& key, const WriteOptions&) {
  ValidateKey(key);
  return std::make_unique<LocalWriter>(LocalPaths(root_), key);
}

std::unique_ptr<ObjectReader> LocalStorage::OpenReader(const std::string& key, std::optional<ByteRange> range) {
  ValidateKey(key);
  std::optional<ParentChain> chain = LocalPaths(root_).Walk(key, false);
  if (!chain) throw NotFound("The requested object does not exist.");
  // O_NONBLOCK: opening a FIFO planted in the root must not hang a worker thread.
  Fd file(::openat(chain->parent(), chain->name.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
  if (!file.valid()) {
    if (errno == ENOENT || errno == ELOOP || errno == ENOTDIR || errno == ENXIO) {
      throw NotFound("The requested object does not exist.");
    }
    ThrowIo(errno, "open", key);
  }
  struct stat st {};
  if (::fstat(file.get(), &st) != 0) ThrowIo(errno, "stat", key);
  if (!S_ISREG(st.st_mode)) throw NotFound("The requested object does not exist.");
  ObjectInfo info = InfoFromStat(key, st);
  ResolvedRange resolved{0, info.size};
  if (range) {
    std::optional<ResolvedRange> r = Resolve(*range, info.size);
    if (!r) throw RangeNotSatisfiable(info.size);
    resolved = *r;
  }
  return std::make_unique<LocalReader>(std::move(file), std::move(info), resolved);
}

std::optional<ObjectInfo> LocalStorage::Stat(const std::string& key) {
  ValidateKey(key);
  std::optional<ParentChain> chain = LocalPaths(root_).Walk(key, false);
  if (!chain) return std::nullopt;
  struct stat st {};
  if (::fstatat(chain->parent(), chain->name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno == ENOENT || errno == ENOTDIR) return std::nullopt;
    ThrowIo(errno, "stat", key);
  }
  if (!S_ISREG(st.st_mode)) return std::nullopt;
  return InfoFromStat(key, st);
}

void LocalStorage::Delete(const std::string& key) {
  ValidateKey(key);
  std::optional<ParentChain> chain = LocalPaths(root_).Walk(key, false);
  if (!chain) return;
  if (::unlinkat(chain->parent(), chain->name.c_str(), 0) != 0) {
    if (errno == ENOENT || errno == EISDIR) return;
    ThrowIo(errno, "delete", key);
  }
  // Remove the directories the delete left empty, bottom-up; never the root. A
  // directory that is not empty (or anything else going wrong) ends the cleanup.
  for (std::size_t i = chain->segments.size(); i > 0; --i) {
    if (::unlinkat(chain->dirs[i - 1].get(), chain->segments[i - 1].c_str(), AT_REMOVEDIR) != 0) break;
  }
}

std::size_t LocalStorage::DeletePrefix(const std::string& prefix) {
  ValidatePrefix(prefix);
  std::size_t deleted = 0;
  std::string after;
  while (true) {
    ListResult page = List(prefix, after, 1000);
    for (const ObjectInfo& object : page.objects) {
      Delete(object.key);
      ++deleted;
    }
    if (page.continuation.empty()) return deleted;
    after = page.continuation;
  }
}

ListResult LocalStorage::List(const std::string& prefix, const std::string& continuation, std::size_t limit) {
  ValidatePrefix(prefix);
  ListResult result;
  if (limit == 0) return result;
  // Start at the deepest directory the prefix names, not at the root.
  std::size_t slash = prefix.rfind('/');
  std::string directory = slash == std::string::npos ? std::string() : prefix.substr(0, slash);
  Fd start;
  if (directory.empty()) {
    start = LocalPaths(root_).OpenRoot();
  } else {
    std::optional<ParentChain> chain = LocalPaths(root_).Walk(directory, false);
    if (!chain) return result;
    start = OpenDirAt(chain->parent(), chain->name);
    if (!start.valid()) {
      if (errno == ENOENT || errno == ENOTDIR || errno == ELOOP) return result;
      ThrowIo(errno, "list", prefix);
    }
  }
  std::string key_prefix = directory.empty() ? std::string() : directory + "/";
  bool more = false;
  WalkDirectory(start.get(), key_prefix, prefix, continuation, [&](ObjectInfo&& info) {
    if (result.objects.size() == limit) {
      more = true;
      return false;
    }
    result.objects.push_back(std::move(info));
    return true;
  });
  if (more) result.continuation = result.objects.back().key;
  return result;
}

void LocalStorage::CheckHealth() {
  try {
    std::error_code error;
    if (!std::filesystem::is_directory(root_, error)) {
      throw std::runtime_error(error ? error.message() : std::string("it is not a folder"));
    }
    ProbeRoundTrip();
  } catch (const std::exception& error) {
    throw Unavailable("storage_unavailable", fmt::format("Local storage at {} is not usable: {}", root_.string(),
                                                         error.what()));
  }
}

std::string LocalStorage::Describe() const { return "local disk at " + root_.string(); }

std::optional<std::filesystem::path> LocalStorage::LocalPath(const std::string& key) {
  // Stat walks the key one component at a time without following symlinks, so the path
  // it vouches for lies inside the root.
  if (!Stat(key)) throw NotFound("The requested object does not exist.");
  return root_ / key;
}

std::size_t LocalStorage::SweepTemporaryFiles(std::chrono::seconds max_age) {
  Fd temp_dir = LocalPaths(root_).OpenTempDir();
  int dup_fd = ::openat(temp_dir.get(), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dup_fd < 0) ThrowIo(errno, "open", kTempDir);
  DIR* dir = ::fdopendir(dup_fd);
  if (!dir) {
    int error = errno;
    ::close(dup_fd);
    ThrowIo(error, "open", kTempDir);
  }
  const auto cutoff = std::chrono::system_clock::now() - max_age;
  const std::int64_t cutoff_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(cutoff.time_since_epoch()).count();
  std::size_t removed = 0;
  while (dirent* entry = ::readdir(dir)) {
    struct stat st {};
    if (::fstatat(temp_dir.get(), entry->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
    if (S_ISDIR(st.st_mode) || ModifiedMs(st) > cutoff_ms) continue;
    if (::unlinkat(temp_dir.get(), entry->d_name, 0) == 0) ++removed;
  }
  ::closedir(dir);
  return removed;
}

}  // namespace monotube::storage
