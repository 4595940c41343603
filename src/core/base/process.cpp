#include "monotube/process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <system_error>
#include <utility>

#include <spdlog/spdlog.h>

extern char** environ;

namespace monotube {
namespace {

using Clock = std::chrono::steady_clock;

// How often the cancellation check runs and, without pidfd, how often exits are polled.
constexpr auto kPollInterval = std::chrono::milliseconds(100);
// Once the group is killed, its pipes close within moments; a process that left the
// group (setsid) may keep them open, so stop waiting for end-of-file after this.
constexpr auto kDrainAfterKill = std::chrono::seconds(2);
constexpr std::size_t kMaxLineBytes = 64 * 1024;
constexpr std::size_t kReadChunk = 16 * 1024;
// A program that writes without pause must not starve the timeout and cancel checks.
constexpr int kMaxReadsPerWakeup = 64;

class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() { Reset(); }
  Fd(Fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  Fd& operator=(Fd&& other) noexcept {
    if (this != &other) {
      Reset();
      fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
  }
  int get() const noexcept { return fd_; }
  bool valid() const noexcept { return fd_ >= 0; }
  // close() is not retried on EINTR: on Linux the descriptor is gone either way.
  void Reset() noexcept {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

[[noreturn]] void ThrowErrno(int error, const std::string& what) {
  throw std::system_error(error, std::generic_category(), what);
}

std::pair<Fd, Fd> MakePipe() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) ThrowErrno(errno, "cannot create a pipe");
  return {Fd(fds[0]), Fd(fds[1])};
}

Fd OpenFile(const std::filesystem::path& path, int flags, mode_t mode = 0) {
  int fd;
  do {
    fd = ::open(path.c_str(), flags | O_CLOEXEC, mode);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) ThrowErrno(errno, "cannot open " + path.string());
  return Fd(fd);
}

bool IsExecutableFile(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(path.c_str(), X_OK) == 0;
}

// execvp is not async-signal-safe, so PATH is searched here, before fork.
std::optional<std::string> FindExecutable(const std::string& name) {
  if (name.empty()) return std::nullopt;
  if (name.find('/') != std::string::npos) return IsExecutableFile(name) ? std::optional(name) : std::nullopt;
  const char* env_path = std::getenv("PATH");
  std::string_view dirs = env_path && *env_path ? env_path : "/usr/local/bin:/usr/bin:/bin";
  while (!dirs.empty()) {
    auto colon = dirs.find(':');
    std::string_view dir = dirs.substr(0, colon);
    dirs = colon == std::string_view::npos ? std::string_view() : dirs.substr(colon + 1);
    // An empty entry means the current directory; a server never wants that.
    if (dir.empty()) continue;
    std::string candidate = std::string(dir) + "/" + name;
    if (IsExecutableFile(candidate)) return candidate;
  }
  return std::nullopt;
}

// Everything the child needs, prepared before fork so that the child allocates nothing.
struct SpawnPlan {
  std::string program;
  std::vector<char*> argv;
  std::string working_dir;
  struct Limit {
    int resource;
    rlimit value;
  };
  Limit limits[3];
  int limit_count = 0;
  int stdin_fd = -1;
  int stdout_fd = -1;
  int stderr_fd = -1;
  pid_t parent = -1;  // the server: the child dies with it
};

void AddLimit(SpawnPlan& plan, int resource, std::optional<std::uint64_t> value, std::uint64_t headroom = 0) {
  if (!value) return;
  rlimit current{};
  if (::getrlimit(resource, &current) != 0) ThrowErrno(errno, "getrlimit");
  auto clamp = [&](std::uint64_t v) -> rlim_t {
    rlim_t wanted = v >= RLIM_INFINITY ? RLIM_INFINITY : static_cast<rlim_t>(v);
    return current.rlim_max == RLIM_INFINITY ? wanted : std::min<rlim_t>(wanted, current.rlim_max);
  };
  rlim_t soft = clamp(*value);
  rlim_t hard =
      clamp(*value > std::numeric_limits<std::uint64_t>::max() - headroom ? *value : *value + headroom);
  plan.limits[plan.limit_count++] = {resource, rlimit{soft, hard}};
}

SpawnPlan MakePlan(const std::vector<std::string>& argv, const std::filesystem::path& working_dir,
                   const ProcessLimits& limits) {
  if (argv.empty() || argv.front().empty())
    throw std::invalid_argument("RunProcess: argv must name a program");
  auto program = FindExecutable(argv.front());
  if (!program) {
    spdlog::error("cannot run '{}': no such executable in PATH", argv.front());
    throw ProgramNotFound(argv.front());
  }
  SpawnPlan plan;
  plan.program = *program;
  for (const auto& arg : argv) plan.argv.push_back(const_cast<char*>(arg.c_str()));
  plan.argv.push_back(nullptr);
  plan.working_dir = working_dir.string();
  plan.parent = ::getpid();
  AddLimit(plan, RLIMIT_AS, limits.address_space_bytes);
  // SIGXCPU at the soft limit, SIGKILL at the hard one for a program that ignores it.
  AddLimit(plan, RLIMIT_CPU, limits.cpu_seconds, 1);
  AddLimit(plan, RLIMIT_FSIZE, limits.file_size_bytes);
  return plan;
}

enum ChildStep : int { kChildSetup = 1, kChildChdir = 2, kChildRlimit = 3, kChildExec = 4 };
struct ChildError {
  int step;
  int error;
};

[[noreturn]] void ChildFail(int report_fd, int step) noexcept {
  ChildError report{step, errno};
  // One small write to a pipe is atomic; nothing useful can be done if it fails.
  [[maybe_unused]] auto written = ::write(report_fd, &report, sizeof report);
  ::_exit(127);
}

int MoveAboveStdio(int fd, int report_fd) noexcept {
  if (fd >= 3) return fd;
  int moved = ::fcntl(fd, F_DUPFD_CLOEXEC, 3);
  if (moved < 0) ChildFail(report_fd, kChildSetup);
  return moved;
}

// Runs in the forked child: only async-signal-safe calls (raw system calls), no
// allocation, no locks; the parent may have had other threads holding any lock.
[[noreturn]] void RunChild(const SpawnPlan& plan, int report_fd) noexcept {
  ::setpgid(0, 0);
  // A server killed with SIGKILL cannot stop its FFmpeg: let the kernel do it, so a job
  // taken over after a crash never races an orphan writing the same files.
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != plan.parent) ::_exit(127);  // the server died before prctl
  // Dispositions set to "ignore" and blocked signals survive execve; the program must
  // start with the defaults (e.g. SIGPIPE, which servers often ignore).
  struct sigaction default_action {};
  default_action.sa_handler = SIG_DFL;
  ::sigemptyset(&default_action.sa_mask);
  for (int sig = 1; sig < NSIG; ++sig) ::sigaction(sig, &default_action, nullptr);
  sigset_t none;
  ::sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);

  // If the caller runs with 0, 1 or 2 closed, our pipes may sit there; move them first.
  report_fd = MoveAboveStdio(report_fd, report_fd);
  int sources[3] = {MoveAboveStdio(plan.stdin_fd, report_fd), MoveAboveStdio(plan.stdout_fd, report_fd),
                    MoveAboveStdio(plan.stderr_fd, report_fd)};
  for (int target = 0; target < 3; ++target) {
    int r;
    do {
      r = ::dup2(sources[target], target);  // the copy is not close-on-exec
    } while (r < 0 && errno == EINTR);
    if (r < 0) ChildFail(report_fd, kChildSetup);
  }
  if (!plan.working_dir.empty() && ::chdir(plan.working_dir.c_str()) != 0) ChildFail(report_fd, kChildChdir);
  for (int i = 0; i < plan.limit_count; ++i)
    if (::setrlimit(plan.limits[i].resource, &plan.limits[i].value) != 0) ChildFail(report_fd, kChildRlimit);
  // Descriptors another thread opened without O_CLOEXEC must not reach the program. An
  // older kernel without close_range still gets all of ours closed by O_CLOEXEC.
  ::close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
  ::execve(plan.program.c_str(), plan.argv.data(), environ);
  ChildFail(report_fd, kChildExec);
}

void Reap(pid_t pid, int* status) {
  int r;
  do {
    r = ::waitpid(pid, status, 0);
  } while (r < 0 && errno == EINTR);
  if (r < 0) *status = -1;  // ECHILD: someone else reaped it; nothing is left behind
}

// True once the child has exited; WNOWAIT leaves it a zombie, so its pid (and the
// process-group id) cannot be reused while we may still signal the group.
bool HasExited(pid_t pid) {
  siginfo_t info{};
  int r;
  do {
    r = ::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT);
  } while (r < 0 && errno == EINTR);
  if (r < 0) return true;  // ECHILD: nothing left to wait for
  return info.si_pid == pid;
}

// Forks and execs; returns once the program runs (or throws when it could not start).
pid_t Spawn(const SpawnPlan& plan, const std::string& name) {
  auto [report_read, report_write] = MakePipe();
  pid_t pid = ::fork();
  if (pid < 0) ThrowErrno(errno, "cannot start '" + name + "': fork failed");
  if (pid == 0) RunChild(plan, report_write.get());
  // Both sides set the group so that it exists before the parent might signal it.
  ::setpgid(pid, pid);
  report_write.Reset();

  ChildError report{};
  std::size_t got = 0;
  while (got < sizeof report) {
    ssize_t n = ::read(report_read.get(), reinterpret_cast<char*>(&report) + got, sizeof report - got);
    if (n > 0) {
      got += static_cast<std::size_t>(n);
    } else if (n == 0 || errno != EINTR) {
      break;
    }
  }
  if (got == 0) return pid;  // end-of-file: execve closed the close-on-exec pipe

  int status = 0;
  Reap(pid, &status);
  if (got != sizeof report)
    throw std::runtime_error("cannot start '" + name + "': the child died during setup");
  if (report.step == kChildExec && (report.error == ENOENT || report.error == EACCES ||
                                    report.error == ENOEXEC || report.error == ENOTDIR)) {
    spdlog::error("cannot run '{}' ({}): {}", name, plan.program, std::strerror(report.error));
    throw ProgramNotFound(name);
  }
  switch (report.step) {
    case kChildChdir:
      ThrowErrno(report.error, "cannot start '" + name + "' in " + plan.working_dir);
    case kChildRlimit:
      ThrowErrno(report.error, "cannot start '" + name + "': setrlimit failed");
    case kChildExec:
      ThrowErrno(report.error, "cannot execute " + plan.program);
    default:
      ThrowErrno(report.error, "cannot start '" + name + "': descriptor setup failed");
  }
}

void SetNonBlocking(int fd) {
  int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0 || ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) ThrowErrno(errno, "fcntl O_NONBLOCK");
}

// One output pipe: captures up to a cap (head or tail) and splits lines for a callback.
class OutputPipe {
 public:
  OutputPipe(Fd fd, std::size_t cap, bool keep_tail, const ProcessLineCallback& on_line)
      : fd_(std::move(fd)), cap_(cap), keep_tail_(keep_tail), on_line_(on_line) {
    SetNonBlocking(fd_.get());
  }

  bool open() const noexcept { return fd_.valid(); }
  int fd() const noexcept { return fd_.get(); }

  void ReadAvailable() {
    char buffer[kReadChunk];
    for (int i = 0; i < kMaxReadsPerWakeup && fd_.valid(); ++i) {
      ssize_t n = ::read(fd_.get(), buffer, sizeof buffer);
      if (n > 0) {
        Append(std::string_view(buffer, static_cast<std::size_t>(n)));
      } else if (n < 0 && errno == EINTR) {
        continue;
      } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        return;
      } else {
        Close();  // end-of-file (or a read error, which ends the stream all the same)
      }
    }
  }

  // Stops reading; a last line without "\n" goes to the callback.
  void Close() {
    fd_.Reset();
    if (!line_.empty()) {
      std::string last = std::move(line_);
      line_.clear();
      DeliverLine(last);
    }
  }

  void TakeText(std::string& text, bool& truncated) {
    if (keep_tail_ && text_.size() > cap_) {
      text_.erase(0, text_.size() - cap_);
      truncated_ = true;
    }
    text = std::move(text_);
    truncated = truncated_;
  }

 private:
  void Append(std::string_view data) {
    if (keep_tail_) {
      text_.append(data);
      // Trim lazily, so that a chatty program costs amortised linear time.
      if (text_.size() > 2 * cap_ + kReadChunk) {
        text_.erase(0, text_.size() - cap_);
        truncated_ = true;
      }
    } else {
      std::size_t room = cap_ - std::min(cap_, text_.size());
      text_.append(data.substr(0, room));
      if (data.size() > room) truncated_ = true;
    }
    if (!on_line_) return;
    while (!data.empty()) {
      auto newline = data.find('\n');
      line_.append(data.substr(0, newline));
      if (newline == std::string_view::npos) {
        if (line_.size() >= kMaxLineBytes) {
          std::string piece = std::move(line_);
          line_.clear();
          DeliverLine(piece);
        }
        return;
      }
      std::string complete = std::move(line_);
      line_.clear();
      DeliverLine(complete);
      data.remove_prefix(newline + 1);
    }
  }

  void DeliverLine(std::string_view line) {
    if (!on_line_) return;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    on_line_(line);
  }

  Fd fd_;
  std::size_t cap_;
  bool keep_tail_;
  const ProcessLineCallback& on_line_;
  std::string text_;
  bool truncated_ = false;
  std::string line_;
};

void KillGroup(pid_t pid, int sig) {
  // ESRCH (the group is already empty) is the only expected failure and is harmless.
  ::kill(-pid, sig);
}

// Lets poll() wake the moment the child exits; -1 on kernels without it (exits are then
// polled). The raw system call because glibc 2.36's <sys/pidfd.h> lacks extern "C".
int PidFdOpen(pid_t pid) { return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)); }

}  // namespace

ProgramNotFound::ProgramNotFound(std::string program)
    : Unavailable("program_not_found",
                  "A program the server needs is not installed. Please tell the site's administrator."),
      program_(std::move(program)) {}

std::string ProcessResult::Describe() const {
  std::string out;
  if (timed_out) {
    out = "timed out after " + std::to_string(elapsed.count()) + " ms and was killed";
  } else if (cancelled) {
    out = "cancelled and killed";
  } else if (signal != 0) {
    const char* name = ::sigabbrev_np(signal);
    out = "killed by signal " + std::to_string(signal) + (name ? std::string(" (SIG") + name + ")" : "");
  } else if (exit_code >= 0) {
    out = "exit code " + std::to_string(exit_code);
  } else {
    out = "unknown exit status";
  }
  return out;
}

ProcessResult RunProcess(const ProcessOptions& options) {
  if (options.timeout <= std::chrono::milliseconds::zero())
    throw std::invalid_argument("RunProcess: the timeout must be positive");
  const auto start = Clock::now();
  SpawnPlan plan = MakePlan(options.argv, options.working_dir, options.limits);

  Fd input = OpenFile(options.stdin_file.empty() ? std::filesystem::path("/dev/null") : options.stdin_file,
                      O_RDONLY);
  auto [out_read, out_write] = MakePipe();
  auto [err_read, err_write] = MakePipe();
  plan.stdin_fd = input.get();
  plan.stdout_fd = out_write.get();
  plan.stderr_fd = err_write.get();

  const pid_t pid = Spawn(plan, options.argv.front());
  input.Reset();
  out_write.Reset();
  err_write.Reset();

  ProcessResult result;
  bool exited = false;
  bool group_killed = false;
  Clock::time_point killed_at;
  auto kill_group = [&] {
    if (group_killed) return;
    KillGroup(pid, SIGKILL);
    group_killed = true;
    killed_at = Clock::now();
  };

  try {
    Fd pidfd(PidFdOpen(pid));
    OutputPipe out(std::move(out_read), options.max_stdout_bytes, /*keep_tail=*/false,
                   options.on_stdout_line);
    OutputPipe err(std::move(err_read), options.max_stderr_bytes, /*keep_tail=*/true, options.on_stderr_line);
    const auto deadline = start + options.timeout;
    auto next_cancel_check = start;

    for (;;) {
      if (!exited && HasExited(pid)) {
        exited = true;
        kill_group();  // whatever it left running in its group goes with it
      }
      if (exited && !out.open() && !err.open()) break;
      auto now = Clock::now();
      if (!group_killed && now >= deadline) {
        result.timed_out = true;
        kill_group();
      }
      if (!group_killed && options.cancelled && now >= next_cancel_check) {
        next_cancel_check = now + kPollInterval;
        if (options.cancelled()) {
          result.cancelled = true;
          kill_group();
        }
      }
      if (exited && group_killed && now >= killed_at + kDrainAfterKill) break;

      pollfd fds[3];
      nfds_t count = 0;
      if (out.open()) fds[count++] = {out.fd(), POLLIN, 0};
      if (err.open()) fds[count++] = {err.fd(), POLLIN, 0};
      if (!exited && pidfd.valid()) fds[count++] = {pidfd.get(), POLLIN, 0};
      auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(kPollInterval);
      if (!group_killed)
        wait = std::min(wait, std::chrono::ceil<std::chrono::milliseconds>(
                                  std::max(deadline - now, Clock::duration::zero())));
      if (::poll(fds, count, static_cast<int>(wait.count())) < 0 && errno != EINTR) ThrowErrno(errno, "poll");
      for (nfds_t i = 0; i < count; ++i) {
        if (fds[i].revents == 0) continue;
        if (fds[i].fd == out.fd())
          out.ReadAvailable();
        else if (fds[i].fd == err.fd())
          err.ReadAvailable();
      }
    }
    out.Close();
    err.Close();
    out.TakeText(result.stdout_text, result.stdout_truncated);
    err.TakeText(result.stderr_text, result.stderr_truncated);
  } catch (...) {
    // A throwing callback (or poll failing) must not leave the program running or a zombie.
    kill_group();
    int ignored = 0;
    Reap(pid, &ignored);
    throw;
  }

  int status = 0;
  Reap(pid, &status);
  if (status != -1 && WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  if (status != -1 && WIFSIGNALED(status)) result.signal = WTERMSIG(status);
  result.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
  return result;
}

BackgroundProcess::BackgroundProcess(const BackgroundProcessOptions& options) {
  SpawnPlan plan = MakePlan(options.argv, options.working_dir, options.limits);
  Fd input = OpenFile("/dev/null", O_RDONLY);
  Fd output = options.output_file.empty()
                  ? OpenFile("/dev/null", O_WRONLY)
                  : OpenFile(options.output_file, O_WRONLY | O_CREAT | O_APPEND, 0644);
  plan.stdin_fd = input.get();
  plan.stdout_fd = output.get();
  plan.stderr_fd = output.get();
  pid_ = Spawn(plan, options.argv.front());
  pidfd_ = PidFdOpen(pid_);
}

BackgroundProcess::~BackgroundProcess() { Stop(); }

bool BackgroundProcess::Running() { return !reaped_ && !HasExited(pid_); }

bool BackgroundProcess::WaitForExit(std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    if (reaped_ || HasExited(pid_)) return true;
    auto now = Clock::now();
    if (now >= deadline) return false;
    auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - now);
    if (pidfd_ >= 0) {
      pollfd fd{pidfd_, POLLIN, 0};
      ::poll(&fd, 1, static_cast<int>(std::min<std::chrono::milliseconds>(left, kPollInterval).count()));
    } else {
      ::poll(
          nullptr, 0,
          static_cast<int>(std::min<std::chrono::milliseconds>(left, std::chrono::milliseconds(10)).count()));
    }
  }
}

void BackgroundProcess::Stop(std::chrono::milliseconds grace) {
  if (reaped_ || pid_ < 0) return;
  if (!HasExited(pid_)) {
    KillGroup(pid_, SIGTERM);
    WaitForExit(grace);
  }
  KillGroup(pid_, SIGKILL);  // the program if it ignored SIGTERM, and anything it left behind
  int ignored = 0;
  Reap(pid_, &ignored);
  reaped_ = true;
  if (pidfd_ >= 0) ::close(pidfd_);
  pidfd_ = -1;
}

}  // namespace monotube
