#include "support/videos.hpp"

#include <catch2/catch.hpp>

namespace monotube::test {

std::int64_t UserIdOf(TestApp& app, const TestAccount& account) {
  return app.app().auth().accounts().users().FindByPublicId(account.id).value().id;
}

std::string MakeReadyVideo(TestApp& app, const TestAccount& owner, const std::string& title,
                           const std::string& visibility) {
  auto& repository = app.app().videos().repository();
  auto now = app.app().clock().NowMs();
  videos::Video video;
  video.owner_id = UserIdOf(app, owner);
  video.title = title;
  video.visibility = visibility;
  video.status = "processing";
  video.created_at_ms = now;
  video.updated_at_ms = now;
  video = repository.Insert(video);
  videos::VideoRepository::Published published{
      "videos/" + video.public_id + "/r-test/", 120'000, 640, 360, {{"360p", 640, 360, 500'000}}, 1000};
  REQUIRE(repository.MarkReady(video.id, published, now));
  app.app().videos().NotifyChanged(repository.FindById(video.id).value());
  return video.public_id;
}

}  // namespace monotube::test
