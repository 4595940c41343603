#pragma once
// Running external programs (FFmpeg, ffprobe, test servers) without a shell.
//
// RunProcess runs a program to completion: argv[0] is looked up in PATH and executed
// directly (no shell, so no quoting or injection), its stdout and stderr are captured
// with caps, and it runs under a wall-clock timeout and optional resource limits. The
// program runs in a process group of its own; on timeout or cancellation the whole
// group is killed with SIGKILL, and when the program exits anything it left running in
// its group is killed too, so nothing it started outlives the call.
//
// Thread-safety: RunProcess may be called from many threads at once. It uses fork +
// execve with only async-signal-safe calls in the child, every descriptor it opens is
// close-on-exec, and the child marks every inherited descriptor above 2 close-on-exec
// before execve, so descriptors opened by other threads never leak into the program.
// It reaps its child with waitpid(pid) (never waitpid(-1)), so it must not run while
// SIGCHLD is set to SIG_IGN or some other code reaps every child.
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "monotube/errors.hpp"

namespace monotube {

// Limits applied in the child with setrlimit before execve; unset = inherited. A value
// above the caller's hard limit is lowered to it.
struct ProcessLimits {
  std::optional<std::uint64_t> address_space_bytes;  // RLIMIT_AS: allocations beyond it fail
  std::optional<std::uint64_t> cpu_seconds;          // RLIMIT_CPU: SIGXCPU, SIGKILL one second later
  std::optional<std::uint64_t> file_size_bytes;      // RLIMIT_FSIZE: writing beyond it fails (SIGXFSZ)
};

// Called with each line, without its "\n" (and without a "\r" before it). A line longer
// than 64 KiB arrives in pieces; a last line without "\n" arrives at the end.
using ProcessLineCallback = std::function<void(std::string_view line)>;

struct ProcessOptions {
  std::vector<std::string> argv;      // argv[0] is looked up in PATH unless it contains a "/"
  std::filesystem::path stdin_file;   // empty = /dev/null
  std::filesystem::path working_dir;  // empty = the caller's
  // Wall-clock limit, always on: when it passes the process group is killed. Must be > 0.
  std::chrono::milliseconds timeout = std::chrono::seconds(60);
  std::size_t max_stdout_bytes = 1024 * 1024;  // the FIRST bytes are kept
  std::size_t max_stderr_bytes = 64 * 1024;    // the LAST bytes are kept (where errors are)
  ProcessLimits limits;
  // Polled about every 100 ms on the calling thread; true kills the process group.
  std::function<bool()> cancelled;
  // Called on the calling thread as output arrives (whatever the caps). If a callback
  // throws, the process group is killed and reaped, then the exception propagates.
  ProcessLineCallback on_stdout_line;
  ProcessLineCallback on_stderr_line;
};

struct ProcessResult {
  int exit_code = -1;  // the exit status when the program exited, else -1
  int signal = 0;      // the signal that ended it, else 0
  bool timed_out = false;
  bool cancelled = false;
  std::string stdout_text;
  std::string stderr_text;
  bool stdout_truncated = false;
  bool stderr_truncated = false;
  std::chrono::milliseconds elapsed{0};

  // Exited by itself with status 0.
  bool ok() const noexcept { return exit_code == 0 && signal == 0 && !timed_out && !cancelled; }
  // "exit code 1", "killed by signal 9 (SIGKILL)", "timed out after 15000 ms", … for logs.
  std::string Describe() const;
};

// The program is not installed (not found in PATH, or not executable). It is an
// Unavailable (503): the server lacks a dependency; the program name is for the log.
class ProgramNotFound : public Unavailable {
 public:
  explicit ProgramNotFound(std::string program);
  const std::string& program() const noexcept { return program_; }

 private:
  std::string program_;
};

// Runs the program to completion and reports how it ended; a non-zero exit, a signal or
// a timeout is a result, not an exception. Throws ProgramNotFound when argv[0] cannot be
// executed, std::invalid_argument for an empty argv or a timeout <= 0, and
// std::system_error when the OS refuses (opening stdin_file, a missing working_dir,
// fork, pipes).
ProcessResult RunProcess(const ProcessOptions& options);

struct BackgroundProcessOptions {
  std::vector<std::string> argv;      // as in ProcessOptions
  std::filesystem::path working_dir;  // empty = the caller's
  std::filesystem::path output_file;  // stdout and stderr appended here; empty = /dev/null
  ProcessLimits limits;
};

// A program that runs beside the caller (e.g. a test's SMTP server) until Stop() or
// destruction. Stdin is /dev/null. Same process-group, descriptor and error rules as
// RunProcess. Not thread-safe: one owner uses it.
class BackgroundProcess {
 public:
  explicit BackgroundProcess(const BackgroundProcessOptions& options);
  ~BackgroundProcess();  // Stop()
  BackgroundProcess(const BackgroundProcess&) = delete;
  BackgroundProcess& operator=(const BackgroundProcess&) = delete;

  int pid() const noexcept { return pid_; }
  // False once the program has exited (it stays unreaped until Stop, so its pid is not reused).
  bool Running();
  // Waits up to `timeout` for the program to exit by itself; true when it has.
  bool WaitForExit(std::chrono::milliseconds timeout);
  // SIGTERM to the group, up to `grace` to exit, then SIGKILL to the group; reaps the
  // program. Idempotent.
  void Stop(std::chrono::milliseconds grace = std::chrono::seconds(2));

 private:
  int pid_ = -1;
  int pidfd_ = -1;  // -1 when the kernel has no pidfd_open; exits are then polled
  bool reaped_ = false;
};

}  // namespace monotube
