#include "monotube/process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <system_error>
#include <thread>

#include <catch2/catch.hpp>

#include "support/temp_dir.hpp"

using monotube::BackgroundProcess;
using monotube::ProcessOptions;
using monotube::ProcessResult;
using monotube::RunProcess;
using namespace std::chrono_literals;

namespace {

using Clock = std::chrono::steady_clock;

ProcessResult Run(std::vector<std::string> argv, std::chrono::milliseconds timeout = 10s) {
  ProcessOptions options;
  options.argv = std::move(argv);
  options.timeout = timeout;
  return RunProcess(options);
}

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// A pid is gone once it no longer exists or is a zombie waiting for its (new) parent.
bool ProcessGone(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  if (!stat) return true;
  std::string line;
  std::getline(stat, line);
  auto paren = line.rfind(')');
  return paren != std::string::npos && paren + 2 < line.size() && line[paren + 2] == 'Z';
}

bool WaitUntilGone(pid_t pid, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (!ProcessGone(pid)) {
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(10ms);
  }
  return true;
}

// No child of this test process is left, not even a zombie.
bool NoChildrenLeft() { return ::waitpid(-1, nullptr, WNOHANG) == -1 && errno == ECHILD; }

monotube::BackgroundProcessOptions Background(std::vector<std::string> argv,
                                              std::filesystem::path working_dir = {},
                                              std::filesystem::path output_file = {}) {
  monotube::BackgroundProcessOptions options;
  options.argv = std::move(argv);
  options.working_dir = std::move(working_dir);
  options.output_file = std::move(output_file);
  return options;
}

}  // namespace

TEST_CASE("RunProcess reports exit codes and signals", "[process]") {
  auto ok = Run({"true"});
  CHECK(ok.ok());
  CHECK(ok.exit_code == 0);
  CHECK(ok.signal == 0);

  auto three = Run({"sh", "-c", "exit 3"});
  CHECK_FALSE(three.ok());
  CHECK(three.exit_code == 3);
  CHECK(three.Describe() == "exit code 3");

  auto killed = Run({"sh", "-c", "kill -TERM $$"});
  CHECK(killed.exit_code == -1);
  CHECK(killed.signal == SIGTERM);
  CHECK_FALSE(killed.timed_out);
  CHECK(killed.Describe() == "killed by signal 15 (SIGTERM)");
  CHECK(NoChildrenLeft());
}

TEST_CASE("RunProcess passes arguments verbatim, without a shell", "[process]") {
  auto result = Run({"printf", "%s|", "two words", "$HOME", "; rm -rf /", "'\"*"});
  REQUIRE(result.ok());
  CHECK(result.stdout_text == "two words|$HOME|; rm -rf /|'\"*|");
}

TEST_CASE("RunProcess captures stdout and stderr separately", "[process]") {
  auto result = Run({"sh", "-c", "echo out; echo err >&2; echo more"});
  REQUIRE(result.ok());
  CHECK(result.stdout_text == "out\nmore\n");
  CHECK(result.stderr_text == "err\n");
  CHECK_FALSE(result.stdout_truncated);
  CHECK_FALSE(result.stderr_truncated);
}

TEST_CASE("RunProcess keeps the first stdout bytes and the last stderr bytes", "[process]") {
  ProcessOptions options;
  options.argv = {"sh", "-c", "seq 1 200000; seq 1 100000 >&2"};
  options.max_stdout_bytes = 1000;
  options.max_stderr_bytes = 100;
  auto result = RunProcess(options);
  REQUIRE(result.ok());  // the program is not stopped by the caps: it ran to the end
  CHECK(result.stdout_text.size() == 1000);
  CHECK(result.stdout_text.starts_with("1\n2\n3\n"));
  CHECK(result.stdout_truncated);
  CHECK(result.stderr_text.size() == 100);
  CHECK(result.stderr_text.ends_with("99999\n100000\n"));
  CHECK(result.stderr_truncated);
}

TEST_CASE("RunProcess delivers output lines to callbacks", "[process]") {
  std::vector<std::string> out_lines;
  std::vector<std::string> err_lines;
  ProcessOptions options;
  options.argv = {"sh", "-c", "printf 'a\\nb\\r\\n\\nlast'; printf 'e1\\ne2\\n' >&2"};
  options.max_stdout_bytes = 2;  // the callbacks see everything whatever the caps
  options.on_stdout_line = [&](std::string_view line) { out_lines.emplace_back(line); };
  options.on_stderr_line = [&](std::string_view line) { err_lines.emplace_back(line); };
  auto result = RunProcess(options);
  REQUIRE(result.ok());
  CHECK(out_lines == std::vector<std::string>{"a", "b", "", "last"});
  CHECK(err_lines == std::vector<std::string>{"e1", "e2"});
  CHECK(result.stdout_text == "a\n");
}

TEST_CASE("RunProcess splits an endless line into bounded pieces", "[process]") {
  std::size_t longest = 0;
  std::size_t total = 0;
  ProcessOptions options;
  options.argv = {"sh", "-c", "head -c 300000 /dev/zero | tr '\\0' x"};
  options.on_stdout_line = [&](std::string_view line) {
    longest = std::max(longest, line.size());
    total += line.size();
  };
  REQUIRE(RunProcess(options).ok());
  CHECK(total == 300000);
  CHECK(longest <= 64 * 1024 + 16 * 1024);
}

TEST_CASE("RunProcess kills a program that outlives its timeout", "[process]") {
  auto start = Clock::now();
  auto result = Run({"sleep", "30"}, 300ms);
  auto took = Clock::now() - start;
  CHECK(result.timed_out);
  CHECK_FALSE(result.cancelled);
  CHECK_FALSE(result.ok());
  CHECK(result.signal == SIGKILL);
  CHECK(took >= 300ms);
  CHECK(took < 3s);
  CHECK(result.Describe().starts_with("timed out after"));
  CHECK(NoChildrenLeft());
}

TEST_CASE("RunProcess kills the whole process group on timeout", "[process]") {
  // The shell prints the pid of its background sleep, then waits in the foreground.
  auto start = Clock::now();
  auto result = Run({"sh", "-c", "sleep 30 & echo $!; sleep 30"}, 500ms);
  CHECK(Clock::now() - start < 4s);
  REQUIRE(result.timed_out);
  pid_t background = std::stoi(result.stdout_text);
  CHECK(WaitUntilGone(background, 5s));
}

TEST_CASE("RunProcess kills what a program leaves running when it exits", "[process]") {
  // Without the group kill, the orphaned sleep would hold stdout open for 30 s.
  auto start = Clock::now();
  auto result = Run({"sh", "-c", "sleep 30 & echo $!"}, 20s);
  CHECK(Clock::now() - start < 4s);
  REQUIRE(result.ok());
  pid_t background = std::stoi(result.stdout_text);
  CHECK(WaitUntilGone(background, 5s));
}

TEST_CASE("RunProcess stops a program when the caller cancels", "[process]") {
  auto start = Clock::now();
  std::atomic<int> checks{0};
  ProcessOptions options;
  options.argv = {"sh", "-c", "sleep 30 & sleep 30"};
  options.cancelled = [&] {
    ++checks;
    return Clock::now() - start >= 300ms;
  };
  auto result = RunProcess(options);
  auto took = Clock::now() - start;
  CHECK(result.cancelled);
  CHECK_FALSE(result.timed_out);
  CHECK(result.signal == SIGKILL);
  CHECK(took >= 300ms);
  CHECK(took < 2s);
  CHECK(checks >= 3);   // polled about every 100 ms…
  CHECK(checks <= 10);  // …not in a busy loop
  CHECK(result.Describe() == "cancelled and killed");
  CHECK(NoChildrenLeft());
}

TEST_CASE("RunProcess reports a missing program as ProgramNotFound (503)", "[process]") {
  try {
    Run({"monotube-no-such-program-xyz"});
    FAIL("expected ProgramNotFound");
  } catch (const monotube::ProgramNotFound& e) {
    CHECK(e.program() == "monotube-no-such-program-xyz");
    CHECK(e.status() == 503);
    CHECK(e.code() == "program_not_found");
    CHECK(std::string(e.what()).find("monotube-no-such") == std::string::npos);  // not shown to clients
  }
  CHECK_THROWS_AS(Run({"/nonexistent/dir/tool"}), monotube::Unavailable);

  monotube::test::TempDir dir;
  std::ofstream(dir / "not-executable.sh") << "#!/bin/sh\necho hi\n";
  CHECK_THROWS_AS(Run({(dir / "not-executable.sh").string()}), monotube::ProgramNotFound);
  // A file that is executable but no program: execve fails with ENOEXEC.
  std::ofstream(dir / "garbage") << "\x7f\x45\x4c\x46 not really an ELF file";
  ::chmod((dir / "garbage").c_str(), 0755);
  CHECK_THROWS_AS(Run({(dir / "garbage").string()}), monotube::ProgramNotFound);
  CHECK_THROWS_AS(Run({}), std::invalid_argument);
  CHECK_THROWS_AS(Run({"true"}, 0ms), std::invalid_argument);
  CHECK(NoChildrenLeft());
}

TEST_CASE("RunProcess reads stdin from a file, /dev/null by default", "[process]") {
  monotube::test::TempDir dir;
  std::ofstream(dir / "input.txt", std::ios::binary) << "line one\nline two\n";
  ProcessOptions options;
  options.argv = {"cat"};
  options.stdin_file = dir / "input.txt";
  auto result = RunProcess(options);
  REQUIRE(result.ok());
  CHECK(result.stdout_text == "line one\nline two\n");

  auto empty = Run({"cat"}, 5s);  // must not wait for a terminal
  REQUIRE(empty.ok());
  CHECK(empty.stdout_text.empty());

  options.stdin_file = dir / "missing.txt";
  CHECK_THROWS_AS(RunProcess(options), std::system_error);
}

TEST_CASE("RunProcess runs in the working directory it is given", "[process]") {
  monotube::test::TempDir dir;
  ProcessOptions options;
  options.argv = {"pwd", "-P"};
  options.working_dir = dir.path();
  auto result = RunProcess(options);
  REQUIRE(result.ok());
  CHECK(result.stdout_text == std::filesystem::canonical(dir.path()).string() + "\n");

  options.working_dir = dir / "missing";
  CHECK_THROWS_AS(RunProcess(options), std::system_error);
  CHECK(NoChildrenLeft());
}

TEST_CASE("RunProcess is safe from many threads at once", "[process]") {
  constexpr int kThreads = 12;
  constexpr int kRunsPerThread = 15;
  std::atomic<int> good{0};
  std::vector<std::string> failures(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kRunsPerThread; ++i) {
        std::string tag = std::to_string(t) + "-" + std::to_string(i);
        try {
          ProcessOptions options;
          options.argv = {"sh", "-c", "echo \"$0\"; echo \"err $0\" >&2; exit $(( ${#0} % 7 ))", tag};
          options.timeout = 30s;
          auto result = RunProcess(options);
          if (result.stdout_text == tag + "\n" && result.stderr_text == "err " + tag + "\n" &&
              result.exit_code == static_cast<int>(tag.size() % 7))
            ++good;
          else
            failures[t] = tag + ": " + result.Describe() + " out=" + result.stdout_text;
        } catch (const std::exception& e) {
          failures[t] = tag + ": " + e.what();
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  for (const auto& failure : failures) CHECK(failure.empty());
  CHECK(good == kThreads * kRunsPerThread);
  CHECK(NoChildrenLeft());
}

TEST_CASE("RunProcess children inherit no stray descriptors and default signals", "[process]") {
  // A descriptor some other code opened without O_CLOEXEC.
  int leaked = ::open("/dev/null", O_RDONLY);
  REQUIRE(leaked >= 0);
  REQUIRE(::dup2(leaked, 100) == 100);
  ::close(leaked);
  auto listing = Run({"ls", "/proc/self/fd"});
  ::close(100);
  REQUIRE(listing.ok());
  CHECK(listing.stdout_text.find("100") == std::string::npos);

  // Servers ignore SIGPIPE; the program must start with the default disposition.
  auto previous = ::signal(SIGPIPE, SIG_IGN);
  sigset_t block, old;
  sigemptyset(&block);
  sigaddset(&block, SIGUSR1);
  ::pthread_sigmask(SIG_BLOCK, &block, &old);
  auto status = Run({"grep", "-E", "^Sig(Ign|Blk)", "/proc/self/status"});
  ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
  ::signal(SIGPIPE, previous);
  REQUIRE(status.ok());
  CHECK(status.stdout_text == "SigBlk:\t0000000000000000\nSigIgn:\t0000000000000000\n");
}

TEST_CASE("RunProcess applies RLIMIT_AS in the child", "[process]") {
  // Debian's python3 (not a pyenv shim) so the limit applies to the allocating process.
  const std::vector<std::string> allocate = {"/usr/bin/python3", "-c",
                                             "b = bytearray(256 * 1024 * 1024); print(len(b))"};
  ProcessOptions options;
  options.argv = allocate;
  auto unlimited = RunProcess(options);
  REQUIRE(unlimited.ok());
  CHECK(unlimited.stdout_text == "268435456\n");

  options.limits.address_space_bytes = 128ull * 1024 * 1024;
  auto limited = RunProcess(options);
  CHECK_FALSE(limited.ok());
  CHECK(limited.stderr_text.find("MemoryError") != std::string::npos);
}

TEST_CASE("RunProcess applies RLIMIT_CPU and RLIMIT_FSIZE in the child", "[process]") {
  ProcessOptions spin;
  spin.argv = {"sh", "-c", "while :; do :; done"};
  spin.limits.cpu_seconds = 1;
  spin.timeout = 20s;
  auto cpu = RunProcess(spin);
  CHECK_FALSE(cpu.timed_out);
  CHECK((cpu.signal == SIGXCPU || cpu.signal == SIGKILL));

  monotube::test::TempDir dir;
  ProcessOptions write;
  write.argv = {"dd", "if=/dev/zero", "of=" + (dir / "big").string(), "bs=1000", "count=10"};
  write.limits.file_size_bytes = 1000;
  auto fsize = RunProcess(write);
  CHECK(fsize.signal == SIGXFSZ);
  CHECK(std::filesystem::file_size(dir / "big") <= 1000);
}

TEST_CASE("RunProcess kills and reaps the program when a callback throws", "[process]") {
  auto start = Clock::now();
  ProcessOptions options;
  options.argv = {"sh", "-c", "echo first; sleep 30"};
  options.on_stdout_line = [](std::string_view) { throw std::runtime_error("callback failed"); };
  CHECK_THROWS_WITH(RunProcess(options), "callback failed");
  CHECK(Clock::now() - start < 3s);
  CHECK(NoChildrenLeft());

  options.on_stdout_line = nullptr;
  options.cancelled = []() -> bool { throw std::runtime_error("cancel check failed"); };
  CHECK_THROWS_WITH(RunProcess(options), "cancel check failed");
  CHECK(NoChildrenLeft());
}

TEST_CASE("BackgroundProcess runs beside the caller until stopped", "[process]") {
  monotube::test::TempDir dir;
  auto start = Clock::now();
  {
    BackgroundProcess sleeper(Background({"sleep", "30"}));
    CHECK(sleeper.pid() > 0);
    CHECK(sleeper.Running());
    CHECK_FALSE(sleeper.WaitForExit(100ms));
    sleeper.Stop();
    CHECK_FALSE(sleeper.Running());
    sleeper.Stop();  // idempotent
  }
  CHECK(Clock::now() - start < 3s);

  BackgroundProcess writer(
      Background({"sh", "-c", "echo to-stdout; echo to-stderr >&2"}, {}, dir / "out.log"));
  REQUIRE(writer.WaitForExit(5s));
  CHECK_FALSE(writer.Running());
  writer.Stop();
  CHECK(ReadFile(dir / "out.log") == "to-stdout\nto-stderr\n");
  CHECK(NoChildrenLeft());
}

TEST_CASE("BackgroundProcess kills a group that ignores SIGTERM", "[process]") {
  auto start = Clock::now();
  pid_t background = 0;
  {
    monotube::test::TempDir dir;
    BackgroundProcess stubborn(
        Background({"sh", "-c", "trap '' TERM; sleep 30 & echo $! > pid; wait"}, dir.path()));
    // Wait for the pid file, polling with a deadline.
    const auto deadline = Clock::now() + 5s;
    while (ReadFile(dir / "pid").empty() && Clock::now() < deadline) std::this_thread::sleep_for(10ms);
    REQUIRE_FALSE(ReadFile(dir / "pid").empty());
    background = std::stoi(ReadFile(dir / "pid"));
    stubborn.Stop(200ms);
  }
  CHECK(Clock::now() - start < 4s);
  CHECK(WaitUntilGone(background, 5s));
  CHECK(NoChildrenLeft());
  CHECK_THROWS_AS(BackgroundProcess(Background({"monotube-no-such-program-xyz"})), monotube::ProgramNotFound);
}
