// Listings read the rows and owners of a whole page at once (VideoRepository::FindByIds,
// UserRepository::FindByIds): the same rows as one lookup per id, in the order asked.
#include <algorithm>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "monotube/ids.hpp"

#include "modules/auth/users.hpp"
#include "modules/videos/videos.hpp"
#include "support/test_database.hpp"

using namespace monotube;

namespace {

auth::User MakeUser(auth::UserRepository& users, int n) {
  const std::string name = "batch" + std::to_string(n);
  return users.Insert({NewPublicId(), name, name + "@example.org", "not-a-hash", "creator", "Batch " + std::to_string(n),
                       1'700'000'000'000 + n});
}

videos::Video MakeVideo(videos::VideoRepository& repository, std::int64_t owner_id, int n) {
  videos::Video video;
  video.public_id = NewPublicId();
  video.owner_id = owner_id;
  video.title = "Video " + std::to_string(n);
  video.visibility = std::string(videos::kPublic);
  video.status = std::string(videos::kStatusProcessing);
  video.created_at_ms = video.updated_at_ms = 1'700'000'000'000 + n;
  return repository.Insert(video);
}

}  // namespace

TEST_CASE("Batch lookups return the rows of one lookup per id, in order, past 100 ids", "[users][videos]") {
  test::TestDatabase test_database;
  db::Database& database = test_database.Migrated();
  auth::UserRepository users(database);
  videos::VideoRepository repository(database);

  std::vector<auth::User> made_users;
  for (int i = 0; i < 130; ++i) made_users.push_back(MakeUser(users, i));
  std::vector<videos::Video> made;
  for (int i = 0; i < 230; ++i) made.push_back(MakeVideo(repository, made_users[static_cast<std::size_t>(i % 130)].id, i));

  SECTION("videos come back in the order asked, missing ids left out, repeats repeated") {
    std::vector<std::int64_t> ids;
    for (auto it = made.rbegin(); it != made.rend(); ++it) ids.push_back(it->id);  // newest first: not id order
    ids.insert(ids.begin() + 50, 999'999'999);                                      // no such video
    ids.push_back(made[7].id);                                                      // asked twice
    auto found = repository.FindByIds(ids);
    REQUIRE(found.size() == made.size() + 1);
    for (std::size_t i = 0; i < made.size(); ++i) {
      INFO(i);
      const auto& expected = made[made.size() - 1 - i];
      CHECK(found[i].id == expected.id);
      CHECK(found[i].public_id == expected.public_id);
      CHECK(found[i].title == expected.title);
      CHECK(found[i].owner_id == expected.owner_id);
    }
    CHECK(found.back().id == made[7].id);
    // The same row as the one-by-one lookup.
    auto one = repository.FindById(made[42].id);
    REQUIRE(one);
    auto it = std::find_if(found.begin(), found.end(), [&](const videos::Video& v) { return v.id == made[42].id; });
    REQUIRE(it != found.end());
    CHECK(it->created_at_ms == one->created_at_ms);
    CHECK(it->status == one->status);
    CHECK(repository.FindByIds({}).empty());
    CHECK(repository.FindByIds({999'999'998, 999'999'999}).empty());
  }

  SECTION("users come back complete, whatever the number asked for") {
    std::vector<std::int64_t> ids;
    for (const auto& user : made_users) ids.push_back(user.id);
    ids.push_back(999'999'999);
    auto found = users.FindByIds(ids);
    REQUIRE(found.size() == made_users.size());
    std::sort(found.begin(), found.end(), [](const auth::User& a, const auth::User& b) { return a.id < b.id; });
    for (std::size_t i = 0; i < made_users.size(); ++i) {
      INFO(i);
      CHECK(found[i].id == made_users[i].id);
      CHECK(found[i].public_id == made_users[i].public_id);
      CHECK(found[i].username == made_users[i].username);
      CHECK(found[i].display_name == made_users[i].display_name);
    }
    CHECK(users.FindByIds({}).empty());
  }
}
