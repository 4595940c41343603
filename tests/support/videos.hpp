#pragma once
// Videos for tests that are not about transcoding: a row made ready directly through the
// repository (no FFmpeg, no media files) and announced like a finished transcode.
#include <cstdint>
#include <string>

#include "support/accounts.hpp"
#include "support/test_app.hpp"

namespace monotube::test {

// The numeric id of an account (for repository calls).
std::int64_t UserIdOf(TestApp& app, const TestAccount& account);

// A ready video 120 s long with one 360p rendition; returns its public id.
std::string MakeReadyVideo(TestApp& app, const TestAccount& owner, const std::string& title,
                           const std::string& visibility = "public");

}  // namespace monotube::test
