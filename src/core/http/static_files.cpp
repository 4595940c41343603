#include "monotube/http/static_files.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <climits>
#include <list>
#include <mutex>
#include <string>
#include <system_error>
#include <unordered_map>
#include <utility>

#include <fmt/format.h>

#include "monotube/errors.hpp"
#include "monotube/http/conditional.hpp"
#include "monotube/storage/storage.hpp"

namespace monotube::http {
namespace {

namespace fs = std::filesystem;
using SteadyClock = std::chrono::steady_clock;

// Accounted per cached entry on top of its content, so many tiny files still count.
constexpr std::size_t kEntryOverhead = 256;
constexpr std::size_t kMaxPathBytes = 1024;
constexpr std::string_view kHtmlType = "text/html; charset=utf-8";

struct ExtensionType {
  std::string_view extension;
  std::string_view type;
};

constexpr ExtensionType kContentTypes[] = {
    {"html", kHtmlType},
    {"htm", kHtmlType},
    {"css", "text/css; charset=utf-8"},
    {"js", "text/javascript; charset=utf-8"},
    {"mjs", "text/javascript; charset=utf-8"},
    {"json", "application/json"},
    {"map", "application/json"},
    {"webmanifest", "application/manifest+json"},
    {"txt", "text/plain; charset=utf-8"},
    {"md", "text/markdown; charset=utf-8"},
    {"csv", "text/csv; charset=utf-8"},
    {"xml", "application/xml"},
    {"vtt", "text/vtt; charset=utf-8"},
    {"svg", "image/svg+xml"},
    {"png", "image/png"},
    {"jpg", "image/jpeg"},
    {"jpeg", "image/jpeg"},
    {"gif", "image/gif"},
    {"webp", "image/webp"},
    {"avif", "image/avif"},
    {"ico", "image/x-icon"},
    {"woff2", "font/woff2"},
    {"woff", "font/woff"},
    {"ttf", "font/ttf"},
    {"otf", "font/otf"},
    {"wasm", "application/wasm"},
    {"pdf", "application/pdf"},
    {"m3u8", "application/vnd.apple.mpegurl"},
    {"mp4", "video/mp4"},
    {"m4s", "video/iso.segment"},
    {"m4v", "video/mp4"},
    {"m4a", "audio/mp4"},
    {"ts", "video/mp2t"},
    {"webm", "video/webm"},
    {"mp3", "audio/mpeg"},
    {"ogg", "audio/ogg"},
};

std::string_view ContentTypeFor(const fs::path& file) {
  std::string extension = file.extension().string();
  if (extension.size() > 1) {
    extension.erase(0, 1);
    std::transform(extension.begin(), extension.end(), extension.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    for (const auto& known : kContentTypes) {
      if (known.extension == extension) return known.type;
    }
  }
  return "application/octet-stream";
}

class OpenFile {
 public:
  explicit OpenFile(int fd) : fd_(fd) {}
  ~OpenFile() { ::close(fd_); }
  OpenFile(const OpenFile&) = delete;
  OpenFile& operator=(const OpenFile&) = delete;
  int fd() const noexcept { return fd_; }

 private:
  int fd_;
};

// What we know about one file. Immutable once built, shared by the cache and responses.
struct FileEntry {
  std::shared_ptr<const std::string> content;  // null when too large to cache
  std::shared_ptr<OpenFile> file;              // for large files: read while streaming
  std::uint64_t size = 0;
  std::int64_t mtime_seconds = 0;
  std::int64_t mtime_ns = 0;
  dev_t device = 0;
  ino_t inode = 0;
  std::string etag;
  std::string last_modified;
  std::string_view content_type;
  bool html = false;
  SteadyClock::time_point checked_at;
};

// Streams a byte range of a large file; Read runs on the worker pool.
class FileBody final : public BodySource {
 public:
  FileBody(std::shared_ptr<OpenFile> file, std::uint64_t offset, std::uint64_t length)
      : file_(std::move(file)), position_(offset), end_(offset + length) {}

  std::size_t Read(char* buffer, std::size_t size) override {
    if (position_ >= end_ || size == 0) return 0;
    std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(size, end_ - position_));
    while (true) {
      ssize_t n = ::pread(file_->fd(), buffer, want, static_cast<off_t>(position_));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) throw std::system_error(errno, std::generic_category(), "static files: read");
      position_ += static_cast<std::uint64_t>(n);
      return static_cast<std::size_t>(n);
    }
  }

 private:
  std::shared_ptr<OpenFile> file_;
  std::uint64_t position_;
  std::uint64_t end_;
};

// For HEAD: the server takes Content-Length from stream_length and never reads.
enum class PathVerdict { kServe, kInvalid, kHidden };

struct CheckedPath {
  PathVerdict verdict = PathVerdict::kInvalid;
  std::string relative;  // below the root, no leading "/", a trailing "/" kept
};

bool HasForbiddenByte(std::string_view text) {
  return std::any_of(text.begin(), text.end(), [](char c) {
    auto byte = static_cast<unsigned char>(c);
    return byte < 0x20 || byte == 0x7f || c == '\\';
  });
}

bool ContainsNoCase(std::string_view text, std::string_view needle) {
  auto it = std::search(text.begin(), text.end(), needle.begin(), needle.end(),
                        [](char a, char b) { return std::tolower(static_cast<unsigned char>(a)) == b; });
  return it != text.end();
}

// Judges the decoded path segment by segment; "." and ".." are refused outright rather
// than resolved, and hidden names look like they do not exist.
CheckedPath CheckDecodedPath(std::string_view path) {
  CheckedPath result;
  if (path.empty() || path.front() != '/' || HasForbiddenByte(path)) return result;
  bool hidden = false;
  std::size_t start = 1;
  while (start <= path.size()) {
    std::size_t slash = path.find('/', start);
    std::string_view segment = path.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
    if (segment == "." || segment == "..") return result;
    if (!segment.empty()) {
      if (segment.front() == '.') hidden = true;
      if (!result.relative.empty()) result.relative += '/';
      result.relative += segment;
    }
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  if (path.size() > 1 && path.back() == '/' && !result.relative.empty()) result.relative += '/';
  result.verdict = hidden || result.relative.size() > kMaxPathBytes ? PathVerdict::kHidden : PathVerdict::kServe;
  return result;
}

CheckedPath CheckPath(const Request& request) {
  // The server decodes the path before we see it, which hides encoded tricks such as
  // "%2f" turning into a separator; so the raw target is judged as well.
  std::string_view target = request.target;
  std::string_view raw = target.substr(0, target.find_first_of("?#"));
  if (raw.starts_with('/')) {
    if (HasForbiddenByte(raw) || ContainsNoCase(raw, "%2f") || ContainsNoCase(raw, "%5c") ||
        ContainsNoCase(raw, "%00")) {
      return {};
    }
    std::optional<std::string> decoded = PercentDecode(raw, false);
    if (!decoded || CheckDecodedPath(*decoded).verdict == PathVerdict::kInvalid) return {};
  }
  return CheckDecodedPath(request.path);
}

}  // namespace

// The one HTML document of the web UI; every page is a script module rendered into it.
constexpr std::string_view kShellFile = "index.html";

class StaticFiles::Impl {
 public:
  Impl(fs::path root, StaticFilesOptions options) : options_(options) {
    std::error_code error;
    root_ = fs::canonical(root, error);
    if (error || !fs::is_directory(root_, error)) {
      throw ConfigError(fmt::format("static_dir: the web UI folder {} does not exist or is not a folder",
                                    root.string()));
    }
  }

  boost::asio::awaitable<Response> Serve(RequestContext& context) const {
    const Request& request = context.request;
    if (request.method != Verb::get && request.method != Verb::head) {
      Response response = Response::Error(Status::method_not_allowed, "method_not_allowed",
                                          "Files can only be fetched with GET or HEAD.");
      response.headers.set(bhttp::field::allow, "GET, HEAD");
      co_return response;
    }
    CheckedPath checked = CheckPath(request);
    if (checked.verdict == PathVerdict::kInvalid) {
      co_return Response::Error(Status::bad_request, "invalid_path", "The request path is not valid.");
    }
    std::shared_ptr<const FileEntry> entry;
    if (checked.verdict == PathVerdict::kServe) entry = co_await Find(context, checked.relative);
    if (!entry) co_return co_await NotFoundResponse(context);
    co_return Respond(request, *entry);
  }

  boost::asio::awaitable<Response> ServeShell(RequestContext& context) const {
    std::shared_ptr<const FileEntry> shell = co_await Find(context, std::string(kShellFile));
    if (!shell) {
      context.Log(spdlog::level::err, "the web UI shell {} is missing from {}", kShellFile, root_.string());
      co_return Response::Error(Status::internal_server_error, "ui_missing", "The web UI is not installed.");
    }
    co_return Respond(context.request, *shell);
  }

  std::size_t cached_bytes() const {
    std::lock_guard lock(mutex_);
    return cached_bytes_;
  }

 private:
  struct Slot {
    std::shared_ptr<const FileEntry> entry;
    std::list<std::string>::iterator recent;
  };

  // A cached entry checked on disk within revalidate_after is used as is, without a
  // worker hop; anything else is (re)loaded on the worker pool.
  boost::asio::awaitable<std::shared_ptr<const FileEntry>> Find(RequestContext& context, std::string relative) const {
    std::shared_ptr<const FileEntry> cached = Lookup(relative);
    if (cached && SteadyClock::now() - cached->checked_at < options_.revalidate_after) co_return cached;
    std::shared_ptr<const FileEntry> loaded =
        co_await context.Blocking([this, &relative, &cached] { return Load(relative, cached); });
    if (loaded && loaded->content) {
      Store(relative, loaded);
    } else if (cached) {
      Forget(relative);
    }
    co_return loaded;
  }

  boost::asio::awaitable<Response> NotFoundResponse(RequestContext& context) const {
    const Request& request = context.request;
    Response response;
    std::shared_ptr<const FileEntry> page;
    if (request.Header("Accept").find("text/html") != std::string_view::npos) {
      // The shell with status 404: its script finds no page for this path and shows
      // the not-found view, inside the usual header.
      page = co_await Find(context, std::string(kShellFile));
    }
    if (page && page->content) {
      response = Response::Text(std::string(), kHtmlType, Status::not_found);
      response.headers.set(bhttp::field::cache_control, "no-cache");
      SetBody(request, *page, 0, page->size, response);
    } else {
      response = Response::Error(Status::not_found, "not_found", "There is nothing at this address.");
    }
    response.headers.set("X-Content-Type-Options", "nosniff");
    response.headers.set(bhttp::field::vary, "Accept");
    co_return response;
  }

  Response Respond(const Request& request, const FileEntry& entry) const {
    Response response;
    // HTML names the versions of everything else, so it is always revalidated.
    response.headers.set(bhttp::field::cache_control, entry.html ? "no-cache" : "public, max-age=3600");
    Representation representation{entry.etag, entry.mtime_seconds, entry.size};
    ConditionalAnswer answer = PlanConditionalAnswer(request, representation);
    ApplyConditionalAnswer(representation, answer, entry.content_type, response);
    if (answer.kind == ConditionalAnswer::Kind::kFull || answer.kind == ConditionalAnswer::Kind::kPartial)
      SetBody(request, entry, answer.offset, answer.length, response);
    return response;
  }

  static void SetBody(const Request& request, const FileEntry& entry, std::uint64_t offset, std::uint64_t length,
                      Response& response) {
    if (request.method == Verb::head) {
      response.body.clear();
      response.stream = std::make_shared<EmptyBody>();
      response.stream_length = length;
    } else if (entry.content) {
      response.body.assign(*entry.content, static_cast<std::size_t>(offset), static_cast<std::size_t>(length));
    } else {
      response.stream = std::make_shared<FileBody>(entry.file, offset, length);
      response.stream_length = length;
    }
  }

  // Blocking: resolves relative below the root and reads the file (small) or opens it
  // (large). Null when there is nothing servable there.
  std::shared_ptr<const FileEntry> Load(const std::string& relative,
                                        const std::shared_ptr<const FileEntry>& previous) const {
    std::optional<fs::path> real = Resolve(root_ / relative);
    if (!real) return nullptr;
    struct stat st {};
    if (::stat(real->c_str(), &st) != 0) return nullptr;
    if (S_ISDIR(st.st_mode)) {
      real = Resolve(*real / "index.html");
      if (!real) return nullptr;
    }
    int fd = ::open(real->c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) return nullptr;
    auto file = std::make_shared<OpenFile>(fd);
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || !OpenedInside(fd)) return nullptr;

    std::int64_t mtime_ns = static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
    if (previous && previous->content && previous->device == st.st_dev && previous->inode == st.st_ino &&
        previous->size == static_cast<std::uint64_t>(st.st_size) && previous->mtime_ns == mtime_ns) {
      auto refreshed = std::make_shared<FileEntry>(*previous);
      refreshed->checked_at = SteadyClock::now();
      return refreshed;
    }

    auto entry = std::make_shared<FileEntry>();
    entry->size = static_cast<std::uint64_t>(st.st_size);
    entry->mtime_seconds = static_cast<std::int64_t>(st.st_mtim.tv_sec);
    entry->mtime_ns = mtime_ns;
    entry->device = st.st_dev;
    entry->inode = st.st_ino;
    entry->etag = fmt::format("\"{:x}-{:x}\"", entry->size, static_cast<std::uint64_t>(mtime_ns));
    entry->last_modified = FormatHttpDate(entry->mtime_seconds);
    entry->content_type = ContentTypeFor(*real);
    entry->html = entry->content_type == kHtmlType;
    entry->checked_at = SteadyClock::now();
    if (entry->size <= options_.max_cached_file_bytes) {
      auto content = std::make_shared<std::string>(static_cast<std::size_t>(entry->size), '\0');
      std::size_t filled = 0;
      while (filled < content->size()) {
        ssize_t n = ::pread(fd, content->data() + filled, content->size() - filled, static_cast<off_t>(filled));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        filled += static_cast<std::size_t>(n);
      }
      // A file shrinking while we read it: serve what is there, with a matching length.
      content->resize(filled);
      entry->size = filled;
      entry->content = std::move(content);
    } else {
      entry->file = std::move(file);
    }
    return entry;
  }

  // The canonical path, when it exists and lies inside the root with no hidden name
  // below it (a symlink may point inside the folder, never out of it).
  std::optional<fs::path> Resolve(const fs::path& candidate) const {
    std::error_code error;
    fs::path real = fs::canonical(candidate, error);
    if (error || !Inside(real)) return std::nullopt;
    return real;
  }

  bool Inside(const fs::path& real) const {
    auto part = real.begin();
    for (const fs::path& root_part : root_) {
      if (part == real.end() || *part != root_part) return false;
      ++part;
    }
    for (; part != real.end(); ++part) {
      const std::string& name = part->native();
      if (!name.empty() && name.front() == '.') return false;
    }
    return true;
  }

  // Closes the gap between canonical() and open(): a component swapped for a symlink
  // in between shows up in the path the kernel reports for the descriptor.
  bool OpenedInside(int fd) const {
    char link[PATH_MAX];
    std::string proc = "/proc/self/fd/" + std::to_string(fd);
    ssize_t n = ::readlink(proc.c_str(), link, sizeof(link) - 1);
    if (n <= 0) return true;  // no /proc: canonical() already checked the path
    return Inside(fs::path(std::string(link, static_cast<std::size_t>(n))));
  }

  std::shared_ptr<const FileEntry> Lookup(const std::string& relative) const {
    std::lock_guard lock(mutex_);
    auto it = cache_.find(relative);
    if (it == cache_.end()) return nullptr;
    recent_.splice(recent_.begin(), recent_, it->second.recent);
    return it->second.entry;
  }

  void Store(const std::string& relative, std::shared_ptr<const FileEntry> entry) const {
    std::size_t cost = entry->content->size() + kEntryOverhead;
    std::lock_guard lock(mutex_);
    RemoveLocked(relative);
    if (cost > options_.cache_bytes) return;
    recent_.push_front(relative);
    cache_.emplace(relative, Slot{std::move(entry), recent_.begin()});
    cached_bytes_ += cost;
    while (cached_bytes_ > options_.cache_bytes && !recent_.empty()) {
      std::string victim = recent_.back();
      RemoveLocked(victim);
    }
  }

  void Forget(const std::string& relative) const {
    std::lock_guard lock(mutex_);
    RemoveLocked(relative);
  }

  void RemoveLocked(const std::string& relative) const {
    auto it = cache_.find(relative);
    if (it == cache_.end()) return;
    cached_bytes_ -= it->second.entry->content->size() + kEntryOverhead;
    recent_.erase(it->second.recent);
    cache_.erase(it);
  }

  fs::path root_;
  StaticFilesOptions options_;
  mutable std::mutex mutex_;
  mutable std::unordered_map<std::string, Slot> cache_;
  mutable std::list<std::string> recent_;  // most recently used first
  mutable std::size_t cached_bytes_ = 0;
};

StaticFiles::StaticFiles(std::filesystem::path root, StaticFilesOptions options)
    : impl_(std::make_unique<Impl>(std::move(root), options)) {}

StaticFiles::~StaticFiles() = default;

boost::asio::awaitable<Response> StaticFiles::ServeShell(RequestContext& context) const {
  return impl_->ServeShell(context);
}

boost::asio::awaitable<Response> StaticFiles::Serve(RequestContext& context) const {
  return impl_->Serve(context);
}

std::size_t StaticFiles::cached_bytes() const { return impl_->cached_bytes(); }

}  // namespace monotube::http
