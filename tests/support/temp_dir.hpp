#pragma once
// A fresh directory under the system temp directory, removed with its contents on
// destruction.
#include <filesystem>
#include <string_view>

namespace monotube::test {

class TempDir {
 public:
  explicit TempDir(std::string_view prefix = "monotube-test");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const noexcept { return path_; }
  std::filesystem::path operator/(const std::filesystem::path& relative) const { return path_ / relative; }

 private:
  std::filesystem::path path_;
};

}  // namespace monotube::test
